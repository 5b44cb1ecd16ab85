"""Tests for ``tunex_core.vision.drawing.draw_faces``."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES, colour_bgr
from tunex_core.vision.drawing import draw_faces, faces_description
from tunex_core.vision.faces import Box
from tunex_core.vision.pipeline import FaceEmotion


def face_at(box: Box, label: str = "happy", confidence: float = 0.87) -> FaceEmotion:
    probabilities = np.full(7, (1.0 - confidence) / 6.0)
    probabilities[EMOTION_NAMES.index(label)] = confidence
    return FaceEmotion(box=box, label=label, probabilities=probabilities)


@pytest.fixture
def frame() -> np.ndarray:
    return np.full((480, 640, 3), 40, np.uint8)


def test_returns_a_same_shape_copy_and_leaves_the_input_alone(frame):
    original = frame.copy()
    drawn = draw_faces(frame, [face_at(Box(200, 150, 120, 120))])
    assert drawn.shape == frame.shape and drawn.dtype == np.uint8
    assert drawn is not frame and not np.shares_memory(drawn, frame)
    np.testing.assert_array_equal(frame, original)
    assert not np.array_equal(drawn, original)


def test_in_place_draws_on_the_input(frame):
    drawn = draw_faces(frame, [face_at(Box(200, 150, 120, 120))], in_place=True)
    assert drawn is frame
    assert np.any(frame != 40)


def test_no_faces_is_an_unchanged_copy(frame):
    drawn = draw_faces(frame, [])
    np.testing.assert_array_equal(drawn, frame)
    assert drawn is not frame


def test_box_outline_in_the_emotion_colour_and_inside_untouched(frame):
    box = Box(200, 150, 120, 120)
    drawn = draw_faces(frame, [face_at(box, "sad")])
    colour = list(colour_bgr("sad"))
    x, y, w, h = box
    mid_y, mid_x = y + h // 2, x + w // 2
    for row, column in ((mid_y, x), (mid_y, x + w), (y + h, mid_x)):  # left, right and bottom edges
        assert drawn[row, column].tolist() == colour
    # the inside of the box (the face) is not painted over
    inner = drawn[y + 6: y + h - 6, x + 6: x + w - 6]
    assert np.all(inner == 40)
    # pixels changed only around the box and its label
    changed = np.any(drawn != frame, axis=2)
    rows, columns = np.nonzero(changed)
    assert rows.min() < y  # the label sits above the box
    assert rows.max() <= y + h + 3 and columns.min() >= x - 3


def test_label_goes_below_a_box_at_the_top_edge(frame):
    box = Box(100, 0, 100, 100)
    drawn = draw_faces(frame, [face_at(box)])
    changed = np.any(drawn != frame, axis=2)
    assert changed[box.h + 5, box.x + 10]  # the tag is drawn under the box
    assert changed[:, : box.x - 3].sum() == 0


def test_each_face_gets_its_own_colour(frame):
    faces = [face_at(Box(50, 100, 100, 100), "angry"), face_at(Box(400, 100, 100, 100), "neutral")]
    drawn = draw_faces(frame, faces, numbered=True)
    assert drawn[150, 50].tolist() == list(colour_bgr("angry"))
    assert drawn[150, 400].tolist() == list(colour_bgr("neutral"))


def test_numbered_tags_are_wider(frame):
    face = [face_at(Box(200, 150, 120, 120))]
    plain = np.any(draw_faces(frame, face) != frame, axis=2).sum()
    numbered = np.any(draw_faces(frame, face, numbered=True) != frame, axis=2).sum()
    assert numbered > plain


def test_box_partly_outside_the_frame_does_not_fail(frame):
    drawn = draw_faces(frame, [face_at(Box(600, 440, 120, 120)), face_at(Box(-30, -30, 80, 80))])
    assert drawn.shape == frame.shape


def test_draws_on_a_large_frame():
    frame = np.zeros((720, 1280, 3), np.uint8)
    drawn = draw_faces(frame, [face_at(Box(500, 200, 250, 250), "surprise", 0.5)])
    assert np.any(drawn != 0)


def test_boxes_found_in_a_larger_frame_are_drawn_scaled_on_a_smaller_copy(frame):
    box = Box(400, 300, 240, 240)  # found in a 1280x960 picture, drawn on its 640x480 copy
    drawn = draw_faces(frame, [face_at(box, "sad")], scale=0.5)
    colour = list(colour_bgr("sad"))
    assert drawn[210, 200].tolist() == colour and drawn[210, 320].tolist() == colour  # left and right edges
    assert np.all(drawn[156:264, 206:314] == 40)  # the face inside is untouched


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_a_scale_that_is_not_a_positive_number_is_refused(frame, scale):
    with pytest.raises(ValueError, match="scale"):
        draw_faces(frame, [face_at(Box(10, 10, 50, 50))], scale=scale)


def test_faces_description_says_what_the_boxes_read():
    assert faces_description([]) == "The picture; no face was found in it."
    assert faces_description([face_at((0, 0, 10, 10), "sad", 0.6)]) == "The picture with one face boxed: Sad 60%."
    two = faces_description([face_at((0, 0, 10, 10), "happy", 0.91), face_at((20, 0, 8, 8), "angry", 0.55)])
    assert two == "The picture with 2 faces boxed and numbered, largest first: #1 Happy 91%; #2 Angry 55%."
