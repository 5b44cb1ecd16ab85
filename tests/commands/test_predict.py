"""Tests for ``tunex_core.commands.predict``: faces and emotions in image files, with and without a resting face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.commands.cli_runner import assert_clean_failure, last_json_line, run_cli, run_cli_with_peak_memory, run_main
from tests.conftest import FACE_BOX, FACE_PHOTO, group_photo, iou
from tunex_core.emotions import EMOTION_NAMES


@pytest.mark.slow
def test_predict_face_json(model_arguments):
    result = run_cli("predict", str(FACE_PHOTO), "--json", *model_arguments)
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert len(payload["results"]) == 1
    entry = payload["results"][0]
    assert entry["file"] == str(FACE_PHOTO) and entry["error"] is None
    assert len(entry["faces"]) == 1
    face = entry["faces"][0]
    assert iou(face["box"], FACE_BOX) > 0.7
    assert face["label"] in EMOTION_NAMES
    assert list(face["probabilities"]) == list(EMOTION_NAMES)
    assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert face["confidence"] == pytest.approx(face["probabilities"][face["label"]], abs=1e-4)
    assert "face 1 at" in result.stdout


@pytest.mark.slow
def test_predict_finds_every_face_of_a_group_photo(tmp_path, model_arguments, face_bgr):
    import cv2

    photo, pasted = group_photo(face_bgr, columns=4, rows=3, face_widths=80)
    path = tmp_path / "group.png"
    cv2.imwrite(str(path), photo)
    result = run_main("predict", str(path), "--json", *model_arguments)
    assert result.returncode == 0, result.stderr
    faces = last_json_line(result)["results"][0]["faces"]
    assert len(faces) == 12
    assert all(max(iou(face["box"], box) for box in pasted) > 0.5 for face in faces)
    assert "face 12 at" in result.stdout


@pytest.mark.slow
def test_predict_corrupt_and_good_file(tmp_path, model_arguments):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(FACE_PHOTO.read_bytes()[:2000])  # a truncated JPEG
    blank = tmp_path / "blank.png"
    import cv2

    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    result = run_main("predict", str(corrupt), str(FACE_PHOTO), str(blank), "--json", *model_arguments)
    assert_clean_failure(result, 1, f"{corrupt}: error:")
    entries = last_json_line(result)["results"]
    assert [entry["file"] for entry in entries] == [str(corrupt), str(FACE_PHOTO), str(blank)]
    assert entries[0]["error"] and entries[0]["faces"] == []
    assert entries[1]["error"] is None and len(entries[1]["faces"]) == 1
    assert entries[2]["error"] is None and entries[2]["faces"] == []
    assert f"{blank}: no face found" in result.stdout
    assert str(FACE_PHOTO) not in result.stderr  # the good file is not reported as failed


@pytest.mark.slow
def test_predict_text_and_missing_files(tmp_path, model_arguments):
    text = tmp_path / "notes.txt"
    text.write_text("this is not a photo\n")
    missing = tmp_path / "nowhere.jpg"
    result = run_main("predict", str(text), str(missing), *model_arguments)
    assert_clean_failure(result, 1, f"{text}: error: the file is not an image TuneX can read", f"{missing}: error:")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_predict_device_and_folder_are_refused_without_reading(tmp_path, model_arguments):
    import time

    started = time.perf_counter()
    result, peak_kilobytes = run_cli_with_peak_memory(
        "predict", "/dev/zero", str(tmp_path), str(FACE_PHOTO), "--json", *model_arguments)
    assert_clean_failure(result, 1, "/dev/zero: error: this is not a regular file", f"{tmp_path}: error: this is a folder")
    entries = last_json_line(result)["results"]
    assert [entry["error"] is None for entry in entries] == [False, False, True]
    # /dev/zero used to be read whole (3.4 GB) before the size check
    assert peak_kilobytes < 2_500_000, peak_kilobytes
    assert time.perf_counter() - started < 120


@pytest.mark.slow
def test_predict_missing_model(tmp_path):
    result = run_main("predict", str(FACE_PHOTO), "--model", str(tmp_path / "gone.keras"))
    assert_clean_failure(result, 2, "gone.keras")


@pytest.mark.slow
def test_predict_with_a_baseline_keeps_the_json_shape(tmp_path, model_arguments):
    plain = run_main("predict", str(FACE_PHOTO), "--json", *model_arguments)
    calibrated = run_main("predict", str(FACE_PHOTO), "--baseline", str(FACE_PHOTO), "--json", *model_arguments)
    assert plain.returncode == 0 and calibrated.returncode == 0, calibrated.stderr
    before, after = last_json_line(plain), last_json_line(calibrated)
    assert set(after) == set(before) == {"results"}
    face_before, face_after = before["results"][0]["faces"][0], after["results"][0]["faces"][0]
    assert set(face_after) == set(face_before) and face_after["box"] == face_before["box"]
    assert sum(face_after["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert face_after["label"] == max(face_after["probabilities"], key=face_after["probabilities"].get)
    # the resting photo itself: after calibration it leans further towards neutral than before
    assert face_after["probabilities"]["neutral"] > face_before["probabilities"]["neutral"] or \
        face_before["probabilities"]["neutral"] > 0.7
    assert f"calibrated to {FACE_PHOTO}: resting face read" in calibrated.stdout
    # the fixture face smiles: a warning on stderr, the JSON untouched
    assert "warning: Your resting face read happy" in calibrated.stderr and "If you were smiling" in calibrated.stderr


@pytest.mark.slow
def test_predict_baseline_without_a_face_or_unreadable(tmp_path, model_arguments):
    import cv2

    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    result = run_main("predict", str(FACE_PHOTO), "--baseline", str(blank), "--json", *model_arguments)
    assert_clean_failure(result, 2, f"resting photo {blank}: no face found")
    result = run_main("predict", str(FACE_PHOTO), "--baseline", "/dev/zero", *model_arguments)
    assert_clean_failure(result, 2, "resting photo /dev/zero: this is not a regular file")
