"""Tests for ``tunex_core.report.model_report``: parsing metrics.json, partial and malformed files, helpers."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import METRICS_FILE
from tunex_core.report.model_report import (
    ROBUSTNESS_NAMES,
    ConfidenceSample,
    EvaluationKey,
    FixtureMistake,
    accuracy_bars,
    confidence_samples,
    fixture_faces_path,
    load_model_report,
    metrics_file_path,
    mistake_faces,
    normalised_confusion,
    parse_model_report,
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


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


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


def test_evaluation_keys_put_private_test_first_and_headline_is_the_shipped_one():
    report = load_model_report(SAMPLE_FILE)
    assert [key.display_name for key in report.evaluation_keys()] == [
        "PrivateTest · flip TTA", "PrivateTest · plain", "PublicTest · flip TTA", "PublicTest · plain"]
    assert report.headline_key() == report.shipped


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model_report(tmp_path / "absent.json")


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"metrics\.json: not valid JSON"):
        load_model_report(path)


def test_minimal_file_leaves_every_section_empty(tmp_path):
    report = load_model_report(write(tmp_path, {}))
    assert report.labels == EMOTION_NAMES
    assert report.model is None and report.latency is None and report.baseline is None
    assert report.evaluations == {} and report.anchors == () and report.fixture_mistakes is None
    assert report.headline_key() is None
    assert accuracy_bars(report) == []


def test_partial_file_without_baseline_and_optional_evaluation_parts(sample):
    del sample["baseline"], sample["fixture_mistakes"], sample["latency_ms_per_face"]
    evaluation = sample["evaluations"]["private_test"]["tta"]
    for key in ("per_class", "confusion", "reliability", "ece", "macro_f1", "n"):
        del evaluation[key]
    report = parse_model_report(sample)
    shipped = report.evaluation(report.shipped)
    assert shipped.accuracy == pytest.approx(0.7108)
    assert shipped.per_class is None and shipped.confusion is None and shipped.reliability is None
    assert report.baseline is None and report.fixture_mistakes is None and report.latency is None
    assert all(bar.kind != "baseline" for bar in accuracy_bars(report))


def test_files_measured_before_the_app_latency_report_one_view_per_face(sample):
    for name in ("app_tta", "app_p50", "app_p95"):
        del sample["latency_ms_per_face"][name]
    del sample["runtime"]
    report = parse_model_report(sample)
    assert report.latency.app_p50 is None and report.latency.per_face == pytest.approx(1.2)
    assert report.latency.per_face_views == "one view of the face"
    assert report.runtime is None


def test_the_apps_time_per_face_names_its_test_time_augmentation(sample):
    sample["latency_ms_per_face"]["app_tta"] = "shift"
    assert parse_model_report(sample).latency.per_face_views.startswith("the face and its mirror image, each also")
    sample["latency_ms_per_face"]["app_tta"] = "rotate"
    with pytest.raises(ValueError, match=r"latency_ms_per_face\.app_tta must be one of None, flip, shift, got 'rotate'"):
        parse_model_report(sample)


@pytest.mark.parametrize(("change", "message"), [
    (lambda runtime: runtime.pop("private_test"), r"runtime\.private_test is missing"),
    (lambda runtime: runtime["public_test"].update(label_agreement=1.5),
     r"runtime\.public_test\.label_agreement must lie in 0\.\.1"),
    (lambda runtime: runtime.update(quantization=""), r"runtime\.quantization must be a non-empty string"),
    (lambda runtime: runtime.clear() or runtime.update(file=7), r"runtime\.file must be a non-empty string"),
])
def test_a_malformed_runtime_section_names_its_key(sample, change, message):
    change(sample["runtime"])
    with pytest.raises(ValueError, match=message):
        parse_model_report(sample)


def test_headline_falls_back_when_the_shipped_evaluation_is_absent(sample):
    del sample["evaluations"]["private_test"]["tta"]
    report = parse_model_report(sample)
    assert report.headline_key() == EvaluationKey("private_test", "plain")
    del sample["shipped"]
    del sample["evaluations"]["private_test"]
    assert parse_model_report(sample).headline_key() == EvaluationKey("public_test", "tta")


def test_unknown_extra_keys_are_ignored(sample):
    sample["written_by"] = "a newer evaluator"
    sample["evaluations"]["private_test"]["tta"]["top_2_accuracy"] = 0.85
    assert parse_model_report(sample).evaluation(EvaluationKey("private_test", "tta")).accuracy == 0.7108


def mutate(data: dict, path: str, value) -> dict:
    """Set (or with ``value is DELETE``, delete) the item at a dotted path like ``a.b[2].c``."""
    result = copy.deepcopy(data)
    parts = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        parts.append(name)
        parts.extend(int(index) for index in rest.rstrip("]").split("][") if index)
    target = result
    for part in parts[:-1]:
        target = target[part]
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return result


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("evaluations.private_test.tta.accuracy", DELETE,
         r"evaluations\.private_test\.tta\.accuracy is missing"),
        ("evaluations.private_test.tta.accuracy", 71.08,
         r"evaluations\.private_test\.tta\.accuracy must lie"),
        ("evaluations.private_test.tta.accuracy", "high", r"accuracy must be a number"),
        ("evaluations.private_test.tta.accuracy", True, r"accuracy must be a number"),
        ("evaluations.public_test.plain.confusion", [[1] * 7] * 6,
         r"public_test\.plain\.confusion must have 7 rows"),
        ("evaluations.public_test.plain.confusion[3]", [1] * 8, r"confusion\[3\] must have 7 columns"),
        ("evaluations.public_test.plain.confusion[2][5]", -1, r"confusion\[2\]\[5\] must be a non-negative"),
        ("evaluations.public_test.plain.confusion[2][5]", 1.5, r"confusion\[2\]\[5\] must be a non-negative"),
        ("evaluations.private_test.plain.per_class.joy", {"precision": 1, "recall": 1, "f1": 1, "support": 1},
         r"per_class\.joy is not one of the labels"),
        ("evaluations.private_test.plain.per_class.sad.f1", DELETE, r"per_class\.sad\.f1 is missing"),
        ("evaluations.private_test.plain.reliability.count", [1] * 9, r"reliability\.count must have 10"),
        ("evaluations.private_test.plain.reliability.bin_edges", [0.0, 0.5, 0.4, 1.0],
         r"reliability\.bin_edges must be at least two increasing"),
        ("evaluations.private_test.plain.reliability.accuracy[4]", 1.2,
         r"reliability\.accuracy\[4\] must lie"),
        ("evaluations.private_test", [1, 2], r"evaluations\.private_test must be an object"),
        ("labels", ["angry", "angry"], r"labels must list at least two distinct"),
        ("labels[1]", "", r"labels\[1\] must be a non-empty string"),
        ("model.parameters", -5, r"model\.parameters must be a non-negative integer"),
        ("model", "big", r"model must be an object"),
        ("anchors[1].accuracy", DELETE, r"anchors\[1\]\.accuracy is missing"),
        ("anchors[0].note", 3, r"anchors\[0\]\.note must be a string"),
        ("anchors", {"name": "x"}, r"anchors must be a list"),
        ("baseline.name", DELETE, r"baseline\.name is missing"),
        ("baseline.evaluations.private_test.plain.ece", "low",
         r"baseline\.evaluations\.private_test\.plain\.ece"),
        ("fixture_mistakes[0].predicted", "joy",
         r"fixture_mistakes\[0\]\.predicted must be one of the labels"),
        ("fixture_mistakes[0].index", -1, r"fixture_mistakes\[0\]\.index must be a non-negative"),
        ("shipped.variant", DELETE, r"shipped\.variant is missing"),
        ("latency_ms_per_face.batch_1_p50", 0, r"latency_ms_per_face\.batch_1_p50 must be positive"),
        ("temperature", -1.0, r"temperature must be positive"),
    ],
)
def test_malformed_file_names_the_bad_key(tmp_path, sample, path, value, message):
    with pytest.raises(ValueError, match=message):
        load_model_report(write(tmp_path, mutate(sample, path, value)))


def test_top_level_must_be_an_object(tmp_path):
    with pytest.raises(ValueError, match="top level must be a JSON object"):
        load_model_report(write(tmp_path, [1, 2, 3]))


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


def test_every_perturbation_experiments_are_scored_on_has_a_column_title():
    from tunex_core.training.experiments import ROBUSTNESS_PERTURBATIONS

    assert list(ROBUSTNESS_NAMES) == list(ROBUSTNESS_PERTURBATIONS)


def test_the_words_for_test_time_augmentation_are_the_classifiers():
    from tunex_core.report.model_report import TTA_VIEWS
    from tunex_core.vision import inference

    assert TTA_VIEWS == inference.TTA_VIEWS and list(TTA_VIEWS) == list(inference.TTA_MODES)


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


@pytest.mark.parametrize(("change", "message"), [
    (lambda runs: runs[0].pop("seed"), r"resting_calibration\[0\]\.seed is missing"),
    (lambda runs: runs[1].update(persons=0), r"resting_calibration\[1\]\.persons must be at least 1"),
    (lambda runs: runs[0]["scenarios"][1].update(uncorrected=67.6),
     r"resting_calibration\[0\]\.scenarios\[1\]\.uncorrected must lie in 0\.\.1"),
    (lambda runs: runs[2]["scenarios"][0]["corrections"][0].pop("strong_kept"),
     r"resting_calibration\[2\]\.scenarios\[0\]\.corrections\[0\]\.strong_kept is missing"),
    (lambda runs: runs.append("run"), r"resting_calibration\[3\] must be an object"),
])
def test_a_malformed_resting_study_names_its_key(sample, change, message):
    runs = json.loads(RESTING_STUDY_FILE.read_text(encoding="utf-8"))
    change(runs)
    sample["resting_calibration"] = runs
    with pytest.raises(ValueError, match=message):
        parse_model_report(sample)
