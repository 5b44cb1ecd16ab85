"""Live camera sessions: the analysis thread, smoothed moods and a thread-safe hand-off.

The WebRTC callback runs on a worker thread and must not touch Streamlit. It
calls ``LiveSession.process_frame``, which returns the frame at once with the
latest faces drawn and hands it to the session's analysis thread. That thread
detects and classifies the newest frame whenever the previous one is done,
follows each face from frame to frame (so "face 2" stays face 2), smooths each
face's probabilities and publishes a ``LiveSnapshot`` under a lock. The page
reads ``LiveSession.snapshot()`` a few times a second. The faces' tracks are
``live.tracking``'s; ``live.slots.AnalysisSlots`` caps how many sessions are analysed at once on the machine.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tunex_core.emotions import NUM_EMOTIONS
from tunex_core.live.memory import schedule_memory_release
from tunex_core.live.slots import AnalysisSlots, busy_message
from tunex_core.live.smoothing import (
    DEFAULT_HALF_LIFE_SECONDS,
    DEFAULT_SWITCH_AFTER_SECONDS,
    MoodSmoother,
    SmoothedMood,
)
from tunex_core.live.tracking import FaceTracker, TrackedFace
from tunex_core.vision.calibration import RestingFaceCalibration, calibrate_faces
from tunex_core.vision.drawing import draw_faces
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import EmotionPipeline, FaceEmotion

TIMELINE_SECONDS = 30.0
DRIVER_LARGEST = "largest"
OVERLAY_HOLD_SECONDS = 1.0  # faces stay drawn on the video this long after their analysis
IDLE_STOP_SECONDS = 3.0  # an analysis thread with no new frame for this long ends
BUSY_RETRY_SECONDS = 0.5  # a session without an analysis slot asks again this often
# Analyses per second and session, at most. A mood needs no more (smoothing half-life 0.6 s), and the
# CPU left over keeps the video (decoding, encoding) at camera rate for several viewers.
DEFAULT_ANALYSES_PER_SECOND = 10.0
# Face detection (the Haar cascade) costs more than classifying the faces: between detections the
# faces' boxes are held and only classified again. A face that moves is re-found this often.
DETECTION_INTERVAL_SECONDS = 0.3
RATE_WINDOW_FRAMES = 90  # video and analysis rates are measured over at most this many recent frames
DRIVER_GROUP = "group"
RAW_HISTORY_SECONDS = 10.0  # uncorrected readings of the largest face kept for calibrating to a resting face


@dataclass(frozen=True)
class TimelinePoint:
    """The driving mood's smoothed probabilities at one moment (for the rolling chart)."""

    time: float
    probabilities: np.ndarray
    stable_label: str


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows: the faces now, the group and driving moods, and recent history."""

    faces: tuple[TrackedFace, ...] = ()
    group_probabilities: np.ndarray | None = None
    driver: str = DRIVER_LARGEST
    driving: SmoothedMood | None = None
    timeline: tuple[TimelinePoint, ...] = ()
    frames_processed: int = 0
    last_frame_at: float | None = None
    milliseconds_per_frame: float | None = None
    error: str | None = None
    video_frames: int = 0  # frames that came in (and went back), analysed or not
    last_video_at: float | None = None
    video_frames_per_second: float | None = None  # over the last couple of seconds
    analyses_per_second: float | None = None
    busy: str | None = None  # why this session's frames are not analysed right now (too many viewers)


class LiveSession:
    """One browser session's live state; safe to use from the video thread.

    ``process_frame`` (the WebRTC callback) never waits for the network: it hands the frame to
    this session's analysis thread, replacing any frame still waiting (stale frames are
    dropped), and returns at once with the latest analysed faces drawn. The analysis thread
    starts with the first frame and ends by itself ``idle_seconds`` after the last one (the
    camera stopped or the browser tab closed), giving back its analysis slot.
    """

    def __init__(self, pipeline: EmotionPipeline, clock: Callable[[], float] = time.monotonic,
                 half_life_seconds: float = DEFAULT_HALF_LIFE_SECONDS,
                 switch_after_seconds: float = DEFAULT_SWITCH_AFTER_SECONDS,
                 slots: AnalysisSlots | None = None, idle_seconds: float = IDLE_STOP_SECONDS,
                 max_analyses_per_second: float | None = DEFAULT_ANALYSES_PER_SECOND,
                 detection_interval_seconds: float = DETECTION_INTERVAL_SECONDS):
        self.pipeline = pipeline
        self.clock = clock
        self.slots = slots
        self.idle_seconds = idle_seconds
        self.minimum_interval = 1.0 / max_analyses_per_second if max_analyses_per_second else 0.0
        self.detection_interval_seconds = detection_interval_seconds
        self._held_boxes: list[Box] = []  # the last detection's boxes (used by the analysing thread only)
        self._detected_at: float | None = None
        self._lock = threading.Lock()
        self._frame_arrived = threading.Condition(self._lock)
        self._tracker = FaceTracker(half_life_seconds, switch_after_seconds)
        self._group = MoodSmoother(half_life_seconds, switch_after_seconds)
        self._driving = MoodSmoother(half_life_seconds, switch_after_seconds)
        self._driver = DRIVER_LARGEST
        self._timeline: deque[TimelinePoint] = deque()
        self._snapshot = LiveSnapshot()
        self._frames = 0
        self._recent_milliseconds: deque[float] = deque(maxlen=30)
        self._pending: np.ndarray | None = None
        self._worker: threading.Thread | None = None
        self._stopping = False
        self._overlay: tuple[FaceEmotion, ...] = ()
        self._overlay_at: float | None = None
        self._video_frames = 0
        self._last_video_at: float | None = None
        self._video_times: deque[float] = deque(maxlen=RATE_WINDOW_FRAMES)
        self._analysis_times: deque[float] = deque(maxlen=RATE_WINDOW_FRAMES)
        self._busy: str | None = None
        self._generation = 0
        self._calibration: RestingFaceCalibration | None = None
        self._raw_history: deque[tuple[float, np.ndarray]] = deque()

    @property
    def calibration(self) -> RestingFaceCalibration | None:
        """The resting-face correction applied to every reading, if any."""
        return self._calibration

    def set_calibration(self, calibration: RestingFaceCalibration | None) -> None:
        """Correct later readings for a person's resting face (None: no correction)."""
        with self._lock:
            self._calibration = calibration

    def raw_readings_since(self, since: float) -> np.ndarray:
        """Uncorrected probabilities (N, 7) of the largest face in the frames analysed at or after ``since``
        (session clock), for fitting a resting-face calibration; (0, 7) when no face was seen."""
        with self._lock:
            rows = [probabilities for moment, probabilities in self._raw_history if moment >= since]
        return np.stack(rows) if rows else np.zeros((0, NUM_EMOTIONS))

    def configure(self, half_life_seconds: float | None = None, switch_after_seconds: float | None = None,
                  driver: str | None = None) -> None:
        """Change smoothing settings or whose mood drives the music (``largest``, ``group`` or a face id)."""
        with self._lock:
            smoothers = [self._group, self._driving, *(track.smoother for track in self._tracker._tracks)]
            if half_life_seconds is not None:
                self._tracker.half_life_seconds = half_life_seconds
                for smoother in smoothers:
                    smoother.half_life_seconds = half_life_seconds
            if switch_after_seconds is not None:
                self._tracker.switch_after_seconds = switch_after_seconds
                for smoother in smoothers:
                    smoother.switch_after_seconds = switch_after_seconds
            if driver is not None and driver != self._driver:
                self._driver = driver
                self._driving.reset()

    def process_frame(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Queue a video frame for analysis and return it at once, with the latest faces drawn. Never raises."""
        now = self.clock()
        with self._lock:
            self._pending = frame_bgr  # a frame still waiting is replaced: analysis takes the newest
            self._video_frames += 1
            self._last_video_at = now
            self._video_times.append(time.monotonic())
            self._frame_arrived.notify()
            if self._worker is None or not self._worker.is_alive():
                self._stopping = False
                self._worker = threading.Thread(target=self._analyse_frames, name="tunex-live-analysis",
                                                daemon=True)
                self._worker.start()
            fresh = self._overlay_at is not None and now - self._overlay_at <= OVERLAY_HOLD_SECONDS
            overlay = self._overlay if fresh else ()
        try:
            return draw_faces(frame_bgr, overlay, numbered=len(overlay) > 1) if overlay else frame_bgr
        except Exception:  # a frame the drawing cannot handle still goes back as it came
            return frame_bgr

    def analyse(self, frame_bgr: np.ndarray) -> None:
        """Analyse one frame now, on the calling thread, and publish the result (never raises)."""
        started = time.perf_counter()
        with self._lock:
            generation = self._generation
        try:
            gray = self.pipeline.grayscale(frame_bgr)
            monotonic = time.monotonic()
            if (not self._held_boxes or self._detected_at is None
                    or monotonic - self._detected_at >= self.detection_interval_seconds):
                self._held_boxes, self._detected_at = self.pipeline.detect(gray), monotonic
            faces = self.pipeline.classify_boxes(gray, self._held_boxes)
        except Exception as error:  # the video must keep flowing whatever one frame does
            self._held_boxes = []
            with self._lock:
                self._snapshot = replace(self._snapshot, error=f"{type(error).__name__}: {error}")
            return
        now = self.clock()
        with self._lock:
            if generation != self._generation:  # reset while this frame was analysed: drop it
                return
            if faces:
                self._raw_history.append((now, faces[0].probabilities))
            while self._raw_history and now - self._raw_history[0][0] > RAW_HISTORY_SECONDS:
                self._raw_history.popleft()
            faces = calibrate_faces(faces, self._calibration)
            tracked = self._tracker.update(faces, now)
            self._publish(tracked, now, (time.perf_counter() - started) * 1000.0)
            self._overlay = tuple(FaceEmotion(face.box, face.smoothed.stable_label, face.smoothed.probabilities)
                                  for face in tracked)
            self._overlay_at = now

    def _analyse_frames(self) -> None:
        """The analysis thread: analyse the newest frame whenever the previous analysis is done."""
        # Not made nicer than the video threads: py-spy and the bench showed that a nice thread
        # preempted while holding the GIL stalls them all (3 viewers: server CPU fell to 30%).
        has_slot = False
        try:
            while True:
                with self._lock:
                    waited_since = time.monotonic()
                    while self._pending is None and not self._stopping:
                        remaining = self.idle_seconds - (time.monotonic() - waited_since)
                        if remaining <= 0:
                            return
                        self._frame_arrived.wait(remaining)
                    if self._stopping:
                        return
                    frame, self._pending = self._pending, None
                if not has_slot:
                    has_slot = self.slots is None or self.slots.acquire(self)
                    with self._lock:
                        self._busy = None if has_slot else busy_message(self.slots.limit)
                        self._snapshot = replace(self._snapshot, busy=self._busy)
                    if not has_slot:
                        time.sleep(BUSY_RETRY_SECONDS)
                        continue
                started = time.monotonic()
                self.analyse(frame)
                interval = max(self.minimum_interval, self.slots.minimum_interval() if self.slots else 0.0)
                rest = interval - (time.monotonic() - started)
                if rest > 0:
                    with self._lock:
                        self._frame_arrived.wait_for(lambda: self._stopping, timeout=rest)
        finally:
            if has_slot and self.slots is not None:
                self.slots.release(self)
            with self._lock:
                self._busy = None
                if self._worker is threading.current_thread():
                    self._worker = None
            if self.slots is not None and self.slots.in_use == 0:
                release_idle = getattr(self.pipeline, "release_idle_engines", None)
                if release_idle is not None:
                    release_idle()  # the last viewer left: keep one interpreter and cascade, not one per viewer
            schedule_memory_release()

    def stop(self, timeout: float = 5.0) -> None:
        """End the analysis thread now (it also ends by itself when frames stop coming)."""
        with self._lock:
            worker = self._worker
            self._stopping = True
            self._pending = None
            self._frame_arrived.notify_all()
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    @property
    def analysing(self) -> bool:
        """True while this session's analysis thread runs."""
        with self._lock:
            return self._worker is not None and self._worker.is_alive()

    def wait_for_analyses(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` frames have been analysed in all (for tests and tools)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.snapshot().frames_processed >= count:
                return True
            time.sleep(0.005)
        return self.snapshot().frames_processed >= count

    def _publish(self, tracked: list[TrackedFace], now: float, milliseconds: float) -> None:
        self._frames += 1
        self._analysis_times.append(time.monotonic())
        self._recent_milliseconds.append(milliseconds)
        group = None
        if tracked:
            group = np.mean([face.smoothed.probabilities for face in tracked], axis=0)
            self._group.update(group, now)
        source = None
        if self._driver == DRIVER_GROUP:
            source = group
        elif self._driver == DRIVER_LARGEST and tracked:
            source = tracked[0].smoothed.probabilities
        else:
            chosen = [face for face in tracked if str(face.track_id) == str(self._driver)]
            source = chosen[0].smoothed.probabilities if chosen else None
        driving = self._driving.update(source, now) if source is not None else self._driving.state
        if driving is not None and source is not None:
            self._timeline.append(TimelinePoint(now, driving.probabilities, driving.stable_label))
        while self._timeline and now - self._timeline[0].time > TIMELINE_SECONDS:
            self._timeline.popleft()
        self._snapshot = LiveSnapshot(
            faces=tuple(tracked), group_probabilities=group, driver=self._driver, driving=driving,
            timeline=tuple(self._timeline), frames_processed=self._frames, last_frame_at=now,
            milliseconds_per_frame=float(np.median(self._recent_milliseconds)), error=None,
            video_frames=self._video_frames, last_video_at=self._last_video_at, busy=self._busy)

    def snapshot(self) -> LiveSnapshot:
        """The latest published state (a consistent copy), with the video counters as of now."""
        with self._lock:
            return replace(self._snapshot, video_frames=self._video_frames, last_video_at=self._last_video_at,
                           busy=self._busy, video_frames_per_second=_rate(self._video_times),
                           analyses_per_second=_rate(self._analysis_times))

    def is_stale(self, seconds: float = 2.0) -> bool:
        """True when no video frame has arrived for ``seconds`` (camera stopped or stalled)."""
        with self._lock:
            last = self._last_video_at
        return last is None or self.clock() - last > seconds

    def reset(self) -> None:
        """Forget faces, smoothing and history (e.g. after the camera stops)."""
        with self._lock:
            self._generation += 1
            self._tracker.reset()
            self._group.reset()
            self._driving.reset()
            self._timeline.clear()
            self._overlay, self._overlay_at = (), None
            self._held_boxes, self._detected_at = [], None
            self._video_frames, self._last_video_at = 0, None
            self._video_times.clear()
            self._analysis_times.clear()
            self._raw_history.clear()
            self._snapshot = LiveSnapshot(driver=self._driver)


def _rate(times: deque[float], window_seconds: float = 2.0) -> float | None:
    """Events per second over the last ``window_seconds`` of ``times`` (monotonic seconds), None if too few."""
    now = time.monotonic()
    recent = [moment for moment in times if now - moment <= window_seconds]
    if len(recent) < 2:
        return None if not recent else 0.0
    return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)


def thin_timeline(timeline: tuple[TimelinePoint, ...], max_points: int = 150) -> tuple[list[float], np.ndarray]:
    """Times and probabilities (N, 7) of at most ``max_points`` evenly spread points, the newest kept."""
    if not timeline:
        return [], np.zeros((0, NUM_EMOTIONS))
    step = max(1, -(-len(timeline) // max_points))
    points = timeline[::-1][::step][::-1]
    return [point.time for point in points], np.stack([point.probabilities for point in points])
