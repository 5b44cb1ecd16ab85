"""Tests for ``tunex_core.commands.evaluate`` on FER-2013-shaped data (real photos: test_evaluate_real_faces.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.commands.cli_runner import assert_clean_failure, last_json_line, run_cli, run_main
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import TFLITE_MODEL_FILE


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
    result = run_main("evaluate", "--data", str(test_only_npz), "--model", str(untrained_model_file), "--tta", "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert payload["tta"] is True and payload["n"] == 70
    assert "(flip TTA)" in result.stdout


@pytest.mark.slow
def test_evaluate_scores_the_litert_file_the_app_runs(test_only_npz, untrained_model_file):
    if not TFLITE_MODEL_FILE.is_file():
        pytest.skip(f"{TFLITE_MODEL_FILE} is absent")
    scores = {}
    for backend in ("tensorflow", "litert"):
        result = run_main("evaluate", "--data", str(test_only_npz), "--tta", "--backend", backend, "--json")
        assert result.returncode == 0, result.stderr
        payload = last_json_line(result)
        assert payload["backend"] == backend and payload["n"] == 70
        scores[backend] = payload["accuracy"]
    assert abs(scores["litert"] - scores["tensorflow"]) <= 2 / 70  # int8 weights: the same label on almost every face
    # a model without a .tflite beside it: one error line naming the file LiteRT needs
    result = run_main("evaluate", "--data", str(test_only_npz), "--model", str(untrained_model_file), "--backend", "litert")
    assert_clean_failure(result, 2, "model file not found", untrained_model_file.with_suffix(".tflite").name)


def test_evaluate_missing_data(tmp_path):
    result = run_main("evaluate", "--data", str(tmp_path / "missing.npz"), "--json")
    assert_clean_failure(result, 2, "error:", "missing.npz does not exist")


def test_evaluate_split_absent_from_the_data(test_only_npz):
    result = run_main("evaluate", "--data", str(test_only_npz), "--split", "val")
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
    result = run_main("evaluate", "--data", str(path), "--json")
    assert_clean_failure(result, 2, "error:", message, path.name)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_evaluate_missing_model(test_only_npz, tmp_path):
    result = run_main("evaluate", "--data", str(test_only_npz), "--model", str(tmp_path / "gone.keras"))
    assert_clean_failure(result, 2, "model file not found", "gone.keras")


@pytest.mark.slow
def test_evaluate_perturbations_run_and_change_the_faces(test_only_npz, untrained_model_file):
    scores = {}
    for name in ("dark", "blur", "jpeg", "occlude"):
        result = run_main("evaluate", "--data", str(test_only_npz), "--model", str(untrained_model_file),
                          "--perturb", name, "--json")
        assert result.returncode == 0, result.stderr
        scores[name] = last_json_line(result)["negative_log_likelihood"]
    assert len(set(scores.values())) == 4  # four different copies of the split


def test_evaluate_unknown_perturbation_is_a_usage_error(test_only_npz):
    result = run_main("evaluate", "--data", str(test_only_npz), "--perturb", "sepia")
    assert result.returncode == 2 and "invalid choice" in result.stderr
