"""Tests for ``tunex_core.live.tracking``: faces keep their identity from frame to frame."""

from __future__ import annotations

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.live.tracking import FaceTracker
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion


def face(box: tuple[int, int, int, int], name: str, strength: float = 0.9) -> FaceEmotion:
    probabilities = np.full(7, (1 - strength) / 6)
    probabilities[EMOTION_NAMES.index(name)] = strength
    return FaceEmotion(Box(*box), name, probabilities)


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
