"""Smoothing and hysteresis, driven by an explicit clock."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.smoothing import MoodSmoother, ema_weight


def one_hot(name: str, strength: float = 0.9) -> np.ndarray:
    vector = np.full(len(EMOTION_NAMES), (1 - strength) / (len(EMOTION_NAMES) - 1))
    vector[EMOTION_NAMES.index(name)] = strength
    return vector


def feed(smoother: MoodSmoother, name: str, start: float, seconds: float, fps: float = 10.0, strength: float = 0.9):
    states = []
    for step in range(round(seconds * fps)):
        states.append(smoother.update(one_hot(name, strength), start + step / fps))
    return states


def test_ema_weight_follows_the_half_life():
    assert ema_weight(0.0, 0.6) == 0.0
    assert ema_weight(0.6, 0.6) == pytest.approx(0.5)
    assert ema_weight(1.2, 0.6) == pytest.approx(0.75)
    assert ema_weight(0.1, 0.0) == 1.0


def test_first_observation_is_taken_as_is():
    state = MoodSmoother().update(one_hot("sad"), 10.0)
    assert state.stable_label == "sad" == state.leading_label
    assert np.allclose(state.probabilities, one_hot("sad"))


def test_smoothing_does_not_depend_on_frame_rate():
    slow, fast = MoodSmoother(half_life_seconds=0.5), MoodSmoother(half_life_seconds=0.5)
    slow.update(one_hot("happy"), 0.0)
    fast.update(one_hot("happy"), 0.0)
    slow_state = feed(slow, "sad", 0.1, 1.0, fps=10)[-1]
    fast_state = feed(fast, "sad", 1 / 30, 1.0, fps=30)[-1]
    assert slow_state.probabilities == pytest.approx(fast_state.probabilities, abs=0.03)


def test_mood_changes_only_after_the_switch_delay():
    smoother = MoodSmoother(half_life_seconds=0.3, switch_after_seconds=1.5)
    feed(smoother, "happy", 0.0, 2.0)
    states = feed(smoother, "sad", 2.0, 4.0)
    leading_since = next(state.updated_at for state in states if state.leading_label == "sad")
    switched_at = next(state.updated_at for state in states if state.stable_label == "sad")
    assert leading_since < 2.6  # the average follows quickly...
    assert switched_at - leading_since == pytest.approx(1.5, abs=0.101)  # ...the mood only after the delay
    assert all(state.stable_label == "happy" for state in states if state.updated_at < switched_at)


def test_alternating_frames_do_not_flicker():
    smoother = MoodSmoother(half_life_seconds=0.6, switch_after_seconds=1.0)
    labels = []
    for step in range(100):
        name = "happy" if step % 2 == 0 else "surprise"
        labels.append(smoother.update(one_hot(name, 0.55), step / 10).stable_label)
    assert len(set(labels[1:])) == 1


def test_short_blip_does_not_change_the_mood():
    smoother = MoodSmoother(half_life_seconds=0.3, switch_after_seconds=1.5)
    feed(smoother, "neutral", 0.0, 2.0)
    blip = feed(smoother, "angry", 2.0, 1.0)
    after = feed(smoother, "neutral", 3.0, 2.0)
    assert all(state.stable_label == "neutral" for state in blip + after)
    assert any(state.leading_label == "angry" for state in blip)


def test_long_gap_or_clock_going_back_starts_afresh():
    smoother = MoodSmoother(reset_after_seconds=3.0)
    feed(smoother, "happy", 0.0, 1.0)
    assert smoother.update(one_hot("fear"), 10.0).stable_label == "fear"
    assert smoother.update(one_hot("sad"), 5.0).stable_label == "sad"


def test_invalid_input_is_refused():
    smoother = MoodSmoother()
    with pytest.raises(ValueError, match="expected 7 probabilities"):
        smoother.update([0.5, 0.5], 0.0)
    with pytest.raises(ValueError, match="non-negative"):
        smoother.update([-1, 1, 0, 0, 0, 0, 1], 0.0)
    with pytest.raises(ValueError):
        MoodSmoother(half_life_seconds=-1)
