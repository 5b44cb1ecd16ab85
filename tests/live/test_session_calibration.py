"""The live session's resting-face hook: raw readings for calibrating, corrected readings for everything shown."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.session import RAW_HISTORY_SECONDS, LiveSession
from tunex_core.vision.calibration import RestingFaceCalibration
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion

FRAME = np.zeros((240, 320, 3), dtype=np.uint8)
# A person whose relaxed face reads mostly sad.
RESTING = np.array([0.08, 0.02, 0.05, 0.02, 0.5, 0.03, 0.3])


FACE_BOX = Box(100, 60, 90, 90)


class ScriptedPipeline:
    """Finds one face and classifies it with the probabilities it is given (or finds none)."""

    def __init__(self):
        self.probabilities: np.ndarray | None = RESTING

    def grayscale(self, frame):
        return frame[..., 0]

    def detect(self, gray):
        return [] if self.probabilities is None else [FACE_BOX]

    def classify_boxes(self, gray, boxes):
        if self.probabilities is None:
            return []
        label = EMOTION_NAMES[int(np.argmax(self.probabilities))]
        return [FaceEmotion(box, label, self.probabilities) for box in boxes]


class Clock:
    def __init__(self):
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def live():
    clock, pipeline = Clock(), ScriptedPipeline()
    return LiveSession(pipeline, clock=clock, half_life_seconds=0.2, switch_after_seconds=0.3), pipeline, clock


def run_frames(session: LiveSession, clock: Clock, count: int, step: float = 0.1) -> None:
    for _ in range(count):
        clock.now += step
        session.analyse(FRAME)  # what the session's analysis thread does with each frame it takes


def test_raw_readings_since_collects_the_largest_face_uncorrected(live):
    session, _, clock = live
    run_frames(session, clock, 5)
    start = clock.now + 0.05
    run_frames(session, clock, 30)
    readings = session.raw_readings_since(start)
    assert readings.shape == (30, 7)
    np.testing.assert_allclose(readings, np.tile(RESTING, (30, 1)))
    session.set_calibration(RestingFaceCalibration.fit(readings))
    run_frames(session, clock, 3)
    np.testing.assert_allclose(session.raw_readings_since(start)[-1], RESTING)  # still the raw reading


def test_no_face_gives_no_readings(live):
    session, pipeline, clock = live
    pipeline.probabilities = None
    run_frames(session, clock, 10)
    assert session.raw_readings_since(0.0).shape == (0, 7)


def test_history_is_bounded_in_time_and_cleared_by_reset(live):
    session, _, clock = live
    run_frames(session, clock, int(RAW_HISTORY_SECONDS / 0.1) + 50)
    assert len(session.raw_readings_since(0.0)) <= RAW_HISTORY_SECONDS / 0.1 + 1
    session.reset()
    assert session.raw_readings_since(0.0).shape == (0, 7)


def test_calibration_corrects_what_the_session_shows_and_hands_to_music(live):
    session, pipeline, clock = live
    run_frames(session, clock, 20)
    assert session.snapshot().driving.stable_label == "sad"
    session.set_calibration(RestingFaceCalibration.fit(session.raw_readings_since(0.0)))
    assert session.calibration is not None
    run_frames(session, clock, 20)
    snapshot = session.snapshot()
    assert snapshot.driving.stable_label == "neutral"
    assert snapshot.faces[0].raw.label == "neutral"
    assert snapshot.timeline[-1].probabilities[EMOTION_NAMES.index("neutral")] > RESTING[6]
    # a real smile still reads happy
    pipeline.probabilities = np.array([0.01, 0.01, 0.01, 0.9, 0.03, 0.02, 0.02])
    run_frames(session, clock, 20)
    assert session.snapshot().driving.stable_label == "happy"
    session.set_calibration(None)
    pipeline.probabilities = RESTING
    run_frames(session, clock, 20)
    assert session.snapshot().driving.stable_label == "sad"
