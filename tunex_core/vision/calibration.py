"""Calibration to a person's resting face.

Many people's relaxed face reads as sad or angry to a FER-2013 model (a downturned
mouth, heavy brows, glasses, the light in their room). Calibration learns that bias
from one or more readings of the person's resting face and corrects later readings.

The correction is a prior shift in log space, the same as adding a bias to the
logits: every reading ``p`` becomes ``p' ∝ p · exp(-c)`` with

    c = strength · clip(log r - log q, -MAX_LOG_CORRECTION, +MAX_LOG_CORRECTION)

where ``r`` is the mean of the resting-face readings and ``q`` the reading a resting
face should give (``resting_target``: neutral at the resting face's own neutral reading,
kept between ``MIN_TARGET_NEUTRAL`` and ``MAX_TARGET_NEUTRAL``, the rest spread evenly).
So the correction evens out what the resting face over- and under-reads, lifts neutral
only as far as 0.3 when it reads lower, and barely touches a face that already reads
strongly neutral. With strength 1 the person's own resting face would read exactly ``q``;
the default strength 0.5 goes half-way (geometrically), which corrected the
simulated biases best without swamping real expressions; ``fit`` raises it just
enough for the resting face itself to read neutral (a small cost in the study,
and what a person expects after calibrating). A strong expression
(happy at 0.95) keeps its label because the correction is bounded (at most
``MAX_CORRECTION_FACTOR`` either way, before the strength). Why this form, and the measurements
behind ``DEFAULT_STRENGTH``, the target and the bound, are in ``models/MODEL_CARD.md`` and
``bench/calibration_study.py``.

The calibration is a frozen dataclass, serialisable to and from JSON so that it
can be stored with a person's profile; nothing of the photo itself is kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS

NEUTRAL_INDEX = EMOTION_NAMES.index("neutral")
# The neutral share of the resting target: the resting face's own neutral reading, kept in this range
# (bench/calibration_study.py: a fixed 0.7 gained less in every simulated bias and cost more without one).
MIN_TARGET_NEUTRAL, MAX_TARGET_NEUTRAL = 0.3, 0.7
TARGET_NEUTRAL = MAX_TARGET_NEUTRAL  # what calibrations stored before the range carry (they recorded no target)
MAX_CORRECTION_FACTOR = 10.0  # no class is scaled up or down by more than this
MAX_LOG_CORRECTION = math.log(MAX_CORRECTION_FACTOR)
DEFAULT_STRENGTH = 0.5  # half-way in log space: the best of the variants measured (models/MODEL_CARD.md)
STRENGTH_STEP = 0.05  # how ``fit`` raises the strength until the resting face reads neutral
PROBABILITY_FLOOR = 1e-4  # resting readings are floored here before taking logs
FORMAT_VERSION = 1
# A relaxed face seldom reads happy or surprised, a smile or raised brows do: on PublicTest the shipped model's
# top reading was one of these at 0.6 or more for 5.8% of the neutral faces, 84% of the happy and 78% of the
# surprised ones. A resting face that reads so gets a warning (not a refusal: some relaxed faces do).
EXPRESSION_HINTS = {"happy": "smiling", "surprise": "raising your eyebrows"}
EXPRESSION_SHARE = 0.6


def target_neutral_for(resting: np.ndarray) -> float:
    """The neutral share of the resting target for a mean resting reading: its own, within the range."""
    return float(np.clip(resting[NEUTRAL_INDEX], MIN_TARGET_NEUTRAL, MAX_TARGET_NEUTRAL))


def resting_target(neutral: float = TARGET_NEUTRAL) -> np.ndarray:
    """The reading a resting face should give: ``neutral`` for neutral, the rest shared evenly."""
    if not 0.0 < neutral < 1.0:
        raise ValueError("the neutral share of the resting target must be between 0 and 1")
    target = np.full(NUM_EMOTIONS, (1.0 - neutral) / (NUM_EMOTIONS - 1))
    target[NEUTRAL_INDEX] = neutral
    return target



class CalibrationError(ValueError):
    """Calibration input is unusable (no readings, not probabilities) or a stored calibration is malformed."""


def _probability_rows(values, what: str) -> np.ndarray:
    """``values`` as an (N, 7) float64 array of probability rows, or ``CalibrationError``."""
    try:
        rows = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CalibrationError(f"{what} must be numbers") from error
    if rows.ndim == 1:
        rows = rows[None, :]
    if rows.ndim != 2 or rows.shape[1] != NUM_EMOTIONS:
        raise CalibrationError(f"{what} must have {NUM_EMOTIONS} probabilities per reading, got shape {rows.shape}")
    if rows.shape[0] == 0:
        raise CalibrationError(f"{what}: no readings (was a face found?)")
    if not np.all(np.isfinite(rows)) or np.any(rows < 0) or np.any(rows.sum(axis=1) <= 0):
        raise CalibrationError(f"{what} must be finite, non-negative and not all zero")
    return rows / rows.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class RestingFaceCalibration:
    """A person's resting-face bias and the correction it implies.

    ``resting_probabilities``: mean reading of the resting face (7 values, FER
    order); ``readings``: how many readings were averaged; ``strength``: 0 = no
    correction, 1 = the resting face reads exactly the resting target, whose neutral share is
    ``target_neutral``.
    """

    resting_probabilities: tuple[float, ...]
    readings: int
    strength: float = DEFAULT_STRENGTH
    target_neutral: float = TARGET_NEUTRAL
    created_at: str = ""

    def __post_init__(self):
        resting = _probability_rows(self.resting_probabilities, "resting probabilities")[0]
        object.__setattr__(self, "resting_probabilities", tuple(float(value) for value in resting))
        if not (isinstance(self.readings, int) and self.readings >= 1):
            raise CalibrationError("readings must be a whole number of at least 1")
        if not (isinstance(self.strength, int | float) and 0.0 <= float(self.strength) <= 1.0):
            raise CalibrationError("strength must be between 0 and 1")
        if not (isinstance(self.target_neutral, int | float) and 0.0 < float(self.target_neutral) < 1.0):
            raise CalibrationError("target_neutral must be between 0 and 1")

    @classmethod
    def fit(cls, readings, strength: float = DEFAULT_STRENGTH, target_neutral: float | None = None,
            until_neutral: bool = True) -> RestingFaceCalibration:
        """Fit from one or more resting-face readings (each 7 probabilities); raises ``CalibrationError``.

        ``target_neutral`` defaults to ``target_neutral_for`` the mean reading.
        With ``until_neutral`` the strength is raised from ``strength`` (in steps of
        ``STRENGTH_STEP``, at most to 1) until the resting reading itself reads
        neutral, so the person sees their relaxed face read neutral after calibrating.
        """
        rows = _probability_rows(readings, "resting-face readings")
        resting = rows.mean(axis=0)
        if target_neutral is None:
            target_neutral = target_neutral_for(resting)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        calibration = cls(tuple(resting), int(rows.shape[0]), float(strength), float(target_neutral), created)
        while until_neutral and calibration.strength < 1.0 and \
                int(np.argmax(calibration.apply(calibration.resting_probabilities))) != NEUTRAL_INDEX:
            calibration = replace(calibration, strength=min(1.0, round(calibration.strength + STRENGTH_STEP, 6)))
        return calibration

    @property
    def log_correction(self) -> np.ndarray:
        """The 7 values subtracted from each reading's log-probabilities (before renormalising)."""
        resting = np.maximum(np.asarray(self.resting_probabilities), PROBABILITY_FLOOR)
        shift = np.log(resting) - np.log(resting_target(self.target_neutral))
        return self.strength * np.clip(shift, -MAX_LOG_CORRECTION, MAX_LOG_CORRECTION)

    def apply(self, probabilities) -> np.ndarray:
        """Corrected probabilities, same shape as ``probabilities`` (one reading (7,) or a batch (N, 7))."""
        values = np.asarray(probabilities, dtype=np.float64)
        if values.shape == (0, NUM_EMOTIONS):
            return values.copy()
        rows = _probability_rows(values, "probabilities")
        corrected = rows * np.exp(-self.log_correction)
        corrected /= corrected.sum(axis=1, keepdims=True)
        return corrected[0] if values.ndim == 1 else corrected

    def describe(self) -> str:
        """One line for people: what the resting face read and what is corrected."""
        resting = np.asarray(self.resting_probabilities)
        top = int(np.argmax(resting))
        biggest = int(np.argmax(self.log_correction))
        line = f"resting face read {EMOTION_NAMES[top]} {resting[top]:.0%} over {self.readings} reading(s)"
        if self.log_correction[biggest] > 0.05:
            line += f"; {EMOTION_NAMES[biggest]} is toned down ×{math.exp(self.log_correction[biggest]):.1f}"
        return line

    @property
    def resting_expression(self) -> str | None:
        """``happy`` or ``surprise`` when the resting face read it at ``EXPRESSION_SHARE`` or more as its top
        emotion (the person probably smiled or raised their brows while calibrating), else None."""
        resting = np.asarray(self.resting_probabilities)
        top = EMOTION_NAMES[int(np.argmax(resting))]
        return top if top in EXPRESSION_HINTS and resting.max() >= EXPRESSION_SHARE else None

    def expression_warning(self) -> str | None:
        """Two sentences for people when ``resting_expression`` is set: what it read and what to do; else None."""
        expression = self.resting_expression
        if expression is None:
            return None
        index = EMOTION_NAMES.index(expression)
        share = self.resting_probabilities[index]
        factor = math.exp(float(self.log_correction[index]))
        return (f"Your resting face read {expression} {share:.0%}. If you were {EXPRESSION_HINTS[expression]}, "
                f"calibrate again with a relaxed face: until then every {expression} reading is toned down "
                f"×{factor:.1f}.")

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (``from_dict`` reads it back)."""
        return {"version": FORMAT_VERSION, "kind": "resting_face",
                "resting_probabilities": dict(zip(EMOTION_NAMES, (round(v, 6) for v in self.resting_probabilities),
                                                  strict=True)),
                "readings": self.readings, "strength": self.strength, "target_neutral": self.target_neutral,
                "created_at": self.created_at}

    def to_json(self) -> str:
        """``to_dict`` as a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data) -> RestingFaceCalibration:
        """Read a ``to_dict`` dictionary back; anything malformed raises ``CalibrationError``."""
        if not isinstance(data, dict) or data.get("kind") != "resting_face":
            raise CalibrationError("not a resting-face calibration")
        if data.get("version") != FORMAT_VERSION:
            raise CalibrationError(f"unsupported calibration version {data.get('version')!r}")
        resting = data.get("resting_probabilities")
        if not isinstance(resting, dict) or set(resting) != set(EMOTION_NAMES):
            raise CalibrationError(f"resting_probabilities must name the 7 emotions: {', '.join(EMOTION_NAMES)}")
        try:
            return cls(tuple(float(resting[name]) for name in EMOTION_NAMES), data.get("readings"),
                       data.get("strength", DEFAULT_STRENGTH), data.get("target_neutral", TARGET_NEUTRAL),
                       str(data.get("created_at", "")))
        except (TypeError, ValueError, OverflowError) as error:  # OverflowError: a JSON integer too large for a float
            raise CalibrationError(f"malformed calibration: {error}") from error

    @classmethod
    def from_json(cls, text: str) -> RestingFaceCalibration:
        """Read a ``to_json`` string back; anything malformed raises ``CalibrationError``."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise CalibrationError(f"calibration is not valid JSON: {error}") from error
        return cls.from_dict(data)


def calibrate_faces(faces: list, calibration: RestingFaceCalibration | None) -> list:
    """``FaceEmotion``s with corrected probabilities and labels; the same list when ``calibration`` is None."""
    if calibration is None or not faces:
        return list(faces)
    corrected = calibration.apply(np.stack([face.probabilities for face in faces]))
    return [replace(face, probabilities=row, label=EMOTION_NAMES[int(np.argmax(row))])
            for face, row in zip(faces, corrected, strict=True)]
