"""How much do title and artist words add to the catalog placement? (``build.title_words``)

Prints, on Deezer's validation split (never fitted on):

1. the word model alone, fitted on all 11,267 Deezer training songs, against all 3,863 validation songs, for
   ridge penalties 3, 10 and 30 (``title_words.PENALTY`` is 10);
2. the placement as the build fits it (training songs only) with and without the two word features: r on the
   623 matched validation songs, per group (TidyTuesday genre or none), a 95% bootstrap interval of each r and of
   the paired difference (2,000 resamples of the songs).

    python bench/title_words_study.py

About 20 seconds on 2 cores. Needs ../shared (PMEmo, the Spotify tables, music_emotion); research data only.
Study code: it calls the placement's private ``_fit_both`` to get the validation estimates the build only scores.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from placement_genre_study import load

from tunex_core.music.build import placement, title_words
from tunex_core.music.build.merge import match_labelled_songs
from tunex_core.music.build.music_emotion import read_music_emotion
from tunex_core.paths import SHARED_MUSIC_EMOTION_DIR

RESAMPLES = 2000
PENALTY = 100.0


def pearson(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson's r."""
    return float(np.corrcoef(first, second)[0, 1])


def words_alone(labelled) -> None:
    """The word model fitted on Deezer train, scored on every validation song."""
    training = [labelled[position] for position in title_words.training_songs_of(labelled)]
    validation = [song for song in labelled if song.source == "deezer" and song.split == "validation"]
    labels = np.array([[song.valence, song.arousal] for song in validation])
    for penalty in (3.0, 10.0, 30.0):
        estimates = title_words.fit_word_model(training, penalty).predict([song.title for song in validation],
                                                                          [song.artist for song in validation])
        print(f"words alone, penalty {penalty:g}: validation ({len(validation):,} songs) r "
              f"{pearson(estimates[:, 0], labels[:, 0]):.3f} / {pearson(estimates[:, 1], labels[:, 1]):.3f}")


def main() -> None:
    tracks, matrix, names, songs, indices, _ = load()
    labelled = read_music_emotion(Path(SHARED_MUSIC_EMOTION_DIR))
    words_alone(labelled)
    words = title_words.word_features([track.title for track in tracks], [track.artist for track in tracks],
                                      labelled, match_labelled_songs(labelled, tracks))
    source = np.array([song.source for song in songs])
    split = np.array([song.split for song in songs])
    labels = np.array([[song.valence, song.arousal] for song in songs])
    train, validation = split == "train", (source == "deezer") & (split == "validation")
    estimates = {}
    for label, rows, row_names in (("without words", matrix[indices], names),
                                   ("with words", np.hstack([matrix, words])[indices],
                                    (*names, *title_words.WORD_FEATURES))):
        fitted = placement._fit_both(rows[train], labels[train], np.ones(train.sum()), row_names, PENALTY)
        estimates[label] = fitted.predict(rows[validation], row_names)
    truth = labels[validation]
    has_genre = np.array([bool(tracks[indices[row]].genre) for row in np.flatnonzero(validation)])
    generator = np.random.default_rng(0)
    resamples = [generator.integers(0, len(truth), len(truth)) for _ in range(RESAMPLES)]
    for label, estimate in estimates.items():
        parts = "; ".join(f"{name} ({chosen.sum()}) {pearson(estimate[chosen, 0], truth[chosen, 0]):.3f} / "
                          f"{pearson(estimate[chosen, 1], truth[chosen, 1]):.3f}"
                          for name, chosen in (("TidyTuesday genre", has_genre), ("no genre", ~has_genre)))
        interval = np.percentile([[pearson(estimate[rows, axis], truth[rows, axis]) for axis in (0, 1)]
                                  for rows in resamples], [2.5, 97.5], axis=0)
        print(f"placement {label}: validation ({len(truth)}) r {pearson(estimate[:, 0], truth[:, 0]):.3f} / "
              f"{pearson(estimate[:, 1], truth[:, 1]):.3f} (95% {interval[0, 0]:.3f}-{interval[1, 0]:.3f} / "
              f"{interval[0, 1]:.3f}-{interval[1, 1]:.3f}); {parts}")
    differences = np.array([[pearson(estimates["with words"][rows, axis], truth[rows, axis])
                             - pearson(estimates["without words"][rows, axis], truth[rows, axis]) for axis in (0, 1)]
                            for rows in resamples])
    low, high = np.percentile(differences, [2.5, 97.5], axis=0)
    print(f"with - without words: valence {differences[:, 0].mean():+.3f} (95% {low[0]:+.3f} to {high[0]:+.3f}), "
          f"arousal {differences[:, 1].mean():+.3f} (95% {low[1]:+.3f} to {high[1]:+.3f})")


if __name__ == "__main__":
    main()
