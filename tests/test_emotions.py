"""Tests for ``tunex_core.emotions``: label order, colours and valence-arousal points."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tunex_core.emotions import (
    COLOURS,
    DISPLAY_NAMES,
    EMOTION_BY_NAME,
    EMOTION_NAMES,
    EMOTIONS,
    NUM_EMOTIONS,
    VALENCE_AROUSAL,
    colour_bgr,
    emotion,
    rescale,
)


def test_label_order_is_fer2013():
    assert EMOTION_NAMES == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert NUM_EMOTIONS == 7
    assert [e.index for e in EMOTIONS] == list(range(7))


def test_names_are_unique_and_lookup_is_consistent():
    assert len(set(EMOTION_NAMES)) == 7
    assert len(set(DISPLAY_NAMES)) == 7
    for item in EMOTIONS:
        assert EMOTION_BY_NAME[item.name] is item
        assert item.display_name.lower() == item.name


def test_seven_unique_hex_colours():
    assert set(COLOURS) == set(EMOTION_NAMES)
    assert len(set(COLOURS.values())) == 7
    for value in COLOURS.values():
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", value)


def test_colour_bgr_reverses_hex_channels():
    assert colour_bgr("angry") == (0x28, 0x27, 0xD6)  # #d62728
    for name in EMOTION_NAMES:
        bgr = colour_bgr(name)
        assert len(bgr) == 3 and all(0 <= channel <= 255 for channel in bgr)


def test_valence_arousal_in_unit_range():
    for item in EMOTIONS:
        assert 0.0 <= item.valence <= 1.0
        assert 0.0 <= item.arousal <= 1.0


def test_valence_arousal_matrix_matches_emotions():
    assert VALENCE_AROUSAL.shape == (NUM_EMOTIONS, 2)
    assert VALENCE_AROUSAL.dtype == np.float64
    for item in EMOTIONS:
        np.testing.assert_allclose(VALENCE_AROUSAL[item.index], (item.valence, item.arousal))


def test_happy_has_the_highest_valence():
    assert EMOTION_NAMES[int(np.argmax(VALENCE_AROUSAL[:, 0]))] == "happy"


def test_circumplex_sanity():
    by = EMOTION_BY_NAME
    # sad and neutral are calmer than the high-arousal emotions
    for calm in ("sad", "neutral"):
        for excited in ("angry", "fear", "surprise"):
            assert by[calm].arousal < by[excited].arousal
    for negative in ("angry", "disgust", "fear", "sad"):
        assert by[negative].valence < by["neutral"].valence


def test_rescale_is_linear():
    assert rescale(5.0) == pytest.approx(0.5)  # Warriner's neutral 5 is PMEmo's 0.5
    assert rescale(5.0, source=(1.0, 9.0)) == pytest.approx(0.5)
    assert rescale(1.0, source=(1.0, 9.0)) == pytest.approx(0.0)
    assert rescale(9.0, source=(1.0, 9.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["happy", "HAPPY", "  Happy "])
def test_emotion_lookup_is_case_and_space_insensitive(name):
    assert emotion(name) is EMOTION_BY_NAME["happy"]


@pytest.mark.parametrize("name", ["joy", "", "happiness", "7"])
def test_emotion_unknown_name_raises_value_error_listing_choices(name):
    with pytest.raises(ValueError, match="unknown emotion") as info:
        emotion(name)
    for label in EMOTION_NAMES:
        assert label in str(info.value)


def test_emotion_frozen():
    with pytest.raises(AttributeError):
        EMOTIONS[0].name = "cross"  # type: ignore[misc]


def test_the_points_are_warriners_norms_for_the_class_names_on_pmemos_scale():
    # Warriner, Kuperman & Brysbaert (2013), V.Mean.Sum / A.Mean.Sum; 1..9 → 0..1 (5 → 0.5)
    norms = {"angry": (2.53, 6.20), "disgust": (3.32, 5.00), "fear": (2.93, 6.14), "happy": (8.47, 6.05),
             "sad": (2.10, 3.49), "surprise": (7.44, 6.57), "neutral": (5.50, 3.45)}
    for name, (valence, arousal) in norms.items():
        item = EMOTION_BY_NAME[name]
        assert item.lexicon_word == name
        assert (item.valence, item.arousal) == pytest.approx(((valence - 1) / 8, (arousal - 1) / 8))
