"""Place Spotify tracks on PMEmo's valence-arousal plane: a small fitted mapping, cross-validated.

PMEmo's valence and arousal are listener ratings; Spotify's ``valence`` and ``energy`` are
computed audio descriptors, related but not the same (r ≈ 0.42 and 0.62 on the songs in
both). On the songs that are in PMEmo *and* in a Spotify table this module compares, per axis:

``naive``           Spotify valence → valence, Spotify energy → arousal, unchanged;
``naive-rescaled``  the same single feature through a fitted straight line (``a + b·x``);
``ridge``           a ridge regression on the standardised ``FEATURES`` (valence, energy,
                    danceability, tempo, loudness, acousticness, mode, speechiness,
                    instrumentalness, liveness);
``ridge-spread``    the same ridge with its coefficients scaled so that its predictions on the
                    training songs spread as widely (standard deviation) as PMEmo's ratings.

Scores are Pearson r and mean absolute error of out-of-fold predictions from ``GroupKFold``
with the artists as groups, so no artist is both trained and tested on (songs of one artist
sound alike; mixing them would flatter the fit).

Choice: a least-squares fit (``naive-rescaled``, ``ridge``) has the lowest MAE because it pulls
every prediction toward PMEmo's mean; placed that way, 65,000 estimated songs would crowd the
middle of the plane and leave the corners (angry, fear, sad, disgust) to the few hundred rated
songs. So the candidates are the methods that keep the ratings' spread, ``SPREAD_KEEPING``
(``naive``, ``ridge-spread``), and the one with the higher cross-validated r is used for each
axis (r is what nearest-song ranking depends on), refitted on all overlapping songs. Its
coefficients are written as JSON by the build (``data/catalog_mapping.json``) with every
method's scores. Missing features are filled with the training mean (standardised value 0).

Range: a linear model extrapolates, and near-silent ambient tracks (energy 0.01) land below
0; clipping them would pile 2,000 songs onto arousal 0. So a prediction beyond the range the
training ratings span (``low``..``high``) is squashed smoothly into the gap to 0 or 1
(``low · exp((p − low) / low)`` below, the mirror image above): the order of songs is kept,
nothing leaves 0..1, and no two distant songs collapse onto one value.

Only numpy (scikit-learn is a build-only dependency, used by ``build.placement_features``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

AXES = ("valence", "arousal")
NAIVE_FEATURE = {"valence": "valence", "arousal": "energy"}
METHODS = ("naive", "naive-rescaled", "ridge", "ridge-spread")
SPREAD_KEEPING = ("naive", "ridge-spread")
RIDGE_PENALTY = 10.0
"""Ridge penalty on standardised features (with ~550 songs: mild shrinkage of 10 coefficients)."""
FOLDS = 5


class MappingError(ValueError):
    """The mapping cannot be fitted or read (too few songs, bad shapes, malformed JSON)."""


@dataclass(frozen=True)
class AxisModel:
    """A linear model for one axis: ``intercept + Σ coefficient·(x − mean)/scale``, squashed into 0..1
    beyond ``low``..``high`` (see the module docstring)."""

    axis: str
    method: str
    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    low: float = 0.0
    high: float = 1.0

    def predict(self, matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
        """Predictions for the rows of ``matrix`` whose columns are ``feature_names`` (NaN = missing)."""
        columns = [list(feature_names).index(name) for name in self.features]
        selected = np.asarray(matrix, dtype=np.float64)[:, columns]
        standardised = (selected - np.asarray(self.means)) / np.asarray(self.scales)
        standardised = np.where(np.isfinite(standardised), standardised, 0.0)
        return squash(self.intercept + standardised @ np.asarray(self.coefficients), self.low, self.high)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready coefficients."""
        return {"method": self.method, "features": list(self.features), "means": list(self.means),
                "scales": list(self.scales), "coefficients": list(self.coefficients),
                "intercept": self.intercept, "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, axis: str, data: dict) -> AxisModel:
        """The model written by ``as_dict``; raises ``MappingError`` when malformed."""
        try:
            model = cls(axis=axis, method=str(data["method"]), features=tuple(map(str, data["features"])),
                        means=tuple(map(float, data["means"])), scales=tuple(map(float, data["scales"])),
                        coefficients=tuple(map(float, data["coefficients"])), intercept=float(data["intercept"]),
                        low=float(data.get("low", 0.0)), high=float(data.get("high", 1.0)))
        except (KeyError, TypeError, ValueError) as error:
            raise MappingError(f"malformed {axis} mapping ({error!r})") from None
        if not len(model.features) == len(model.means) == len(model.scales) == len(model.coefficients):
            raise MappingError(f"{axis} mapping: features, means, scales and coefficients differ in length")
        return model


def squash(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` inside ``low``..``high`` unchanged; beyond it squeezed smoothly and monotonically into
    the gap to 0 or 1 (plain clipping when the gap is empty)."""
    values = np.asarray(values, dtype=np.float64)
    result = np.clip(values, 0.0, 1.0)
    if low > 0:
        below = values < low
        result[below] = low * np.exp((values[below] - low) / low)
    if high < 1:
        above = values > high
        result[above] = 1.0 - (1.0 - high) * np.exp((high - values[above]) / (1.0 - high))
    return result


@dataclass(frozen=True)
class AxisScore:
    """Cross-validated quality of one method on one axis."""

    axis: str
    method: str
    pearson_r: float
    mean_absolute_error: float


@dataclass(frozen=True)
class MappingFit:
    """The chosen model per axis, every method's cross-validated score, and the data behind them."""

    models: dict[str, AxisModel]
    scores: tuple[AxisScore, ...]
    songs: int
    artists: int
    folds: int

    def predict(self, matrix: np.ndarray, feature_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Valence and arousal for the rows of ``matrix``."""
        return (self.models["valence"].predict(matrix, feature_names),
                self.models["arousal"].predict(matrix, feature_names))

    def score(self, axis: str, method: str) -> AxisScore:
        """The cross-validated score of ``method`` on ``axis``."""
        return next(score for score in self.scores if score.axis == axis and score.method == method)

    def as_dict(self) -> dict[str, object]:
        """Everything needed to reproduce the estimates, and the evaluation, as JSON."""
        return {
            "songs": self.songs, "artists": self.artists, "folds": self.folds,
            "cross_validation": "GroupKFold by artist (numpy), out-of-fold predictions",
            "ridge_penalty": RIDGE_PENALTY,
            "models": {axis: model.as_dict() for axis, model in self.models.items()},
            "scores": [{"axis": score.axis, "method": score.method, "r": round(score.pearson_r, 4),
                        "mae": round(score.mean_absolute_error, 4)} for score in self.scores],
        }


def group_k_fold(groups: Sequence[object], folds: int = FOLDS) -> list[np.ndarray]:
    """Test-set indices of ``folds`` folds with no group in two folds (largest groups placed first,
    each into the currently smallest fold, like scikit-learn's ``GroupKFold``)."""
    labels, inverse, counts = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True,
                                        return_counts=True)
    if len(labels) < folds:
        raise MappingError(f"{len(labels)} artists cannot be split into {folds} folds")
    fold_sizes = np.zeros(folds, dtype=np.int64)
    fold_of_group = np.empty(len(labels), dtype=np.int64)
    for group in np.lexsort((labels, -counts)):
        smallest = int(np.argmin(fold_sizes))
        fold_of_group[group] = smallest
        fold_sizes[smallest] += counts[group]
    fold_of_sample = fold_of_group[inverse]
    return [np.flatnonzero(fold_of_sample == fold) for fold in range(folds)]


def fit_axis(matrix: np.ndarray, target: np.ndarray, feature_names: Sequence[str], axis: str, method: str,
             penalty: float = RIDGE_PENALTY) -> AxisModel:
    """Fit ``method`` for one axis on ``matrix`` (rows: songs; columns: ``feature_names``)."""
    names = list(feature_names)
    target = np.asarray(target, dtype=np.float64)
    if method == "naive":
        feature = NAIVE_FEATURE[axis]
        return AxisModel(axis, method, (feature,), (0.0,), (1.0,), (1.0,), 0.0)
    low, high = float(target.min()), float(target.max())
    chosen = [NAIVE_FEATURE[axis]] if method == "naive-rescaled" else names
    columns = np.asarray(matrix, dtype=np.float64)[:, [names.index(name) for name in chosen]]
    means = np.nanmean(columns, axis=0)
    scales = np.nanstd(columns, axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    standardised = np.where(np.isfinite(columns), (columns - means) / scales, 0.0)
    intercept = float(target.mean())
    centred = target - intercept
    shrink = 0.0 if method == "naive-rescaled" else penalty
    gram = standardised.T @ standardised + shrink * np.eye(len(chosen))
    coefficients = np.linalg.solve(gram, standardised.T @ centred)
    if method == "ridge-spread":
        fitted_spread = float(np.std(standardised @ coefficients))
        if fitted_spread > 0:
            coefficients = coefficients * (float(np.std(target)) / fitted_spread)
    return AxisModel(axis, method, tuple(chosen), tuple(means.tolist()), tuple(scales.tolist()),
                     tuple(coefficients.tolist()), intercept, low, high)


def _pearson(first: np.ndarray, second: np.ndarray) -> float:
    if np.std(first) == 0 or np.std(second) == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def fit_mapping(matrix: np.ndarray, valence: np.ndarray, arousal: np.ndarray, artists: Sequence[str],
                feature_names: Sequence[str], folds: int = FOLDS) -> MappingFit:
    """Cross-validate every method on both axes, pick per axis the spread-keeping method with the higher
    r (then the lower MAE), and refit it on all songs."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != len(valence) or matrix.shape[0] != len(arousal) \
            or matrix.shape[0] != len(artists) or matrix.shape[1] != len(feature_names):
        raise MappingError("features, targets and artists must describe the same songs")
    if matrix.shape[0] < 2 * folds:
        raise MappingError(f"{matrix.shape[0]} songs are too few to fit and cross-validate the mapping")
    test_folds = group_k_fold(artists, folds)
    targets = {"valence": np.asarray(valence, dtype=np.float64), "arousal": np.asarray(arousal, dtype=np.float64)}
    scores: list[AxisScore] = []
    models: dict[str, AxisModel] = {}
    for axis in AXES:
        target = targets[axis]
        best: tuple[float, float, str] | None = None
        for method in METHODS:
            predicted = np.empty_like(target)
            for test in test_folds:
                train = np.setdiff1d(np.arange(len(target)), test)
                model = fit_axis(matrix[train], target[train], feature_names, axis, method)
                predicted[test] = model.predict(matrix[test], feature_names)
            score = AxisScore(axis, method, _pearson(predicted, target), float(np.mean(np.abs(predicted - target))))
            scores.append(score)
            key = (-round(score.pearson_r, 4), score.mean_absolute_error, method)
            if method in SPREAD_KEEPING and (best is None or key < best):
                best = key
        assert best is not None
        models[axis] = fit_axis(matrix, target, feature_names, axis, best[2])
    return MappingFit(models=models, scores=tuple(scores), songs=int(matrix.shape[0]),
                      artists=len(set(artists)), folds=folds)
