"""Tests for ``tunex_core.music.build.music_emotion``: each labelled source scaled onto PMEmo, quadrants, a missing folder."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.music.build.music_emotion import LabelledSong, quadrant_of, read_music_emotion, to_pmemo_scale
from tunex_core.music.catalog import CatalogError


def test_each_source_gets_pmemos_mean_and_spread_and_keeps_its_order():
    songs = [LabelledSong("deezer", "train", str(index), "t", "a", value, -value) for index, value in
             enumerate([-2.0, 0.0, 1.0, 3.0])]
    songs.append(LabelledSong("4q", "train", "MT", "t", "a", float("nan"), float("nan"), "Q2", has_values=False))
    moved, maps = to_pmemo_scale(songs, [0.4, 0.6], [0.5, 0.7])
    valence = np.array([song.valence for song in moved[:4]])
    assert valence.mean() == pytest.approx(0.5) and valence.std() == pytest.approx(0.1)
    assert np.all(np.diff(valence) > 0)
    assert not moved[4].has_values and np.isnan(moved[4].valence)  # a quadrant-only song stays unlabelled
    assert {(scale.source, scale.axis) for scale in maps} == {("deezer", "valence"), ("deezer", "arousal")}
    with pytest.raises(CatalogError, match="too few"):
        to_pmemo_scale(songs[:1], [0.4, 0.6], [0.5, 0.7])


def test_quadrants_follow_russell():
    assert [quadrant_of(*point) for point in ((1, 1), (-1, 1), (-1, -1), (1, -1))] == ["Q1", "Q2", "Q3", "Q4"]
    assert quadrant_of(0.6, 0.4, (0.5, 0.5)) == "Q4"


def test_a_missing_music_emotion_folder_is_named(tmp_path):
    with pytest.raises(CatalogError, match="no music-emotion folder"):
        read_music_emotion(tmp_path / "absent")
