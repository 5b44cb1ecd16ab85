"""Tests for ``tunex_core.report.metrics_validation``: partial and malformed metrics.json files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.report.metrics_schema import EvaluationKey
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.report.model_report import accuracy_bars, load_model_report

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


def with_card_sections(sample: dict) -> dict:
    """The sample with the sections only the model card reads (what ``release`` and ``export`` write)."""
    sample["model"].update(tflite_size_bytes=1991728, final_weights={
        "checkpoints": ["epoch_07.keras", "epoch_08.keras"], "precise_batch_norm": True,
        "interpolation": {"base": "models/members/start/final.keras", "share": 0.1}}, hyperparameters={
        "epochs": 48, "batch_size": 128, "optimizer": "adamw", "learning_rate": 0.002, "weight_decay": 0.05,
        "warmup_epochs": 2, "label_smoothing": 0.1, "mixed_precision": False, "seed": 2027, "momentum": 0.9,
        "augment": {"flip": True, "rotation_degrees": 10}, "votes_file": None, "teachers": ["runs/a/final.keras"]})
    sample["calibration"] = {"fitted_on": "public_test", "private_test_ece_before": 0.0368, "private_test_ece_after": 0.0388}
    sample["latency_ms_per_face"]["backend"] = "litert"
    sample["latency_ms_per_face_tensorflow"] = {"backend": "tensorflow", "batch_1_p50": 14.4, "app_tta": "flip"}
    sample["runtime"]["quantization_refused"] = {**sample["runtime"]["public_test"], "label_agreement": 0.9}
    sample["baseline"].update(trained_epochs=48, training_minutes=201.9)
    return sample


def test_the_sections_the_model_card_reads_are_typed(sample):
    report = parse_model_report(with_card_sections(sample))
    recipe = report.model.hyperparameters
    assert (recipe.epochs, recipe.optimizer, recipe.learning_rate, recipe.mixed_precision) == (48, "adamw", 0.002, False)
    assert recipe.augment == {"flip": True, "rotation_degrees": 10} and recipe.teachers == ("runs/a/final.keras",)
    assert (recipe.votes_file, recipe.votes_weight, recipe.distill_mode, recipe.architecture) == (None, 1.0, "online", "tunex")
    weights = report.model.final_weights
    assert weights.checkpoints == ("epoch_07.keras", "epoch_08.keras") and weights.precise_batch_norm
    assert (weights.interpolation.base, weights.interpolation.share) == ("models/members/start/final.keras", 0.1)
    assert report.model.tflite_size_bytes == 1991728 and report.calibration.private_test_ece_after == 0.0388
    assert report.latency.backend == "litert" and report.latency_tensorflow.batch_1_p50 == 14.4
    assert report.runtime.tta == "flip" and report.runtime.quantization_refused.label_agreement == 0.9
    assert (report.baseline.trained_epochs, report.baseline.training_minutes) == (48, 201.9)


def test_figures_the_card_prints_keep_the_files_spelling(sample):
    report = parse_model_report(with_card_sections(sample))  # the sample's training_minutes is the int 104
    assert report.model.training_minutes == 104 and isinstance(report.model.training_minutes, int)
    assert isinstance(report.model.hyperparameters.augment["rotation_degrees"], int)
    assert isinstance(report.temperature, float) and report.temperature == 1.13


@pytest.mark.parametrize(("path", "value", "message"), [
    ("model.hyperparameters.batch_size", "128", r"model\.hyperparameters\.batch_size must be a non-negative integer"),
    ("model.hyperparameters.learning_rate", "fast", r"model\.hyperparameters\.learning_rate must be a number"),
    ("model.hyperparameters.mixed_precision", "yes", r"model\.hyperparameters\.mixed_precision must be true or false"),
    ("model.hyperparameters.augment", {"flip": "yes"}, r"model\.hyperparameters\.augment\.flip must be a number or"),
    ("model.hyperparameters.teachers", [3], r"model\.hyperparameters\.teachers\[0\] must be a non-empty string"),
    ("model.final_weights.interpolation", {"base": "a.keras"}, r"model\.final_weights\.interpolation\.share is missing"),
    ("calibration.private_test_ece_after", 2, r"calibration\.private_test_ece_after must lie in 0\.\.1"),
    ("runtime.tta", "rotate", r"runtime\.tta must be one of None, flip, shift, got 'rotate'"),
    ("runtime.quantization_refused", {"accuracy": 0.5}, r"runtime\.quantization_refused\.keras_accuracy is missing"),
    ("latency_ms_per_face_tensorflow.backend", "", r"latency_ms_per_face_tensorflow\.backend must be a non-empty"),
    ("baseline.trained_epochs", -1, r"baseline\.trained_epochs must be a non-negative integer"),
])
def test_a_malformed_card_section_names_its_key(sample, path, value, message):
    with pytest.raises(ValueError, match=message):
        parse_model_report(mutate(with_card_sections(sample), path, value))
