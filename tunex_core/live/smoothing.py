"""Smoothing per-frame emotion probabilities into a stable mood.

Two stages, both driven by an injected clock so they can be tested exactly:

1. an exponential moving average of the 7 probabilities whose weight depends
   on the time between frames (``half_life_seconds``), so the result does not
   depend on the frame rate;
2. hysteresis: the stable mood changes only after another emotion has led the
   smoothed distribution continuously for ``switch_after_seconds``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.mood import validated_probabilities

DEFAULT_HALF_LIFE_SECONDS = 0.6
DEFAULT_SWITCH_AFTER_SECONDS = 1.5
DEFAULT_RESET_AFTER_SECONDS = 3.0  # a gap this long (camera paused, face gone) starts afresh


@dataclass(frozen=True)
class SmoothedMood:
    """The smoother's state after one update."""

    probabilities: np.ndarray  # smoothed, 7 values summing to 1
    stable_label: str  # changes only through hysteresis
    leading_label: str  # argmax of the smoothed probabilities right now
    leading_for_seconds: float  # how long ``leading_label`` has led (0 when it is the stable one)
    updated_at: float

    @property
    def stable_confidence(self) -> float:
        """Smoothed probability of the stable label."""
        return float(self.probabilities[EMOTION_NAMES.index(self.stable_label)])


def ema_weight(elapsed_seconds: float, half_life_seconds: float) -> float:
    """Weight of a new observation after ``elapsed_seconds`` for the given half-life."""
    if half_life_seconds <= 0:
        return 1.0
    return 1.0 - math.exp(-math.log(2.0) * max(0.0, elapsed_seconds) / half_life_seconds)


class MoodSmoother:
    """Exponential moving average plus hysteresis over a stream of probability vectors."""

    def __init__(self, half_life_seconds: float = DEFAULT_HALF_LIFE_SECONDS,
                 switch_after_seconds: float = DEFAULT_SWITCH_AFTER_SECONDS,
                 reset_after_seconds: float = DEFAULT_RESET_AFTER_SECONDS):
        if half_life_seconds < 0 or switch_after_seconds < 0:
            raise ValueError("half-life and switch delay must not be negative")
        self.half_life_seconds = half_life_seconds
        self.switch_after_seconds = switch_after_seconds
        self.reset_after_seconds = reset_after_seconds
        self._state: SmoothedMood | None = None
        self._challenger: str | None = None
        self._challenger_since = 0.0

    @property
    def state(self) -> SmoothedMood | None:
        """The latest smoothed mood, or None before the first update."""
        return self._state

    def reset(self) -> None:
        """Forget everything (e.g. when the camera stops)."""
        self._state = None

    def update(self, probabilities, now: float) -> SmoothedMood:
        """Fold one observation taken at time ``now`` (seconds) into the smoothed mood."""
        observation = validated_probabilities(probabilities)
        previous = self._state
        if previous is None or now - previous.updated_at > self.reset_after_seconds or now < previous.updated_at:
            label = EMOTION_NAMES[int(np.argmax(observation))]
            self._challenger = None
            self._state = SmoothedMood(observation, label, label, 0.0, now)
            return self._state
        weight = ema_weight(now - previous.updated_at, self.half_life_seconds)
        smoothed = (1.0 - weight) * previous.probabilities + weight * observation
        smoothed /= smoothed.sum()
        leading = EMOTION_NAMES[int(np.argmax(smoothed))]
        stable, leading_for = previous.stable_label, 0.0
        if leading == stable:
            self._challenger = None
        else:
            if leading != self._challenger:
                self._challenger, self._challenger_since = leading, now
            leading_for = now - self._challenger_since
            if leading_for >= self.switch_after_seconds:
                stable, leading_for, self._challenger = leading, 0.0, None
        self._state = SmoothedMood(smoothed, stable, leading, leading_for, now)
        return self._state
