"""Live sessions: the analysis thread, driving mood, timeline and error handling, with a fake pipeline."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.session import DRIVER_GROUP, TIMELINE_SECONDS, LiveSession
from tunex_core.live.slots import AnalysisSlots
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion


def face(box: tuple[int, int, int, int], name: str, strength: float = 0.9) -> FaceEmotion:
    probabilities = np.full(7, (1 - strength) / 6)
    probabilities[EMOTION_NAMES.index(name)] = strength
    return FaceEmotion(Box(*box), name, probabilities)


class FakePipeline:
    """Returns the faces it is told to, or raises the error it is told to; can be held back."""

    def __init__(self):
        self.faces: list[FaceEmotion] = []
        self.error: Exception | None = None
        self.release = threading.Event()
        self.release.set()
        self.seen: list[int] = []  # the first pixel of every frame searched for faces (frames are numbered so)
        self.classified: list[int] = []  # and of every frame whose faces were classified
        self.detections = 0

    def grayscale(self, frame):
        return frame[..., 0]

    def detect(self, gray):
        self.seen.append(int(gray[0, 0]))
        self.detections += 1
        assert self.release.wait(10), "the test never released the pipeline"
        if self.error is not None:
            raise self.error
        return [known.box for known in self.faces]

    def classify_boxes(self, gray, boxes):
        self.classified.append(int(gray[0, 0]))
        by_box = {known.box: known for known in self.faces}
        return [by_box[box] for box in boxes if box in by_box]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def session():
    clock, pipeline = Clock(), FakePipeline()
    live = LiveSession(pipeline, clock=clock, half_life_seconds=0.3, switch_after_seconds=0.5, idle_seconds=0.3,
                       detection_interval_seconds=0.0)
    yield live, pipeline, clock
    pipeline.release.set()
    live.stop()


FRAME = np.zeros((480, 640, 3), dtype=np.uint8)


def test_frame_is_annotated_and_snapshot_published(session):
    live, pipeline, clock = session
    pipeline.faces = [face((200, 150, 180, 180), "happy")]
    live.process_frame(FRAME)
    assert live.wait_for_analyses(1)
    annotated = live.process_frame(FRAME)
    assert annotated.shape == FRAME.shape and annotated.any() and not FRAME.any()
    snapshot = live.snapshot()
    assert snapshot.frames_processed >= 1 and len(snapshot.faces) == 1
    assert snapshot.driving.stable_label == "happy"
    assert snapshot.video_frames == 2
    assert not live.is_stale()
    clock.now += 5
    assert live.is_stale()


def test_group_and_chosen_face_drive_the_mood(session):
    live, pipeline, clock = session
    pipeline.faces = [face((100, 100, 200, 200), "happy"), face((400, 100, 100, 100), "sad")]
    live.analyse(FRAME)
    group = live.snapshot().group_probabilities
    assert group[EMOTION_NAMES.index("happy")] == pytest.approx(group[EMOTION_NAMES.index("sad")])
    live.configure(driver="2")
    for _ in range(10):
        clock.now += 0.1
        live.analyse(FRAME)
    assert live.snapshot().driving.stable_label == "sad"
    live.configure(driver=DRIVER_GROUP)
    clock.now += 0.1
    live.analyse(FRAME)
    assert live.snapshot().driver == DRIVER_GROUP


def test_timeline_keeps_only_the_window(session):
    live, pipeline, clock = session
    pipeline.faces = [face((100, 100, 200, 200), "neutral")]
    for _ in range(int(TIMELINE_SECONDS * 2) + 20):
        clock.now += 0.5
        live.analyse(FRAME)
    timeline = live.snapshot().timeline
    assert timeline[-1].time - timeline[0].time <= TIMELINE_SECONDS


def test_a_failing_frame_never_stops_the_video(session):
    live, pipeline, _ = session
    pipeline.error = ValueError("frame is 10x10 px")
    assert live.process_frame(FRAME) is FRAME
    wait_until(lambda: live.snapshot().error is not None)
    assert "frame is 10x10 px" in live.snapshot().error
    pipeline.error = None
    pipeline.faces = []
    live.process_frame(FRAME)
    assert live.wait_for_analyses(1)
    assert live.snapshot().error is None and live.snapshot().faces == ()


def test_reset_forgets_faces(session):
    live, pipeline, _ = session
    pipeline.faces = [face((100, 100, 200, 200), "fear")]
    live.analyse(FRAME)
    live.reset()
    assert live.snapshot().faces == () and live.snapshot().timeline == ()


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def numbered(number: int) -> np.ndarray:
    return np.full((480, 640, 3), number, np.uint8)


def test_video_never_waits_for_the_analysis(session):
    live, pipeline, _ = session
    pipeline.faces = [face((200, 150, 180, 180), "happy")]
    pipeline.release.clear()  # the network is "busy" on the first frame
    started = time.perf_counter()
    returned = [live.process_frame(numbered(number)) for number in range(1, 31)]
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"30 frames took {elapsed:.2f} s to come back while the analysis was blocked"
    assert [int(frame[0, 0, 0]) for frame in returned] == list(range(1, 31))
    assert live.snapshot().frames_processed == 0 and live.snapshot().video_frames == 30


def test_analysis_takes_the_newest_frame_and_drops_stale_ones(session):
    live, pipeline, _ = session
    pipeline.release.clear()
    live.process_frame(numbered(1))
    wait_until(lambda: pipeline.seen == [1])  # frame 1 is being analysed
    for number in range(2, 11):
        live.process_frame(numbered(number))
    pipeline.release.set()
    wait_until(lambda: live.snapshot().frames_processed == 2)
    time.sleep(0.05)
    assert pipeline.seen == [1, 10]


def test_boxes_are_held_between_detections():
    pipeline = FakePipeline()
    pipeline.faces = [face((200, 150, 180, 180), "happy")]
    live = LiveSession(pipeline, detection_interval_seconds=60.0)
    for number in range(1, 6):
        live.analyse(numbered(number))
    assert pipeline.detections == 1 and pipeline.classified == [1, 2, 3, 4, 5]
    assert live.snapshot().frames_processed == 5 and len(live.snapshot().faces) == 1
    live.reset()
    live.analyse(numbered(6))
    assert pipeline.detections == 2


def test_without_faces_every_analysis_searches_for_them():
    pipeline = FakePipeline()
    live = LiveSession(pipeline, detection_interval_seconds=60.0)
    for number in range(1, 4):
        live.analyse(numbered(number))
    assert pipeline.detections == 3


def test_faces_stay_drawn_between_analyses(session):
    live, pipeline, _ = session
    pipeline.faces = [face((200, 150, 180, 180), "happy")]
    live.process_frame(FRAME)
    assert live.wait_for_analyses(1)
    pipeline.release.clear()
    frames = [live.process_frame(FRAME) for _ in range(5)]
    assert all(frame.any() for frame in frames)


def test_the_analysis_thread_ends_when_frames_stop(session):
    live, _, _ = session
    live.process_frame(FRAME)
    assert live.analysing
    wait_until(lambda: not live.analysing, timeout=5)
    live.process_frame(FRAME)  # and starts again with the next frame
    assert live.analysing
    live.stop()
    assert not live.analysing


def test_sessions_beyond_the_limit_stream_and_are_told_why():
    slots = AnalysisSlots(1)
    first_pipeline, second_pipeline = FakePipeline(), FakePipeline()
    first = LiveSession(first_pipeline, slots=slots, idle_seconds=0.3)
    second = LiveSession(second_pipeline, slots=slots, idle_seconds=0.3)
    try:
        first.process_frame(FRAME)
        assert first.wait_for_analyses(1)
        returned = second.process_frame(numbered(7))
        assert int(returned[0, 0, 0]) == 7  # the video still comes back
        wait_until(lambda: second.snapshot().busy is not None)
        assert "TUNEX_MAX_LIVE_SESSIONS" in second.snapshot().busy
        assert second.snapshot().frames_processed == 0 and slots.in_use == 1
        first.stop()  # the first viewer leaves: the second one is analysed
        deadline = time.monotonic() + 5
        while second.snapshot().frames_processed == 0 and time.monotonic() < deadline:
            second.process_frame(FRAME)
            time.sleep(0.05)
        assert second.snapshot().frames_processed > 0 and second.snapshot().busy is None
    finally:
        first.stop()
        second.stop()
    assert slots.in_use == 0


def test_closing_without_stop_gives_the_slot_and_thread_back():
    slots = AnalysisSlots(2)
    live = LiveSession(FakePipeline(), slots=slots, idle_seconds=0.2)
    live.process_frame(FRAME)
    assert live.wait_for_analyses(1) and slots.in_use == 1
    threads_before = {thread.name for thread in threading.enumerate()}
    assert "tunex-live-analysis" in threads_before
    wait_until(lambda: slots.in_use == 0 and not live.analysing, timeout=5)


def test_analyses_are_paced():
    pipeline = FakePipeline()
    live = LiveSession(pipeline, max_analyses_per_second=10.0, idle_seconds=0.5)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.55:
            live.process_frame(FRAME)
            time.sleep(0.01)
        assert 3 <= live.snapshot().frames_processed <= 7
    finally:
        live.stop()


