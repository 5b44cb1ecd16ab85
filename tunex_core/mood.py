"""A mood: what the face pipeline hands to the music side of TuneX."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS, VALENCE_AROUSAL


def validated_probabilities(probabilities) -> np.ndarray:
    """Return ``probabilities`` as a float64 vector of 7 non-negative values summing to 1."""
    vector = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if vector.shape != (NUM_EMOTIONS,):
        raise ValueError(f"expected {NUM_EMOTIONS} probabilities, got {vector.shape[0]}")
    if not np.all(np.isfinite(vector)) or np.any(vector < 0):
        raise ValueError("probabilities must be finite and non-negative")
    total = vector.sum()
    if total <= 0:
        raise ValueError("probabilities must not all be zero")
    return vector / total


def mood_point(probabilities) -> tuple[float, float]:
    """The probability-weighted mean of the emotions' (valence, arousal) points."""
    vector = validated_probabilities(probabilities)
    valence, arousal = vector @ VALENCE_AROUSAL
    return float(valence), float(arousal)


@dataclass(frozen=True)
class Mood:
    """A mood: the dominant emotion, the full distribution and its valence-arousal point."""

    label: str
    probabilities: tuple[float, ...]
    valence: float
    arousal: float
    source: str = "unknown"
    created_at: float = field(default_factory=time.time)

    @property
    def confidence(self) -> float:
        """Probability of the dominant emotion."""
        return float(self.probabilities[EMOTION_NAMES.index(self.label)])

    @classmethod
    def from_probabilities(cls, probabilities, source: str = "unknown") -> Mood:
        """Build a mood from 7 probabilities in FER label order."""
        vector = validated_probabilities(probabilities)
        valence, arousal = mood_point(vector)
        return cls(label=EMOTION_NAMES[int(np.argmax(vector))],
                   probabilities=tuple(float(p) for p in vector),
                   valence=valence, arousal=arousal, source=source)

    @classmethod
    def from_emotion(cls, name: str, source: str = "chosen") -> Mood:
        """A mood that is entirely one emotion."""
        vector = np.zeros(NUM_EMOTIONS)
        vector[EMOTION_NAMES.index(name.strip().lower())] = 1.0
        return cls.from_probabilities(vector, source=source)
