"""Place Spotify tracks on PMEmo's valence-arousal plane with a model fitted on every labelled source.

The features → valence/arousal mapping of ``build.mapping`` fitted on PMEmo alone learns PMEmo's
pop charts, whose ratings hug the calm-sad → excited-happy diagonal; tense, aggressive or dark
music is pulled to the middle. This module fits a model on PMEmo **plus** the Deezer mood set and
the 4Q/MERGE songs that match a Spotify track (``build.music_emotion``, values already on PMEmo's
scale), so songs of every quadrant teach it.

Features: ``build.placement_features`` (audio, decade, genre, duration, genre probabilities, title
sentiment and the artist's profile) and ``build.title_words`` (valence and arousal from the title's and artist's
words, learnt from all of Deezer's training songs), standardised; a missing value counts as the mean.

Model, per axis: the mean of a ridge regression and gradient-boosted trees (``build.gradient_boosting``,
numpy) on the same standardised features (``TREE_SHARE``). The trees find what a straight line cannot
(genre × energy, the tails of loudness and tempo); on Deezer's validation split the mix scored about
0.43/0.43 where the ridge alone scored 0.40/0.38 with the same features 0.41/0.42. A PMEmo weight of
2 counts each PMEmo song twice (the trees see it twice).

Weights: each source's songs can weigh more or less (``SOURCE_WEIGHTS``); PMEmo's listener
ratings are the reference plane and the catalog's only direct ratings, the tag-derived labels
are noisier. The weight (and the ridge penalty) are chosen (``CANDIDATES``) by the mean of Deezer's
validation r (valence, arousal; a model fitted on the training songs only) among the candidates whose
PMEmo artist-grouped cross-validated r (a fold's artists left out of every source) stays at or above
``PMEMO_FLOOR``. Deezer's test split is not in ../shared and is never used.

Spread: the two axes' predictions get the labels' joint covariance (``joint_spread``: the same per-axis
spread as the labels, and their valence-arousal correlation; without it valence and arousal, predicted
from the same features, correlate 0.73-0.79 and every song lands on one diagonal); and predictions
beyond the labels' range are squashed smoothly into the gap to 0 or 1.

The chosen model is refitted on every labelled song (Deezer validation included) and places
every catalog track that has no PMEmo rating; songs PMEmo rated keep their rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tunex_core.music.build.gradient_boosting import Trees, fit_trees
from tunex_core.music.build.mapping import AXES, AxisModel, MappingError, group_k_fold, squash
from tunex_core.music.build.music_emotion import DEEZER, PMEMO, QUADRANTS, quadrant_of

SOURCE_WEIGHTS: tuple[float, ...] = (1.0, 2.0)
"""Candidate weights of a PMEmo song relative to one Deezer or 4Q song (whole numbers: the trees repeat rows)."""
PENALTIES: tuple[float, ...] = (100.0,)
TREE_SHARE = 0.5
"""Share of the boosted trees in each axis's estimate (the rest is the ridge's)."""
TREE_SEED = 0
CANDIDATES: tuple[tuple[float, float], ...] = tuple((weight, penalty) for weight in SOURCE_WEIGHTS
                                                   for penalty in PENALTIES)
PMEMO_FLOOR: tuple[float, float] = (0.57, 0.63)
"""Lowest PMEmo artist-grouped CV r (valence, arousal) a candidate may have: issue 43's bound, the
PMEmo-only mapping's 0.60 / 0.66 less 0.03. Above it, Deezer's validation r decides: the catalog's placed
songs are unrated songs like Deezer's, while PMEmo's own songs keep their ratings."""
FOLDS = 5
TRAIN, VALIDATION = "train", "validation"


@dataclass(frozen=True)
class TrainingSong:
    """One labelled song matched to a Spotify track: its source, split, labels on PMEmo's plane and artist."""

    source: str
    split: str
    valence: float
    arousal: float
    artist: str
    quadrant: str = ""


@dataclass(frozen=True)
class SourceScore:
    """Pearson r of the placement against one source's labels (``songs`` songs), overall and per quadrant."""

    source: str
    evaluation: str
    songs: int
    valence_r: float
    arousal_r: float
    per_quadrant: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"source": self.source, "evaluation": self.evaluation, "songs": self.songs,
                "valence_r": _rounded(self.valence_r), "arousal_r": _rounded(self.arousal_r),
                "per_quadrant": {quadrant: {key: _rounded(value) if isinstance(value, float) else value
                                            for key, value in scores.items()}
                                 for quadrant, scores in self.per_quadrant.items()}}


def _rounded(value: float) -> float | None:
    """JSON has no NaN: an r that cannot be computed (too few songs) is written as null."""
    return None if not np.isfinite(value) else round(float(value), 4)


@dataclass(frozen=True)
class AxisEstimate:
    """One axis's estimate: ``(1 − TREE_SHARE)`` × the ridge ``linear`` + ``TREE_SHARE`` × the ``trees`` on the
    same standardised features (the ridge's means and scales)."""

    linear: AxisModel
    trees: Trees

    def raw(self, matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
        """The estimate for the rows of ``matrix`` before the joint spread."""
        standardised = standardise(self.linear, matrix, feature_names)
        linear = self.linear.intercept + standardised @ np.asarray(self.linear.coefficients)
        return (1.0 - TREE_SHARE) * linear + TREE_SHARE * self.trees.predict(standardised)


@dataclass(frozen=True)
class Placement:
    """Two estimates (valence, arousal) and the affine map that gives them the labels' joint spread
    (``joint_spread``); predictions beyond the labels' range are squashed into 0..1."""

    models: dict[str, AxisEstimate]
    centre: tuple[float, float]
    transform: tuple[tuple[float, float], tuple[float, float]]

    def raw(self, matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
        """``(n, 2)`` estimates before the joint spread."""
        return np.column_stack([self.models[axis].raw(matrix, feature_names) for axis in AXES])

    def predict(self, matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
        """``(n, 2)`` valence and arousal for the rows of ``matrix``."""
        centre = np.asarray(self.centre)
        moved = centre + (self.raw(matrix, feature_names) - centre) @ np.asarray(self.transform)
        return np.column_stack([squash(moved[:, index], self.models[axis].linear.low, self.models[axis].linear.high)
                                for index, axis in enumerate(AXES)])

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: the ridge coefficients and the trees' size (the trees themselves are rebuilt by the build)."""
        return {"models": {axis: {"ridge": model.linear.as_dict(), "tree_share": TREE_SHARE,
                                  "trees": {"count": int(model.trees.feature.shape[0]),
                                            "nodes_per_tree": int(model.trees.feature.shape[1]),
                                            "base": model.trees.base, "seed": TREE_SEED}}
                           for axis, model in self.models.items()},
                "joint_spread": {"centre": list(self.centre), "transform": [list(row) for row in self.transform]}}


def standardise(model: AxisModel, matrix: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    """``model``'s features of ``matrix``, standardised with its means and scales (missing → 0, the mean)."""
    columns = [list(feature_names).index(name) for name in model.features]
    selected = np.asarray(matrix, dtype=np.float64)[:, columns]
    standardised = (selected - np.asarray(model.means)) / np.asarray(model.scales)
    return np.where(np.isfinite(standardised), standardised, 0.0)


def _square_root(covariance: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(covariance)
    return vectors @ np.diag(np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def joint_spread(predicted: np.ndarray, labels: np.ndarray, weights: np.ndarray
                 ) -> tuple[tuple[float, float], tuple[tuple[float, float], tuple[float, float]]]:
    """The centre and 2x2 matrix that give ``predicted`` the labels' (weighted) covariance.

    Valence and arousal are predicted from the same audio features, so the two predictions correlate
    far more than listeners' or taggers' labels do (0.79 against 0.40-0.71 here): every song would land
    on one diagonal. Mapping the predictions' covariance onto the labels' (symmetric whitening, then
    colouring: ``Cp^-1/2 · Cl^1/2``) keeps the per-axis spread as ``ridge-spread`` does and also the
    labels' valence-arousal correlation.
    """
    shares = weights / weights.sum()
    centre = shares @ predicted
    label_centre = shares @ labels
    predicted_covariance = ((predicted - centre) * shares[:, None]).T @ (predicted - centre)
    label_covariance = ((labels - label_centre) * shares[:, None]).T @ (labels - label_centre)
    transform = np.linalg.inv(_square_root(predicted_covariance)) @ _square_root(label_covariance)
    return (float(centre[0]), float(centre[1])), tuple(tuple(float(value) for value in row) for row in transform)


@dataclass(frozen=True)
class PlacementFit:
    """The chosen placement model, how it was chosen and what it scores."""

    placement: Placement
    weight: float
    penalty: float
    candidates: tuple[dict[str, float], ...]
    scores: tuple[SourceScore, ...]
    songs_per_source: dict[str, int]

    def predict(self, matrix: np.ndarray, feature_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Valence and arousal for the rows of ``matrix``."""
        placed = self.placement.predict(matrix, feature_names)
        return placed[:, 0], placed[:, 1]

    def score(self, source: str, evaluation: str) -> SourceScore:
        """The score of ``source`` under ``evaluation``."""
        return next(score for score in self.scores if score.source == source and score.evaluation == evaluation)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: the coefficients, the choice and every score."""
        return {"method": "ridge + boosted trees (mean), joint spread kept, on PMEmo + Deezer + 4Q/MERGE "
                          "(build.placement)",
                "pmemo_weight": self.weight, "ridge_penalty": self.penalty,
                "songs_per_source": dict(sorted(self.songs_per_source.items())),
                "candidates": list(self.candidates),
                **self.placement.as_dict(),
                "scores": [score.as_dict() for score in self.scores]}


def fit_ridge(matrix: np.ndarray, target: np.ndarray, weights: np.ndarray, feature_names: Sequence[str],
              axis: str, penalty: float, keep_spread: bool = True) -> AxisModel:
    """A weighted ridge on standardised features; with ``keep_spread`` its coefficients are scaled so that its
    predictions on the training songs spread as widely as ``target`` (a least-squares fit pulls to the mean)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64) / np.mean(weights)
    present = np.isfinite(matrix).any(axis=0)  # a feature no training song has (no duration) stays 0
    means = np.nanmean(np.where(present, matrix, 0.0), axis=0)
    scales = np.nanstd(np.where(present, matrix, 0.0), axis=0)
    scales = np.where(scales > 0, scales, 1.0)
    standardised = np.where(np.isfinite(matrix), (matrix - means) / scales, 0.0)
    intercept = float(np.average(target, weights=weights))
    centred = target - intercept
    weighted = standardised * weights[:, None]
    gram = standardised.T @ weighted + penalty * np.eye(matrix.shape[1])
    coefficients = np.linalg.solve(gram, weighted.T @ centred)
    fitted = standardised @ coefficients
    fitted_spread = float(np.sqrt(np.average((fitted - np.average(fitted, weights=weights)) ** 2, weights=weights)))
    target_spread = float(np.sqrt(np.average(centred ** 2, weights=weights)))
    if keep_spread and fitted_spread > 0:
        coefficients = coefficients * (target_spread / fitted_spread)
    return AxisModel(axis, "ridge-spread" if keep_spread else "ridge", tuple(feature_names), tuple(means.tolist()),
                     tuple(scales.tolist()), tuple(coefficients.tolist()), intercept, float(np.min(target)),
                     float(np.max(target)))


def _pearson(first: np.ndarray, second: np.ndarray) -> float:
    if len(first) < 3 or np.std(first) == 0 or np.std(second) == 0:
        return float("nan")
    return float(np.corrcoef(first, second)[0, 1])


def _score(source: str, evaluation: str, predicted: np.ndarray, labels: np.ndarray,
           quadrants: Sequence[str], centre: tuple[float, float]) -> SourceScore:
    quadrants = np.asarray(quadrants, dtype=object)
    per_quadrant = {}
    for quadrant in QUADRANTS:
        chosen = quadrants == quadrant
        if chosen.sum() >= 3:
            per_quadrant[quadrant] = {
                "songs": int(chosen.sum()),
                "valence_r": _pearson(predicted[chosen, 0], labels[chosen, 0]),
                "arousal_r": _pearson(predicted[chosen, 1], labels[chosen, 1]),
                "placed_in_same_quadrant": float(np.mean([quadrant_of(v, a, centre) == quadrant
                                                     for v, a in predicted[chosen]]))}
    return SourceScore(source, evaluation, len(labels), _pearson(predicted[:, 0], labels[:, 0]),
                       _pearson(predicted[:, 1], labels[:, 1]), per_quadrant)


def _fit_axis(matrix: np.ndarray, target: np.ndarray, weights: np.ndarray, names: Sequence[str], axis: str,
              penalty: float) -> AxisEstimate:
    linear = fit_ridge(matrix, target, weights, names, axis, penalty, keep_spread=False)
    repeats = np.rint(np.asarray(weights, dtype=np.float64) / np.min(weights)).astype(np.int64)
    standardised = np.repeat(standardise(linear, matrix, names), repeats, axis=0)
    return AxisEstimate(linear, fit_trees(standardised, np.repeat(target, repeats), seed=TREE_SEED))


def _fit_both(matrix, labels, weights, names, penalty) -> Placement:
    models = {axis: _fit_axis(matrix, labels[:, index], weights, names, axis, penalty)
              for index, axis in enumerate(AXES)}
    raw = np.column_stack([models[axis].raw(matrix, names) for axis in AXES])
    centre, transform = joint_spread(raw, labels, np.asarray(weights, dtype=np.float64))
    return Placement(models, centre, transform)


def _predict(placement: Placement, matrix: np.ndarray, names: Sequence[str]) -> np.ndarray:
    return placement.predict(matrix, names)


def evaluate(songs: Sequence[TrainingSong], matrix: np.ndarray, names: Sequence[str], weight: float,
             penalty: float) -> tuple[SourceScore, ...]:
    """Deezer validation scores (fit on every training-split song) and artist-grouped cross-validated
    scores of every source's training songs (each fold's artists held out of every source)."""
    source = np.array([song.source for song in songs], dtype=object)
    split = np.array([song.split for song in songs], dtype=object)
    artists = np.array([song.artist for song in songs], dtype=object)
    labels = np.array([[song.valence, song.arousal] for song in songs], dtype=np.float64)
    quadrants = [song.quadrant for song in songs]
    weights = np.where(source == PMEMO, weight, 1.0)
    train = split == TRAIN
    pmemo = source == PMEMO
    centre = (float(labels[pmemo, 0].mean()), float(labels[pmemo, 1].mean())) if pmemo.any() else (0.5, 0.5)
    scores = []
    validation = (source == DEEZER) & (split == VALIDATION)
    if validation.any():
        models = _fit_both(matrix[train], labels[train], weights[train], names, penalty)
        predicted = _predict(models, matrix[validation], names)
        scores.append(_score(DEEZER, "validation split", predicted, labels[validation],
                             [quadrants[index] for index in np.flatnonzero(validation)], centre))
    train_indices = np.flatnonzero(train)
    predicted = np.full_like(labels, np.nan)
    for test in group_k_fold(artists[train_indices], FOLDS):
        held_out = train_indices[test]
        fit_on = train & ~np.isin(artists, artists[held_out])
        models = _fit_both(matrix[fit_on], labels[fit_on], weights[fit_on], names, penalty)
        predicted[held_out] = _predict(models, matrix[held_out], names)
    for name in sorted(set(source[train])):
        chosen = train & (source == name)
        scores.append(_score(name, "artist-grouped CV", predicted[chosen], labels[chosen],
                             [quadrants[index] for index in np.flatnonzero(chosen)], centre))
    return tuple(scores)


def _objective(scores: Sequence[SourceScore]) -> float:
    """The choice's score (higher wins): the mean Deezer-validation r of a candidate whose PMEmo artist-grouped CV
    r stays at or above ``PMEMO_FLOOR`` on both axes; a candidate below the floor ranks under every one above
    it (by its PMEmo r), so some candidate is always chosen."""
    scored = {(score.source, score.evaluation): score for score in scores}
    pmemo = scored.get((PMEMO, "artist-grouped CV"))
    deezer = scored.get((DEEZER, "validation split"))
    pmemo_values = (pmemo.valence_r, pmemo.arousal_r) if pmemo else (float("nan"),) * 2
    if deezer is None or not all(value >= floor for value, floor in zip(pmemo_values, PMEMO_FLOOR, strict=True)):
        return float(np.nanmean(pmemo_values)) - 2.0
    return float(np.mean([deezer.valence_r, deezer.arousal_r]))


def fit_placement(songs: Sequence[TrainingSong], matrix: np.ndarray, names: Sequence[str]) -> PlacementFit:
    """Choose the PMEmo weight and ridge penalty (``CANDIDATES``), report every score of the choice and refit
    it on every labelled song."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (len(songs), len(names)):
        raise MappingError("features, labels and names must describe the same songs")
    if sum(song.source == PMEMO for song in songs) < 2 * FOLDS:
        raise MappingError(f"{len(songs)} labelled songs are too few to fit and cross-validate the placement")
    candidates = []
    best: tuple[float, float, float, tuple[SourceScore, ...]] | None = None
    for weight, penalty in CANDIDATES:
        scores = evaluate(songs, matrix, names, weight, penalty)
        objective = _objective(scores)
        candidates.append({"pmemo_weight": weight, "ridge_penalty": penalty, "objective": _rounded(objective),
                           **{f"{score.source} {score.evaluation} {axis}": _rounded(getattr(score, f"{axis}_r"))
                              for score in scores for axis in AXES
                              if score.source in (DEEZER, PMEMO)}})
        if best is None or objective > best[0] + 1e-12:
            best = (objective, weight, penalty, scores)
    assert best is not None
    _, weight, penalty, scores = best
    source = np.array([song.source for song in songs], dtype=object)
    labels = np.array([[song.valence, song.arousal] for song in songs], dtype=np.float64)
    placement = _fit_both(matrix, labels, np.where(source == PMEMO, weight, 1.0), names, penalty)
    counts: dict[str, int] = {}
    for song in songs:
        key = f"{song.source} {song.split}"
        counts[key] = counts.get(key, 0) + 1
    return PlacementFit(placement=placement, weight=weight, penalty=penalty, candidates=tuple(candidates),
                        scores=scores, songs_per_source=counts)


def clip_labels(values: np.ndarray) -> np.ndarray:
    """Labels moved onto PMEmo's plane can leave 0..1 at the extremes of a tag-derived scale: clipped."""
    return np.clip(values, 0.0, 1.0)


__all__ = ["AxisEstimate", "Placement", "PlacementFit", "SourceScore", "TrainingSong", "clip_labels", "fit_placement",
           "fit_ridge", "squash"]
