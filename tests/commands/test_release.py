"""Tests for ``tunex_core.commands.release``: ``release``, ``record-baseline`` and ``export``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.commands.cli_runner import assert_clean_failure, run_main, synthetic_training_npz
from tunex_core.commands.release import refresh_model_card
from tunex_core.paths import PROJECT_ROOT


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
    # an experiment as the experiment command records it (the card and the Model page read it through the schema)
    recorded = json.loads((PROJECT_ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))["experiments"][:1]
    earlier = {"experiments": recorded, "baseline": baseline}
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


def test_a_model_card_that_cannot_be_written_is_one_error_line_and_left_as_it_was(tmp_path, capsys):
    shipped_card = (PROJECT_ROOT / "models" / "MODEL_CARD.md").read_text(encoding="utf-8")
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(shipped_card, encoding="utf-8")
    metrics = json.loads((PROJECT_ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    del metrics["model"]["hyperparameters"]

    assert refresh_model_card(metrics, tmp_path) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: metrics.json was updated but") and "model.hyperparameters" in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert card.read_text(encoding="utf-8") == shipped_card

    card.write_text("# Model card, edited by hand\n", encoding="utf-8")  # its results marker is gone
    assert refresh_model_card(json.loads((PROJECT_ROOT / "models" / "metrics.json").read_text()), tmp_path) == 2
    assert "RESULTS" in capsys.readouterr().err
    assert refresh_model_card(metrics, tmp_path / "no card here") == 0
