"""Which part of a song describes its mood better: the middle, or the most energetic part?

No labelled full-length songs are at hand, so the question is asked inside the 4Q set's 30 s clips:
the middle 15 s against the loudest 15 s (highest mean energy over 1 s steps). The same model
(kernel ridge per axis, width 0.5, penalty 0.3; quadrant classifier width 0.25; snap 0.03) is
cross-validated on the same 5 artist-grouped folds, trained and tested on each excerpt, and trained
on the whole clips and tested on each excerpt. Features are cached per variant in ``--cache-dir``.

    python bench/song_excerpt_study.py [--clips ../shared/data/music_emotion] [--cache-dir runs/excerpt_study]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.music.audio.decoding import SAMPLE_RATE, decode_excerpt
from tunex_core.music.audio.features import feature_vector
from tunex_core.music.audio.model import snap_to_quadrants
from tunex_core.music.build import song_model_fit as fitting
from tunex_core.music.build.mapping import group_k_fold
from tunex_core.music.build.song_model import read_training_songs
from tunex_core.paths import SHARED_MUSIC_EMOTION_DIR

SECONDS = 15


def middle(samples: np.ndarray) -> np.ndarray:
    wanted = SECONDS * SAMPLE_RATE
    start = max(0, (samples.size - wanted) // 2)
    return samples[start:start + wanted]


def loudest(samples: np.ndarray) -> np.ndarray:
    wanted = SECONDS * SAMPLE_RATE
    if samples.size <= wanted:
        return samples
    energy = np.array([np.mean(samples[start:start + SAMPLE_RATE] ** 2)
                       for start in range(0, samples.size - SAMPLE_RATE + 1, SAMPLE_RATE)])
    start = int(np.argmax(np.convolve(energy, np.ones(SECONDS), "valid"))) * SAMPLE_RATE
    return samples[start:start + wanted]


def features(paths, cut, cache: Path) -> np.ndarray:
    if cache.is_file():
        return np.load(cache)["rows"]
    rows = np.array([feature_vector(cut(decode_excerpt(path).samples)) for path in paths])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, rows=rows)
    return rows


def score(train_matrix, test_matrix, songs) -> str:
    valence, arousal, scored = songs.valence, songs.arousal, songs.has_merge
    quadrants = np.array(songs.quadrants)
    codes = fitting.one_hot(quadrants)
    estimates, classes = np.empty((len(valence), 2)), np.empty((len(valence), 4))
    for test in group_k_fold(songs.artists, 5):
        train = np.setdiff1d(np.arange(len(valence)), test)
        center, scale = fitting.standardisation(train_matrix[train])
        rows = fitting.standardise(train_matrix[train], center, scale)
        held_out = fitting.standardise(test_matrix[test], center, scale)
        targets = np.column_stack([valence[train], arousal[train]])
        estimates[test] = fitting.fit_kernel(rows, targets, 0.3, 0.5).predict(held_out)
        classes[test] = fitting.fit_kernel(rows, codes[train], 0.3, 0.25).predict(held_out)
    placed = []
    for column, target in enumerate((valence, arousal)):
        values = estimates[:, column]
        placed.append(target.mean() + (values - values.mean()) * target[scored].std() / values[scored].std())
    snapped_valence, snapped_arousal = snap_to_quadrants(placed[0], placed[1], classes, 0.03)
    accuracy = np.mean(fitting.quadrants_of(snapped_valence, snapped_arousal) == quadrants)
    return (f"r valence {fitting.pearson(snapped_valence[scored], valence[scored]):.3f}, "
            f"r arousal {fitting.pearson(snapped_arousal[scored], arousal[scored]):.3f}, quadrant accuracy {accuracy:.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=SHARED_MUSIC_EMOTION_DIR)
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/excerpt_study"))
    parser.add_argument("--limit", type=int, default=None, help="only the first N songs (a quick check)")
    arguments = parser.parse_args()
    songs = read_training_songs(arguments.clips)
    paths = songs.clip_paths[: arguments.limit]
    if arguments.limit:
        keep = slice(0, arguments.limit)
        songs = type(songs)(ids=songs.ids[keep], artists=songs.artists[keep], quadrants=songs.quadrants[keep],
                            valence=songs.valence[keep], arousal=songs.arousal[keep], has_merge=songs.has_merge[keep],
                            clip_paths=songs.clip_paths[keep])
    suffix = f"_{arguments.limit}" if arguments.limit else ""
    whole = features(paths, lambda samples: samples, arguments.cache_dir / f"whole{suffix}.npz")
    middle_rows = features(paths, middle, arguments.cache_dir / f"middle{suffix}.npz")
    loudest_rows = features(paths, loudest, arguments.cache_dir / f"loudest{suffix}.npz")
    print(f"{len(paths)} songs, 5 artist-grouped folds")
    print("whole 30 s clip                       ", score(whole, whole, songs))
    print("middle 15 s, trained and tested on it ", score(middle_rows, middle_rows, songs))
    print("loudest 15 s, trained and tested on it", score(loudest_rows, loudest_rows, songs))
    print("trained on 30 s, tested on middle 15 s", score(whole, middle_rows, songs))
    print("trained on 30 s, tested on loudest 15 s", score(whole, loudest_rows, songs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
