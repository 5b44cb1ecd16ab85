"""The model report: ``models/metrics.json`` parsed into typed results for the Model page.

The emotion engine writes ``metrics.json`` once, after evaluating the shipped model;
nothing here evaluates a model. ``load_model_report`` reads the file,
``parse_model_report`` checks it and turns it into dataclasses, and the helpers below
shape those results for charts (row-normalised confusion matrix, accuracy beside its
anchors, confident-mistake faces, live confidence history). No Streamlit here.

Every top-level section may be absent from a partial file (the page then leaves that
section out); a section that is present but malformed raises ``ValueError`` naming the
offending key, e.g. ``evaluations.private_test.tta.confusion``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import FIXTURE_FACES_FILE, METRICS_FILE
from tunex_core.report.real_faces import (
    CROWD_SECTION,
    PHOTOS_SECTION,
    CrowdFigures,
    PhotoFigures,
    parse_crowd,
    parse_photos,
)

METRICS_FILE_VARIABLE = "TUNEX_METRICS_FILE"
FIXTURE_FACES_FILE_VARIABLE = "TUNEX_FIXTURE_FACES_FILE"

SPLIT_NAMES: dict[str, str] = {"public_test": "PublicTest", "private_test": "PrivateTest"}
VARIANT_NAMES: dict[str, str] = {"plain": "plain", "tta": "flip TTA", "tta_shift": "flip+shift TTA"}
# What each test-time augmentation averages, in words: tunex_core.vision.inference.TTA_VIEWS (report may not
# import vision; a test keeps the two equal).
TTA_VIEWS: dict[str | None, str] = {
    None: "one view of the face", "flip": "the face and its mirror image",
    "shift": "the face and its mirror image, each also shifted by 2 px in four directions (10 views)"}
# Column titles of the perturbed PublicTest copies experiments are scored on (tunex_core.training.perturb), in
# table order.
ROBUSTNESS_NAMES: dict[str, str] = {"rotate": "rotated ±15°", "dark": "darkened", "blur": "blurred",
                                    "jpeg": "JPEG quality 20", "occlude": "mouth covered"}


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram: per confidence bin, the mean confidence and the accuracy."""

    bin_edges: tuple[float, ...]
    accuracy: tuple[float | None, ...]
    confidence: tuple[float | None, ...]
    count: tuple[int, ...]

    @property
    def bin_centres(self) -> tuple[float, ...]:
        """The middle of each confidence bin."""
        return tuple((low + high) / 2 for low, high in itertools.pairwise(self.bin_edges))


@dataclass(frozen=True)
class Evaluation:
    """The scores of one model variant on one split; only ``accuracy`` is required."""

    accuracy: float
    n: int | None = None
    macro_f1: float | None = None
    per_class: dict[str, ClassMetrics] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None
    ece: float | None = None
    reliability: Reliability | None = None
    negative_log_likelihood: float | None = None


@dataclass(frozen=True)
class EvaluationKey:
    """Which evaluation: a split (``public_test``/``private_test``) and a variant (``plain``/``tta``)."""

    split: str
    variant: str

    @property
    def display_name(self) -> str:
        """E.g. ``PrivateTest · TTA``."""
        return f"{SPLIT_NAMES.get(self.split, self.split)} · {VARIANT_NAMES.get(self.variant, self.variant)}"


@dataclass(frozen=True)
class ModelInfo:
    """What was shipped: file, architecture, size and training effort (each may be unknown)."""

    file: str | None = None
    architecture: str | None = None
    parameters: int | None = None
    size_bytes: int | None = None
    trained_epochs: int | None = None
    training_minutes: float | None = None


@dataclass(frozen=True)
class Latency:
    """Inference time per face in milliseconds."""

    batch_1_p50: float | None = None  # one view of one face
    batch_1_p95: float | None = None
    batch_8_p50_per_face: float | None = None
    app_p50: float | None = None  # what the app runs per face: every view of its test-time augmentation
    app_p95: float | None = None
    app_tta: str | None = None  # that test-time augmentation (a ``TTA_VIEWS`` key; None: one view)

    @property
    def per_face(self) -> float | None:
        """The median time the app spends on one face (one view's time for files measured before that)."""
        return self.app_p50 if self.app_p50 is not None else self.batch_1_p50

    @property
    def per_face_views(self) -> str:
        """What ``per_face`` times, in words."""
        return TTA_VIEWS[self.app_tta] if self.app_p50 is not None else TTA_VIEWS[None]


@dataclass(frozen=True)
class RuntimeFidelity:
    """How the LiteRT file the app runs compares with the Keras model, on one split (app's TTA)."""

    accuracy: float
    keras_accuracy: float
    label_agreement: float
    max_probability_difference: float


@dataclass(frozen=True)
class Runtime:
    """The LiteRT file the app runs: its quantization and how closely it follows the Keras model."""

    file: str
    quantization: str
    public_test: RuntimeFidelity
    private_test: RuntimeFidelity


@dataclass(frozen=True)
class Anchor:
    """A reference accuracy to read the model's accuracy against."""

    name: str
    accuracy: float
    note: str = ""


@dataclass(frozen=True)
class Baseline:
    """The model TuneX's CNN replaced, with its own evaluations."""

    name: str
    parameters: int | None
    evaluations: dict[str, dict[str, Evaluation]]


@dataclass(frozen=True)
class FixtureMistake:
    """A confident mistake on the committed test-fixture faces (``index`` into its arrays)."""

    index: int
    true: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class Experiment:
    """One recipe, ensemble or distilled student scored like the others (``tunex_core experiment``)."""

    name: str
    members: tuple[str, ...]
    parameters: int
    training_minutes: float | None
    recipe: str
    public_plain: float
    public_tta: float
    macro_f1: float
    recall: dict[str, float]
    robustness: dict[str, float]  # flip-TTA accuracy on perturbed copies of PublicTest, by perturbation
    private_tta: float | None
    # flip-TTA accuracy against the FER+ crowd's majority label, by split key (public_test, private_test)
    crowd: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RestingCorrection:
    """One resting-face correction's result in one simulated scenario (``bench/calibration_study.py``)."""

    name: str
    balanced_accuracy: float
    resting_reads_neutral: float  # share of persons whose resting photo reads neutral after the correction
    strong_kept: float  # of the faces read right with confidence >= 0.8 before it, the share still right


@dataclass(frozen=True)
class RestingScenario:
    """One kind of simulated personal bias: balanced accuracy with no correction and with each correction."""

    name: str
    trait: float  # weight of the other face blended into each of the person's faces (0: none)
    uncorrected: float
    corrections: tuple[RestingCorrection, ...]


@dataclass(frozen=True)
class RestingStudyRun:
    """One run of the resting-face calibration study: its seed, trait weight and persons per scenario."""

    trait: float
    seed: int
    persons: int
    scenarios: tuple[RestingScenario, ...]


@dataclass(frozen=True)
class ModelReport:
    """Everything ``metrics.json`` says about the shipped emotion model."""

    labels: tuple[str, ...]
    model: ModelInfo | None
    evaluations: dict[str, dict[str, Evaluation]]
    shipped: EvaluationKey | None
    latency: Latency | None
    anchors: tuple[Anchor, ...]
    baseline: Baseline | None
    fixture_mistakes: tuple[FixtureMistake, ...] | None
    temperature: float | None
    experiments: tuple[Experiment, ...] = ()
    runtime: Runtime | None = None
    resting_study: tuple[RestingStudyRun, ...] = ()
    crowd: CrowdFigures | None = None  # the held-out splits against the FER+ crowd (report.real_faces)
    real_photos: PhotoFigures | None = None  # a labelled real-photo set through the app's photo path

    def evaluation(self, key: EvaluationKey) -> Evaluation | None:
        """The evaluation for ``key``, or ``None`` when the file has none."""
        return self.evaluations.get(key.split, {}).get(key.variant)

    def evaluation_keys(self) -> list[EvaluationKey]:
        """Every evaluation in the file, PrivateTest first, plain before TTA."""
        split_order = ["private_test", "public_test"]
        variant_order = ["tta_shift", "tta", "plain"]

        def rank(name: str, order: list[str]) -> tuple[int, str]:
            return (order.index(name) if name in order else len(order), name)

        keys = [EvaluationKey(split, variant)
                for split, variants in self.evaluations.items() for variant in variants]
        return sorted(keys, key=lambda key: (rank(key.split, split_order), rank(key.variant, variant_order)))

    def headline_key(self) -> EvaluationKey | None:
        """The evaluation to lead with: the shipped one if present, else PrivateTest, else any."""
        if self.shipped is not None and self.evaluation(self.shipped) is not None:
            return self.shipped
        keys = self.evaluation_keys()
        return keys[0] if keys else None


@dataclass(frozen=True)
class AccuracyBar:
    """One bar of the "accuracy beside its anchors" chart."""

    name: str
    accuracy: float
    kind: str  # "tunex", "baseline" or "anchor"
    note: str = ""


@dataclass(frozen=True)
class MistakeFace:
    """A confident mistake with its 48x48 grayscale face."""

    mistake: FixtureMistake
    face: np.ndarray


@dataclass(frozen=True)
class FaceConfidenceSummary:
    """How one tracked face's readings went this session."""

    face: int
    readings: int
    mean_confidence: float
    last_label: str


@dataclass(frozen=True)
class ConfidenceSample:
    """One live reading of one face, from the Live page's session history."""

    time: float
    face: int
    label: str
    confidence: float


# --------------------------------------------------------------------------- parsing


def metrics_file_path() -> Path:
    """``$TUNEX_METRICS_FILE`` if set, else ``models/metrics.json``."""
    override = os.environ.get(METRICS_FILE_VARIABLE)
    return Path(override).expanduser() if override else METRICS_FILE


def fixture_faces_path() -> Path:
    """``$TUNEX_FIXTURE_FACES_FILE`` if set, else ``tests/fixtures/fer_faces.npz``."""
    override = os.environ.get(FIXTURE_FACES_FILE_VARIABLE)
    return Path(override).expanduser() if override else FIXTURE_FACES_FILE


def load_model_report(path: str | Path) -> ModelReport:
    """Read and parse ``metrics.json`` at ``path``.

    Raises ``FileNotFoundError`` when the file does not exist and ``ValueError`` (naming
    the file and the key) when it is not valid JSON or does not follow the schema.
    """
    file_path = Path(path)
    text = file_path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{file_path}: not valid JSON ({error})") from error
    try:
        return parse_model_report(data)
    except ValueError as error:
        raise ValueError(f"{file_path}: {error}") from error


def parse_model_report(data: Any) -> ModelReport:
    """Check ``data`` (the decoded JSON) against the metrics schema and build a ``ModelReport``."""
    if not isinstance(data, Mapping):
        raise ValueError("the top level must be a JSON object")
    labels = _labels(data.get("labels"))
    evaluations = _evaluations(data.get("evaluations"), "evaluations", labels)
    shipped = _shipped(data.get("shipped"))
    return ModelReport(
        labels=labels,
        model=_model_info(data.get("model")),
        evaluations=evaluations,
        shipped=shipped,
        latency=_latency(data.get("latency_ms_per_face")),
        anchors=_anchors(data.get("anchors")),
        baseline=_baseline(data.get("baseline"), labels),
        fixture_mistakes=_fixture_mistakes(data.get("fixture_mistakes"), labels),
        temperature=_optional_number(data, "temperature", "temperature", positive=True),
        experiments=_experiments(data.get("experiments"), labels),
        runtime=_runtime(data.get("runtime")),
        resting_study=_resting_study(data.get("resting_calibration")),
        crowd=parse_crowd(data.get(CROWD_SECTION)),
        real_photos=parse_photos(data.get(PHOTOS_SECTION), labels),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: Any, key: str, *, unit_interval: bool = False, positive: bool = False) -> float:
    if not _is_number(value):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must lie in 0..1, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{key} must be positive, got {value!r}")
    return float(value)


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer, got {value!r}")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be an object, got {type(value).__name__}")
    return value


def _sequence(value: Any, key: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{key} must be a list, got {type(value).__name__}")
    return value


def _objects(value: Any, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each item of the list ``value`` with its key (``key[position]``); each must be an object."""
    for position, item in enumerate(_sequence(value, key)):
        item_key = f"{key}[{position}]"
        yield item_key, _mapping(item, item_key)


def _required(section: Mapping[str, Any], name: str, key: str) -> Any:
    if name not in section:
        raise ValueError(f"{key}.{name} is missing")
    return section[name]


def _optional_number(section: Mapping[str, Any], name: str, key: str, **checks: bool) -> float | None:
    value = section.get(name)
    return None if value is None else _number(value, key, **checks)


def _optional_integer(section: Mapping[str, Any], name: str, key: str) -> int | None:
    value = section.get(name)
    return None if value is None else _integer(value, key)


def _labels(value: Any) -> tuple[str, ...]:
    if value is None:
        return EMOTION_NAMES
    items = _sequence(value, "labels")
    labels = tuple(_text(item, f"labels[{position}]") for position, item in enumerate(items))
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must list at least two distinct class names, got {list(labels)!r}")
    return labels


def _model_info(value: Any) -> ModelInfo | None:
    if value is None:
        return None
    section = _mapping(value, "model")
    file_name = section.get("file")
    architecture = section.get("architecture")
    return ModelInfo(
        file=None if file_name is None else _text(file_name, "model.file"),
        architecture=None if architecture is None else _text(architecture, "model.architecture"),
        parameters=_optional_integer(section, "parameters", "model.parameters"),
        size_bytes=_optional_integer(section, "size_bytes", "model.size_bytes"),
        trained_epochs=_optional_integer(section, "trained_epochs", "model.trained_epochs"),
        training_minutes=_optional_number(section, "training_minutes", "model.training_minutes"),
    )


def _latency(value: Any) -> Latency | None:
    if value is None:
        return None
    section = _mapping(value, "latency_ms_per_face")
    names = ("batch_1_p50", "batch_1_p95", "batch_8_p50_per_face", "app_p50", "app_p95")
    app_tta = section.get("app_tta")
    if app_tta not in TTA_VIEWS:
        raise ValueError(f"latency_ms_per_face.app_tta must be one of {', '.join(map(str, TTA_VIEWS))}, "
                         f"got {app_tta!r}")
    return Latency(**{name: _optional_number(section, name, f"latency_ms_per_face.{name}", positive=True)
                      for name in names}, app_tta=app_tta)


def _runtime(value: Any) -> Runtime | None:
    if value is None:
        return None
    section = _mapping(value, "runtime")

    def fidelity(split_key: str) -> RuntimeFidelity:
        split = _mapping(_required(section, split_key, "runtime"), f"runtime.{split_key}")
        return RuntimeFidelity(**{
            name: _number(_required(split, name, f"runtime.{split_key}"), f"runtime.{split_key}.{name}",
                          unit_interval=True)
            for name in ("accuracy", "keras_accuracy", "label_agreement", "max_probability_difference")})

    return Runtime(file=_text(_required(section, "file", "runtime"), "runtime.file"),
                   quantization=_text(_required(section, "quantization", "runtime"), "runtime.quantization"),
                   public_test=fidelity("public_test"), private_test=fidelity("private_test"))


def _shipped(value: Any) -> EvaluationKey | None:
    if value is None:
        return None
    section = _mapping(value, "shipped")
    return EvaluationKey(split=_text(_required(section, "split", "shipped"), "shipped.split"),
                         variant=_text(_required(section, "variant", "shipped"), "shipped.variant"))


def _anchors(value: Any) -> tuple[Anchor, ...]:
    if value is None:
        return ()
    anchors = []
    for key, section in _objects(value, "anchors"):
        note = section.get("note", "")
        if not isinstance(note, str):
            raise ValueError(f"{key}.note must be a string, got {note!r}")
        anchors.append(Anchor(name=_text(_required(section, "name", key), f"{key}.name"),
                              accuracy=_number(_required(section, "accuracy", key), f"{key}.accuracy",
                                               unit_interval=True),
                              note=note))
    return tuple(anchors)


def _baseline(value: Any, labels: tuple[str, ...]) -> Baseline | None:
    if value is None:
        return None
    section = _mapping(value, "baseline")
    return Baseline(name=_text(_required(section, "name", "baseline"), "baseline.name"),
                    parameters=_optional_integer(section, "parameters", "baseline.parameters"),
                    evaluations=_evaluations(section.get("evaluations"), "baseline.evaluations", labels))


def robustness_columns(experiments: Sequence[Experiment]) -> list[str]:
    """The perturbations any of ``experiments`` was scored on: ``ROBUSTNESS_NAMES``' order, unknown ones after."""
    scored = {name for experiment in experiments for name in experiment.robustness}
    return [name for name in ROBUSTNESS_NAMES if name in scored] + sorted(scored - set(ROBUSTNESS_NAMES))


def _experiments(value: Any, labels: tuple[str, ...]) -> tuple[Experiment, ...]:
    if value is None:
        return ()
    experiments = []
    for key, section in _objects(value, "experiments"):
        public = _mapping(_required(section, "public_test", key), f"{key}.public_test")
        recall = _mapping(_required(public, "recall", f"{key}.public_test"), f"{key}.public_test.recall")
        robustness = _mapping(section.get("robustness") or {}, f"{key}.robustness")
        private = section.get("private_test")
        crowd = _mapping(section.get("crowd") or {}, f"{key}.crowd")
        members = _sequence(_required(section, "members", key), f"{key}.members")
        minutes = section.get("training_minutes")
        experiments.append(Experiment(
            name=_text(_required(section, "name", key), f"{key}.name"),
            members=tuple(_text(member, f"{key}.members") for member in members),
            parameters=_integer(_required(section, "parameters", key), f"{key}.parameters"),
            training_minutes=None if minutes is None else _number(minutes, f"{key}.training_minutes"),
            recipe=_text(section.get("recipe") or "", f"{key}.recipe") if section.get("recipe") else "",
            public_plain=_number(_required(public, "plain", f"{key}.public_test"), f"{key}.public_test.plain",
                                 unit_interval=True),
            public_tta=_number(_required(public, "tta", f"{key}.public_test"), f"{key}.public_test.tta",
                               unit_interval=True),
            macro_f1=_number(_required(public, "macro_f1", f"{key}.public_test"), f"{key}.public_test.macro_f1",
                             unit_interval=True),
            recall={label: _number(_required(recall, label, f"{key}.public_test.recall"),
                                   f"{key}.public_test.recall.{label}", unit_interval=True) for label in labels},
            robustness={name: _number(score, f"{key}.robustness.{name}", unit_interval=True)
                        for name, score in robustness.items()},
            private_tta=None if private is None else _number(
                _required(_mapping(private, f"{key}.private_test"), "tta", f"{key}.private_test"),
                f"{key}.private_test.tta", unit_interval=True),
            crowd={split_key: _number(score, f"{key}.crowd.{split_key}", unit_interval=True)
                   for split_key, score in crowd.items()}))
    return tuple(experiments)


def _resting_study(value: Any) -> tuple[RestingStudyRun, ...]:
    if value is None:
        return ()
    runs = []
    for key, section in _objects(value, "resting_calibration"):
        scenarios = []
        for scenario_key, scenario in _objects(_required(section, "scenarios", key), f"{key}.scenarios"):
            corrections = []
            for correction_key, correction in _objects(_required(scenario, "corrections", scenario_key),
                                                       f"{scenario_key}.corrections"):
                corrections.append(RestingCorrection(
                    name=_text(_required(correction, "name", correction_key), f"{correction_key}.name"),
                    **{name: _number(_required(correction, name, correction_key), f"{correction_key}.{name}",
                                     unit_interval=True)
                       for name in ("balanced_accuracy", "resting_reads_neutral", "strong_kept")}))
            scenarios.append(RestingScenario(
                name=_text(_required(scenario, "name", scenario_key), f"{scenario_key}.name"),
                trait=_number(scenario.get("trait", 0.0), f"{scenario_key}.trait", unit_interval=True),
                uncorrected=_number(_required(scenario, "uncorrected", scenario_key), f"{scenario_key}.uncorrected",
                                    unit_interval=True),
                corrections=tuple(corrections)))
        persons = _integer(_required(section, "persons", key), f"{key}.persons")
        if persons < 1:
            raise ValueError(f"{key}.persons must be at least 1, got {persons}")
        runs.append(RestingStudyRun(
            trait=_number(_required(section, "trait", key), f"{key}.trait", unit_interval=True),
            seed=_integer(_required(section, "seed", key), f"{key}.seed"), persons=persons,
            scenarios=tuple(scenarios)))
    return tuple(runs)


@dataclass(frozen=True)
class RestingStudyRow:
    """One row of the Model page's calibration table: a scenario (and trait weight) over every recorded seed."""

    scenario: str
    trait: float
    seeds: tuple[int, ...]
    uncorrected: float  # mean balanced accuracy with no correction
    gains: dict[str, tuple[float, float, float]]  # correction -> (mean, lowest, highest) change, in points
    resting_reads_neutral: dict[str, float]  # correction -> lowest share over the seeds


def resting_study_rows(runs: Sequence[RestingStudyRun]) -> list[RestingStudyRow]:
    """The study's runs grouped by scenario and trait weight (scenarios without a trait once): scenarios in the
    order first recorded, each one's trait weights in increasing order.

    A run repeated with another trait weight repeats its trait-free scenarios exactly, so those are kept once
    per seed."""
    groups: dict[tuple[str, float], dict[int, RestingScenario]] = {}
    for run in runs:
        for scenario in run.scenarios:
            groups.setdefault((scenario.name, scenario.trait), {})[run.seed] = scenario
    scenario_order = list(dict.fromkeys(name for name, _ in groups))
    rows = []
    for (name, trait), by_seed in sorted(groups.items(), key=lambda item: (scenario_order.index(item[0][0]),
                                                                           item[0][1])):
        scenarios = list(by_seed.values())
        names = list(dict.fromkeys(correction.name for scenario in scenarios for correction in scenario.corrections))
        gains, neutral = {}, {}
        for correction_name in names:
            matching = [(scenario, correction) for scenario in scenarios for correction in scenario.corrections
                        if correction.name == correction_name]
            changes = [100 * (correction.balanced_accuracy - scenario.uncorrected) for scenario, correction in matching]
            gains[correction_name] = (sum(changes) / len(changes), min(changes), max(changes))
            neutral[correction_name] = min(correction.resting_reads_neutral for _, correction in matching)
        rows.append(RestingStudyRow(scenario=name, trait=trait, seeds=tuple(by_seed),
                                    uncorrected=sum(item.uncorrected for item in scenarios) / len(scenarios),
                                    gains=gains, resting_reads_neutral=neutral))
    return rows


def _fixture_mistakes(value: Any, labels: tuple[str, ...]) -> tuple[FixtureMistake, ...] | None:
    if value is None:
        return None
    mistakes = []
    for key, section in _objects(value, "fixture_mistakes"):
        true_label = _text(_required(section, "true", key), f"{key}.true")
        predicted = _text(_required(section, "predicted", key), f"{key}.predicted")
        for name, label in (("true", true_label), ("predicted", predicted)):
            if label not in labels:
                raise ValueError(f"{key}.{name} must be one of the labels, got {label!r}")
        mistakes.append(FixtureMistake(
            index=_integer(_required(section, "index", key), f"{key}.index"),
            true=true_label, predicted=predicted,
            confidence=_number(_required(section, "confidence", key), f"{key}.confidence",
                               unit_interval=True)))
    return tuple(mistakes)


def _evaluations(value: Any, key: str, labels: tuple[str, ...]) -> dict[str, dict[str, Evaluation]]:
    if value is None:
        return {}
    evaluations: dict[str, dict[str, Evaluation]] = {}
    for split, variants in _mapping(value, key).items():
        split_key = f"{key}.{split}"
        evaluations[split] = {variant: _evaluation(evaluation, f"{split_key}.{variant}", labels)
                              for variant, evaluation in _mapping(variants, split_key).items()}
    return evaluations


def _evaluation(value: Any, key: str, labels: tuple[str, ...]) -> Evaluation:
    section = _mapping(value, key)
    return Evaluation(
        accuracy=_number(_required(section, "accuracy", key), f"{key}.accuracy", unit_interval=True),
        n=_optional_integer(section, "n", f"{key}.n"),
        macro_f1=_optional_number(section, "macro_f1", f"{key}.macro_f1", unit_interval=True),
        per_class=_per_class(section.get("per_class"), f"{key}.per_class", labels),
        confusion=_confusion(section.get("confusion"), f"{key}.confusion", len(labels)),
        ece=_optional_number(section, "ece", f"{key}.ece", unit_interval=True),
        reliability=_reliability(section.get("reliability"), f"{key}.reliability"),
        negative_log_likelihood=_optional_number(section, "negative_log_likelihood",
                                                 f"{key}.negative_log_likelihood"),
    )


def _per_class(value: Any, key: str, labels: tuple[str, ...]) -> dict[str, ClassMetrics] | None:
    if value is None:
        return None
    per_class = {}
    for label, item in _mapping(value, key).items():
        if label not in labels:
            raise ValueError(f"{key}.{label} is not one of the labels {list(labels)!r}")
        class_key = f"{key}.{label}"
        section = _mapping(item, class_key)
        scores = {name: _number(_required(section, name, class_key), f"{class_key}.{name}",
                                unit_interval=True)
                  for name in ("precision", "recall", "f1")}
        per_class[label] = ClassMetrics(**scores, support=_integer(_required(section, "support", class_key),
                                                                   f"{class_key}.support"))
    return {label: per_class[label] for label in labels if label in per_class}


def _confusion(value: Any, key: str, size: int) -> tuple[tuple[int, ...], ...] | None:
    if value is None:
        return None
    rows = _sequence(value, key)
    if len(rows) != size:
        raise ValueError(f"{key} must have {size} rows (one per label), got {len(rows)}")
    matrix = []
    for row_position, row in enumerate(rows):
        cells = _sequence(row, f"{key}[{row_position}]")
        if len(cells) != size:
            raise ValueError(f"{key}[{row_position}] must have {size} columns, got {len(cells)}")
        matrix.append(tuple(_integer(cell, f"{key}[{row_position}][{column}]")
                            for column, cell in enumerate(cells)))
    return tuple(matrix)


def _reliability(value: Any, key: str) -> Reliability | None:
    if value is None:
        return None
    section = _mapping(value, key)

    def numbers(name: str, *, allow_missing_values: bool) -> tuple[float | None, ...]:
        items = _sequence(_required(section, name, key), f"{key}.{name}")
        return tuple(None if item is None and allow_missing_values
                     else _number(item, f"{key}.{name}[{position}]", unit_interval=True)
                     for position, item in enumerate(items))

    edges = numbers("bin_edges", allow_missing_values=False)
    bins = len(edges) - 1
    if bins < 1 or any(high <= low for low, high in itertools.pairwise(edges)):
        raise ValueError(f"{key}.bin_edges must be at least two increasing values in 0..1")
    accuracy = numbers("accuracy", allow_missing_values=True)
    confidence = numbers("confidence", allow_missing_values=True)
    count_items = _sequence(_required(section, "count", key), f"{key}.count")
    count = tuple(_integer(item, f"{key}.count[{position}]") for position, item in enumerate(count_items))
    for name, series in (("accuracy", accuracy), ("confidence", confidence), ("count", count)):
        if len(series) != bins:
            raise ValueError(f"{key}.{name} must have {bins} values (one per bin), got {len(series)}")
    return Reliability(bin_edges=tuple(float(edge) for edge in edges), accuracy=accuracy,
                       confidence=confidence, count=count)


# --------------------------------------------------------------------------- chart helpers


def normalised_confusion(confusion: Sequence[Sequence[int]]) -> np.ndarray:
    """Row-normalise a confusion matrix (rows = true class): each row sums to 1, empty rows stay 0."""
    matrix = np.asarray(confusion, dtype=np.float64)
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


def accuracy_bars(report: ModelReport) -> list[AccuracyBar]:
    """TuneX's accuracy (headline split, every variant), the baseline and the anchors, best first."""
    bars: list[AccuracyBar] = []
    headline = report.headline_key()
    if headline is not None:
        for variant, evaluation in report.evaluations.get(headline.split, {}).items():
            key = EvaluationKey(headline.split, variant)
            shipped = " (shipped)" if key == report.shipped else ""
            bars.append(AccuracyBar(f"TuneX, {key.display_name}{shipped}", evaluation.accuracy, "tunex"))
    if report.baseline is not None:
        evaluations = report.baseline.evaluations
        split = headline.split if headline is not None and headline.split in evaluations else None
        split = split or next(iter(evaluations), None)
        for variant, evaluation in evaluations.get(split, {}).items() if split else ():
            name = f"{report.baseline.name}, {EvaluationKey(split, variant).display_name}"
            bars.append(AccuracyBar(name, evaluation.accuracy, "baseline"))
    bars.extend(AccuracyBar(anchor.name, anchor.accuracy, "anchor", anchor.note) for anchor in report.anchors)
    return sorted(bars, key=lambda bar: bar.accuracy, reverse=True)


def mistake_faces(fixture_path: str | Path, mistakes: Sequence[FixtureMistake]) -> list[MistakeFace]:
    """Look up each mistake's face in the fixture ``.npz`` (key ``faces``, shape (N, 48, 48)).

    Mistakes whose index is outside the fixture are left out. Raises ``FileNotFoundError``
    if the file is missing and ``ValueError`` if it has no usable ``faces`` array.
    """
    with np.load(Path(fixture_path)) as archive:
        if "faces" not in archive.files:
            raise ValueError(f"{fixture_path}: no 'faces' array (keys: {', '.join(archive.files)})")
        faces = archive["faces"]
    if faces.ndim != 3:
        raise ValueError(f"{fixture_path}: 'faces' must have shape (N, height, width), got {faces.shape}")
    return [MistakeFace(mistake, np.asarray(faces[mistake.index], dtype=np.uint8))
            for mistake in mistakes if mistake.index < len(faces)]


def confidence_samples(history: Any) -> list[ConfidenceSample]:
    """The well-formed entries of the Live page's confidence history, oldest first.

    ``history`` is a list of dicts ``{"time", "face", "label", "confidence"}``; entries
    that are not of that shape are skipped (the history is live data, not a contract
    worth crashing the page over).
    """
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        return []
    samples = []
    for entry in history:
        if not isinstance(entry, Mapping):
            continue
        time, face, label, confidence = (entry.get(name) for name in ("time", "face", "label", "confidence"))
        if not (_is_number(time) and isinstance(face, int) and not isinstance(face, bool)
                and isinstance(label, str) and _is_number(confidence) and 0.0 <= confidence <= 1.0):
            continue
        samples.append(ConfidenceSample(float(time), face, label, float(confidence)))
    return sorted(samples, key=lambda sample: sample.time)


def summarise_confidence(samples: Sequence[ConfidenceSample]) -> list[FaceConfidenceSummary]:
    """Per face (in face order): number of readings, mean confidence and the latest label."""
    by_face: dict[int, list[ConfidenceSample]] = {}
    for sample in sorted(samples, key=lambda sample: sample.time):
        by_face.setdefault(sample.face, []).append(sample)
    return [FaceConfidenceSummary(
                face=face, readings=len(readings),
                mean_confidence=float(np.mean([reading.confidence for reading in readings])),
                last_label=readings[-1].label)
            for face, readings in sorted(by_face.items())]
