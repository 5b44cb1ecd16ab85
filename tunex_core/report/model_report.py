"""The model report: ``models/metrics.json`` read from disk and shaped for the Model page.

The emotion engine writes ``metrics.json`` once, after evaluating the shipped model; nothing here
evaluates a model. ``load_model_report`` reads the file and hands the decoded JSON to
``metrics_validation.parse_model_report``, which checks it against ``metrics_schema``'s types; the helpers
below shape those results for charts and tables (accuracy beside its anchors, the robustness columns, the
resting-face study's rows, confident-mistake faces, live confidence history). No Streamlit here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tunex_core.paths import FIXTURE_FACES_FILE, METRICS_FILE
from tunex_core.report.json_checks import is_number
from tunex_core.report.metrics_schema import (
    ROBUSTNESS_NAMES,
    EvaluationKey,
    Experiment,
    FixtureMistake,
    ModelReport,
    RestingScenario,
    RestingStudyRun,
)
from tunex_core.report.metrics_validation import parse_model_report

METRICS_FILE_VARIABLE = "TUNEX_METRICS_FILE"
FIXTURE_FACES_FILE_VARIABLE = "TUNEX_FIXTURE_FACES_FILE"


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



def robustness_columns(experiments: Sequence[Experiment]) -> list[str]:
    """The perturbations any of ``experiments`` was scored on: ``ROBUSTNESS_NAMES``' order, unknown ones after."""
    scored = {name for experiment in experiments for name in experiment.robustness}
    return [name for name in ROBUSTNESS_NAMES if name in scored] + sorted(scored - set(ROBUSTNESS_NAMES))



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
        if not (is_number(time) and isinstance(face, int) and not isinstance(face, bool)
                and isinstance(label, str) and is_number(confidence) and 0.0 <= confidence <= 1.0):
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
