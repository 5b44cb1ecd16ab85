"""Faces followed from frame to frame: "face 2" stays face 2, and each face's mood is smoothed on its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tunex_core.live.smoothing import (
    DEFAULT_HALF_LIFE_SECONDS,
    DEFAULT_SWITCH_AFTER_SECONDS,
    MoodSmoother,
    SmoothedMood,
)
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion

TRACK_EXPIRY_SECONDS = 1.0  # a face unseen this long loses its track
MATCH_DISTANCE = 0.6  # max centre distance for the same face, in face widths


@dataclass(frozen=True)
class TrackedFace:
    """A face followed across frames, with this frame's and the smoothed emotions."""

    track_id: int
    box: Box
    raw: FaceEmotion
    smoothed: SmoothedMood


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
