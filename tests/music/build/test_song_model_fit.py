"""Tests for ``tunex_core.music.build.song_model_fit``: the estimators' building blocks on known data (the choice by
grouped cross-validation runs end to end in test_song_model.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.music.audio.model import MIDPOINT, QUADRANTS
from tunex_core.music.build.song_model_fit import (
    CLIP,
    fit_kernel,
    fit_ridge,
    one_hot,
    pearson,
    quadrants_of,
    squared_distances,
    standardisation,
    standardise,
)


def test_standardisation_gives_zero_mean_unit_spread_and_leaves_constant_columns_alone():
    matrix = np.array([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 1000.0]])
    center, scale = standardisation(matrix)
    assert scale[1] == 1.0  # a constant column is not divided by zero
    rows = standardise(matrix, center, scale)
    np.testing.assert_allclose(rows[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(rows[:, 0].std(), 1.0)
    assert np.all(rows[:, 1] == 0.0) and np.abs(rows).max() <= CLIP
    assert standardise(np.array([[1e6, 0.0, 0.0]]), center, scale)[0, 0] == CLIP  # an outlier is clipped


def test_squared_distances_match_the_definition_and_are_never_negative():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    expected = ((first[:, None, :] - second[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(squared_distances(first, second), expected, atol=1e-12)
    assert np.all(np.diag(squared_distances(first, first)) >= 0.0)


def test_pearson_is_zero_when_a_side_is_constant():
    assert pearson(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])) == pytest.approx(1.0)
    assert pearson(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 4.0])) == pytest.approx(0.8)
    assert pearson(np.array([1.0, 2.0, 3.0]), np.array([-1.0, -2.0, -3.0])) == pytest.approx(-1.0)
    assert pearson(np.ones(3), np.array([1.0, 2.0, 3.0])) == 0.0


def test_ridge_recovers_a_linear_relation_and_kernel_ridge_fits_a_curve():
    rng = np.random.default_rng(1)
    raw = rng.normal(loc=3.0, scale=2.0, size=(200, 2))
    rows = standardise(raw, *standardisation(raw))  # the fits expect standardised rows, as the model file applies
    target = 0.5 + 2.0 * rows[:, 0] - rows[:, 1]
    ridge = fit_ridge(rows, target, penalty=1e-6)
    np.testing.assert_allclose(ridge.weights, [2.0, -1.0], atol=1e-3)
    np.testing.assert_allclose(ridge.predict(rows), target, atol=1e-3)
    curve = np.sin(2.0 * rows[:, 0])
    kernel = fit_kernel(rows, curve, penalty=1e-3, width=2.0)
    assert pearson(kernel.predict(rows), curve) > 0.99
    assert pearson(fit_ridge(rows, curve, penalty=1e-6).predict(rows), curve) < 0.9  # a line cannot follow it


def test_quadrants_and_their_one_hot_codes():
    high, low = MIDPOINT + 0.1, MIDPOINT - 0.1
    names = quadrants_of(np.array([high, low, low, high, MIDPOINT]), np.array([high, high, low, low, MIDPOINT]))
    assert names.tolist() == ["Q1", "Q2", "Q3", "Q4", "Q1"]  # the midpoint itself counts as high
    codes = one_hot(names)
    assert codes.shape == (5, len(QUADRANTS)) and np.all(codes.sum(axis=1) == 1.0)
    assert [QUADRANTS[index] for index in codes.argmax(axis=1)] == names.tolist()
