"""Tests for ``tunex_core.commands.train``: bad data and settings refused in one line, votes, distillation, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.commands.cli_runner import (
    assert_clean_failure,
    last_json_line,
    run_main,
    synthetic_training_npz,
    synthetic_votes_npz,
)


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


