"""``metrics.json``'s decoded JSON checked against its schema and turned into a ``ModelReport``.

Every top-level section may be absent from a partial file (the page then leaves that section out); a
section that is present but malformed raises ``ValueError`` naming the offending key, e.g.
``evaluations.private_test.tta.confusion``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.report.json_checks import (
    integer,
    is_number,
    mapping,
    number,
    objects,
    optional_integer,
    optional_number,
    required,
    sequence,
    text,
)
from tunex_core.report.metrics_schema import (
    TTA_VIEWS,
    Anchor,
    Baseline,
    Calibration,
    ClassMetrics,
    Evaluation,
    EvaluationKey,
    Experiment,
    FinalWeights,
    FixtureMistake,
    Interpolation,
    Latency,
    ModelInfo,
    ModelReport,
    Reliability,
    RestingCorrection,
    RestingScenario,
    RestingStudyRun,
    Runtime,
    RuntimeFidelity,
    TrainingRecipe,
)
from tunex_core.report.real_faces import CROWD_SECTION, PHOTOS_SECTION, parse_crowd, parse_photos


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
        latency=_latency(data.get("latency_ms_per_face"), "latency_ms_per_face"),
        anchors=_anchors(data.get("anchors")),
        baseline=_baseline(data.get("baseline"), labels),
        fixture_mistakes=_fixture_mistakes(data.get("fixture_mistakes"), labels),
        temperature=optional_number(data, "temperature", "temperature", positive=True, as_written=True),
        experiments=_experiments(data.get("experiments"), labels),
        runtime=_runtime(data.get("runtime")),
        resting_study=_resting_study(data.get("resting_calibration")),
        crowd=parse_crowd(data.get(CROWD_SECTION)),
        real_photos=parse_photos(data.get(PHOTOS_SECTION), labels),
        calibration=_calibration(data.get("calibration")),
        latency_tensorflow=_latency(data.get("latency_ms_per_face_tensorflow"), "latency_ms_per_face_tensorflow"),
    )


def _labels(value: Any) -> tuple[str, ...]:
    if value is None:
        return EMOTION_NAMES
    items = sequence(value, "labels")
    labels = tuple(text(item, f"labels[{position}]") for position, item in enumerate(items))
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"labels must list at least two distinct class names, got {list(labels)!r}")
    return labels


def _model_info(value: Any) -> ModelInfo | None:
    if value is None:
        return None
    section = mapping(value, "model")
    file_name = section.get("file")
    architecture = section.get("architecture")
    return ModelInfo(
        file=None if file_name is None else text(file_name, "model.file"),
        architecture=None if architecture is None else text(architecture, "model.architecture"),
        parameters=optional_integer(section, "parameters", "model.parameters"),
        size_bytes=optional_integer(section, "size_bytes", "model.size_bytes"),
        trained_epochs=optional_integer(section, "trained_epochs", "model.trained_epochs"),
        training_minutes=optional_number(section, "training_minutes", "model.training_minutes", as_written=True),
        tflite_size_bytes=optional_integer(section, "tflite_size_bytes", "model.tflite_size_bytes"),
        hyperparameters=_recipe(section.get("hyperparameters"), "model.hyperparameters"),
        final_weights=_final_weights(section.get("final_weights"), "model.final_weights"),
    )


# The recipe's options the card states, by check; each is kept as written (an int stays an int: the card prints it).
_RECIPE_CHECKS = {**dict.fromkeys(("epochs", "batch_size", "warmup_epochs", "seed"), integer),
                  **dict.fromkeys(("learning_rate", "weight_decay", "label_smoothing", "votes_weight", "distill_weight",
                                   "distill_temperature"), number),
                  **dict.fromkeys(("optimizer", "architecture", "votes_file", "contempt", "distill_mode",
                                   "init_model"), text)}


def _recipe(value: Any, key: str) -> TrainingRecipe | None:
    if value is None:
        return None
    section = mapping(value, key)
    options = {name: section[name] for name in (*_RECIPE_CHECKS, "mixed_precision") if section.get(name) is not None}
    for name, option in options.items():
        if name == "mixed_precision" and not isinstance(option, bool):
            raise ValueError(f"{key}.mixed_precision must be true or false, got {option!r}")
        if name != "mixed_precision":
            _RECIPE_CHECKS[name](option, f"{key}.{name}")
    augment = section.get("augment")
    for name, strength in mapping(augment or {}, f"{key}.augment").items():
        if not isinstance(strength, bool) and not is_number(strength):
            raise ValueError(f"{key}.augment.{name} must be a number or true/false, got {strength!r}")
    teachers = sequence(section.get("teachers") or [], f"{key}.teachers")
    return TrainingRecipe(**options, augment=None if augment is None else dict(augment),
                          teachers=tuple(text(teacher, f"{key}.teachers[{position}]")
                                         for position, teacher in enumerate(teachers)))


def _final_weights(value: Any, key: str) -> FinalWeights | None:
    if value is None:
        return None
    section = mapping(value, key)
    checkpoints = sequence(section.get("checkpoints") or ["best.keras"], f"{key}.checkpoints")
    mixed = None if section.get("interpolation") is None else mapping(section["interpolation"], f"{key}.interpolation")
    return FinalWeights(
        checkpoints=tuple(text(name, f"{key}.checkpoints[{position}]") for position, name in enumerate(checkpoints)),
        precise_batch_norm=bool(section.get("precise_batch_norm", False)),
        interpolation=None if mixed is None else Interpolation(
            base=text(required(mixed, "base", f"{key}.interpolation"), f"{key}.interpolation.base"),
            share=number(required(mixed, "share", f"{key}.interpolation"), f"{key}.interpolation.share",
                         unit_interval=True)))


def _calibration(value: Any) -> Calibration | None:
    if value is None:
        return None
    section = mapping(value, "calibration")
    return Calibration(**{name: number(required(section, name, "calibration"), f"calibration.{name}",
                                       unit_interval=True)
                          for name in ("private_test_ece_before", "private_test_ece_after")},
                       fitted_on=text(section.get("fitted_on", "public_test"), "calibration.fitted_on"))


def _latency(value: Any, key: str) -> Latency | None:
    if value is None:
        return None
    section = mapping(value, key)
    names = ("batch_1_p50", "batch_1_p95", "batch_8_p50_per_face", "app_p50", "app_p95")
    app_tta = section.get("app_tta")
    if app_tta not in TTA_VIEWS:
        raise ValueError(f"{key}.app_tta must be one of {', '.join(map(str, TTA_VIEWS))}, got {app_tta!r}")
    backend = section.get("backend")
    return Latency(**{name: optional_number(section, name, f"{key}.{name}", positive=True) for name in names},
                   app_tta=app_tta, backend=None if backend is None else text(backend, f"{key}.backend"))


def _runtime(value: Any) -> Runtime | None:
    if value is None:
        return None
    section = mapping(value, "runtime")
    tta = section.get("tta")
    if tta not in TTA_VIEWS:
        raise ValueError(f"runtime.tta must be one of {', '.join(map(str, TTA_VIEWS))}, got {tta!r}")
    refused = section.get("quantization_refused")
    return Runtime(file=text(required(section, "file", "runtime"), "runtime.file"),
                   quantization=text(required(section, "quantization", "runtime"), "runtime.quantization"),
                   public_test=_fidelity(required(section, "public_test", "runtime"), "runtime.public_test"),
                   private_test=_fidelity(required(section, "private_test", "runtime"), "runtime.private_test"),
                   tta=tta, quantization_refused=None if refused is None
                   else _fidelity(refused, "runtime.quantization_refused"))


def _fidelity(value: Any, key: str) -> RuntimeFidelity:
    split = mapping(value, key)
    return RuntimeFidelity(**{
        name: number(required(split, name, key), f"{key}.{name}", unit_interval=True)
        for name in ("accuracy", "keras_accuracy", "label_agreement", "max_probability_difference")})


def _shipped(value: Any) -> EvaluationKey | None:
    if value is None:
        return None
    section = mapping(value, "shipped")
    return EvaluationKey(split=text(required(section, "split", "shipped"), "shipped.split"),
                         variant=text(required(section, "variant", "shipped"), "shipped.variant"))


def _anchors(value: Any) -> tuple[Anchor, ...]:
    if value is None:
        return ()
    anchors = []
    for key, section in objects(value, "anchors"):
        note = section.get("note", "")
        if not isinstance(note, str):
            raise ValueError(f"{key}.note must be a string, got {note!r}")
        anchors.append(Anchor(name=text(required(section, "name", key), f"{key}.name"),
                              accuracy=number(required(section, "accuracy", key), f"{key}.accuracy",
                                               unit_interval=True),
                              note=note))
    return tuple(anchors)


def _baseline(value: Any, labels: tuple[str, ...]) -> Baseline | None:
    if value is None:
        return None
    section = mapping(value, "baseline")
    return Baseline(name=text(required(section, "name", "baseline"), "baseline.name"),
                    parameters=optional_integer(section, "parameters", "baseline.parameters"),
                    evaluations=_evaluations(section.get("evaluations"), "baseline.evaluations", labels),
                    trained_epochs=optional_integer(section, "trained_epochs", "baseline.trained_epochs"),
                    training_minutes=optional_number(section, "training_minutes", "baseline.training_minutes", as_written=True))


def _experiments(value: Any, labels: tuple[str, ...]) -> tuple[Experiment, ...]:
    if value is None:
        return ()
    experiments = []
    for key, section in objects(value, "experiments"):
        public = mapping(required(section, "public_test", key), f"{key}.public_test")
        recall = mapping(required(public, "recall", f"{key}.public_test"), f"{key}.public_test.recall")
        robustness = mapping(section.get("robustness") or {}, f"{key}.robustness")
        private = section.get("private_test")
        crowd = mapping(section.get("crowd") or {}, f"{key}.crowd")
        members = sequence(required(section, "members", key), f"{key}.members")
        minutes = section.get("training_minutes")
        experiments.append(Experiment(
            name=text(required(section, "name", key), f"{key}.name"),
            members=tuple(text(member, f"{key}.members") for member in members),
            parameters=integer(required(section, "parameters", key), f"{key}.parameters"),
            training_minutes=None if minutes is None else number(minutes, f"{key}.training_minutes"),
            recipe=text(section.get("recipe") or "", f"{key}.recipe") if section.get("recipe") else "",
            public_plain=number(required(public, "plain", f"{key}.public_test"), f"{key}.public_test.plain",
                                 unit_interval=True),
            public_tta=number(required(public, "tta", f"{key}.public_test"), f"{key}.public_test.tta",
                               unit_interval=True),
            macro_f1=number(required(public, "macro_f1", f"{key}.public_test"), f"{key}.public_test.macro_f1",
                             unit_interval=True),
            recall={label: number(required(recall, label, f"{key}.public_test.recall"),
                                   f"{key}.public_test.recall.{label}", unit_interval=True) for label in labels},
            robustness={name: number(score, f"{key}.robustness.{name}", unit_interval=True)
                        for name, score in robustness.items()},
            private_tta=None if private is None else number(
                required(mapping(private, f"{key}.private_test"), "tta", f"{key}.private_test"),
                f"{key}.private_test.tta", unit_interval=True),
            crowd={split_key: number(score, f"{key}.crowd.{split_key}", unit_interval=True)
                   for split_key, score in crowd.items()}))
    return tuple(experiments)


def _resting_study(value: Any) -> tuple[RestingStudyRun, ...]:
    if value is None:
        return ()
    runs = []
    for key, section in objects(value, "resting_calibration"):
        scenarios = []
        for scenario_key, scenario in objects(required(section, "scenarios", key), f"{key}.scenarios"):
            corrections = []
            for correction_key, correction in objects(required(scenario, "corrections", scenario_key),
                                                       f"{scenario_key}.corrections"):
                corrections.append(RestingCorrection(
                    name=text(required(correction, "name", correction_key), f"{correction_key}.name"),
                    **{name: number(required(correction, name, correction_key), f"{correction_key}.{name}",
                                     unit_interval=True)
                       for name in ("balanced_accuracy", "resting_reads_neutral", "strong_kept")}))
            scenarios.append(RestingScenario(
                name=text(required(scenario, "name", scenario_key), f"{scenario_key}.name"),
                trait=number(scenario.get("trait", 0.0), f"{scenario_key}.trait", unit_interval=True),
                uncorrected=number(required(scenario, "uncorrected", scenario_key), f"{scenario_key}.uncorrected",
                                    unit_interval=True),
                corrections=tuple(corrections)))
        persons = integer(required(section, "persons", key), f"{key}.persons")
        if persons < 1:
            raise ValueError(f"{key}.persons must be at least 1, got {persons}")
        runs.append(RestingStudyRun(
            trait=number(required(section, "trait", key), f"{key}.trait", unit_interval=True),
            seed=integer(required(section, "seed", key), f"{key}.seed"), persons=persons,
            scenarios=tuple(scenarios), backend=text(section.get("backend") or "litert", f"{key}.backend")))
    return tuple(runs)


def _fixture_mistakes(value: Any, labels: tuple[str, ...]) -> tuple[FixtureMistake, ...] | None:
    if value is None:
        return None
    mistakes = []
    for key, section in objects(value, "fixture_mistakes"):
        true_label = text(required(section, "true", key), f"{key}.true")
        predicted = text(required(section, "predicted", key), f"{key}.predicted")
        for name, label in (("true", true_label), ("predicted", predicted)):
            if label not in labels:
                raise ValueError(f"{key}.{name} must be one of the labels, got {label!r}")
        mistakes.append(FixtureMistake(
            index=integer(required(section, "index", key), f"{key}.index"),
            true=true_label, predicted=predicted,
            confidence=number(required(section, "confidence", key), f"{key}.confidence",
                               unit_interval=True)))
    return tuple(mistakes)


def _evaluations(value: Any, key: str, labels: tuple[str, ...]) -> dict[str, dict[str, Evaluation]]:
    if value is None:
        return {}
    evaluations: dict[str, dict[str, Evaluation]] = {}
    for split, variants in mapping(value, key).items():
        split_key = f"{key}.{split}"
        evaluations[split] = {variant: _evaluation(evaluation, f"{split_key}.{variant}", labels)
                              for variant, evaluation in mapping(variants, split_key).items()}
    return evaluations


def _evaluation(value: Any, key: str, labels: tuple[str, ...]) -> Evaluation:
    section = mapping(value, key)
    return Evaluation(
        accuracy=number(required(section, "accuracy", key), f"{key}.accuracy", unit_interval=True),
        n=optional_integer(section, "n", f"{key}.n"),
        macro_f1=optional_number(section, "macro_f1", f"{key}.macro_f1", unit_interval=True),
        per_class=_per_class(section.get("per_class"), f"{key}.per_class", labels),
        confusion=_confusion(section.get("confusion"), f"{key}.confusion", len(labels)),
        ece=optional_number(section, "ece", f"{key}.ece", unit_interval=True),
        reliability=_reliability(section.get("reliability"), f"{key}.reliability"),
        negative_log_likelihood=optional_number(section, "negative_log_likelihood",
                                                 f"{key}.negative_log_likelihood"),
    )


def _per_class(value: Any, key: str, labels: tuple[str, ...]) -> dict[str, ClassMetrics] | None:
    if value is None:
        return None
    per_class = {}
    for label, item in mapping(value, key).items():
        if label not in labels:
            raise ValueError(f"{key}.{label} is not one of the labels {list(labels)!r}")
        class_key = f"{key}.{label}"
        section = mapping(item, class_key)
        scores = {name: number(required(section, name, class_key), f"{class_key}.{name}",
                                unit_interval=True)
                  for name in ("precision", "recall", "f1")}
        per_class[label] = ClassMetrics(**scores, support=integer(required(section, "support", class_key),
                                                                   f"{class_key}.support"))
    return {label: per_class[label] for label in labels if label in per_class}


def _confusion(value: Any, key: str, size: int) -> tuple[tuple[int, ...], ...] | None:
    if value is None:
        return None
    rows = sequence(value, key)
    if len(rows) != size:
        raise ValueError(f"{key} must have {size} rows (one per label), got {len(rows)}")
    matrix = []
    for row_position, row in enumerate(rows):
        cells = sequence(row, f"{key}[{row_position}]")
        if len(cells) != size:
            raise ValueError(f"{key}[{row_position}] must have {size} columns, got {len(cells)}")
        matrix.append(tuple(integer(cell, f"{key}[{row_position}][{column}]")
                            for column, cell in enumerate(cells)))
    return tuple(matrix)


def _reliability(value: Any, key: str) -> Reliability | None:
    if value is None:
        return None
    section = mapping(value, key)

    def numbers(name: str, *, allow_missing_values: bool) -> tuple[float | None, ...]:
        items = sequence(required(section, name, key), f"{key}.{name}")
        return tuple(None if item is None and allow_missing_values
                     else number(item, f"{key}.{name}[{position}]", unit_interval=True)
                     for position, item in enumerate(items))

    edges = numbers("bin_edges", allow_missing_values=False)
    bins = len(edges) - 1
    if bins < 1 or any(high <= low for low, high in itertools.pairwise(edges)):
        raise ValueError(f"{key}.bin_edges must be at least two increasing values in 0..1")
    accuracy = numbers("accuracy", allow_missing_values=True)
    confidence = numbers("confidence", allow_missing_values=True)
    count_items = sequence(required(section, "count", key), f"{key}.count")
    count = tuple(integer(item, f"{key}.count[{position}]") for position, item in enumerate(count_items))
    for name, series in (("accuracy", accuracy), ("confidence", confidence), ("count", count)):
        if len(series) != bins:
            raise ValueError(f"{key}.{name} must have {bins} values (one per bin), got {len(series)}")
    return Reliability(bin_edges=tuple(float(edge) for edge in edges), accuracy=accuracy,
                       confidence=confidence, count=count)
