"""Tests for ``tests.music.catalog_factory``: the synthetic catalog the benchmarks and tests share."""

from __future__ import annotations

import numpy as np

from tests.music.catalog_factory import synthetic_catalog


def test_synthetic_catalog_is_reproducible():
    first, second = synthetic_catalog(1000, seed=3), synthetic_catalog(1000, seed=3)
    assert np.array_equal(first.points, second.points)
    assert first.artists == second.artists
    assert 50 <= len(first.artist_names) <= 100
