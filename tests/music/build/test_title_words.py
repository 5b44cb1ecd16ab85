"""Valence and arousal from title and artist words: learnt from Deezer's training songs, out of fold for their own tracks."""

from __future__ import annotations

import numpy as np

from tunex_core.music.build.music_emotion import LabelledSong
from tunex_core.music.build.title_words import WORD_FEATURES, fit_word_model, training_songs_of, word_features

DARK_WORDS = ("death", "blood", "grave", "funeral", "scream", "darkness")
BRIGHT_WORDS = ("sunshine", "happy", "party", "dance", "smile", "summer")


def song(title: str, artist: str, valence: float, arousal: float, split: str = "train",
         source: str = "deezer") -> LabelledSong:
    return LabelledSong(source, split, f"{artist}/{title}", title, artist, valence, arousal)


def corpus(count: int = 60) -> list[LabelledSong]:
    """Dark-titled songs are unpleasant and tense, bright-titled ones pleasant; every song by its own artist."""
    songs = []
    for index in range(count):
        dark = index % 2 == 0
        words = DARK_WORDS if dark else BRIGHT_WORDS
        title = f"{words[index % len(words)]} {words[(index + 1) % len(words)]}"
        songs.append(song(title, f"artist {index}", -1.0 if dark else 1.0, 1.0 if dark else -0.5))
    return songs


def test_words_learnt_from_titles_place_unseen_titles():
    model = fit_word_model(corpus())
    estimates = model.predict(["Blood and Death", "Summer Sunshine Party", "Untitled"], ["x", "y", "z"])
    assert estimates[0, 0] < estimates[2, 0] < estimates[1, 0]  # valence: dark < no known word < bright
    assert estimates[0, 1] > estimates[1, 1]  # arousal: dark words are tenser here


def test_only_deezer_training_songs_with_text_and_values_teach_the_model():
    songs = [song("a", "b", 0.0, 0.0), song("a", "b", 0.0, 0.0, split="validation"),
             song("a", "b", 0.0, 0.0, source="4q"), song("", "b", 0.0, 0.0),
             LabelledSong("deezer", "train", "k", "a", "b", float("nan"), float("nan"), has_values=False)]
    assert training_songs_of(songs) == [0]


def test_a_matched_training_song_gets_an_estimate_that_never_saw_its_own_label():
    songs = corpus()
    # one song whose only word no other song has, with an extreme label: a model that saw it would echo it
    songs.append(song("zyzzyva zyzzyva", "lonely artist", 5.0, 5.0))
    songs.append(song("zyzzyva", "other artist", 5.0, 5.0))
    titles = ["zyzzyva zyzzyva", "zyzzyva"]
    features = word_features(titles, ["lonely artist", "someone"], songs, {len(songs) - 2: 0})
    everything = fit_word_model([entry for entry in songs if entry.split == "train"]).predict(titles, ["a", "b"])
    # the matched track (0) is estimated without the song itself: only "other artist"'s song teaches its word
    assert features[0, 0] < everything[0, 0]
    # an unmatched track gets the model fitted on every training song
    assert np.allclose(features[1], fit_word_model(songs).predict(["zyzzyva"], ["someone"])[0])


def test_too_few_training_songs_give_no_estimate():
    features = word_features(["a", "b"], ["x", "y"], corpus(4), {})
    assert features.shape == (2, len(WORD_FEATURES)) and np.isnan(features).all()


def test_training_songs_that_share_no_word_give_no_estimate_instead_of_an_error():
    songs = [song(f"uniqueword{index}", f"artist{index}", 0.1 * index, 0.2) for index in range(20)]
    features = word_features(["uniqueword1"], ["artist1"], songs, {0: 0})
    assert np.isnan(features).all()

