"""Valence and arousal from the words of a song's title and artist, learnt from Deezer's tagged training songs.

Only 1,776 of the Deezer mood set's 11,267 training songs match a Spotify track, so only they can teach the
placement through audio features. Their titles and artists need no match: a ridge regression on the words
of the title and of the artist name (TF-IDF, words in at least ``MIN_SONGS`` songs) learns from all of them
which words go with which labels ("love", "blues", "death", "dance"; band names that name a genre). Its two
estimates become two placement features of every track (``WORD_FEATURES``).

Fitted on Deezer's **train** split only, so Deezer's validation split stays unseen and still chooses. A track
that a training song matched gets that song's out-of-fold estimate (artist-grouped folds: a model that never saw
the song's artist), so the placement never learns from a feature that already contains the song's own label.

Measured (``python bench/title_words_study.py``; ``data/README.md``): the words alone reach r 0.19 / 0.14 (valence /
arousal) on all 3,863 validation songs; added to the placement, Deezer validation r went from 0.428 / 0.425 to
0.451 / 0.420 (valence +0.024, 95% bootstrap interval +0.010 to +0.037; arousal −0.005, −0.014 to +0.004).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tunex_core.music.build.mapping import group_k_fold
from tunex_core.music.build.music_emotion import DEEZER, LabelledSong
from tunex_core.music.build.placement_features import first_artist

WORD_FEATURES = ("title and artist words valence", "title and artist words arousal")
TRAINING_SPLIT = "train"
PENALTY = 10.0
"""Ridge penalty on the TF-IDF columns: 3, 10 and 30 gave r 0.18 / 0.19 / 0.19 (valence) on validation."""
MIN_SONGS = 2
"""A word must appear in this many training songs: a word of one song can only memorise that song."""
FOLDS = 5


@dataclass(frozen=True)
class WordModel:
    """Fitted vocabularies (title, artist) and one ridge per axis on their joint TF-IDF columns."""

    title_words: object
    artist_words: object
    ridges: tuple[object, object]

    def predict(self, titles: Sequence[str], artists: Sequence[str]) -> np.ndarray:
        """``(n, 2)`` valence and arousal estimates, on the labels' scale, for each title and artist."""
        from scipy.sparse import hstack

        columns = hstack([self.title_words.transform(list(titles)),
                          self.artist_words.transform(list(artists))]).tocsr()
        return np.column_stack([ridge.predict(columns) for ridge in self.ridges])


def fit_word_model(songs: Sequence[LabelledSong], penalty: float = PENALTY) -> WordModel:
    """A ``WordModel`` fitted on ``songs``' titles, artists and (valence, arousal) labels (ridge ``penalty``)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer  # build-only dependency (requirements-dev)
    from sklearn.linear_model import Ridge

    title_words = TfidfVectorizer(min_df=MIN_SONGS, sublinear_tf=True)
    artist_words = TfidfVectorizer(min_df=MIN_SONGS, sublinear_tf=True)
    columns = hstack([title_words.fit_transform([song.title for song in songs]),
                      artist_words.fit_transform([song.artist for song in songs])]).tocsr()
    ridges = tuple(Ridge(alpha=penalty).fit(columns, [getattr(song, axis) for song in songs])
                   for axis in ("valence", "arousal"))
    return WordModel(title_words, artist_words, ridges)


def _fitted_or_none(songs: Sequence[LabelledSong]) -> WordModel | None:
    """The word model of ``songs``, or None when no word is shared by ``MIN_SONGS`` titles or artists (scikit-learn
    refuses an empty vocabulary): the features are then unknown (NaN), as with too few songs."""
    try:
        return fit_word_model(songs)
    except ValueError:
        return None


def training_songs_of(labelled: Sequence[LabelledSong]) -> list[int]:
    """Positions in ``labelled`` of the Deezer training songs the word model learns from (with values and text)."""
    return [position for position, song in enumerate(labelled)
            if song.source == DEEZER and song.split == TRAINING_SPLIT and song.has_values
            and song.title and song.artist]


def word_features(titles: Sequence[str], artists: Sequence[str], labelled: Sequence[LabelledSong],
                  labelled_matches: dict[int, int]) -> np.ndarray:
    """``(len(titles), 2)``: the word model's estimates for each track (title, artist), NaN for all when there are
    too few training songs or shared words to fit it (the placement then treats them as the mean).

    ``labelled_matches`` maps positions in ``labelled`` to track indices (``merge.match_labelled_songs``); a track
    matched by training songs gets the mean of their out-of-fold estimates instead.
    """
    features = np.full((len(titles), len(WORD_FEATURES)), math.nan)
    training = training_songs_of(labelled)
    artists_of_songs = [first_artist(labelled[position].artist) for position in training]
    if len(training) < 2 * FOLDS or len(set(artists_of_songs)) < FOLDS:
        return features
    songs = [labelled[position] for position in training]
    model = _fitted_or_none(songs)
    if model is None:
        return features
    features[:] = model.predict(titles, artists)
    out_of_fold = np.full((len(songs), len(WORD_FEATURES)), math.nan)
    for held_out in group_k_fold(artists_of_songs, FOLDS):
        held_out_set = set(held_out.tolist())
        model = _fitted_or_none([song for index, song in enumerate(songs) if index not in held_out_set])
        if model is not None:
            out_of_fold[held_out] = model.predict([songs[index].title for index in held_out],
                                                  [songs[index].artist for index in held_out])
    claims: dict[int, list[int]] = {}
    for index, position in enumerate(training):
        if position in labelled_matches:
            claims.setdefault(labelled_matches[position], []).append(index)
    for track, indices in claims.items():
        features[track] = out_of_fold[indices].mean(axis=0)
    return features
