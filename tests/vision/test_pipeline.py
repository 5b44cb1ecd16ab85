"""Tests for ``tunex_core.vision.pipeline``: frames in, faces with emotions out, bad input refused cleanly.

Structural tests use an untrained network (``untrained_pipeline``) so they do not depend on
the shipped model's quality; ``tests/test_model.py`` holds the model-quality tests.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.conftest import FACE_BOX, boxes_close, group_photo, iou, paste_face
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.vision.faces import Box, FaceDetector
from tunex_core.vision.model import ModelFileError
from tunex_core.vision.pipeline import MAX_FACES, MAX_PHOTO_FACES, EmotionPipeline, FaceEmotion, _stored_temperature


def assert_valid_face(face: FaceEmotion) -> None:
    assert isinstance(face, FaceEmotion)
    assert isinstance(face.box, Box)
    assert face.label in EMOTION_NAMES
    assert face.probabilities.shape == (7,)
    assert abs(float(face.probabilities.sum()) - 1.0) < 1e-6
    assert np.all(face.probabilities >= 0)
    assert face.label == EMOTION_NAMES[int(np.argmax(face.probabilities))]
    assert face.confidence == pytest.approx(float(face.probabilities.max()))


def test_process_finds_the_face_in_the_photo(untrained_pipeline, face_bgr):
    faces = untrained_pipeline.process(face_bgr)
    assert len(faces) == 1
    assert_valid_face(faces[0])
    assert boxes_close(faces[0].box, FACE_BOX)


def test_process_does_not_modify_the_frame(untrained_pipeline, face_bgr):
    frame = face_bgr.copy()
    untrained_pipeline.process(frame)
    np.testing.assert_array_equal(frame, face_bgr)


def test_process_classifies_the_crop_of_each_box(untrained_pipeline, face_bgr):
    from tunex_core.vision.faces import crop_face, to_gray

    face = untrained_pipeline.process(face_bgr)[0]
    crop = crop_face(to_gray(face_bgr), face.box, untrained_pipeline.margin)
    np.testing.assert_allclose(untrained_pipeline.classify_faces(crop[None]), face.probabilities[None], atol=1e-6)


def test_blank_frame_has_no_faces(untrained_pipeline):
    assert untrained_pipeline.process(np.zeros((480, 640, 3), np.uint8)) == []
    assert untrained_pipeline.process(np.full((720, 1280, 3), 200, np.uint8)) == []


# --- bad input: converted or a clear ValueError, never an OpenCV/TensorFlow exception ------------

CONVERTED = {
    "gray-2d": lambda face: cv2.cvtColor(face, cv2.COLOR_BGR2GRAY),
    "gray-hw1": lambda face: cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)[..., None],
    "bgra": lambda face: cv2.cvtColor(face, cv2.COLOR_BGR2BGRA),
    "float-0-1": lambda face: face.astype(np.float32) / 255.0,
    "float-0-255": lambda face: face.astype(np.float64),
    "uint16": lambda face: face.astype(np.uint16) * 257,
    "rgb-view": lambda face: face[..., ::-1],
    "mirrored-view": lambda face: face[:, ::-1],
    "fortran-order": np.asfortranarray,
    "read-only": lambda face: face,  # the fixture array is read-only
    "nested-list": lambda face: face.tolist(),
}


@pytest.mark.parametrize("name", list(CONVERTED))
def test_converted_frames_are_processed(untrained_pipeline, face_bgr, name):
    frame = CONVERTED[name](face_bgr)
    faces = untrained_pipeline.process(frame)
    assert len(faces) == 1, name
    assert_valid_face(faces[0])
    assert iou(faces[0].box, FACE_BOX) > 0.7


def test_bool_frame_is_processed(untrained_pipeline):
    assert untrained_pipeline.process(np.zeros((100, 100), bool)) == []


REFUSED = {
    "None": (None, "no frame: got None"),
    "empty": (np.zeros((0, 0, 3), np.uint8), "frame is empty"),
    "empty-rows": (np.zeros((0, 640, 3), np.uint8), "frame is empty"),
    "object-dtype": (np.zeros((100, 100, 3), dtype=object), "unsupported frame dtype object"),
    "complex-dtype": (np.zeros((100, 100, 3), dtype=np.complex64), "unsupported frame dtype complex64"),
    "string-dtype": (np.full((100, 100, 3), "x"), "unsupported frame dtype"),
    "nan": (np.full((100, 100, 3), np.nan, np.float32), "NaN or infinite"),
    "2-channel": (np.zeros((100, 100, 2), np.uint8), "got shape (100, 100, 2)"),
    "5-channel": (np.zeros((100, 100, 5), np.uint8), "got shape (100, 100, 5)"),
    "batch-of-frames": (np.zeros((2, 100, 100, 3), np.uint8), "got shape (2, 100, 100, 3)"),
    "1-d": (np.zeros(1000, np.uint8), "got shape (1000,)"),
    "tiny": (np.zeros((40, 40, 3), np.uint8), "frame is 40x40 px; at least 48x48"),
    "tiny-strip": (np.zeros((480, 47, 3), np.uint8), "frame is 47x480 px"),
    "over-100-mp": (np.broadcast_to(np.uint8(0), (12_000, 9_000, 3)), "at most 100 megapixels"),
    "bytes": (b"\xff\xd8\xff\xe0 a jpeg's bytes, not decoded", "got shape ()"),
    "path": ("tests/fixtures/face.jpg", "got shape ()"),
    "ragged-list": ([[0, 0], [0]], "frame must be an image array"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_frames_raise_a_clear_value_error(untrained_pipeline, name):
    frame, message = REFUSED[name]
    with pytest.raises(ValueError) as info:
        untrained_pipeline.process(frame)
    assert isinstance(info.value, ValueError)
    assert type(info.value).__module__.startswith(("builtins", "tunex_core")), type(info.value)
    assert message in str(info.value)


def test_huge_8000_frame_works(untrained_pipeline, face_bgr):
    frame = np.zeros((8000, 8000, 3), np.uint8)
    # a face 2400 px wide: the same share of the frame as in a selfie
    big_face = cv2.resize(face_bgr, (6000, 6000), interpolation=cv2.INTER_LINEAR)
    frame[1000:7000, 1000:7000] = big_face
    del big_face
    faces = untrained_pipeline.process(frame)
    assert len(faces) == 1
    assert_valid_face(faces[0])
    expected = tuple(round(1000 + value * 6000 / 360) for value in FACE_BOX[:2]) + (round(93 * 6000 / 360),) * 2
    assert iou(faces[0].box, expected) > 0.6


def test_many_faces_are_capped_largest_first(untrained_pipeline, face_bgr):
    frame = np.full((960, 1280, 3), 110, np.uint8)
    pasted = []
    for index in range(12):  # a 4x3 grid of faces 120..186 px wide
        row, column = divmod(index, 4)
        pasted.append(paste_face(frame, face_bgr, column * 320 + 50, row * 320 + 50, 120 + 6 * index))
    every_box = untrained_pipeline.detector.detect(frame)
    assert len(every_box) >= 10, every_box  # the detector sees (nearly) all of them
    faces = untrained_pipeline.process(frame)
    assert len(faces) == MAX_FACES == 8
    areas = [face.box.area for face in faces]
    assert areas == sorted(areas, reverse=True)
    assert [face.box for face in faces] == every_box[:MAX_FACES]
    for face in faces:
        assert_valid_face(face)
    # the faces kept are the largest pasted ones
    largest = sorted(pasted, key=lambda box: box[2], reverse=True)[:MAX_FACES]
    assert all(max(iou(face.box, box) for box in largest) > 0.6 for face in faces)


def test_max_faces_is_configurable(untrained_classifier, face_bgr):
    frame = np.full((480, 640, 3), 110, np.uint8)
    paste_face(frame, face_bgr, 60, 60, 160)
    paste_face(frame, face_bgr, 360, 120, 120)
    assert len(EmotionPipeline(untrained_classifier).process(frame)) == 2
    one = EmotionPipeline(untrained_classifier, max_faces=1).process(frame)
    assert len(one) == 1 and one[0].box.w > 140


def test_process_photo_finds_every_face_of_a_group(untrained_pipeline, face_bgr):
    photo, pasted = group_photo(face_bgr, columns=4, rows=3, face_widths=80)
    assert untrained_pipeline.process(photo) == []  # too small for the live detector
    faces = untrained_pipeline.process_photo(photo)
    assert len(faces) == 12
    for face in faces:
        assert_valid_face(face)
        assert max(iou(face.box, box) for box in pasted) > 0.5


def test_process_photo_matches_process_on_a_portrait(untrained_pipeline, face_bgr):
    still, live = untrained_pipeline.process_photo(face_bgr), untrained_pipeline.process(face_bgr)
    assert len(still) == len(live) == 1
    assert boxes_close(still[0].box, live[0].box)


def test_process_photo_keeps_the_largest_faces(untrained_classifier, face_bgr):
    widths = [60 + 8 * index for index in range(12)]
    photo, pasted = group_photo(face_bgr, columns=4, rows=3, face_widths=widths)
    assert MAX_PHOTO_FACES >= 12 > MAX_FACES
    faces = EmotionPipeline(untrained_classifier, max_photo_faces=5).process_photo(photo)
    largest = sorted(pasted, key=lambda box: box[2], reverse=True)[:5]
    assert len(faces) == 5
    assert all(max(iou(face.box, box) for box in largest) > 0.5 for face in faces)


def test_process_photo_averages_the_readings_of_each_faces_margin_crops(untrained_pipeline, face_bgr):
    from tunex_core.vision.faces import PHOTO_MARGINS, crop_face, to_gray

    assert len(PHOTO_MARGINS) > 1 and untrained_pipeline.photo_margins == PHOTO_MARGINS
    face = untrained_pipeline.process_photo(face_bgr)[0]
    views = [untrained_pipeline.classify_faces(crop_face(to_gray(face_bgr), face.box, margin)[None])[0]
             for margin in PHOTO_MARGINS]
    np.testing.assert_allclose(face.probabilities, np.mean(views, axis=0), atol=1e-6)
    assert_valid_face(face)


def test_one_photo_margin_reads_a_still_photo_as_the_live_path_reads_a_frame(untrained_classifier, face_bgr):
    pipeline = EmotionPipeline(untrained_classifier, photo_margins=(0.0,))
    still, live = pipeline.process_photo(face_bgr)[0], pipeline.process(face_bgr)[0]
    if still.box == live.box:
        np.testing.assert_allclose(still.probabilities, live.probabilities, atol=1e-6)
    with pytest.raises(ValueError, match="at least one margin"):
        EmotionPipeline(untrained_classifier, photo_margins=())


def test_process_photo_reads_a_thumbnail_the_live_path_refuses(untrained_pipeline, face_bgr):
    x, y, width, height = FACE_BOX
    thumbnail = cv2.resize(face_bgr[y: y + height, x: x + width], (40, 40), interpolation=cv2.INTER_AREA)
    with pytest.raises(ValueError, match="at least 48x48"):
        untrained_pipeline.process(thumbnail)
    faces = untrained_pipeline.process_photo(thumbnail)
    assert len(faces) == 1
    assert_valid_face(faces[0])
    box = faces[0].box  # in the thumbnail's own pixels, not the enlarged copy's
    assert box.x >= 0 and box.y >= 0 and box.x + box.w <= 40 and box.y + box.h <= 40 and box.w >= 20
    photo = untrained_pipeline.still_photo(thumbnail)
    crops = untrained_pipeline.crop_photo_boxes(photo.gray, untrained_pipeline.detect_photo(photo.gray))
    np.testing.assert_allclose(untrained_pipeline.classify_photo_crops(crops)[0], faces[0].probabilities, atol=1e-6)
    with pytest.raises(ValueError, match="frame is 20x20 px"):
        untrained_pipeline.process_photo(cv2.resize(thumbnail, (20, 20)))


def test_classify_photo_crops_checks_its_shape(untrained_pipeline):
    assert untrained_pipeline.classify_photo_crops(np.zeros((0, 2, 48, 48), np.uint8)).shape == (0, 7)
    for shape in [(2, 48, 48), (1, 0, 48, 48), (1, 2, 32, 32)]:
        with pytest.raises(ValueError, match="photo crops must have shape"):
            untrained_pipeline.classify_photo_crops(np.zeros(shape, np.uint8))


def test_process_photo_refuses_what_process_refuses(untrained_pipeline):
    with pytest.raises(ValueError, match="no frame: got None"):
        untrained_pipeline.process_photo(None)


def test_custom_detector_is_used(untrained_classifier, face_bgr):
    pipeline = EmotionPipeline(untrained_classifier, detector=FaceDetector(min_face_fraction=0.5))
    assert pipeline.process(face_bgr) == []  # the 93 px face is under half the 360 px frame


def test_classify_faces(untrained_pipeline, fer_fixture):
    faces = fer_fixture[0][:6]
    probabilities = untrained_pipeline.classify_faces(faces)
    assert probabilities.shape == (6, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert untrained_pipeline.classifier.predict(faces, flip_average=True).shape == (6, 7)
    with pytest.raises(ValueError, match="faces must have shape"):
        untrained_pipeline.classify_faces(np.zeros((2, 32, 32), np.uint8))


def test_face_emotion_confidence():
    probabilities = np.array([0.1, 0.0, 0.0, 0.7, 0.1, 0.1, 0.0])
    assert FaceEmotion(Box(0, 0, 10, 10), "happy", probabilities).confidence == pytest.approx(0.7)


# --- loading --------------------------------------------------------------------------------------

def test_load_missing_model_names_the_file(tmp_path):
    with pytest.raises(ModelFileError) as info:
        EmotionPipeline.load("missing.keras")
    assert "missing.keras" in str(info.value)
    assert "model file not found" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(ModelFileError, match=r"missing\.tflite"):
        EmotionPipeline.load(tmp_path / "missing.keras", backend="litert")


def test_load_corrupt_model_names_the_file(tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 definitely not a keras archive")
    with pytest.raises(ModelFileError, match=r"corrupt\.keras could not be loaded"):
        EmotionPipeline.load(corrupt, backend="tensorflow")


@pytest.mark.slow
def test_load_saved_model_with_temperature(tmp_path, untrained_model, face_bgr):
    path = tmp_path / "model.keras"
    untrained_model.save(path)
    (tmp_path / "metrics.json").write_text(json.dumps({"temperature": 1.7}))
    pipeline = EmotionPipeline.load(path, backend="auto")  # no model.tflite beside it -> TensorFlow
    assert pipeline.classifier.backend == "tensorflow"
    assert pipeline.classifier.temperature == pytest.approx(1.7)
    assert len(pipeline.process(face_bgr)) == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [('{"temperature": 1.3}', 1.3), ("{}", 1.0), ("not json", 1.0), ("[1, 2]", 1.0), ('{"temperature": "hot"}', 1.0)],
)
def test_stored_temperature(tmp_path, content, expected):
    path = tmp_path / "metrics.json"
    path.write_text(content)
    assert _stored_temperature(path) == pytest.approx(expected)
    assert _stored_temperature(tmp_path / "absent.json") == 1.0


@pytest.mark.parametrize("value", ["0", "-1", "NaN", "Infinity"])
def test_stored_temperature_rejects_non_positive_values(tmp_path, value):
    path = tmp_path / "metrics.json"
    path.write_text(f'{{"temperature": {value}}}')
    temperature = _stored_temperature(path)
    assert np.isfinite(temperature) and temperature > 0

