"""Tests for ``tunex_core.mood``: probability validation, mood points and ``Mood``."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_BY_NAME, EMOTION_NAMES, VALENCE_AROUSAL
from tunex_core.mood import Mood, mood_point, validated_probabilities


def one_hot(name: str) -> np.ndarray:
    vector = np.zeros(7)
    vector[EMOTION_NAMES.index(name)] = 1.0
    return vector


@pytest.mark.parametrize("name", EMOTION_NAMES)
def test_mood_point_of_a_pure_emotion_is_its_point(name):
    item = EMOTION_BY_NAME[name]
    assert mood_point(one_hot(name)) == pytest.approx((item.valence, item.arousal))


def test_mood_point_is_the_weighted_mean():
    probabilities = np.zeros(7)
    probabilities[EMOTION_NAMES.index("happy")] = 0.5
    probabilities[EMOTION_NAMES.index("sad")] = 0.5
    expected = (VALENCE_AROUSAL[3] + VALENCE_AROUSAL[4]) / 2
    assert mood_point(probabilities) == pytest.approx(tuple(expected))


def test_uniform_mood_is_the_centroid():
    assert mood_point(np.full(7, 1 / 7)) == pytest.approx(tuple(VALENCE_AROUSAL.mean(axis=0)))


def test_probabilities_are_renormalised():
    vector = validated_probabilities([2, 0, 0, 2, 0, 0, 0])
    assert vector.sum() == pytest.approx(1.0)
    assert vector[0] == pytest.approx(0.5)
    assert mood_point([2, 0, 0, 0, 0, 0, 0]) == mood_point(one_hot("angry"))


def test_accepts_lists_and_column_vectors():
    assert validated_probabilities(np.full((7, 1), 1 / 7)).shape == (7,)
    assert validated_probabilities([1 / 7] * 7).dtype == np.float64


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        (np.ones(6) / 6, "expected 7 probabilities, got 6"),
        (np.ones(8) / 8, "expected 7 probabilities, got 8"),
        ([np.nan, 0, 0, 1, 0, 0, 0], "finite and non-negative"),
        ([np.inf, 0, 0, 1, 0, 0, 0], "finite and non-negative"),
        ([-0.1, 0, 0, 1.1, 0, 0, 0], "finite and non-negative"),
        (np.zeros(7), "must not all be zero"),
    ],
)
def test_bad_probabilities_raise_value_error(probabilities, message):
    with pytest.raises(ValueError, match=message):
        mood_point(probabilities)
    with pytest.raises(ValueError, match=message):
        Mood.from_probabilities(probabilities)


def test_mood_from_probabilities():
    probabilities = np.array([0.05, 0.05, 0.1, 0.6, 0.1, 0.05, 0.05])
    mood = Mood.from_probabilities(probabilities, source="camera")
    assert mood.label == "happy"
    assert mood.confidence == pytest.approx(0.6)
    assert mood.source == "camera"
    assert (mood.valence, mood.arousal) == pytest.approx(mood_point(probabilities))
    assert len(mood.probabilities) == 7
    assert all(isinstance(p, float) for p in mood.probabilities)
    assert sum(mood.probabilities) == pytest.approx(1.0)
    assert mood.created_at > 0


@pytest.mark.parametrize("name", EMOTION_NAMES)
def test_mood_from_emotion(name):
    mood = Mood.from_emotion(name)
    assert mood.label == name
    assert mood.confidence == 1.0
    assert mood.source == "chosen"
    item = EMOTION_BY_NAME[name]
    assert (mood.valence, mood.arousal) == pytest.approx((item.valence, item.arousal))


def test_mood_from_emotion_normalises_name_and_rejects_unknown():
    assert Mood.from_emotion(" Sad ").label == "sad"
    with pytest.raises(ValueError):
        Mood.from_emotion("joy")


def test_mood_is_frozen():
    mood = Mood.from_emotion("happy")
    with pytest.raises(AttributeError):
        mood.label = "sad"  # type: ignore[misc]
