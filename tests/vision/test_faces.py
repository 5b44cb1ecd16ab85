"""Tests for ``tunex_core.vision.faces``: frame validation, Haar detection and FER-style cropping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import FACE_BOX, boxes_close, group_photo, iou, paste_face
from tunex_core.vision.faces import (
    DEFAULT_MARGIN,
    FACE_SIZE,
    MAX_FRAME_PIXELS,
    MIN_FRAME_SIDE,
    PHOTO_ENLARGED_SIDE,
    PHOTO_MIN_SIDE,
    Box,
    FaceDetector,
    StillPhoto,
    as_bgr_frame,
    crop_face,
    drop_nested_boxes,
    still_photo,
    still_photo_detector,
    to_gray,
)


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


# --- as_bgr_frame: accepted layouts --------------------------------------------------------------

def test_bgr_uint8_passes_through_unchanged(face_bgr):
    frame = as_bgr_frame(face_bgr)
    assert frame.dtype == np.uint8 and frame.shape == face_bgr.shape
    np.testing.assert_array_equal(frame, face_bgr)
    assert frame.flags["C_CONTIGUOUS"]


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (np.full((60, 80, 3), 0.5), 127),  # float 0..1 -> scaled by 255
        (np.full((60, 80, 3), 1.0, np.float32), 255),
        (np.full((60, 80, 3), 128.0), 128),  # float 0..255 kept
        (np.full((60, 80, 3), 300.0), 255),  # clipped
        (np.full((60, 80, 3), -5.0), 0),
        (np.full((60, 80, 3), 0.5, np.float16), 127),
        (np.full((60, 80, 3), 65535, np.uint16), 255),  # uint16 is full-range 16-bit: /257
        (np.full((60, 80, 3), 257 * 100, np.uint16), 100),
        (np.full((60, 80, 3), 200, np.uint16), 0),  # even when its values are small
        (np.full((60, 80, 3), 200, np.int32), 200),  # other integers <= 255 are kept
        (np.full((60, 80, 3), -5, np.int16), 0),
        (np.ones((60, 80), bool), 255),
        (np.zeros((60, 80), bool), 0),
        (np.full((60, 80), 7, np.uint8), 7),  # 2-D gray
        (np.full((60, 80, 1), 7, np.uint8), 7),  # H x W x 1
        (np.full((60, 80, 4), 7, np.uint8), 7),  # BGRA
    ],
)
def test_converted_layouts(frame, expected):
    result = as_bgr_frame(frame)
    assert result.shape == (60, 80, 3)
    assert result.dtype == np.uint8
    assert result.flags["C_CONTIGUOUS"]
    assert np.all(result == expected)


def test_non_contiguous_and_lists_are_accepted(face_bgr):
    assert as_bgr_frame(face_bgr[:, ::-1]).flags["C_CONTIGUOUS"]
    assert as_bgr_frame(face_bgr[..., ::-1]).shape == face_bgr.shape  # RGB view of the photo
    assert as_bgr_frame(np.asfortranarray(face_bgr)).flags["C_CONTIGUOUS"]
    nested = np.full((50, 50), 9, np.uint8).tolist()
    assert as_bgr_frame(nested).shape == (50, 50, 3)


def test_bgra_drops_alpha_and_gray_replicates():
    bgra = np.zeros((50, 50, 4), np.uint8)
    bgra[..., 0], bgra[..., 3] = 200, 10
    assert as_bgr_frame(bgra)[0, 0].tolist() == [200, 0, 0]
    gray = np.arange(50 * 50, dtype=np.uint8).reshape(50, 50)
    np.testing.assert_array_equal(as_bgr_frame(gray)[..., 1], gray)


def test_input_is_not_modified():
    frame = np.full((60, 60, 3), 0.5)
    as_bgr_frame(frame)
    assert np.all(frame == 0.5)


def test_minimum_side_is_accepted():
    assert as_bgr_frame(np.zeros((MIN_FRAME_SIDE, MIN_FRAME_SIDE, 3), np.uint8)).shape == (48, 48, 3)


def test_huge_8000_frame_is_accepted():
    frame = np.zeros((8000, 8000, 3), np.uint8)  # 192 MB, within the 100 MP limit
    assert as_bgr_frame(frame).shape == (8000, 8000, 3)


# --- as_bgr_frame: refused input -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (None, "no frame: got None"),
        (np.zeros((0, 0, 3), np.uint8), r"frame is empty \(shape \(0, 0, 3\)\)"),
        (np.array([]), "frame is empty"),
        (np.zeros((100, 100, 3), dtype=object), "unsupported frame dtype object"),
        (np.zeros((100, 100, 3), dtype=complex), "unsupported frame dtype complex128"),
        (np.full((100, 100), "a"), "unsupported frame dtype <U1"),
        (np.zeros((100, 100), dtype="datetime64[s]"), "unsupported frame dtype datetime64"),
        (np.full((100, 100, 3), np.nan), "NaN or infinite"),
        (np.full((100, 100, 3), np.inf, np.float32), "NaN or infinite"),
        (np.zeros((100, 100, 2), np.uint8),
         r"H x W \(gray\), H x W x 3 \(BGR\) or H x W x 4 \(BGRA\); got shape \(100, 100, 2\)"),
        (np.zeros((1, 100, 100, 3), np.uint8), r"got shape \(1, 100, 100, 3\)"),
        (np.zeros(100, np.uint8), r"got shape \(100,\)"),
        (np.uint8(3), r"got shape \(\)"),
        ("not an image", r"got shape \(\)"),
        ([[1, 2], [3]], "frame must be an image array, got list"),
        (np.zeros((47, 640, 3), np.uint8), "frame is 640x47 px; at least 48x48 is needed"),
        (np.zeros((480, 20), np.uint8), "frame is 20x480 px; at least 48x48"),
        (np.zeros((10, 10, 3), np.uint8), "at least 48x48"),
    ],
    ids=["None", "empty", "empty-1d", "object", "complex", "str", "datetime", "nan", "inf", "2-channel", "4-d",
         "1-d", "scalar", "string", "ragged-list", "tiny-height", "tiny-width", "tiny"],
)
def test_refused_frames_raise_value_error(frame, message):
    with pytest.raises(ValueError, match=message):
        as_bgr_frame(frame)


def test_frames_over_100_megapixels_are_refused_without_copying():
    # a zero-stride view: 400 MP claimed, one byte allocated; refused before any conversion
    frame = np.broadcast_to(np.float64(0.5), (20_000, 20_000, 3))
    with pytest.raises(ValueError, match=r"20000x20000 px; at most 100 megapixels"):
        as_bgr_frame(frame)
    assert MAX_FRAME_PIXELS == 100_000_000


def test_nan_in_one_pixel_is_refused():
    frame = np.zeros((60, 60, 3), np.float32)
    frame[10, 10, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        as_bgr_frame(frame)


# --- FaceDetector ----------------------------------------------------------------------------------

def test_box_area():
    assert Box(1, 2, 30, 40).area == 1200
    assert Box(1, 2, 30, 40) == (1, 2, 30, 40)


def test_finds_the_face_in_the_photo(detector, face_bgr):
    boxes = detector.detect(face_bgr)
    assert len(boxes) == 1
    assert boxes_close(boxes[0], FACE_BOX, tolerance=6)
    assert all(isinstance(value, int) for value in boxes[0])


def test_photo_in_other_layouts(detector, face_bgr):
    for frame in (cv2.cvtColor(face_bgr, cv2.COLOR_BGR2GRAY), face_bgr.astype(np.float32) / 255.0,
                  cv2.cvtColor(face_bgr, cv2.COLOR_BGR2BGRA)):
        boxes = detector.detect(frame)
        assert len(boxes) == 1 and boxes_close(boxes[0], FACE_BOX)


def test_synthetic_frame_one_face(detector, face_bgr):
    frame = np.full((480, 640, 3), 120, np.uint8)
    expected = paste_face(frame, face_bgr, 300, 150, 180)
    boxes = detector.detect(frame)
    assert len(boxes) == 1
    assert iou(boxes[0], expected) > 0.7, (boxes, expected)


def test_synthetic_frame_three_faces_largest_first(detector, face_bgr):
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:] = np.linspace(40, 220, 640, dtype=np.uint8)[None, :, None]  # horizontal gradient
    expected = [
        paste_face(frame, face_bgr, 60, 60, 160),
        paste_face(frame, face_bgr, 330, 60, 120),
        paste_face(frame, face_bgr, 480, 320, 90),
    ]
    boxes = detector.detect(frame)
    assert len(boxes) == 3, boxes
    areas = [box.area for box in boxes]
    assert areas == sorted(areas, reverse=True)
    for box, wanted in zip(boxes, expected, strict=True):  # largest first = the order they were pasted in
        assert iou(box, wanted) > 0.6, (box, wanted)


def test_boxes_are_in_original_frame_pixels(face_bgr):
    # a 1280x960 frame is downscaled 4x for detection; boxes must come back at full scale
    frame = np.full((960, 1280, 3), 90, np.uint8)
    expected = paste_face(frame, face_bgr, 800, 500, 240)
    for detector in (FaceDetector(), FaceDetector(detection_width=640), FaceDetector(detection_width=2000)):
        boxes = detector.detect(frame)
        assert len(boxes) == 1, (detector, boxes)
        assert iou(boxes[0], expected) > 0.7, (detector, boxes, expected)
        assert boxes[0].x + boxes[0].w <= 1280 and boxes[0].y + boxes[0].h <= 960


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((480, 640, 3), np.uint8),
        np.full((480, 640, 3), 255, np.uint8),
        np.full((480, 640, 3), 12, np.uint8),  # dark: also tries the equalised frame
        np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8),
        np.random.default_rng(4).integers(0, 40, (480, 640, 3), dtype=np.uint8),  # dark noise
        np.zeros((48, 48), np.uint8),
    ],
    ids=["black", "white", "dark", "noise", "dark-noise", "tiny-black"],
)
def test_blank_frames_have_no_faces(detector, frame):
    assert detector.detect(frame) == []


def test_dark_face_is_still_found(detector, face_bgr):
    dark = (face_bgr * 0.2).astype(np.uint8)
    boxes = detector.detect(dark)
    assert len(boxes) == 1 and iou(boxes[0], FACE_BOX) > 0.6


def test_huge_frame_detection_works(detector):
    assert detector.detect(np.zeros((8000, 8000, 3), np.uint8)) == []


def test_detect_gray_matches_detect(detector, face_bgr):
    assert detector.detect_gray(to_gray(face_bgr)) == detector.detect(face_bgr)


# --- drop_nested_boxes ---------------------------------------------------------------------------

def test_a_box_centred_inside_a_larger_one_is_dropped():
    face, mouth_and_chin = Box(100, 100, 200, 200), Box(150, 220, 100, 100)
    assert drop_nested_boxes([face, mouth_and_chin]) == [face]


def test_neighbouring_and_overlapping_faces_are_kept():
    left, right, overlapping, far = Box(0, 0, 100, 100), Box(100, 0, 100, 100), Box(60, 60, 90, 90), Box(500, 0, 40, 40)
    # The overlapping box's centre (105, 105) lies outside every box kept before it.
    assert drop_nested_boxes([left, right, overlapping, far]) == [left, right, overlapping, far]


def test_nesting_is_judged_against_kept_boxes_only():
    face, part, part_of_part = Box(0, 0, 300, 300), Box(1000, 0, 100, 100), Box(1020, 20, 40, 40)
    # part lies far from face, so it is kept, and then part_of_part (centred in it) is dropped.
    assert drop_nested_boxes([face, part, part_of_part]) == [face, part]
    assert drop_nested_boxes([]) == []


def enlarged_fixture_face(index: int, upscale: int) -> np.ndarray:
    """A FER-2013 fixture face enlarged ``upscale`` times onto a gray canvas twice its size."""
    face = np.load(Path(__file__).resolve().parent.parent / "fixtures" / "fer_faces.npz")["faces"][index]
    large = cv2.resize(face, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    pad = large.shape[0] // 2
    return cv2.copyMakeBorder(large, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=128)


@pytest.mark.parametrize("upscale", [4, 8])
def test_a_part_of_a_large_face_is_not_reported_as_another_face(upscale):
    canvas = enlarged_fixture_face(42, upscale)  # the cascade also finds this face's mouth and chin
    photo_detector = still_photo_detector()
    every_box = replace(photo_detector, drop_nested=False).detect_gray(canvas)
    assert len(every_box) == 2
    assert photo_detector.detect_gray(canvas) == every_box[:1]
    assert FaceDetector().detect_gray(canvas) == FaceDetector(drop_nested=False).detect_gray(canvas)[:1]


# --- still photos ----------------------------------------------------------------------------------

def test_still_photo_detector_finds_a_group_the_live_one_misses(detector, face_bgr):
    photo, pasted = group_photo(face_bgr, columns=4, rows=3, face_widths=80)  # 1600x1200, faces 5% of its width
    assert detector.detect(photo) == []  # on the live detector's 256-px copy a face is 13 px: too small
    found = still_photo_detector().detect(photo)
    assert len(found) == len(pasted) == 12
    assert all(max(iou(box, face) for face in pasted) > 0.5 for box in found)


def test_still_photo_detector_finds_the_portrait_like_the_live_one(detector, face_bgr):
    live, still = detector.detect(face_bgr), still_photo_detector().detect(face_bgr)
    assert len(still) == len(live) == 1
    assert boxes_close(still[0], live[0])


def tightly_cropped_face(face_bgr: np.ndarray, side: int = 100) -> np.ndarray:
    """face.jpg's face cut 10% inside its box on each side (a profile picture's crop), ``side`` px square."""
    x, y, width, height = FACE_BOX
    inset = round(0.1 * width)
    gray = cv2.cvtColor(face_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray[y + inset: y + height - inset, x + inset: x + width - inset], (side, side))


@pytest.mark.parametrize("side", [60, 100, 150])
def test_a_tightly_cropped_face_is_found_on_a_second_padded_look(face_bgr, side):
    crop = tightly_cropped_face(face_bgr, side)
    photo_detector = still_photo_detector()
    assert photo_detector.retry_padding > 0
    assert replace(photo_detector, retry_padding=0.0).detect_gray(crop) == []  # no room around the face
    found = photo_detector.detect_gray(crop)
    assert len(found) == 1
    box = found[0]
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= side and box.y + box.h <= side  # clipped to the photo
    assert box.w * box.h >= 0.8 * side * side


def test_the_padded_look_finds_nothing_where_there_is_no_face_and_is_skipped_when_one_is_found(face_bgr):
    photo_detector = still_photo_detector()
    assert photo_detector.detect_gray(np.full((200, 300), 128, np.uint8)) == []
    gray = cv2.cvtColor(face_bgr, cv2.COLOR_BGR2GRAY)
    assert photo_detector.detect_gray(gray) == replace(photo_detector, retry_padding=0.0).detect_gray(gray)
    assert FaceDetector().retry_padding == 0.0  # the live detector looks once per frame


# --- still_photo: small photos enlarged before faces are looked for ---------------------------------

def test_a_large_photo_is_kept_as_it_is(face_bgr):
    photo = still_photo(face_bgr)
    assert not photo.enlarged and (photo.width, photo.height) == (360, 360)
    np.testing.assert_array_equal(photo.gray, to_gray(face_bgr))
    assert photo.photo_box(Box(10, 20, 30, 40)) == Box(10, 20, 30, 40)


@pytest.mark.parametrize(("width", "height"), [(30, 40), (60, 45), (95, 300), (PHOTO_MIN_SIDE, PHOTO_MIN_SIDE)])
def test_a_small_photo_is_enlarged_to_the_enlarged_side(width, height):
    photo = still_photo(np.full((height, width, 3), 90, np.uint8))
    assert photo.enlarged and (photo.width, photo.height) == (width, height)
    assert min(photo.gray.shape) == PHOTO_ENLARGED_SIDE
    assert photo.gray.shape[1] / photo.gray.shape[0] == pytest.approx(width / height, rel=0.03)  # same shape


def test_a_photo_under_the_minimum_side_is_refused_with_its_size():
    with pytest.raises(ValueError, match=f"frame is 40x{PHOTO_MIN_SIDE - 1} px; at least {PHOTO_MIN_SIDE}x"):
        still_photo(np.zeros((PHOTO_MIN_SIDE - 1, 40, 3), np.uint8))
    with pytest.raises(ValueError, match="no frame"):
        still_photo(None)
    assert PHOTO_MIN_SIDE < MIN_FRAME_SIDE < PHOTO_ENLARGED_SIDE  # live frames keep their own minimum


def test_boxes_of_an_enlarged_photo_come_back_in_the_photos_pixels():
    photo = StillPhoto(gray=np.zeros((96, 192), np.uint8), width=40, height=20)
    assert photo.photo_box(Box(48, 24, 96, 48)) == Box(10, 5, 20, 10)
    assert photo.photo_box(Box(0, 0, 192, 96)) == Box(0, 0, 40, 20)
    edge = photo.photo_box(Box(190, 95, 2, 1))  # a sliver at the corner stays a pixel inside the photo
    assert edge.x + edge.w <= 40 and edge.y + edge.h <= 20 and edge.w >= 1 and edge.h >= 1


@pytest.mark.parametrize("side", [30, 40])
def test_a_small_tightly_cropped_face_is_found_once_enlarged(face_bgr, side):
    """A face cut out to a thumbnail: under the live minimum of 48 px, found in the enlarged still photo."""
    thumbnail = tightly_cropped_face(face_bgr, side)
    with pytest.raises(ValueError, match="at least 48x48"):
        as_bgr_frame(thumbnail)
    photo = still_photo(thumbnail)
    found = still_photo_detector().detect_gray(photo.gray)
    assert len(found) == 1
    box = photo.photo_box(found[0])
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= side and box.y + box.h <= side
    assert box.w * box.h >= 0.5 * side * side


# --- crop_face -------------------------------------------------------------------------------------

def test_crop_shape_and_dtype(face_bgr):
    crop = crop_face(to_gray(face_bgr), Box(*FACE_BOX))
    assert crop.shape == (FACE_SIZE, FACE_SIZE) and crop.dtype == np.uint8
    assert 0.0 <= DEFAULT_MARGIN <= 0.1  # bench/margin_study.py: larger margins cost accuracy


def test_crop_without_margin_is_the_resized_box():
    gray = np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)
    crop = crop_face(gray, Box(40, 50, 96, 96), margin=0.0)
    expected = cv2.resize(gray[50:146, 40:136], (48, 48), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(crop, expected)


def test_crop_margin_grows_the_square_around_the_centre():
    gray = np.zeros((300, 300), np.uint8)
    gray[100:200, 100:200] = 255  # the box itself is white, the context black
    crop = crop_face(gray, Box(100, 100, 100, 100), margin=0.25)  # side 150: 25 px context each side
    assert crop[24, 24] == 255
    assert crop[2, 24] == 0 and crop[24, 2] == 0 and crop[45, 24] == 0 and crop[24, 45] == 0
    white = crop > 127
    assert 0.40 < white.mean() < 0.50  # (100/150)^2 = 0.44


def test_non_square_box_uses_the_longer_side():
    gray = np.full((300, 300), 100, np.uint8)
    assert crop_face(gray, Box(100, 100, 40, 80)).shape == (48, 48)


@pytest.mark.parametrize("box", [Box(0, 0, 60, 60), Box(-10, -10, 60, 60), Box(250, 250, 60, 60), Box(0, 100, 80, 80)])
def test_edge_faces_are_padded_by_replicating_the_border(box):
    gray = np.full((300, 300), 200, np.uint8)
    crop = crop_face(gray, box)
    assert crop.shape == (48, 48)
    assert np.all(crop == 200)  # replicate, not black padding


def test_edge_padding_replicates_the_nearest_pixels():
    gray = np.full((100, 100), 50, np.uint8)
    gray[:, :10] = 220  # a bright strip on the left edge
    crop = crop_face(gray, Box(0, 30, 40, 40), margin=0.25)  # grown square starts 10 px left of the frame
    assert np.all(crop[:, :8] == 220)


def test_small_box_is_upscaled():
    gray = np.full((100, 100), 30, np.uint8)
    assert crop_face(gray, Box(40, 40, 20, 20)).shape == (48, 48)
