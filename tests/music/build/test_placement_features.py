"""The placement's features: genre fill from the artist, the artist profile, title sentiment, genre probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunex_core.music.build.merge import MergedTrack
from tunex_core.music.build.placement_features import (
    artist_means,
    genre_probabilities,
    placement_features,
    title_sentiments,
)
from tunex_core.music.build.spotify_tables import FEATURES


def track(artist: str, genre: str = "", subgenre: str = "", title: str = "t", energy: float = 0.5,
          duration: float | None = 200.0) -> MergedTrack:
    features = np.full(len(FEATURES), 0.5)
    features[FEATURES.index("energy")] = energy
    return MergedTrack("x" * 22, title, artist, (artist,), features, ("tidytuesday",), genre, subgenre,
                       decade=1990, duration=duration)


def test_a_track_without_a_genre_takes_its_artists_genre_shares():
    matrix, names = placement_features([track("A", "rock", "hard rock"), track("A", "pop", "dance pop"),
                                        track("The A"), track("B"), track("B", "rock", "hard rock")])
    column = {name: index for index, name in enumerate(names)}
    assert matrix[2, column["genre=rock"]] == 0.5 and matrix[2, column["genre=pop"]] == 0.5  # "The A" is A
    assert matrix[2, column["subgenre=dance pop"]] == 0.5
    assert matrix[3, column["genre=rock"]] == 1.0 and matrix[3, column["genre=pop"]] == 0.0
    assert matrix[0, column["genre=pop"]] == 0.0  # a track with its own genre keeps it


def test_the_artist_profile_title_sentiment_and_duration_are_features():
    tracks = [track("A", "rock", "hard rock", "I Cry Alone", energy=0.9), track("A", "rock", "hard rock", energy=0.1),
              track("B", "pop", "dance pop", "Happy Happy Love", duration=None), track("B", "pop", "dance pop")]
    matrix, names = placement_features(tracks)
    column = {name: index for index, name in enumerate(names)}
    assert matrix.shape == (4, len(names)) and len(set(names)) == len(names)
    assert matrix[0, column["artist energy"]] == pytest.approx(0.5) == matrix[1, column["artist energy"]]
    assert matrix[0, column["title compound"]] < 0 < matrix[2, column["title compound"]]
    assert matrix[3, column["artist title compound"]] == pytest.approx(matrix[2, column["title compound"]] / 2)
    assert matrix[0, column["duration"]] == pytest.approx(math.log(200.0)) and np.isnan(matrix[2, column["duration"]])
    probabilities = matrix[:, [column["genre probability=pop"], column["genre probability=rock"]]]
    assert probabilities.sum(axis=1) == pytest.approx(np.ones(4))


def test_artist_means_skip_missing_values():
    values = np.array([[1.0, np.nan], [3.0, np.nan], [5.0, 2.0]])
    assert artist_means(["a", "a", "b"], values)[:, 0].tolist() == [2.0, 2.0, 5.0]
    assert np.isnan(artist_means(["a", "a", "b"], values)[0, 1])


def test_genre_probabilities_learn_from_the_tracks_with_a_genre():
    generator = np.random.default_rng(7)
    audio = generator.random((400, 3))
    genres = ["rock" if row[0] > 0.5 else "pop" for row in audio]
    genres = [genre if index % 2 else "" for index, genre in enumerate(genres)]  # half without a genre
    probabilities = genre_probabilities(audio, genres, ["pop", "rock"])
    truth = audio[:, 0] > 0.5
    assert np.mean((probabilities[:, 1] > 0.5) == truth) > 0.9
    assert genre_probabilities(audio, ["rock"] * 400, ["rock"]).shape == (400, 1)


def test_title_sentiment_reads_the_words():
    compound = title_sentiments(["Love Is Beautiful", "Kill Them All", "Tuesday"])[:, 0]
    assert compound[0] > 0.5 and compound[1] < -0.5 and compound[2] == 0.0
