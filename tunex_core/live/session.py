"""Live camera sessions: per-face tracks, smoothed moods and a thread-safe hand-off.

The WebRTC callback runs on a worker thread and must not touch Streamlit. It
calls ``LiveSession.process_frame``: detect and classify, follow each face
from frame to frame (so "face 2" stays face 2), smooth each face's
probabilities, draw, and publish a ``LiveSnapshot`` under a lock. The page
reads ``LiveSession.snapshot()`` a few times a second.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.smoothing import (
    DEFAULT_HALF_LIFE_SECONDS,
    DEFAULT_SWITCH_AFTER_SECONDS,
    MoodSmoother,
    SmoothedMood,
)
from tunex_core.vision.calibration import RestingFaceCalibration, calibrate_faces
from tunex_core.vision.drawing import draw_faces
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import EmotionPipeline, FaceEmotion

TIMELINE_SECONDS = 30.0
TRACK_EXPIRY_SECONDS = 1.0  # a face unseen this long loses its track
MATCH_DISTANCE = 0.6  # max centre distance for the same face, in face widths
DRIVER_LARGEST = "largest"
DRIVER_GROUP = "group"
RAW_HISTORY_SECONDS = 10.0  # uncorrected readings of the largest face kept for calibrating to a resting face


@dataclass(frozen=True)
class TrackedFace:
    """A face followed across frames, with this frame's and the smoothed emotions."""

    track_id: int
    box: Box
    raw: FaceEmotion
    smoothed: SmoothedMood


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


@dataclass
class _Track:
    track_id: int
    box: Box
    smoother: MoodSmoother
    last_seen: float


def _centre_distance(first: Box, second: Box) -> float:
    dx = (first.x + first.w / 2) - (second.x + second.w / 2)
    dy = (first.y + first.h / 2) - (second.y + second.h / 2)
    return float(np.hypot(dx, dy)) / max(1.0, (first.w + second.w) / 2)


class FaceTracker:
    """Keeps face identities stable across frames and smooths each face separately."""

    def __init__(self, half_life_seconds: float = DEFAULT_HALF_LIFE_SECONDS,
                 switch_after_seconds: float = DEFAULT_SWITCH_AFTER_SECONDS):
        self.half_life_seconds = half_life_seconds
        self.switch_after_seconds = switch_after_seconds
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, faces: list[FaceEmotion], now: float) -> list[TrackedFace]:
        """Match faces to tracks (greedy, nearest centre), update their smoothers; largest first."""
        self._tracks = [track for track in self._tracks if now - track.last_seen <= TRACK_EXPIRY_SECONDS]
        pairs = sorted(
            ((_centre_distance(face.box, track.box), face_index, track_index)
             for face_index, face in enumerate(faces) for track_index, track in enumerate(self._tracks)),
            key=lambda pair: pair[0])
        assigned: dict[int, _Track] = {}
        used_tracks: set[int] = set()
        for distance, face_index, track_index in pairs:
            if distance > MATCH_DISTANCE or face_index in assigned or track_index in used_tracks:
                continue
            assigned[face_index] = self._tracks[track_index]
            used_tracks.add(track_index)
        tracked = []
        for face_index, face in enumerate(faces):
            track = assigned.get(face_index)
            if track is None:
                track = _Track(self._next_id, face.box,
                               MoodSmoother(self.half_life_seconds, self.switch_after_seconds), now)
                self._next_id += 1
                self._tracks.append(track)
            track.box, track.last_seen = face.box, now
            tracked.append(TrackedFace(track.track_id, face.box, face, track.smoother.update(face.probabilities, now)))
        return tracked

    def reset(self) -> None:
        """Forget all faces."""
        self._tracks, self._next_id = [], 1


class LiveSession:
    """One browser session's live state; safe to update from the video thread."""

    def __init__(self, pipeline: EmotionPipeline, clock: Callable[[], float] = time.monotonic,
                 half_life_seconds: float = DEFAULT_HALF_LIFE_SECONDS,
                 switch_after_seconds: float = DEFAULT_SWITCH_AFTER_SECONDS):
        self.pipeline = pipeline
        self.clock = clock
        self._lock = threading.Lock()
        self._tracker = FaceTracker(half_life_seconds, switch_after_seconds)
        self._group = MoodSmoother(half_life_seconds, switch_after_seconds)
        self._driving = MoodSmoother(half_life_seconds, switch_after_seconds)
        self._driver = DRIVER_LARGEST
        self._timeline: deque[TimelinePoint] = deque()
        self._snapshot = LiveSnapshot()
        self._frames = 0
        self._recent_milliseconds: deque[float] = deque(maxlen=30)
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
        return np.stack(rows) if rows else np.zeros((0, len(EMOTION_NAMES)))

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
        """Run one video frame through the pipeline; return it annotated. Never raises."""
        started = time.perf_counter()
        now = self.clock()
        try:
            faces = self.pipeline.process(frame_bgr)
        except Exception as error:  # the video must keep flowing whatever one frame does
            with self._lock:
                self._snapshot = replace(self._snapshot, error=f"{type(error).__name__}: {error}")
            return frame_bgr
        with self._lock:
            if faces:
                self._raw_history.append((now, faces[0].probabilities))
            while self._raw_history and now - self._raw_history[0][0] > RAW_HISTORY_SECONDS:
                self._raw_history.popleft()
            faces = calibrate_faces(faces, self._calibration)
            tracked = self._tracker.update(faces, now)
            self._publish(tracked, now, (time.perf_counter() - started) * 1000.0)
        shown = [FaceEmotion(face.box, face.smoothed.stable_label, face.smoothed.probabilities) for face in tracked]
        annotated = draw_faces(frame_bgr, shown, numbered=len(shown) > 1)
        return annotated

    def _publish(self, tracked: list[TrackedFace], now: float, milliseconds: float) -> None:
        self._frames += 1
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
            milliseconds_per_frame=float(np.median(self._recent_milliseconds)), error=None)

    def snapshot(self) -> LiveSnapshot:
        """The latest published state (a consistent copy)."""
        with self._lock:
            return self._snapshot

    def is_stale(self, seconds: float = 2.0) -> bool:
        """True when no frame has arrived for ``seconds`` (camera stopped or stalled)."""
        last = self.snapshot().last_frame_at
        return last is None or self.clock() - last > seconds

    def reset(self) -> None:
        """Forget faces, smoothing and history (e.g. after the camera stops)."""
        with self._lock:
            self._tracker.reset()
            self._group.reset()
            self._driving.reset()
            self._timeline.clear()
            self._raw_history.clear()
            self._snapshot = LiveSnapshot(driver=self._driver)


def ice_servers_from_environment(environ: dict | None = None) -> list[dict]:
    """ICE servers from ``TUNEX_ICE_SERVERS`` (JSON list of RTCIceServer dicts); default none.

    Example: ``[{"urls": ["stun:stun.l.google.com:19302"]}, {"urls": "turn:turn.example.org",
    "username": "u", "credential": "p"}]``. Invalid JSON raises ``ValueError`` naming the variable.
    """
    raw = (environ if environ is not None else os.environ).get("TUNEX_ICE_SERVERS", "").strip()
    if not raw:
        return []
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValueError(f"TUNEX_ICE_SERVERS is not valid JSON: {error}") from error
    if isinstance(servers, dict):
        servers = [servers]
    if not isinstance(servers, list) or not all(isinstance(server, dict) and "urls" in server for server in servers):
        raise ValueError('TUNEX_ICE_SERVERS must be a JSON list of objects with "urls"')
    return servers
