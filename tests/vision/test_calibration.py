"""Tests for ``tunex_core.vision.calibration``: the resting-face correction, its bounds and its JSON form."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.vision.calibration import (
    MAX_CORRECTION_FACTOR,
    MAX_TARGET_NEUTRAL,
    MIN_TARGET_NEUTRAL,
    CalibrationError,
    RestingFaceCalibration,
    calibrate_faces,
    resting_target,
)

INDEX = EMOTION_NAMES.index


def reading(**values) -> np.ndarray:
    """A probability vector with the named values and the rest shared evenly."""
    vector = np.zeros(7)
    for name, value in values.items():
        vector[INDEX(name)] = value
    rest = [index for index in range(7) if vector[index] == 0]
    vector[rest] = (1.0 - vector.sum()) / len(rest)
    return vector


SAD_RESTING_FACE = reading(sad=0.55, neutral=0.25, angry=0.1)


def test_resting_target_is_mostly_neutral():
    for neutral in (MIN_TARGET_NEUTRAL, 0.5, MAX_TARGET_NEUTRAL):
        target = resting_target(neutral)
        assert target.sum() == pytest.approx(1.0) and target[INDEX("neutral")] == neutral
        assert EMOTION_NAMES[int(target.argmax())] == "neutral"
    with pytest.raises(ValueError):
        resting_target(1.0)


def test_full_strength_makes_the_resting_face_read_the_target():
    resting = reading(sad=0.4, neutral=0.3, angry=0.1)  # every ratio to the target within the bound
    calibration = RestingFaceCalibration.fit([resting], strength=1.0)
    np.testing.assert_allclose(calibration.apply(resting), resting_target(0.3), atol=1e-9)


@pytest.mark.parametrize(("neutral", "target"), [(0.05, MIN_TARGET_NEUTRAL), (0.3, 0.3), (0.45, 0.45),
                                                 (0.7, 0.7), (0.9, MAX_TARGET_NEUTRAL)])
def test_the_target_keeps_the_resting_faces_own_neutral_share_within_the_range(neutral, target):
    resting = reading(neutral=neutral, sad=(1 - neutral) / 2)
    assert RestingFaceCalibration.fit([resting]).target_neutral == pytest.approx(target)
    assert RestingFaceCalibration.fit([resting], target_neutral=0.6).target_neutral == 0.6


def test_a_mild_expression_the_resting_face_does_not_show_keeps_its_label():
    # A fixed target of neutral 0.7 lifted neutral for everything after a sad-looking resting face (neutral
    # 0.25), so a mild happy or surprised face read neutral; the target at its own 0.3 only evens the rest out.
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE])
    assert calibration.target_neutral == MIN_TARGET_NEUTRAL
    for expression in ("happy", "surprise"):
        mild = reading(**{expression: 0.45, "neutral": 0.4})
        assert EMOTION_NAMES[int(calibration.apply(mild).argmax())] == expression
    fixed = RestingFaceCalibration.fit([SAD_RESTING_FACE], target_neutral=0.7)
    assert EMOTION_NAMES[int(fixed.apply(reading(happy=0.45, neutral=0.4)).argmax())] == "neutral"


def test_default_strength_turns_a_sad_looking_resting_face_neutral():
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE])
    corrected = calibration.apply(SAD_RESTING_FACE)
    assert EMOTION_NAMES[int(corrected.argmax())] == "neutral"
    assert corrected.sum() == pytest.approx(1.0)
    assert corrected[INDEX("sad")] < SAD_RESTING_FACE[INDEX("sad")]


def test_fit_raises_the_strength_just_enough_for_the_resting_face_to_read_neutral():
    rng = np.random.default_rng(3)
    for resting in rng.dirichlet(np.full(7, 0.7), 200):
        calibration = RestingFaceCalibration.fit([resting])
        assert 0.5 <= calibration.strength <= 1.0
        reads_neutral = EMOTION_NAMES[int(calibration.apply(resting).argmax())] == "neutral"
        assert reads_neutral or calibration.strength == 1.0
        if calibration.strength > 0.5:  # the step below was not enough
            weaker = RestingFaceCalibration.fit([resting], strength=calibration.strength - 0.05, until_neutral=False)
            assert EMOTION_NAMES[int(weaker.apply(resting).argmax())] != "neutral"
    mild = RestingFaceCalibration.fit([reading(neutral=0.5, sad=0.3)])
    assert mild.strength == 0.5  # already neutral: the default is kept


def test_a_neutral_resting_face_stays_neutral_and_changes_little():
    neutral_face = reading(neutral=0.8)
    calibration = RestingFaceCalibration.fit([neutral_face])
    corrected = calibration.apply(neutral_face)
    assert EMOTION_NAMES[int(corrected.argmax())] == "neutral"
    happy = reading(happy=0.6, neutral=0.3)
    corrected_happy = calibration.apply(happy)
    assert EMOTION_NAMES[int(corrected_happy.argmax())] == "happy"
    np.testing.assert_allclose(corrected_happy, happy, atol=0.1)


@pytest.mark.parametrize("expression", ["happy", "surprise", "angry", "sad", "fear"])
def test_strong_expressions_keep_their_label(expression):
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE])
    strong = reading(**{expression: 0.9})
    assert EMOTION_NAMES[int(calibration.apply(strong).argmax())] == expression


def test_a_mild_reading_of_the_persons_bias_becomes_neutral():
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE])
    mild = reading(sad=0.45, neutral=0.35)  # less sad than this person's resting face
    assert EMOTION_NAMES[int(calibration.apply(mild).argmax())] == "neutral"


def test_the_correction_is_bounded():
    near_zero = np.full(7, 1e-9)
    near_zero[INDEX("sad")] = 1.0
    calibration = RestingFaceCalibration.fit([near_zero], strength=1.0, until_neutral=False)
    assert np.all(np.abs(calibration.log_correction) <= math.log(MAX_CORRECTION_FACTOR) + 1e-12)
    half = RestingFaceCalibration.fit([near_zero], strength=0.5, until_neutral=False)
    np.testing.assert_allclose(half.log_correction, 0.5 * calibration.log_correction)


def test_strength_zero_changes_nothing():
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE], strength=0.0, until_neutral=False)
    batch = np.random.default_rng(0).dirichlet(np.ones(7), 5)
    np.testing.assert_allclose(calibration.apply(batch), batch, atol=1e-12)


def test_several_readings_are_averaged_and_batches_keep_their_shape():
    first, second = reading(sad=0.6), reading(angry=0.6)
    calibration = RestingFaceCalibration.fit(np.stack([first, second]))
    assert calibration.readings == 2
    np.testing.assert_allclose(calibration.resting_probabilities, (first + second) / 2)
    batch = np.random.default_rng(1).dirichlet(np.ones(7), 4)
    corrected = calibration.apply(batch)
    assert corrected.shape == (4, 7)
    np.testing.assert_allclose(corrected.sum(axis=1), 1.0)
    np.testing.assert_allclose(corrected[2], calibration.apply(batch[2]))
    assert calibration.apply(np.zeros((0, 7))).shape == (0, 7)


@pytest.mark.parametrize(("readings", "message"), [
    (np.zeros((0, 7)), "no readings"),
    ([[0.5, 0.5]], "7 probabilities"),
    ([[np.nan] * 7], "finite"),
    ([[-0.1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.1]], "non-negative"),
    ([[0.0] * 7], "not all zero"),
    ([["a"] * 7], "numbers"),
])
def test_fit_refuses_bad_readings(readings, message):
    with pytest.raises(CalibrationError, match=message):
        RestingFaceCalibration.fit(readings)


def test_strength_out_of_range():
    with pytest.raises(CalibrationError, match="strength"):
        RestingFaceCalibration.fit([SAD_RESTING_FACE], strength=1.5)


def test_json_round_trip():
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE, reading(neutral=0.5)])
    text = calibration.to_json()
    data = json.loads(text)
    assert data["kind"] == "resting_face" and data["version"] == 1 and data["readings"] == 2
    assert list(data["resting_probabilities"]) == list(EMOTION_NAMES)
    restored = RestingFaceCalibration.from_json(text)
    np.testing.assert_allclose(restored.resting_probabilities, calibration.resting_probabilities, atol=1e-6)
    assert restored.strength == calibration.strength and restored.created_at == calibration.created_at
    assert restored.target_neutral == calibration.target_neutral == pytest.approx(0.375)  # the two readings' mean
    probe = reading(sad=0.4, happy=0.3)
    np.testing.assert_allclose(restored.apply(probe), calibration.apply(probe), atol=1e-5)


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"kind": "profile"}',
    '{"kind": "resting_face", "version": 2}',
    '{"kind": "resting_face", "version": 1, "resting_probabilities": {"happy": 1}, "readings": 1}',
    '{"kind": "resting_face", "version": 1, "readings": 0, "resting_probabilities": '
    '{"angry": 0.1, "disgust": 0.1, "fear": 0.1, "happy": 0.1, "sad": 0.1, "surprise": 0.1, "neutral": 0.4}}',
    '{"kind": "resting_face", "version": 1, "readings": 1, "resting_probabilities": '
    '{"angry": "x", "disgust": 0.1, "fear": 0.1, "happy": 0.1, "sad": 0.1, "surprise": 0.1, "neutral": 0.4}}',
    # a whole number too large for a float (a restored profile export may hold anything JSON allows)
    '{"kind": "resting_face", "version": 1, "readings": 1, "strength": 1' + "0" * 400 + ', "resting_probabilities": '
    '{"angry": 0.1, "disgust": 0.1, "fear": 0.1, "happy": 0.1, "sad": 0.1, "surprise": 0.1, "neutral": 0.4}}',
])
def test_from_json_refuses_malformed_calibrations(text):
    with pytest.raises(CalibrationError):
        RestingFaceCalibration.from_json(text)


def test_describe_names_the_bias():
    line = RestingFaceCalibration.fit([SAD_RESTING_FACE]).describe()
    assert "resting face read sad 55%" in line and "sad is toned down" in line


def resting_reading(emotion: str, share: float) -> list[float]:
    reading = [(1.0 - share) / 6.0] * 7
    reading[EMOTION_NAMES.index(emotion)] = share
    return reading


@pytest.mark.parametrize(("emotion", "share", "expected"), [
    ("happy", 0.91, "happy"), ("surprise", 0.7, "surprise"), ("happy", 0.6, "happy"),
    ("happy", 0.55, None),  # a relaxed face with an upturned mouth can read so
    ("sad", 0.95, None), ("angry", 0.8, None), ("neutral", 0.9, None),  # the biases calibration is for
])
def test_a_resting_face_that_reads_as_a_smile_or_surprise_is_flagged(emotion, share, expected):
    calibration = RestingFaceCalibration.fit([resting_reading(emotion, share)])
    assert calibration.resting_expression == expected
    warning = calibration.expression_warning()
    if expected is None:
        assert warning is None
    else:
        hint = "smiling" if expected == "happy" else "raising your eyebrows"
        assert warning.startswith(f"Your resting face read {expected} {share:.0%}. If you were {hint}, ")
        assert warning.endswith(".")
        factor = float(warning.rsplit("×", 1)[1].rstrip("."))
        assert factor == pytest.approx(math.exp(calibration.log_correction[EMOTION_NAMES.index(expected)]), abs=0.05)
        assert factor > 1.5


def test_calibrate_faces_relabels():
    from tunex_core.vision.faces import Box
    from tunex_core.vision.pipeline import FaceEmotion

    face = FaceEmotion(Box(0, 0, 10, 10), "sad", reading(sad=0.45, neutral=0.35))
    calibration = RestingFaceCalibration.fit([SAD_RESTING_FACE])
    (corrected,) = calibrate_faces([face], calibration)
    assert corrected.label == "neutral" and corrected.box == face.box
    assert corrected.confidence == pytest.approx(corrected.probabilities.max())
    assert calibrate_faces([face], None) == [face]
