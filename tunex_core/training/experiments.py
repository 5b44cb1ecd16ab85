"""Training experiments side by side: each recipe, ensemble or distilled student scored the same way.

An experiment is one model or an ensemble (the mean of its members' probabilities), scored with
flip TTA (the app's own setting) on PublicTest, on PublicTest's rotated and darkened copies
(``training.perturb``), and, only when asked, on PrivateTest. ``record_experiment`` keeps the
results in ``metrics.json``'s ``experiments`` list, one entry per name, for the model card and
the Model page. Choices are made on PublicTest; PrivateTest is scored once, for the final table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.files import write_json_atomically
from tunex_core.paths import PROJECT_ROOT, RUN_MODEL_NAME
from tunex_core.training.dataset import FerDataset
from tunex_core.training.evaluation import evaluate_probabilities
from tunex_core.training.perturb import PERTURBATIONS, perturb

ROBUSTNESS_PERTURBATIONS = tuple(PERTURBATIONS)  # the webcam-like copies of PublicTest every experiment is scored on
BEST_CHECKPOINT_NAME = "best.keras"

Predictor = Callable[[np.ndarray, bool], np.ndarray]  # (faces, flip_average) -> probabilities (N, 7)


class ExperimentError(ValueError):
    """An experiment that cannot be scored or recorded (missing model, unreadable metrics file)."""


def member_file(path: str | Path) -> Path:
    """The ``.keras`` file of a member: the file itself, or a run folder's final (else best) model."""
    path = Path(path).expanduser()
    if path.is_dir():
        for name in (RUN_MODEL_NAME, BEST_CHECKPOINT_NAME):
            if (path / name).is_file():
                return path / name
        raise ExperimentError(f"{path} holds neither {RUN_MODEL_NAME} nor {BEST_CHECKPOINT_NAME}")
    if not path.is_file():
        raise ExperimentError(f"{path}: no such model file or run folder")
    return path


def project_relative(path: str | Path) -> str:
    """``path`` relative to the project when it lies inside it (portable in metrics.json), else as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def training_minutes(path: str | Path) -> float | None:
    """Minutes the run behind ``path`` trained (from its ``log.csv``), None if unknown."""
    path = Path(path).expanduser()
    log = (path if path.is_dir() else path.parent) / "log.csv"
    if not log.is_file():
        return None
    rows = log.read_text().strip().splitlines()[1:]
    try:
        return round(sum(float(row.split(",")[-1]) for row in rows) / 60, 1)
    except ValueError:
        return None


def recorded_minutes(metrics_file: Path, member: str | Path) -> float | None:
    """A member's training minutes as an earlier experiment on it alone recorded them (a member folder
    kept without its run's ``log.csv``), None if none did or ``metrics_file`` cannot be read."""
    try:
        experiments = json.loads(metrics_file.read_text(encoding="utf-8")).get("experiments") or []
    except (OSError, ValueError, AttributeError):
        return None
    name = project_relative(member)
    for item in experiments if isinstance(experiments, list) else []:
        if not isinstance(item, dict) or item.get("members") != [name]:
            continue
        minutes = item.get("training_minutes")
        if isinstance(minutes, (int, float)) and not isinstance(minutes, bool):
            return float(minutes)
    return None


def ensemble_probabilities(predictors: Sequence[Predictor], faces: np.ndarray, flip_average: bool) -> np.ndarray:
    """The mean of the members' probabilities for ``faces``."""
    if not predictors:
        raise ExperimentError("an experiment needs at least one model")
    return np.mean([predict(faces, flip_average) for predict in predictors], axis=0)


def score_experiment(predictors: Sequence[Predictor], data: FerDataset, include_private: bool = False,
                     perturbations: Sequence[str] = ROBUSTNESS_PERTURBATIONS,
                     crowd: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> dict:
    """Scores of one experiment: PublicTest plain and flip TTA (with macro F1, ECE and recall per
    class), flip-TTA accuracy on each perturbed copy of PublicTest, and PrivateTest if asked.

    ``crowd`` maps a split name (``val``, ``test``) to (keep mask, crowd majority labels of the kept
    faces) from FER+ votes: those splits are also scored against the crowd (flip TTA), as ``crowd``.
    """
    public = data.split("val")
    public_tta = ensemble_probabilities(predictors, public.faces, True)
    plain = evaluate_probabilities(ensemble_probabilities(predictors, public.faces, False), public.labels)
    flipped = evaluate_probabilities(public_tta, public.labels)
    scores: dict = {
        "public_test": {"plain": plain.accuracy, "tta": flipped.accuracy, "macro_f1": flipped.macro_f1,
                        "ece": flipped.ece,
                        "recall": {name: flipped.per_class[name].recall for name in EMOTION_NAMES}},
        "robustness": {},
        "private_test": None,
    }
    for name in perturbations:
        faces = perturb(public.faces, name)
        scores["robustness"][name] = evaluate_probabilities(
            ensemble_probabilities(predictors, faces, True), public.labels).accuracy
    tta_probabilities = {"val": public_tta}
    if include_private:
        private = data.split("test")
        tta_probabilities["test"] = ensemble_probabilities(predictors, private.faces, True)
        scores["private_test"] = {
            "plain": evaluate_probabilities(ensemble_probabilities(predictors, private.faces, False),
                                            private.labels).accuracy,
            "tta": evaluate_probabilities(tta_probabilities["test"], private.labels).accuracy}
    if crowd:
        scores["crowd"] = {CROWD_KEYS[split_name]: crowd_accuracy(tta_probabilities[split_name], *crowd[split_name])
                           for split_name in ("val", "test") if split_name in crowd and split_name in tta_probabilities}
    return scores


CROWD_KEYS = {"val": "public_test", "test": "private_test"}


def crowd_accuracy(probabilities: np.ndarray, keep: np.ndarray, majority: np.ndarray) -> float:
    """Share of the kept faces whose prediction is the crowd's majority label."""
    if len(keep) != len(probabilities) or int(keep.sum()) != len(majority):
        raise ExperimentError(f"the crowd labels cover {len(keep)} faces ({int(keep.sum())} kept) but the split has "
                              f"{len(probabilities)}")
    return round(float(np.mean(probabilities[keep].argmax(axis=1) == majority)), 4)


def experiment_entry(name: str, members: Sequence[str | Path], scores: dict, parameters: int,
                     recipe: str = "", measured_on: date | None = None,
                     minutes_of: Callable[[str | Path], float | None] = training_minutes) -> dict:
    """One ``experiments`` entry of ``metrics.json``; ``minutes_of`` gives a member's training minutes
    (by default from its run's ``log.csv``), and the entry's are their sum when all are known."""
    minutes = [minutes_of(member) for member in members]
    return {
        "name": name,
        "members": [project_relative(member) for member in members],
        "parameters": int(parameters),
        "training_minutes": round(sum(minutes), 1) if minutes and all(m is not None for m in minutes) else None,
        "recipe": recipe,
        "measured_on": (measured_on or date.today()).isoformat(),
        **scores,
    }


def record_experiment(metrics_file: Path, entry: dict) -> list[dict]:
    """Put ``entry`` into ``metrics_file``'s ``experiments`` (replacing one of the same name), keep the
    rest of the file, and return the list."""
    return _record_entry(metrics_file, "experiments", entry, lambda item: item.get("name") == entry["name"])


RESTING_STUDY_SECTION = "resting_calibration"


def record_resting_study(metrics_file: Path, run: dict) -> list[dict]:
    """Put one run of ``bench/calibration_study.py`` (its trait, seed, persons and scenarios) into
    ``metrics_file``'s ``resting_calibration`` (replacing a run with the same trait, seed and persons),
    keep the rest of the file, and return the list."""
    same = ("trait", "seed", "persons")
    return _record_entry(metrics_file, RESTING_STUDY_SECTION, run,
                         lambda item: all(item.get(name) == run[name] for name in same))


def _record_entry(metrics_file: Path, section: str, entry: dict, replaces: Callable[[dict], bool]) -> list[dict]:
    """Append ``entry`` to the list ``section`` of ``metrics_file`` after dropping the items ``replaces`` picks."""
    try:
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    except (OSError, json.JSONDecodeError) as error:
        raise ExperimentError(f"{metrics_file}: cannot read it ({error})") from error
    if not isinstance(metrics, dict):
        raise ExperimentError(f"{metrics_file}: the top level is not a JSON object")
    entries = [item for item in metrics.get(section) or [] if not replaces(item)]
    entries.append(entry)
    metrics[section] = entries
    write_json_atomically(metrics_file, metrics)
    return entries
