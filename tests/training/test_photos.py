"""Tests for ``tunex_core.training.photos``: labelled real photos scored through the still-photo path.

Synthetic photo folders (the fixture face pasted into frames, blank frames, broken files) and a
classifier whose answer is known, so each count can be checked; the test on the shared
``faces_dev`` set skips without ``../shared``.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import FACE_BOX, paste_face
from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.paths import SHARED_FACES_DEV_DIR
from tunex_core.training.photos import (
    PhotoSetError,
    evaluate_photos,
    find_photo_faces,
    photo_report_lines,
    read_labelled_photos,
    score_photo_faces,
)
from tunex_core.vision.faces import PHOTO_MIN_SIDE
from tunex_core.vision.images import ANALYSIS_SIDE, decode_image
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.pipeline import EmotionPipeline


def constant_pipeline(label: str) -> EmotionPipeline:
    """A pipeline whose classifier reads every face as ``label`` (the real detector and crops)."""
    row = np.eye(NUM_EMOTIONS)[EMOTION_NAMES.index(label)]

    def predict_batch(faces: np.ndarray) -> np.ndarray:
        return np.tile(row, (len(faces), 1))

    return EmotionPipeline(EmotionClassifier(predict_batch, backend="test"))


def write_photo_set(folder, face_bgr, rows: list[tuple[str, str, str]]) -> tuple:
    """Photos in ``folder/images`` and ``folder/labels.csv``; each row (file, label, kind) with kind
    face / tiny / blank / broken."""
    images = folder / "images"
    images.mkdir(parents=True)
    for name, _, kind in rows:
        if kind == "face":
            frame = np.full((480, 640, 3), 90, np.uint8)
            paste_face(frame, face_bgr, 200, 100, 220)
            cv2.imwrite(str(images / name), frame)
        elif kind == "tiny":  # the app refuses photos under PHOTO_MIN_SIDE px
            cv2.imwrite(str(images / name), cv2.resize(face_bgr, (PHOTO_MIN_SIDE - 4, PHOTO_MIN_SIDE - 4)))
        elif kind == "thumbnail":  # a face cut out to 40x40 px: under the live minimum, enlarged as a still photo
            x, y, width, height = FACE_BOX
            cv2.imwrite(str(images / name), cv2.resize(face_bgr[y: y + height, x: x + width], (40, 40),
                                                       interpolation=cv2.INTER_AREA))
        elif kind == "blank":
            cv2.imwrite(str(images / name), np.full((300, 300, 3), 128, np.uint8))
        else:
            (images / name).write_bytes(b"not an image")
    labels = folder / "labels.csv"
    labels.write_text("file,label\n" + "".join(f"{name},{label}\n" for name, label, _ in rows))
    return images, labels


ROWS = [("a.jpg", "happy", "face"), ("b.jpg", "sad", "face"), ("c.jpg", "happy", "blank"),
        ("d.png", "contempt", "face"), ("e.jpg", "happy", "broken")]


def test_a_photo_too_small_to_analyse_is_a_miss_not_left_out(tmp_path, face_bgr):
    images, labels = write_photo_set(tmp_path, face_bgr, [("a.jpg", "happy", "face"), ("t.png", "happy", "tiny")])
    result = evaluate_photos(constant_pipeline("happy"), read_labelled_photos(images, labels))
    assert (result.photos, result.found, result.right, result.unreadable) == (2, 1, 1, ())
    assert result.accuracy == 0.5 and result.predicted == ("happy", None)


def test_a_thumbnail_of_a_face_is_read_as_the_app_reads_it(tmp_path, face_bgr):
    images, labels = write_photo_set(tmp_path, face_bgr, [("t.png", "happy", "thumbnail")])
    result = evaluate_photos(constant_pipeline("happy"), read_labelled_photos(images, labels))
    assert (result.photos, result.found, result.right) == (1, 1, 1)


def test_scores_count_misses_over_all_photos_and_over_found_faces(tmp_path, face_bgr):
    images, labels = write_photo_set(tmp_path, face_bgr, ROWS)
    photos = read_labelled_photos(images, labels)
    assert photos.contempt_photos == 1 and photos.labels[3] == EMOTION_NAMES.index("disgust")
    result = evaluate_photos(constant_pipeline("happy"), photos)
    # e.jpg cannot be read: listed with its reason, not scored
    assert [name for name, _ in result.unreadable] == ["e.jpg"] and "image" in result.unreadable[0][1]
    assert (result.photos, result.found, result.right) == (4, 3, 1)
    assert result.accuracy == 0.25  # right of all readable labelled photos: the blank one is a miss
    assert result.accuracy_of_found == pytest.approx(1 / 3, abs=1e-4)
    assert result.predicted == ("happy", "happy", None, "happy")
    happy = result.per_class["happy"]
    assert (happy.photos, happy.found, happy.right, happy.recall, happy.recall_of_found) == (2, 1, 1, 0.5, 1.0)
    assert result.per_class["disgust"].photos == 1 and result.per_class["disgust"].recall == 0.0
    assert result.per_class["fear"].photos == 0 and result.per_class["fear"].recall_of_found is None
    confusion = np.array(result.confusion)
    assert confusion.sum() == result.found  # found faces only
    assert confusion[EMOTION_NAMES.index("sad"), EMOTION_NAMES.index("happy")] == 1
    lines = photo_report_lines(result, "set")
    assert lines[0].startswith("set: 4 labelled photos, a face found in 3 (75.0%); right (largest face): 1, "
                               "25.00% of all labelled photos; 33.33% of the 3 found faces")
    assert "1 contempt photo(s) counted as disgust" in lines[0] and "e.jpg:" in lines[1]
    assert any(line.split()[:5] == ["happy", "2", "1", "1", "0.500"] for line in lines)
    summary = result.to_dict()
    assert summary["found"] == 3 and summary["accuracy"] == 0.25 and "predicted" not in summary
    assert summary["unreadable"][0]["file"] == "e.jpg"


def test_contempt_can_be_left_out(tmp_path, face_bgr):
    images, labels = write_photo_set(tmp_path, face_bgr, ROWS[:4])
    photos = read_labelled_photos(images, labels, contempt="drop")
    assert photos.files == ("a.jpg", "b.jpg", "c.jpg") and photos.contempt_photos == 1
    assert evaluate_photos(constant_pipeline("sad"), photos).accuracy == pytest.approx(1 / 3, abs=1e-4)


def test_the_reading_is_process_photos_largest_face(tmp_path, face_bgr, untrained_pipeline):
    """Whatever the model, a photo's reading is what ``process_photo`` gives its largest face."""
    frame = np.full((600, 900, 3), 100, np.uint8)
    paste_face(frame, face_bgr, 60, 80, 140)
    paste_face(frame, face_bgr, 420, 120, 300)  # the larger face
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "group.png"), frame)
    (tmp_path / "labels.csv").write_text("file,label\ngroup.png,neutral\n")
    photos = read_labelled_photos(images, tmp_path / "labels.csv")
    faces = find_photo_faces(untrained_pipeline, photos)
    expected = untrained_pipeline.process_photo(decode_image((images / "group.png").read_bytes(),
                                                             fit_side=ANALYSIS_SIDE))
    assert len(expected) == 2 and faces.found.tolist() == [True]
    assert faces.crops.shape == (1, len(untrained_pipeline.photo_margins), 48, 48)
    np.testing.assert_allclose(untrained_pipeline.classify_photo_crops(faces.crops)[0], expected[0].probabilities,
                               atol=1e-6)
    assert evaluate_photos(untrained_pipeline, photos, faces).predicted == (expected[0].label,)


@pytest.mark.parametrize(("text", "complaint"), [
    ("name,emotion\na.jpg,happy\n", "header with the columns file,label"),
    ("file,label\na.jpg,joyful\n", "unknown label 'joyful'"),
    ("file,label\na.jpg,\n", "empty label"),
    ("file,label\na.jpg,happy\na.jpg,sad\n", "named twice"),
    ("file,label\n../outside.jpg,happy\n", "outside"),
    ("file,label\nmissing.jpg,happy\n", "1 photo of"),
    ("file,label\n", "names no photo"),
    ("", "header with the columns file,label"),
])
def test_bad_labels_files_are_refused_in_one_line(tmp_path, face_bgr, text, complaint):
    images, _ = write_photo_set(tmp_path, face_bgr, [("a.jpg", "happy", "face")])
    labels = tmp_path / "bad.csv"
    labels.write_text(text)
    with pytest.raises(PhotoSetError, match=complaint) as caught:
        read_labelled_photos(images, labels)
    assert "\n" not in str(caught.value)


def test_missing_folder_labels_file_and_non_text_are_refused(tmp_path):
    with pytest.raises(PhotoSetError, match="not a folder"):
        read_labelled_photos(tmp_path / "nowhere", tmp_path / "labels.csv")
    with pytest.raises(PhotoSetError, match="does not exist"):
        read_labelled_photos(tmp_path, tmp_path / "labels.csv")
    (tmp_path / "labels.csv").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(PhotoSetError, match="not UTF-8"):
        read_labelled_photos(tmp_path, tmp_path / "labels.csv")


def test_labels_are_case_and_space_tolerant_and_bom_is_ignored(tmp_path, face_bgr):
    images, _ = write_photo_set(tmp_path, face_bgr, [("a.jpg", "happy", "face")])
    labels = tmp_path / "labels.csv"
    labels.write_text("\ufefffile , Label\n a.jpg , Happy \n\n", encoding="utf-8")
    assert read_labelled_photos(images, labels).labels == (EMOTION_NAMES.index("happy"),)


def test_scoring_needs_one_row_per_found_face(tmp_path, face_bgr):
    images, labels = write_photo_set(tmp_path, face_bgr, ROWS[:3])
    faces = find_photo_faces(constant_pipeline("happy"), read_labelled_photos(images, labels))
    with pytest.raises(ValueError, match="one row per found face"):
        score_photo_faces(faces, np.zeros((len(faces.crops) + 1, NUM_EMOTIONS)))


@pytest.mark.skipif(not (SHARED_FACES_DEV_DIR / "labels.csv").is_file(), reason="needs ../shared/data/faces_dev")
def test_faces_dev_reads_with_contempt_folded():
    photos = read_labelled_photos(SHARED_FACES_DEV_DIR / "images", SHARED_FACES_DEV_DIR / "labels.csv")
    assert len(photos.files) == 930 and photos.contempt_photos == 9
