"""The song-emotion model's estimators and their choice by artist-grouped cross-validation (numpy only).

Per axis (valence, arousal): ridge regression, RBF kernel ridge and gradient-boosted trees
(``gradient_boosting``) on the standardised features, mixed; the mixed estimate is stretched about
the training mean so that its out-of-fold spread equals the targets' (least-squares estimates crowd
the middle). Beside them a quadrant classifier (kernel ridge on the four quadrants' one-hot codes,
the highest score wins): where it and the two axes disagree about the quadrant, the classifier
decides the side of the midpoint and the song is placed ``snap`` inside it on the axis that
disagreed; elsewhere the axes' estimates stand. The classifier is the better judge of the quadrant
(it sees both axes at once); the regressors give the place.

``choose`` picks every setting (penalties, kernel widths, the ridge/kernel mix, the trees' share,
the classifier's kernel, ``snap``) by one grouped cross-validation of the rows it is given: r on the
rows with MERGE values for the axes, accuracy for the classifier, the sum of both axes' r for ``snap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tunex_core.music.audio.model import (
    FORMAT_VERSION,
    MIDPOINT,
    QUADRANTS,
    TARGETS,
    SongEmotionModel,
    model_from_parts,
    snap_to_quadrants,
)
from tunex_core.music.build.gradient_boosting import Trees, fit_trees
from tunex_core.music.build.mapping import group_k_fold

CLIP = 5.0
RIDGE_PENALTIES = (100.0, 300.0, 1000.0)
KERNEL_PENALTIES = (0.1, 0.3, 1.0)
KERNEL_WIDTHS = (0.25, 0.5, 1.0)  # gamma = width / number of features
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)  # share of the kernel model in an axis's estimate
SNAPS = (0.01, 0.03, 0.05, 0.1)
TREE_SHARES = (0.0, 0.25, 0.35, 0.5)  # share of the boosted trees in an axis's estimate


@dataclass(frozen=True)
class AxisSettings:
    """One axis's settings; ``spread_factor`` stretches its estimates about ``centre``."""

    ridge_penalty: float
    kernel_penalty: float
    kernel_width: float
    mix: float
    tree_share: float = 0.0
    spread_factor: float = 1.0


@dataclass(frozen=True)
class ClassifierSettings:
    """The quadrant classifier's kernel and how far inside its quadrant a disagreeing song is put."""

    kernel_penalty: float
    kernel_width: float
    snap: float


@dataclass(frozen=True)
class Choice:
    """Everything ``choose`` picks."""

    axes: dict[str, AxisSettings]
    classifier: ClassifierSettings


def standardisation(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column is constant)."""
    center = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    return center, np.where(scale > 1e-12, scale, 1.0)


def standardise(matrix: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Standardised rows clipped to ±CLIP, as the model file applies them."""
    return np.clip((matrix - center) / scale, -CLIP, CLIP)


def squared_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``first`` and ``second``."""
    squared = np.sum(first ** 2, axis=1)[:, None] + np.sum(second ** 2, axis=1)[None, :] - 2.0 * first @ second.T
    return np.maximum(squared, 0.0)


def pearson(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson r (0 when either side is constant)."""
    if np.std(first) < 1e-12 or np.std(second) < 1e-12:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


@dataclass(frozen=True)
class Part:
    """A fitted ridge (``weights``) or kernel ridge (``support``, ``dual``, ``gamma``) with its bias."""

    kind: str
    bias: np.ndarray | float
    weights: np.ndarray | None = None
    support: np.ndarray | None = None
    dual: np.ndarray | None = None
    gamma: float = 0.0

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Estimates for standardised ``rows``."""
        if self.kind == "linear":
            return rows @ self.weights + self.bias
        return np.exp(-self.gamma * squared_distances(rows, self.support)) @ self.dual + self.bias


def fit_ridge(rows: np.ndarray, targets: np.ndarray, penalty: float) -> Part:
    """Ridge regression of ``targets`` (one column or several) on standardised ``rows``."""
    bias = targets.mean(axis=0)
    weights = np.linalg.solve(rows.T @ rows + penalty * np.eye(rows.shape[1]), rows.T @ (targets - bias))
    return Part("linear", bias, weights=weights)


def fit_kernel(rows: np.ndarray, targets: np.ndarray, penalty: float, width: float,
               distances: np.ndarray | None = None) -> Part:
    """RBF kernel ridge of ``targets`` on standardised ``rows`` (gamma = width / features)."""
    gamma = width / rows.shape[1]
    kernel = np.exp(-gamma * (squared_distances(rows, rows) if distances is None else distances))
    bias = targets.mean(axis=0)
    dual = np.linalg.solve(kernel + penalty * np.eye(len(rows)), targets - bias)
    return Part("rbf", bias, support=rows, dual=dual, gamma=gamma)


def fit_axis(rows: np.ndarray, target: np.ndarray, settings: AxisSettings) -> list[tuple[float, object]]:
    """The (weight, part) pairs of one axis's mixed estimate (ridge, kernel ridge, boosted trees)."""
    parts: list[tuple[float, object]] = []
    others = 1.0 - settings.tree_share
    if settings.mix < 1.0:
        parts.append((others * (1.0 - settings.mix), fit_ridge(rows, target, settings.ridge_penalty)))
    if settings.mix > 0.0:
        parts.append((others * settings.mix, fit_kernel(rows, target, settings.kernel_penalty, settings.kernel_width)))
    if settings.tree_share > 0.0:
        parts.append((settings.tree_share, fit_trees(rows, target)))
    return parts


def one_hot(quadrants: Sequence[str]) -> np.ndarray:
    """(songs, 4) one-hot codes of quadrant names in ``QUADRANTS`` order."""
    names = np.asarray(quadrants)
    return np.stack([(names == quadrant).astype(np.float64) for quadrant in QUADRANTS], axis=1)


def quadrants_of(valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """Russell quadrant names of points on MERGE's scale (boundary ``MIDPOINT`` on both axes)."""
    positive_valence, high_arousal = valence >= MIDPOINT, arousal >= MIDPOINT
    return np.where(high_arousal, np.where(positive_valence, "Q1", "Q2"), np.where(positive_valence, "Q4", "Q3"))


def _spread(predicted: np.ndarray, target: np.ndarray) -> float:
    spread = float(np.std(predicted))
    return float(np.std(target)) / spread if spread > 1e-12 else 1.0


def choose(matrix: np.ndarray, targets: dict[str, np.ndarray], quadrants: Sequence[str], groups: Sequence[str],
           scored: np.ndarray, folds: int) -> Choice:
    """Every setting, by one ``folds``-fold grouped cross-validation of these rows (see the module docstring)."""
    count = len(quadrants)
    stacked = np.column_stack([targets[name] for name in TARGETS] + [one_hot(quadrants)])  # valence, arousal, Q1..Q4
    ridge = {penalty: np.empty((count, len(TARGETS))) for penalty in RIDGE_PENALTIES}
    kernel = {(penalty, width): np.empty_like(stacked) for penalty in KERNEL_PENALTIES for width in KERNEL_WIDTHS}
    trees = np.empty((count, len(TARGETS)))
    for test in group_k_fold(groups, folds):
        train = np.setdiff1d(np.arange(count), test)
        center, scale = standardisation(matrix[train])
        train_rows, test_rows = standardise(matrix[train], center, scale), standardise(matrix[test], center, scale)
        for penalty in RIDGE_PENALTIES:
            ridge[penalty][test] = fit_ridge(train_rows, stacked[train, :len(TARGETS)], penalty).predict(test_rows)
        for column in range(len(TARGETS)):
            trees[test, column] = fit_trees(train_rows, stacked[train, column]).predict(test_rows)
        distances, test_distances = squared_distances(train_rows, train_rows), squared_distances(test_rows, train_rows)
        for width in KERNEL_WIDTHS:
            gamma = width / train_rows.shape[1]
            kernel_matrix, test_kernel = np.exp(-gamma * distances), np.exp(-gamma * test_distances)
            bias = stacked[train].mean(axis=0)
            for penalty in KERNEL_PENALTIES:
                dual = np.linalg.solve(kernel_matrix + penalty * np.eye(len(train)), stacked[train] - bias)
                kernel[(penalty, width)][test] = test_kernel @ dual + bias
    axes, estimates = {}, {}
    for column, name in enumerate(TARGETS):
        target = targets[name]
        best_ridge = max(RIDGE_PENALTIES, key=lambda penalty: pearson(ridge[penalty][scored, column], target[scored]))
        best_kernel = max(kernel, key=lambda key: pearson(kernel[key][scored, column], target[scored]))

        def mixed(mix, column=column, best_ridge=best_ridge, best_kernel=best_kernel):
            return (1 - mix) * ridge[best_ridge][:, column] + mix * kernel[best_kernel][:, column]

        best_mix = max(MIXES, key=lambda mix: pearson(mixed(mix)[scored], target[scored]))

        def with_trees(share, column=column, best_mix=best_mix, mixed=mixed):
            return (1 - share) * mixed(best_mix) + share * trees[:, column]

        best_share = max(TREE_SHARES, key=lambda share: pearson(with_trees(share)[scored], target[scored]))
        factor = _spread(with_trees(best_share)[scored], target[scored])
        axes[name] = AxisSettings(best_ridge, best_kernel[0], best_kernel[1], best_mix, best_share, factor)
        centre = float(target.mean())
        estimates[name] = centre + factor * (with_trees(best_share) - centre)
    truth = np.argmax(stacked[:, len(TARGETS):], axis=1)
    best_classifier = max(kernel, key=lambda key: float(np.mean(np.argmax(kernel[key][:, len(TARGETS):], axis=1) == truth)))
    scores = kernel[best_classifier][:, len(TARGETS):]

    def snapped_r(snap):
        valence, arousal = snap_to_quadrants(estimates["valence"], estimates["arousal"], scores, snap)
        return pearson(valence[scored], targets["valence"][scored]) + pearson(arousal[scored], targets["arousal"][scored])

    best_snap = max(SNAPS, key=snapped_r)
    return Choice(axes=axes, classifier=ClassifierSettings(best_classifier[0], best_classifier[1], best_snap))


def fit(matrix: np.ndarray, targets: dict[str, np.ndarray], quadrants: Sequence[str],
        choice: Choice) -> tuple[dict, dict[str, np.ndarray]]:
    """Fit the chosen model on all of ``matrix``'s rows: (metadata, arrays) as the model file holds them,
    with the plane transform left out (``plane`` entries are filled by the caller)."""
    center, scale = standardisation(matrix)
    rows = standardise(matrix, center, scale)
    arrays: dict[str, np.ndarray] = {"center": center, "scale": scale, "support": rows}
    metadata_targets = {}
    for name in TARGETS:
        components = []
        for index, (weight, part) in enumerate(fit_axis(rows, targets[name], choice.axes[name])):
            key = f"{name}_{index}"
            if isinstance(part, Trees):
                names = {field: f"{key}_{field}" for field in ("feature", "threshold", "left", "right", "value")}
                for field, array_name in names.items():
                    arrays[array_name] = getattr(part, field)
                components.append({"kind": "trees", "weight": weight, "bias": part.base, **names})
            elif part.kind == "linear":
                arrays[f"{key}_weights"] = part.weights
                components.append({"kind": "linear", "weight": weight, "bias": float(part.bias), "weights": f"{key}_weights"})
            else:
                arrays[f"{key}_dual"] = part.dual
                components.append({"kind": "rbf", "weight": weight, "bias": float(part.bias), "support": "support",
                                   "dual": f"{key}_dual", "gamma": part.gamma})
        metadata_targets[name] = {"components": components, "settings": choice.axes[name].__dict__,
                                  "spread": {"centre": float(targets[name].mean()),
                                             "factor": choice.axes[name].spread_factor}}
    classifier = fit_kernel(rows, one_hot(quadrants), choice.classifier.kernel_penalty, choice.classifier.kernel_width)
    arrays["classifier_dual"] = classifier.dual
    metadata = {"clip": CLIP, "targets": metadata_targets,
                "classifier": {"kind": "rbf", "support": "support", "dual": "classifier_dual", "gamma": classifier.gamma,
                               "bias": [float(value) for value in classifier.bias], "snap": choice.classifier.snap,
                               "settings": choice.classifier.__dict__, "quadrants": list(QUADRANTS)}}
    return metadata, arrays


def as_model(metadata: dict, arrays: dict[str, np.ndarray], feature_names: Sequence[str]) -> SongEmotionModel:
    """The runtime model for ``fit``'s output (an identity plane transform when none is given), to score it
    exactly as the app will apply it."""
    identity = {"source_mean": 0.0, "source_std": 1.0, "plane_mean": 0.0, "plane_std": 1.0}
    targets = {name: {"plane": identity, **target} for name, target in metadata["targets"].items()}
    return model_from_parts({**metadata, "targets": targets, "feature_names": list(feature_names),
                             "format": FORMAT_VERSION}, arrays)
