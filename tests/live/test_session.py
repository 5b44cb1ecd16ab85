"""Live sessions: face tracking, driving mood, timeline and error handling, with a fake pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.session import (
    DRIVER_GROUP,
    TIMELINE_SECONDS,
    FaceTracker,
    LiveSession,
    ice_servers_from_environment,
)
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion


def face(box: tuple[int, int, int, int], name: str, strength: float = 0.9) -> FaceEmotion:
    probabilities = np.full(7, (1 - strength) / 6)
    probabilities[EMOTION_NAMES.index(name)] = strength
    return FaceEmotion(Box(*box), name, probabilities)


class FakePipeline:
    """Returns the faces it is told to, or raises the error it is told to."""

    def __init__(self):
        self.faces: list[FaceEmotion] = []
        self.error: Exception | None = None

    def process(self, frame):
        if self.error is not None:
            raise self.error
        return list(self.faces)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def session():
    clock, pipeline = Clock(), FakePipeline()
    return LiveSession(pipeline, clock=clock, half_life_seconds=0.3, switch_after_seconds=0.5), pipeline, clock


FRAME = np.zeros((480, 640, 3), dtype=np.uint8)


def test_tracker_keeps_identities_while_faces_move():
    tracker = FaceTracker()
    first = tracker.update([face((100, 100, 150, 150), "happy"), face((400, 120, 120, 120), "sad")], 0.0)
    moved = tracker.update([face((410, 125, 120, 120), "sad"), face((110, 105, 150, 150), "happy")], 0.1)
    assert [item.track_id for item in first] == [1, 2]
    assert {item.track_id: item.box.x for item in moved} == {2: 410, 1: 110}


def test_tracker_gives_a_new_identity_after_a_face_leaves():
    tracker = FaceTracker()
    tracker.update([face((100, 100, 150, 150), "happy")], 0.0)
    assert tracker.update([face((100, 100, 150, 150), "happy")], 5.0)[0].track_id == 2


def test_frame_is_annotated_and_snapshot_published(session):
    live, pipeline, clock = session
    pipeline.faces = [face((200, 150, 180, 180), "happy")]
    annotated = live.process_frame(FRAME)
    assert annotated.shape == FRAME.shape and annotated.any() and not FRAME.any()
    snapshot = live.snapshot()
    assert snapshot.frames_processed == 1 and len(snapshot.faces) == 1
    assert snapshot.driving.stable_label == "happy"
    assert not live.is_stale()
    clock.now += 5
    assert live.is_stale()


def test_group_and_chosen_face_drive_the_mood(session):
    live, pipeline, clock = session
    pipeline.faces = [face((100, 100, 200, 200), "happy"), face((400, 100, 100, 100), "sad")]
    live.process_frame(FRAME)
    group = live.snapshot().group_probabilities
    assert group[EMOTION_NAMES.index("happy")] == pytest.approx(group[EMOTION_NAMES.index("sad")])
    live.configure(driver="2")
    for _ in range(10):
        clock.now += 0.1
        live.process_frame(FRAME)
    assert live.snapshot().driving.stable_label == "sad"
    live.configure(driver=DRIVER_GROUP)
    clock.now += 0.1
    live.process_frame(FRAME)
    assert live.snapshot().driver == DRIVER_GROUP


def test_timeline_keeps_only_the_window(session):
    live, pipeline, clock = session
    pipeline.faces = [face((100, 100, 200, 200), "neutral")]
    for _ in range(int(TIMELINE_SECONDS * 2) + 20):
        clock.now += 0.5
        live.process_frame(FRAME)
    timeline = live.snapshot().timeline
    assert timeline[-1].time - timeline[0].time <= TIMELINE_SECONDS


def test_a_failing_frame_never_stops_the_video(session):
    live, pipeline, _ = session
    pipeline.error = ValueError("frame is 10x10 px")
    assert live.process_frame(FRAME) is FRAME
    assert "frame is 10x10 px" in live.snapshot().error
    pipeline.error = None
    pipeline.faces = []
    live.process_frame(FRAME)
    assert live.snapshot().error is None and live.snapshot().faces == ()


def test_reset_forgets_faces(session):
    live, pipeline, _ = session
    pipeline.faces = [face((100, 100, 200, 200), "fear")]
    live.process_frame(FRAME)
    live.reset()
    assert live.snapshot().faces == () and live.snapshot().timeline == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", []), ('[{"urls": ["stun:stun.example.org:3478"]}]', [{"urls": ["stun:stun.example.org:3478"]}]),
     ('{"urls": "turn:turn.example.org", "username": "u", "credential": "p"}',
      [{"urls": "turn:turn.example.org", "username": "u", "credential": "p"}])])
def test_ice_servers_setting(value, expected):
    assert ice_servers_from_environment({"TUNEX_ICE_SERVERS": value}) == expected


@pytest.mark.parametrize("value", ["not json", '[{"url": "stun:x"}]', "42"])
def test_bad_ice_servers_setting_is_explained(value):
    with pytest.raises(ValueError, match="TUNEX_ICE_SERVERS"):
        ice_servers_from_environment({"TUNEX_ICE_SERVERS": value})
