"""A synthetic catalog for tests and benchmarks (uniform random points, no files)."""

from __future__ import annotations

import numpy as np

from tunex_core.music.catalog import Catalog


def synthetic_catalog(size: int, seed: int = 0, songs_per_artist: int = 10) -> Catalog:
    """A random catalog of ``size`` songs (uniform points, ~``songs_per_artist`` songs per artist),
    for benchmarks and tests."""
    if size < 1:
        raise ValueError("a synthetic catalog needs at least one song")
    generator = np.random.default_rng(seed)
    artist_count = max(1, size // max(1, songs_per_artist))
    artist_of_song = generator.integers(0, artist_count, size=size)
    return Catalog(
        np.arange(1, size + 1), [f"Synthetic song {index}" for index in range(1, size + 1)],
        [f"Synthetic artist {code}" for code in artist_of_song.tolist()],
        generator.random(size), generator.random(size), source=f"synthetic({size}, seed={seed})",
    )

