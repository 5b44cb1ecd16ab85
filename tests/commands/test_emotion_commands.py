"""Tests for ``python -m tunex_core train|evaluate|predict`` (run as real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FACE_BOX, FACE_PHOTO, iou
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import MODEL_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "tunex_core", *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout, check=False)


def last_json_line(result: subprocess.CompletedProcess) -> dict:
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return json.loads(lines[-1])


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@pytest.fixture(scope="module")
def test_only_npz(tmp_path_factory, fer_fixture) -> Path:
    faces, labels = fer_fixture
    path = tmp_path_factory.mktemp("data") / "fixture_test.npz"
    np.savez(path, x_test=faces, y_test=labels)
    return path


@pytest.fixture(scope="module")
def untrained_model_file(tmp_path_factory, untrained_model) -> Path:
    path = tmp_path_factory.mktemp("model") / "untrained.keras"
    untrained_model.save(path)
    return path


@pytest.fixture(scope="module")
def model_arguments(untrained_model_file) -> list[str]:
    """The shipped model (the product's default path, LiteRT when exported) or, without it, an untrained one."""
    return [] if MODEL_FILE.is_file() else ["--model", str(untrained_model_file)]


# --- evaluate ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_evaluate_json(test_only_npz, untrained_model_file):
    result = run_cli("evaluate", "--data", str(test_only_npz), "--model", str(untrained_model_file), "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert {"accuracy", "n", "per_class", "confusion", "ece"} <= set(payload)
    assert payload["n"] == 70
    assert payload["split"] == "test" and payload["tta"] is False
    assert 0.0 <= payload["accuracy"] <= 1.0 and 0.0 <= payload["ece"] <= 1.0
    assert list(payload["per_class"]) == list(EMOTION_NAMES)
    assert all(scores["support"] == 10 for scores in payload["per_class"].values())
    confusion = np.array(payload["confusion"])
    assert confusion.shape == (7, 7) and confusion.sum() == 70
    np.testing.assert_array_equal(confusion.sum(axis=1), 10)
    assert payload["accuracy"] == pytest.approx(np.trace(confusion) / 70, abs=1e-4)
    assert "PrivateTest: 70 faces, accuracy" in result.stdout


@pytest.mark.slow
def test_evaluate_tta(test_only_npz, untrained_model_file):
    result = run_cli("evaluate", "--data", str(test_only_npz), "--model", str(untrained_model_file), "--tta", "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert payload["tta"] is True and payload["n"] == 70
    assert "(flip TTA)" in result.stdout


def test_evaluate_missing_data(tmp_path):
    result = run_cli("evaluate", "--data", str(tmp_path / "missing.npz"), "--json")
    assert_clean_failure(result, 2, "error:", "missing.npz does not exist")


def test_evaluate_split_absent_from_the_data(test_only_npz):
    result = run_cli("evaluate", "--data", str(test_only_npz), "--split", "val")
    assert_clean_failure(result, 2, "has no 'val' split")


def hostile_data_files(folder: Path, test_only_npz: Path) -> dict[str, Path]:
    """The inputs that used to end ``evaluate`` in a traceback (or, for NaN faces, in a silent score)."""
    good = test_only_npz.read_bytes()
    files = {"truncated": folder / "truncated.npz", "empty": folder / "empty.npz",
             "string_labels": folder / "labels.npz", "nan_faces": folder / "nan.npz", "long_field": folder / "fer.csv"}
    files["truncated"].write_bytes(good[: len(good) // 2])
    files["empty"].write_bytes(b"")
    np.savez(files["string_labels"], x_test=np.zeros((2, 48, 48), np.uint8), y_test=np.array(["angry", "happy"]))
    faces = np.full((2, 48, 48), 90.0)
    faces[0, 0, 0] = np.nan
    np.savez(files["nan_faces"], x_test=faces, y_test=np.array([0, 1]))
    files["long_field"].write_text("emotion,pixels,Usage\n0," + "7 " * 70_000 + ",PrivateTest\n")
    return files


@pytest.mark.parametrize(("case", "message"), [
    ("truncated", "the archive is damaged or truncated"),
    ("empty", "the file is empty"),
    ("string_labels", "labels must be integers"),
    ("nan_faces", "contain NaN or infinite pixels"),
    ("long_field", "not a well-formed fer2013.csv"),
])
def test_evaluate_refuses_damaged_data_in_one_line(tmp_path, test_only_npz, case, message):
    path = hostile_data_files(tmp_path, test_only_npz)[case]
    result = run_cli("evaluate", "--data", str(path), "--json")
    assert_clean_failure(result, 2, "error:", message, path.name)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_evaluate_missing_model(test_only_npz, tmp_path):
    result = run_cli("evaluate", "--data", str(test_only_npz), "--model", str(tmp_path / "gone.keras"))
    assert_clean_failure(result, 2, "model file not found", "gone.keras")


# --- predict -------------------------------------------------------------------------------------

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
def test_predict_corrupt_and_good_file(tmp_path, model_arguments):
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(FACE_PHOTO.read_bytes()[:2000])  # a truncated JPEG
    blank = tmp_path / "blank.png"
    import cv2

    cv2.imwrite(str(blank), np.full((120, 160, 3), 128, np.uint8))
    result = run_cli("predict", str(corrupt), str(FACE_PHOTO), str(blank), "--json", *model_arguments)
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
    result = run_cli("predict", str(text), str(missing), *model_arguments)
    assert_clean_failure(result, 1, f"{text}: error: the file is not an image TuneX can read", f"{missing}: error:")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_predict_device_and_folder_are_refused_without_reading(tmp_path, model_arguments):
    import resource
    import time

    started = time.perf_counter()
    result = run_cli("predict", "/dev/zero", str(tmp_path), str(FACE_PHOTO), "--json", *model_arguments)
    assert_clean_failure(result, 1, "/dev/zero: error: this is not a regular file", f"{tmp_path}: error: this is a folder")
    entries = last_json_line(result)["results"]
    assert [entry["error"] is None for entry in entries] == [False, False, True]
    # /dev/zero used to be read whole (3.4 GB) before the size check
    peak_kilobytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kilobytes < 2_500_000, peak_kilobytes
    assert time.perf_counter() - started < 120


@pytest.mark.slow
def test_predict_missing_model(tmp_path):
    result = run_cli("predict", str(FACE_PHOTO), "--model", str(tmp_path / "gone.keras"))
    assert_clean_failure(result, 2, "gone.keras")


# --- train ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_train_missing_data(tmp_path):
    result = run_cli("train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "error:", "does not exist")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_train_unreadable_data(tmp_path):
    bad = tmp_path / "fer.csv"
    bad.write_text("not,a,fer,file\n")
    result = run_cli("train", "--data", str(bad), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "missing column(s)")


@pytest.mark.slow
def test_train_data_without_training_split(test_only_npz, tmp_path):
    result = run_cli("train", "--data", str(test_only_npz), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "has no 'train' split")


def test_unknown_command_is_a_usage_error():
    result = run_cli("levitate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
