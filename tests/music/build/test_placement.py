"""Tests for ``tunex_core.music.build.placement``: joint spread, the weighted ridge, the choice and its scores."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.music.build.mapping import MappingError
from tunex_core.music.build.placement import TrainingSong, fit_placement, fit_ridge, joint_spread

NAMES = ("energy", "valence", "noise")


def test_joint_spread_gives_the_predictions_the_labels_covariance():
    generator = np.random.default_rng(3)
    labels = generator.multivariate_normal([0.5, 0.6], [[0.03, 0.01], [0.01, 0.04]], size=2000)
    shared = generator.normal(size=2000)
    predicted = np.column_stack([0.5 + 0.1 * shared + 0.02 * generator.normal(size=2000),
                                 0.6 + 0.1 * shared + 0.02 * generator.normal(size=2000)])
    centre, transform = joint_spread(predicted, labels, np.ones(2000))
    moved = np.asarray(centre) + (predicted - np.asarray(centre)) @ np.asarray(transform)
    assert np.corrcoef(predicted.T)[0, 1] > 0.9
    assert np.cov(moved.T) == pytest.approx(np.cov(labels.T), abs=2e-3)


def test_the_estimate_mixes_ridge_and_trees_and_a_pmemo_weight_repeats_rows_for_the_trees():
    from tunex_core.music.build.placement import TREE_SHARE, _fit_axis

    generator = np.random.default_rng(6)
    matrix = generator.random((300, 3))
    target = np.where(matrix[:, 0] > 0.5, 0.8, 0.2) + generator.normal(0, 0.02, 300)  # a step: trees find it
    weights = np.where(np.arange(300) < 100, 2.0, 1.0)
    estimate = _fit_axis(matrix, target, weights, NAMES, "valence", 10.0)
    assert estimate.trees.base == pytest.approx(np.average(target, weights=weights), abs=1e-9)
    assert np.corrcoef(estimate.raw(matrix, NAMES), target)[0, 1] > 0.95
    standardised = (matrix - np.asarray(estimate.linear.means)) / np.asarray(estimate.linear.scales)
    linear = estimate.linear.intercept + standardised @ np.asarray(estimate.linear.coefficients)
    expected = (1 - TREE_SHARE) * linear + TREE_SHARE * estimate.trees.predict(standardised)
    assert estimate.raw(matrix, NAMES) == pytest.approx(expected)


def test_a_weighted_ridge_keeps_the_labels_spread():
    generator = np.random.default_rng(4)
    matrix = generator.random((400, 3))
    target = 0.2 + 0.5 * matrix[:, 0] + generator.normal(0, 0.05, 400)
    model = fit_ridge(matrix, target, np.ones(400), NAMES, "arousal", 10.0)
    predicted = model.predict(matrix, NAMES)
    assert np.std(predicted) == pytest.approx(np.std(target), rel=0.02)
    assert np.corrcoef(predicted, target)[0, 1] > 0.9


def synthetic_songs(generator, count, source, split, noise):
    features = generator.random((count, 3))
    valence = 0.3 + 0.4 * features[:, 1] + generator.normal(0, noise, count)
    arousal = 0.2 + 0.6 * features[:, 0] + generator.normal(0, noise, count)
    songs = [TrainingSong(source, split, float(v), float(a), f"{source} artist {index % 25}")
             for index, (v, a) in enumerate(zip(valence, arousal, strict=True))]
    return songs, features


def test_the_placement_is_chosen_scored_per_source_and_refitted():
    generator = np.random.default_rng(5)
    pmemo, pmemo_features = synthetic_songs(generator, 200, "pmemo", "train", 0.03)
    train, train_features = synthetic_songs(generator, 300, "deezer", "train", 0.15)
    validation, validation_features = synthetic_songs(generator, 100, "deezer", "validation", 0.15)
    songs = [*pmemo, *train, *validation]
    matrix = np.vstack([pmemo_features, train_features, validation_features])
    fit = fit_placement(songs, matrix, NAMES)
    assert fit.score("deezer", "validation split").valence_r > 0.5
    assert fit.score("pmemo", "artist-grouped CV").arousal_r > 0.9
    assert len(fit.candidates) == 2 and fit.weight in (1.0, 2.0)
    valence, arousal = fit.predict(matrix, NAMES)
    assert np.all((valence >= 0) & (valence <= 1) & (arousal >= 0) & (arousal <= 1))
    assert fit.songs_per_source == {"pmemo train": 200, "deezer train": 300, "deezer validation": 100}
    with pytest.raises(MappingError):
        fit_placement(songs[:5], matrix[:5], NAMES)


def test_the_choice_takes_deezers_best_among_candidates_above_pmemos_floor():
    from tunex_core.music.build.placement import PMEMO_FLOOR, SourceScore, _objective

    def scores(deezer: float, pmemo: tuple[float, float]) -> tuple[SourceScore, ...]:
        return (SourceScore("deezer", "validation split", 600, deezer, deezer),
                SourceScore("pmemo", "artist-grouped CV", 599, *pmemo))

    above = (PMEMO_FLOOR[0] + 0.01, PMEMO_FLOOR[1] + 0.01)
    below = (PMEMO_FLOOR[0] + 0.05, PMEMO_FLOOR[1] - 0.001)  # arousal under the floor
    assert _objective(scores(0.40, above)) > _objective(scores(0.38, above))
    assert _objective(scores(0.30, above)) > _objective(scores(0.50, below))  # the floor comes first
    assert _objective(scores(0.30, (0.60, 0.62))) > _objective(scores(0.30, (0.50, 0.50)))  # all below: PMEmo's r
