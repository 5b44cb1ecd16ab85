"""Tests for the emotion-model commands: ``train``, ``evaluate``, ``predict``, ``experiment``, ``release``,
``record-baseline`` and ``export``.

Most run in this process through ``tunex_core.cli.main`` (``run_main``: what the command prints, its exit
status, argparse's ``SystemExit`` as the status); a few smoke tests run ``python -m tunex_core`` as a real
subprocess (``run_cli``), so the module entry point, the process's exit code and its memory are covered too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import FACE_BOX, FACE_PHOTO, group_photo, iou
from tunex_core.cli import main
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import MODEL_FILE, TFLITE_MODEL_FILE

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "tunex_core", *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class CommandResult:
    """What a command run in this process printed, and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run_main(*arguments: str) -> CommandResult:
    """``tunex_core.cli.main(arguments)`` in this process; an exception other than ``SystemExit`` fails the test."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = main(list(arguments))
        except SystemExit as exit_:  # argparse: usage errors exit 2, --help 0
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    return CommandResult(code, stdout.getvalue(), stderr.getvalue())


def last_json_line(result: CommandResult | subprocess.CompletedProcess) -> dict:
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return json.loads(lines[-1])


def assert_clean_failure(result: CommandResult | subprocess.CompletedProcess, code: int, *fragments: str) -> None:
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
    result = run_main("predict", str(FACE_PHOTO), "--model", str(tmp_path / "gone.keras"))
    assert_clean_failure(result, 2, "gone.keras")


# --- train ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_train_missing_data(tmp_path):
    result = run_main("train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "error:", "does not exist")
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_train_unreadable_data(tmp_path):
    bad = tmp_path / "fer.csv"
    bad.write_text("not,a,fer,file\n")
    result = run_main("train", "--data", str(bad), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "missing column(s)")


@pytest.mark.slow
def test_train_data_without_training_split(test_only_npz, tmp_path):
    result = run_main("train", "--data", str(test_only_npz), "--out", str(tmp_path / "run"), "--epochs", "1")
    assert_clean_failure(result, 2, "has no 'train' split")


def synthetic_training_npz(path: Path, train_count: int = 64, val_count: int = 21) -> Path:
    """Class-dependent bright bands on noise (a learnable toy problem) with Training and PublicTest splits."""
    rng = np.random.default_rng(0)
    arrays = {}
    for name, count in (("train", train_count), ("val", val_count)):
        labels = np.arange(count) % 7
        faces = rng.integers(60, 120, (count, 48, 48)).astype(np.uint8)
        for face, label in zip(faces, labels, strict=True):
            face[4 + label * 6: 10 + label * 6, 10:38] = 250
        arrays[f"x_{name}"], arrays[f"y_{name}"] = faces, labels
    np.savez(path, **arrays)
    return path


def synthetic_votes_npz(path: Path, labels: np.ndarray) -> Path:
    """FER+-style votes (FER+ column order) agreeing with ``labels``, plus one not-a-face row and one invalid row."""
    from tunex_core.training.ferplus import FERPLUS_COLUMNS, FERPLUS_TO_FER

    fer_to_column = {EMOTION_NAMES.index(fer): FERPLUS_COLUMNS.index(plus) for plus, fer in FERPLUS_TO_FER.items()}
    votes = np.zeros((len(labels), 10), np.uint8)
    for row, label in enumerate(labels):
        votes[row, fer_to_column[int(label)]] = 7
        votes[row, FERPLUS_COLUMNS.index("neutral")] += 3
    votes[0] = 0
    votes[0, FERPLUS_COLUMNS.index("NF")] = 10
    valid = np.ones(len(labels), bool)
    valid[1] = False
    np.savez(path, votes_train=votes, valid_train=valid, columns=np.array(FERPLUS_COLUMNS))
    return path


@pytest.fixture(scope="module")
def tiny_training_data(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tiny")
    data = synthetic_training_npz(folder / "fer.npz")
    with np.load(data) as archive:
        votes = synthetic_votes_npz(folder / "votes.npz", archive["y_train"])
    return data, votes


@pytest.mark.slow
def test_train_with_votes_sgd_and_webcam_augmentation(tiny_training_data, tmp_path):
    data, votes = tiny_training_data
    run = tmp_path / "run"
    result = run_main("train", "--data", str(data), "--votes", str(votes), "--votes-weight", "0.7",
                      "--optimizer", "sgd", "--webcam-augment", "--epochs", "1", "--batch-size", "16",
                      "--float32", "--out", str(run))
    assert result.returncode == 0, result.stderr
    assert "FER+ votes: 62 of 64 faces kept; dropped 1 invalid, 1 with an unknown/not-a-face majority" in result.stdout
    assert "FER+ soft labels (weight 0.7)" in result.stdout and "62 train / 21 PublicTest faces" in result.stdout
    saved = json.loads((run / "hyperparameters.json").read_text())
    assert saved["votes_file"] == str(votes) and saved["votes_weight"] == 0.7 and saved["optimizer"] == "sgd"
    # SGD without a named rate gets its own pair, not AdamW's (0.002 would barely move SGD)
    assert saved["learning_rate"] == 0.05 and saved["weight_decay"] == 0.002
    assert saved["augment"]["jpeg_probability"] > 0 and saved["augment"]["rotation_degrees"] == 20.0
    assert (run / "final.keras").is_file()


@pytest.mark.slow
def test_train_distils_from_a_teacher_and_evaluates_an_ensemble(tiny_training_data, untrained_model_file, tmp_path):
    data, _ = tiny_training_data
    run = tmp_path / "student"
    result = run_main("train", "--data", str(data), "--teacher", str(untrained_model_file), "--distill-weight", "0.5",
                      "--distill-temperature", "2", "--epochs", "1", "--batch-size", "16", "--float32", "--out", str(run))
    assert result.returncode == 0, result.stderr
    assert "distilled from 1 teacher(s)" in result.stdout
    saved = json.loads((run / "hyperparameters.json").read_text())
    assert saved["teachers"] == [str(untrained_model_file)] and saved["distill_temperature"] == 2.0
    # the student's run folder and the teacher's file as an ensemble of two, on a rotated copy of PublicTest
    result = run_main("evaluate", "--data", str(data), "--split", "val", "--model", str(run),
                      "--model", str(untrained_model_file), "--perturb", "rotate", "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert payload["models"] == [str(run / "final.keras"), str(untrained_model_file)]
    assert payload["perturbation"] == "rotate" and payload["n"] == 21
    assert "PublicTest rotated ±15°, ensemble of 2 models: 21 faces" in result.stdout


@pytest.mark.slow
def test_train_offline_distillation_from_a_starting_model(tiny_training_data, untrained_model_file, tmp_path):
    from tunex_core.training.trainer import automatic_precision

    data, _ = tiny_training_data
    run = tmp_path / "student"
    result = run_main("train", "--data", str(data), "--teacher", str(untrained_model_file), "--distill-mode",
                      "offline-per-view", "--init", str(untrained_model_file), "--epochs", "1", "--batch-size", "16",
                      "--out", str(run))
    assert result.returncode == 0, result.stderr
    # no precision named: chosen for this machine, said, and saved with the run
    chosen = automatic_precision()
    assert f"precision: {chosen[1]}" in result.stdout
    assert ("bfloat16 mixed precision;" if chosen[0] else "float32;") in result.stdout
    assert "computing 1 teacher(s)' targets on 64 training faces" in result.stdout
    assert "distilled from 1 teacher(s) (offline-per-view)" in result.stdout and "starting from" in result.stdout
    saved = json.loads((run / "hyperparameters.json").read_text())
    assert saved["distill_mode"] == "offline-per-view" and saved["init_model"] == str(untrained_model_file)
    assert saved["mixed_precision"] is chosen[0]
    # a starting model of another architecture is refused by name, and nothing is trained
    result = run_main("train", "--data", str(data), "--architecture", "seed", "--init", str(untrained_model_file),
                      "--epochs", "1", "--out", str(tmp_path / "seed"))
    assert_clean_failure(result, 2, "does not fit this architecture")


@pytest.mark.slow
@pytest.mark.parametrize(("arguments", "message"), [
    (["--votes-weight", "1.5"], "--votes-weight 1.5 is out of range (between 0 and 1)"),
    (["--distill-temperature", "0"], "--distill-temperature 0.0 is out of range"),
    (["--weight-decay", "-0.1"], "--weight-decay -0.1 is out of range (from 0 up to 1)"),
    (["--teacher", "no/such/run"], "teacher model not found: no/such/run"),
    (["--init", "no/such/model.keras"], "--init model not found: no/such/model.keras"),
    (["--float32", "--bfloat16"], "argument --bfloat16: not allowed with argument --float32"),
])
def test_train_refuses_bad_settings(tiny_training_data, tmp_path, arguments, message):
    data, _ = tiny_training_data
    result = run_main("train", "--data", str(data), "--out", str(tmp_path / "run"), *arguments)
    assert_clean_failure(result, 2, message)
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_train_refuses_misaligned_or_damaged_votes(tiny_training_data, tmp_path):
    data, votes = tiny_training_data
    short = tmp_path / "short.npz"
    with np.load(votes) as archive:
        np.savez(short, votes_train=archive["votes_train"][:10], columns=archive["columns"])
    result = run_main("train", "--data", str(data), "--votes", str(short), "--out", str(tmp_path / "run"))
    assert_clean_failure(result, 2, "10 vote rows but the training split has 64 faces")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(votes.read_bytes()[:100])
    result = run_main("train", "--data", str(data), "--votes", str(broken), "--out", str(tmp_path / "run"))
    assert_clean_failure(result, 2, "broken.npz", "damaged or truncated")


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


# --- predict --baseline --------------------------------------------------------------------------

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


def test_unknown_command_is_a_usage_error():
    result = run_cli("levitate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_train_settings_on_resume_reuse_the_runs_votes_and_teachers(tmp_path):
    from tunex_core.cli import build_parser
    from tunex_core.commands.train import _train_settings

    run = tmp_path / "run"
    run.mkdir()
    (run / "hyperparameters.json").write_text(json.dumps({
        "votes_file": "/data/votes.npz", "votes_weight": 0.6, "contempt": "drop", "teachers": ["runs/a"],
        "distill_weight": 0.5, "distill_temperature": 2.0}))
    parser = build_parser()
    resumed = _train_settings(parser.parse_args(["train", "--data", "x.npz", "--out", str(run), "--resume"]))
    assert resumed["votes_file"] == "/data/votes.npz" and resumed["votes_weight"] == 0.6
    assert resumed["contempt"] == "drop" and resumed["teachers"] == ["runs/a"] and resumed["distill_temperature"] == 2.0
    overridden = _train_settings(parser.parse_args(["train", "--data", "x.npz", "--out", str(run), "--resume",
                                                    "--votes-weight", "0.9"]))
    assert overridden["votes_weight"] == 0.9 and overridden["votes_file"] == "/data/votes.npz"
    fresh = _train_settings(parser.parse_args(["train", "--data", "x.npz", "--out", str(run)]))
    assert "votes_file" not in fresh and "teachers" not in fresh
    assert "mixed_precision" not in fresh  # chosen for the machine when training starts
    assert _train_settings(parser.parse_args(["train", "--data", "x.npz", "--float32"]))["mixed_precision"] is False
    assert _train_settings(parser.parse_args(["train", "--data", "x.npz", "--bfloat16"]))["mixed_precision"] is True
    (run / "hyperparameters.json").write_text(json.dumps({"mixed_precision": False}))
    assert _train_settings(parser.parse_args(["train", "--data", "x.npz", "--out", str(run), "--resume"]))[
        "mixed_precision"] is False  # a resumed run keeps its precision
    webcam = _train_settings(parser.parse_args(["train", "--data", "x.npz", "--webcam-augment", "--seed", "7"]))
    assert webcam["augment"]["blur_probability"] > 0 and webcam["augment"]["flip"] is True and webcam["seed"] == 7


# --- experiment ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_experiment_records_an_ensemble_beside_the_rest(tmp_path, fer_fixture, untrained_model_file):
    faces, labels = fer_fixture
    data = tmp_path / "fixture.npz"
    np.savez(data, x_val=faces, y_val=labels, x_test=faces, y_test=labels)
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"labels": list(EMOTION_NAMES), "temperature": 1.1, "experiments": [
        {"name": "one untrained", "members": [str(untrained_model_file)], "training_minutes": 12.5}]}))
    votes = synthetic_votes_npz(tmp_path / "votes.npz", labels)
    with np.load(votes) as archive:  # the same votes for PublicTest and PrivateTest
        arrays = {name: archive[name] for name in ("votes_train", "valid_train", "columns")}
    np.savez(votes, votes_val=arrays["votes_train"], valid_val=arrays["valid_train"],
             votes_test=arrays["votes_train"], valid_test=arrays["valid_train"], columns=arrays["columns"])
    result = run_main("experiment", "--data", str(data), "--name", "two untrained", "--model",
                      str(untrained_model_file), "--model", str(untrained_model_file), "--private",
                      "--metrics", str(metrics), "--votes", str(votes))
    assert result.returncode == 0, result.stderr
    assert "two untrained: PublicTest" in result.stdout and "PrivateTest" in result.stdout
    assert "PublicTest vs FER+ majority" in result.stdout and "PrivateTest vs FER+ majority" in result.stdout
    saved = json.loads(metrics.read_text())
    assert saved["temperature"] == 1.1
    (_, entry) = saved["experiments"]
    assert entry["members"] == [str(untrained_model_file)] * 2
    assert entry["training_minutes"] == 25.0  # no run log beside the file: the minutes recorded for it alone
    assert set(entry["robustness"]) == {"rotate", "dark", "blur", "jpeg", "occlude"}
    assert 0 <= entry["private_test"]["tta"] <= 1
    assert set(entry["crowd"]) == {"public_test", "private_test"}
    # votes that do not line up with the data: one clean error line, nothing recorded
    short = tmp_path / "short.npz"
    np.savez(short, votes_val=arrays["votes_train"][:5], columns=arrays["columns"])
    result = run_main("experiment", "--data", str(data), "--name", "misaligned", "--model", str(untrained_model_file),
                      "--metrics", str(metrics), "--votes", str(short))
    assert_clean_failure(result, 2, "5 val vote rows")
    assert [item["name"] for item in json.loads(metrics.read_text())["experiments"]] == ["one untrained",
                                                                                         "two untrained"]


def test_experiment_refuses_missing_models_and_data_without_public_test(tmp_path, test_only_npz):
    missing = run_main("experiment", "--data", str(test_only_npz), "--name", "x", "--model",
                       str(tmp_path / "absent.keras"), "--metrics", str(tmp_path / "m.json"))
    assert_clean_failure(missing, 2, "absent.keras")
    no_public = run_main("experiment", "--data", str(test_only_npz), "--name", "x", "--metrics",
                         str(tmp_path / "m.json"))
    assert_clean_failure(no_public, 2, "'val'")
    assert not (tmp_path / "m.json").exists()


def test_record_baseline_scores_a_run_beside_the_shipped_model(tmp_path, fer_fixture, untrained_model_file):
    faces, labels = fer_fixture
    data = tmp_path / "fixture.npz"
    np.savez(data, x_val=faces, y_val=labels, x_test=faces[::-1], y_test=labels[::-1])
    run = tmp_path / "seed-run"
    run.mkdir()
    (run / "final.keras").write_bytes(untrained_model_file.read_bytes())
    (run / "hyperparameters.json").write_text(json.dumps({"architecture": "seed", "epochs": 2}))
    (run / "log.csv").write_text("epoch,accuracy,val_accuracy,seconds\n1,0.2,0.2,150.0\n2,0.3,0.3,162.0\n")
    models = tmp_path / "models"
    models.mkdir()
    shipped = {"model": {"file": "emotion_cnn.keras"}, "evaluations": {}, "experiments": [{"name": "kept"}]}
    (models / "metrics.json").write_text(json.dumps(shipped))
    result = run_main("record-baseline", "--run", str(run), "--data", str(data), "--models-dir", str(models))
    assert result.returncode == 0, result.stderr
    assert "2 epochs, 5.2 min" in result.stdout
    metrics = json.loads((models / "metrics.json").read_text())
    assert {name: metrics[name] for name in shipped} == shipped
    baseline = metrics["baseline"]
    assert baseline["name"] == "seed 4-conv/2-dense (reproduced)" and baseline["trained_epochs"] == 2
    assert set(baseline["evaluations"]) == {"public_test", "private_test"}
    assert baseline["evaluations"]["private_test"]["tta"]["n"] == len(labels)
    # no shipped model, a run without a model, a run without its log: one error line, nothing changed
    before = (models / "metrics.json").read_text()
    empty = tmp_path / "empty-models"
    empty.mkdir()
    (empty / "metrics.json").write_text("{}")
    assert_clean_failure(run_main("record-baseline", "--run", str(run), "--data", str(data), "--models-dir",
                                  str(empty)), 2, "run `release` first")
    assert_clean_failure(run_main("record-baseline", "--run", str(tmp_path), "--data", str(data), "--models-dir",
                                  str(models)), 2, "holds neither final.keras nor best.keras")
    (run / "log.csv").unlink()
    assert_clean_failure(run_main("record-baseline", "--run", str(run), "--data", str(data), "--models-dir",
                                  str(models)), 2, "log.csv")
    assert (models / "metrics.json").read_text() == before


def test_release_refuses_an_interpolation_it_cannot_make(tmp_path):
    model = tmp_path / "start.keras"
    model.write_bytes(b"weights")
    common = ("release", "--run", str(tmp_path), "--data", str(tmp_path / "missing.npz"))
    assert_clean_failure(run_main(*common, "--share", "0.5"), 2, "--interpolate-from and --share go together")
    assert_clean_failure(run_main(*common, "--interpolate-from", str(model)), 2, "go together")
    for share in ("0", "1.5"):
        assert_clean_failure(run_main(*common, "--interpolate-from", str(model), "--share", share), 2,
                             "above 0 and at most 1")
    assert_clean_failure(run_main(*common, "--interpolate-from", str(tmp_path / "none.keras"), "--share", "0.5"), 2,
                         "no such model file to interpolate from")


@pytest.mark.slow
def test_release_ships_a_run_and_keeps_the_recorded_sections(tmp_path, monkeypatch):
    """``release`` end to end on a 1-epoch toy run: model files, metrics, card; earlier experiments and baseline kept."""
    from tunex_core.training import release

    # 30 timed calls per latency figure instead of 300: this test checks the figures' shape and order, and the
    # six measurements (LiteRT and Keras, in three releases and exports) took 75 of its 290 s
    monkeypatch.setattr(release, "LATENCY_REPEATS", 30)
    data = tmp_path / "fer.npz"
    synthetic_training_npz(data)
    with np.load(data) as archive:
        arrays = dict(archive)
    np.savez(data, **arrays, x_test=arrays["x_val"][::-1], y_test=arrays["y_val"][::-1])
    run = tmp_path / "run"
    result = run_main("train", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--float32",
                      "--out", str(run))
    assert result.returncode == 0, result.stderr
    models = tmp_path / "models"
    models.mkdir()
    baseline = {"name": "seed baseline", "parameters": 4478727, "trained_epochs": 6, "training_minutes": 15.8,
                "evaluations": {"private_test": {"plain": {"accuracy": 0.5469}, "tta": {"accuracy": 0.5601}}}}
    earlier = {"experiments": [{"name": "recorded before"}], "baseline": baseline}
    (models / "metrics.json").write_text(json.dumps({"evaluations": {}, **earlier}))
    (models / "MODEL_CARD.md").write_text("# Card\n\n<!-- RESULTS -->\nold\n<!-- /RESULTS -->\nkept\n")
    result = run_main("release", "--run", str(run), "--data", str(data), "--models-dir", str(models))
    assert result.returncode == 0, result.stderr
    assert (models / "emotion_cnn.keras").is_file() and (models / "emotion_cnn.tflite").is_file()
    metrics = json.loads((models / "metrics.json").read_text())
    assert metrics["experiments"] == earlier["experiments"] and metrics["baseline"] == earlier["baseline"]
    runtime = metrics["runtime"]
    assert runtime["file"] == "emotion_cnn.tflite" and runtime["quantization"].startswith("dynamic-range int8")
    assert runtime["public_test"]["keras_accuracy"] == metrics["evaluations"]["public_test"]["tta"]["accuracy"]
    assert 0 < metrics["latency_ms_per_face"]["batch_1_p50"] < metrics["latency_ms_per_face"]["app_p50"]
    assert metrics["evaluations"]["private_test"]["tta"]["n"] == 21 and metrics["model"]["trained_epochs"] == 1
    card = (models / "MODEL_CARD.md").read_text()
    assert "old" not in card and "## Training recipe" in card and card.endswith("kept\n")
    assert "| seed baseline | 54.7% (TTA 56.0%) | 4.48M parameters, 6 epochs (15.8 min)" in card
    # a weight-space mix with the model shipped before: from a copy (the release replaces the shipped file)
    assert_clean_failure(run_main("release", "--run", str(run), "--data", str(data), "--models-dir", str(models),
                                  "--interpolate-from", str(models / "emotion_cnn.keras"), "--share", "0.5"),
                         2, "copy it first")
    start = tmp_path / "start.keras"
    start.write_bytes((models / "emotion_cnn.keras").read_bytes())
    result = run_main("release", "--run", str(run), "--data", str(data), "--models-dir", str(models),
                      "--interpolate-from", str(start), "--share", "0.5", "--no-precise-bn")
    assert result.returncode == 0, result.stderr
    recipe = json.loads((models / "metrics.json").read_text())["model"]["final_weights"]
    assert recipe["interpolation"] == {"base": str(start), "share": 0.5} and not recipe["precise_batch_norm"]
    card = (models / "MODEL_CARD.md").read_text()
    assert f"The shipped weights are 0.5 · `{start}` + 0.5 · the epoch with the best PublicTest accuracy" in card
    assert f"--no-precise-bn --interpolate-from {start} --share 0.5`" in card
    # a later baseline replaces that row without re-releasing the shipped model
    shipped_model = (models / "emotion_cnn.keras").read_bytes()
    result = run_main("record-baseline", "--run", str(run), "--data", str(data), "--models-dir", str(models))
    assert result.returncode == 0, result.stderr
    card = (models / "MODEL_CARD.md").read_text()
    assert "| seed baseline |" not in card and "| TuneX CNN (another run) |" in card and card.endswith("kept\n")
    assert (models / "emotion_cnn.keras").read_bytes() == shipped_model
    assert json.loads((models / "metrics.json").read_text())["experiments"] == earlier["experiments"]
    # `export` writes the LiteRT file again (here in float32) and measures it; weights and evaluations stay
    evaluations = json.loads((models / "metrics.json").read_text())["evaluations"]
    quantized_size = (models / "emotion_cnn.tflite").stat().st_size
    result = run_main("export", "--data", str(data), "--models-dir", str(models), "--float32")
    assert result.returncode == 0, result.stderr
    assert "same label 100.00%" in result.stdout
    assert "per face as the app runs it (the face and its mirror image;" in result.stdout
    metrics = json.loads((models / "metrics.json").read_text())
    assert metrics["runtime"]["quantization"] == "float32, not quantized"
    assert metrics["runtime"]["private_test"]["max_probability_difference"] < 1e-3
    assert metrics["model"]["tflite_size_bytes"] == (models / "emotion_cnn.tflite").stat().st_size > 3 * quantized_size
    assert metrics["evaluations"] == evaluations and (models / "emotion_cnn.keras").read_bytes() == shipped_model
    card = (models / "MODEL_CARD.md").read_text()
    assert ("(float32, not quantized). Averaging the face and its mirror image, as the app does, it gives the Keras "
            "model's label on 100.0%") in card
    # a folder without a release, or without its Keras model: one error line, nothing written
    empty = tmp_path / "empty-models"
    empty.mkdir()
    (empty / "metrics.json").write_text("{}")
    assert_clean_failure(run_main("export", "--data", str(data), "--models-dir", str(empty)), 2, "run `release` first")
    before = (models / "metrics.json").read_text()
    (models / "emotion_cnn.tflite").unlink()
    (models / "emotion_cnn.tflite").mkdir()  # a destination that cannot be written
    assert_clean_failure(run_main("export", "--data", str(data), "--models-dir", str(models)), 2, "Is a directory")
    (models / "emotion_cnn.keras").unlink()
    assert_clean_failure(run_main("export", "--data", str(data), "--models-dir", str(models)), 2,
                         "model file not found", "emotion_cnn.keras")
    assert (models / "metrics.json").read_text() == before
