"""The model card's generated section (training/model_card.py): its tables, and the shipped card itself."""

from __future__ import annotations

import json

from tests.training.test_release import fake_metrics
from tunex_core.paths import MODELS_DIR
from tunex_core.training.model_card import (
    RESULTS_END,
    RESULTS_START,
    baseline_lines,
    resting_calibration_lines,
    results_markdown,
    write_model_card_results,
)

MODEL_CARD_MAX_LINES = 250


def test_the_shipped_card_holds_exactly_what_metrics_json_generates():
    card = (MODELS_DIR / "MODEL_CARD.md").read_text()
    metrics = json.loads((MODELS_DIR / "metrics.json").read_text())
    generated = card.split(RESULTS_START, 1)[1].split(RESULTS_END, 1)[0]
    assert generated.strip() == results_markdown(metrics).strip(), (
        "models/MODEL_CARD.md is out of date with models/metrics.json: rerun the command that wrote metrics.json "
        "(release, export, record-baseline) or write_model_card_results")
    assert len(card.splitlines()) <= MODEL_CARD_MAX_LINES


def test_the_seed_comparison_comes_from_both_recorded_evaluations(tmp_path):
    metrics = fake_metrics()
    metrics["model"]["hyperparameters"]["augment"] = {"flip": True}
    baseline = {"name": "seed 4-conv/2-dense", "parameters": 4478727, "trained_epochs": 48, "training_minutes": 201.9,
                "evaluations": json.loads(json.dumps(metrics["evaluations"]))}
    baseline["evaluations"]["private_test"]["tta"] = {**baseline["evaluations"]["private_test"]["tta"],
                                                      "accuracy": 0.6804}
    metrics["baseline"] = baseline
    lines = "\n".join(baseline_lines(metrics))
    ours = metrics["evaluations"]["private_test"]["tta"]["accuracy"]
    assert "## Against the seed architecture" in lines and "4.48M parameters" in lines and "1.96M parameters" in lines
    assert "| flip TTA (what the app runs) | 68.04% (" in lines and f"**{ours:.2%} (" in lines
    assert "48 epochs, 201.9 min" in lines
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n{RESULTS_END}\n")
    write_model_card_results(metrics, card)
    assert lines.strip() in card.read_text()


def test_a_baseline_without_every_split_keeps_only_its_row():
    metrics = fake_metrics()
    metrics["baseline"] = {"name": "seed baseline", "parameters": 4478727, "trained_epochs": 6, "training_minutes": 15.8,
                           "evaluations": {"private_test": {"plain": {"accuracy": 0.5469}, "tta": {"accuracy": 0.5601}}}}
    assert baseline_lines(metrics) == []
    assert "| seed baseline | 54.7% (TTA 56.0%) |" in results_markdown(metrics)
    assert baseline_lines(fake_metrics()) == []


def study_run(seed: int, uncorrected: float, tunex: float, naive: float) -> dict:
    corrections = [{"name": "TuneX (shipped code)", "balanced_accuracy": tunex, "resting_reads_neutral": 1.0,
                    "strong_kept": 0.99},
                   {"name": "divide (naive prior shift)", "balanced_accuracy": naive, "resting_reads_neutral": 0.04,
                    "strong_kept": 0.95}]
    return {"trait": 0.3, "seed": seed, "persons": 50, "faces_per_class": 20, "backend": "litert",
            "scenarios": [{"name": "trait + light + camera", "trait": 0.3, "photometric": True,
                           "uncorrected": uncorrected, "corrections": corrections}]}


def test_the_resting_face_table_spans_the_recorded_runs():
    metrics = {"resting_calibration": [study_run(11, 0.424, 0.4504, 0.4367), study_run(7, 0.4057, 0.4294, 0.4239)]}
    lines = "\n".join(resting_calibration_lines(metrics))
    assert "2 recorded runs" in lines and "seeds 7, 11" in lines
    assert "| trait + light + camera | 40.6 to 42.4% | +2.4 to +2.6 | +1.3 to +1.8 | 100.0% |" in lines
    assert resting_calibration_lines({}) == [] and resting_calibration_lines({"resting_calibration": []}) == []
