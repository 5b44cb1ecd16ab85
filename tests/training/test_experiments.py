"""Experiments side by side: ensemble scoring and the metrics.json record."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.training.dataset import FerDataset, Split
from tunex_core.training.experiments import (
    ExperimentError,
    ensemble_probabilities,
    experiment_entry,
    member_file,
    record_experiment,
    record_resting_study,
    recorded_minutes,
    score_experiment,
    training_minutes,
)

RANDOM = np.random.default_rng(5)


def split(count: int) -> Split:
    labels = np.arange(count) % NUM_EMOTIONS
    faces = RANDOM.integers(0, 256, size=(count, 48, 48), dtype=np.uint8)
    return Split(faces, labels)


def oracle(labels: np.ndarray, right_share: float, flip_bonus: float = 0.0):
    """A predictor that is right on the first ``right_share`` of faces (more with flip averaging)."""
    def predict(faces: np.ndarray, flip: bool) -> np.ndarray:
        share = right_share + (flip_bonus if flip else 0.0)
        right = round(share * len(faces))
        truth = labels[: len(faces)] if len(faces) == len(labels) else np.zeros(len(faces), dtype=int)
        predicted = np.where(np.arange(len(faces)) < right, truth, (truth + 1) % NUM_EMOTIONS)
        return np.eye(NUM_EMOTIONS)[predicted] * 0.9 + 0.1 / NUM_EMOTIONS
    return predict


def test_ensemble_is_the_mean_of_its_members():
    faces = np.zeros((3, 48, 48), dtype=np.uint8)
    first = lambda faces, flip: np.tile(np.eye(NUM_EMOTIONS)[0], (len(faces), 1))  # noqa: E731
    second = lambda faces, flip: np.tile(np.eye(NUM_EMOTIONS)[1], (len(faces), 1))  # noqa: E731
    probabilities = ensemble_probabilities([first, second], faces, True)
    assert probabilities.shape == (3, NUM_EMOTIONS)
    assert np.allclose(probabilities[:, :2], 0.5)
    with pytest.raises(ExperimentError):
        ensemble_probabilities([], faces, False)


def test_scores_cover_public_test_robustness_and_private_only_when_asked():
    public, private = split(70), split(35)
    data = FerDataset(train=None, val=public, test=private, source="fixture")
    scores = score_experiment([oracle(public.labels, 0.5, flip_bonus=0.2)], data)
    assert scores["public_test"]["plain"] == pytest.approx(0.5)
    assert scores["public_test"]["tta"] == pytest.approx(0.7)
    assert set(scores["public_test"]["recall"]) == set(EMOTION_NAMES)
    assert set(scores["robustness"]) == {"rotate", "dark", "blur", "jpeg", "occlude"}
    assert scores["private_test"] is None

    with_private = score_experiment([oracle(private.labels, 0.4)], FerDataset(None, private, private, "fixture"),
                                    include_private=True)
    assert with_private["private_test"]["plain"] == pytest.approx(0.4, abs=0.02)


def test_crowd_scores_use_only_the_kept_faces_and_their_majority():
    public, private = split(70), split(35)
    data = FerDataset(train=None, val=public, test=private, source="fixture")
    keep = np.arange(70) % 2 == 0  # the crowd keeps every other face
    agreeing = public.labels[keep]
    crowd = {"val": (keep, agreeing), "test": (np.ones(35, bool), (private.labels + 1) % NUM_EMOTIONS)}
    scores = score_experiment([oracle(public.labels, 1.0)], data, crowd=crowd)
    assert scores["crowd"] == {"public_test": 1.0}  # PrivateTest only when asked
    # right on the FER labels everywhere: the crowd, disagreeing on every PrivateTest face, says 0
    both = score_experiment([oracle(private.labels, 1.0)], FerDataset(None, private, private, "fixture"),
                            include_private=True, crowd={"test": crowd["test"]})
    assert both["crowd"] == {"private_test": 0.0}
    with pytest.raises(ExperimentError, match="cover 70 faces"):
        score_experiment([oracle(private.labels, 1.0)], FerDataset(None, private, private, "fixture"),
                         crowd={"val": crowd["val"]})


def test_member_file_prefers_final_then_best(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(ExperimentError, match="neither"):
        member_file(run)
    (run / "best.keras").write_bytes(b"x")
    assert member_file(run).name == "best.keras"
    (run / "final.keras").write_bytes(b"x")
    assert member_file(run).name == "final.keras"
    with pytest.raises(ExperimentError, match="no such"):
        member_file(tmp_path / "missing.keras")


def test_recorded_minutes_come_from_an_earlier_experiment_on_the_member_alone(tmp_path):
    metrics = tmp_path / "metrics.json"
    member = tmp_path / "member" / "final.keras"
    assert recorded_minutes(metrics, member) is None  # no file yet
    metrics.write_text(json.dumps({"experiments": [
        {"name": "pair", "members": [str(member), "other.keras"], "training_minutes": 200.0},
        {"name": "unknown", "members": [str(member)], "training_minutes": None},
        {"name": "alone", "members": [str(member)], "training_minutes": 90.1},
    ]}))
    assert recorded_minutes(metrics, member) == 90.1
    assert recorded_minutes(metrics, tmp_path / "other" / "final.keras") is None
    for broken in ("[1, 2]", '{"experiments": [3, null]}', '{"experiments": 3}', "{"):
        metrics.write_text(broken)
        assert recorded_minutes(metrics, member) is None


def test_training_minutes_from_the_run_log(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert training_minutes(run) is None
    (run / "log.csv").write_text("epoch,loss,seconds\n0,1.0,90\n1,0.9,30\n")
    assert training_minutes(run) == 2.0
    assert training_minutes(run / "best.keras") == 2.0


def test_record_keeps_the_file_and_replaces_an_entry_of_the_same_name(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"labels": list(EMOTION_NAMES), "temperature": 1.2}))
    scores = {"public_test": {"plain": 0.6, "tta": 0.62, "macro_f1": 0.5, "ece": 0.03,
                              "recall": dict.fromkeys(EMOTION_NAMES, 0.6)},
              "robustness": {"rotate": 0.5, "dark": 0.55}, "private_test": None}
    first = experiment_entry("A", ["models/a.keras"], scores, 100, "adamw", date(2026, 12, 1))
    record_experiment(metrics, first)
    record_experiment(metrics, experiment_entry("B", ["x", "y"], scores, 200))
    record_experiment(metrics, {**first, "parameters": 150})
    saved = json.loads(metrics.read_text())
    assert saved["temperature"] == 1.2
    assert [item["name"] for item in saved["experiments"]] == ["B", "A"]
    assert saved["experiments"][1]["parameters"] == 150
    assert saved["experiments"][1]["measured_on"] == "2026-12-01"


def test_a_resting_study_run_replaces_the_run_of_the_same_trait_seed_and_persons(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"experiments": [{"name": "A"}]}))
    record_resting_study(metrics, {"trait": 0.3, "seed": 11, "persons": 50, "scenarios": []})
    record_resting_study(metrics, {"trait": 0.4, "seed": 11, "persons": 50, "scenarios": []})
    record_resting_study(metrics, {"trait": 0.3, "seed": 11, "persons": 50, "scenarios": [{"name": "again"}]})
    saved = json.loads(metrics.read_text())
    assert saved["experiments"] == [{"name": "A"}]
    assert [(run["trait"], run["scenarios"]) for run in saved["resting_calibration"]] == [
        (0.4, []), (0.3, [{"name": "again"}])]


def test_record_refuses_an_unreadable_metrics_file(tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text("{not json")
    with pytest.raises(ExperimentError, match="cannot read"):
        record_experiment(metrics, {"name": "A"})
    assert metrics.read_text() == "{not json"


def test_members_inside_the_project_are_recorded_relative_to_it(tmp_path):
    from tunex_core.paths import MODEL_FILE

    entry = experiment_entry("A", [MODEL_FILE, tmp_path / "x.keras"], {}, 1)
    assert entry["members"] == ["models/emotion_cnn.keras", str(tmp_path / "x.keras")]


def test_an_ensemble_trained_for_the_sum_of_its_members_minutes(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.csv").write_text("epoch,loss,seconds\n0,1.0,90\n1,0.9,30\n")
    shipped = tmp_path / "shipped.keras"
    assert experiment_entry("A", [run, shipped], {}, 1)["training_minutes"] is None  # no log beside the file
    known = {shipped: 90.1}
    entry = experiment_entry("A", [run, shipped], {}, 1,
                             minutes_of=lambda member: known.get(member, training_minutes(member)))
    assert entry["training_minutes"] == 92.1
