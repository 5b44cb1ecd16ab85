"""Benchmark: recommendation latency and memory on the shipped catalog and on 100k and 1M songs.

Run from the project root (it is a script, not a test)::

    python bench/recommend_bench.py                 # shipped (~66k), 100k, 1M
    python bench/recommend_bench.py --sizes 0 100000 --queries 50   # 0 = the shipped catalog

For each catalog it reports the build time and the memory the catalog holds
(tracemalloc, strings included), then for random mood points:

* ``match`` — a top-20 match query, without and with feedback (50 liked and
  50 skipped songs, which adds sparse per-song and per-artist offsets);
* ``match + filter`` — top-20 with the Playlist page's default filter without
  credentials (only songs with a Spotify id) plus a genre (shipped catalog only);
* ``iso`` — a 10-song iso playlist (one catalog pass per waypoint);

with p50/p95 latency and the peak extra memory of one query. Size 0 is the
shipped catalog (PMEmo's rated songs + the Spotify tracks, ``data/catalog.parquet``;
its "build" time is the load time); the others are ``synthetic_catalog``
(uniform points, about 10 songs per artist).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.music.catalog_factory import synthetic_catalog
from tunex_core.music.catalog import Catalog, CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.feedback import FeedbackAdjustments, SongFeedback
from tunex_core.music.recommend import recommend

TOP = 20
ISO_LENGTH = 10
TARGET_MILLISECONDS = 20.0
SHIPPED_TARGET_MILLISECONDS = 5.0
SHIPPED = 0
SHIPPED_FILTER = CatalogFilter(genres=frozenset({"rock", "pop"}), playable_only=True)


@dataclass(frozen=True)
class Measurement:
    """Latency percentiles and peak extra memory of one kind of query on one catalog."""

    size: int
    query: str
    p50_ms: float
    p95_ms: float
    peak_kib: float


def random_feedback(catalog: Catalog, generator: np.random.Generator, count: int = 50) -> FeedbackAdjustments:
    """``count`` liked and ``count`` skipped songs picked at random."""
    chosen = generator.choice(len(catalog), size=min(2 * count, len(catalog)), replace=False)
    songs = {}
    for position, index in enumerate(chosen.tolist()):
        music_id = int(catalog.music_ids[index])
        liked = position % 2 == 0
        songs[music_id] = SongFeedback(music_id, likes=1.0 if liked else 0.0, skips=0.0 if liked else 1.0)
    return FeedbackAdjustments(songs)


def measure(catalog: Catalog, query: str, queries: int, generator: np.random.Generator) -> Measurement:
    """Time ``queries`` random queries of one kind, then trace the memory of one more."""
    feedback = random_feedback(catalog, generator) if query == "match + feedback" else None
    points = generator.random((queries + 1, 2))

    song_filter = SHIPPED_FILTER if query == "match + filter" else None

    def run(point: np.ndarray) -> None:
        if query == "iso":
            playlist = recommend(catalog, point[0], point[1], mode="iso", target="happy", count=ISO_LENGTH)
        else:
            playlist = recommend(catalog, point[0], point[1], count=TOP, feedback=feedback, song_filter=song_filter)
        assert len(playlist) == (ISO_LENGTH if query == "iso" else TOP)

    run(points[0])  # warm-up: lazy indexes (artist groups) are built on first use
    timings = []
    for point in points[1:]:
        start = time.perf_counter()
        run(point)
        timings.append((time.perf_counter() - start) * 1000)
    gc.collect()
    tracemalloc.start()
    run(points[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Measurement(len(catalog), query, float(np.percentile(timings, 50)),
                       float(np.percentile(timings, 95)), peak / 1024)


def build(size: int) -> tuple[Catalog, float, float]:
    """The catalog of ``size`` songs, its build time in seconds and its memory in MiB."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    catalog = load_catalog() if size == SHIPPED else synthetic_catalog(size, seed=size)
    seconds = time.perf_counter() - start
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return catalog, seconds, current / 2**20


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[SHIPPED, 100_000, 1_000_000],
                        help="catalog sizes; 0 is the shipped catalog (default: 0 100000 1000000)")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per kind (default 200)")
    arguments = parser.parse_args(argv)

    generator = np.random.default_rng(2018)
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}; top-{TOP} match, {ISO_LENGTH}-song iso; "
          f"{arguments.queries} queries each\n")
    header = f"{'songs':>9} | {'build s':>7} | {'catalog MiB':>11} | {'query':<16} | {'p50 ms':>7} | " \
             f"{'p95 ms':>7} | {'peak KiB/query':>14}"
    print(header)
    print("-" * len(header))
    worst_match_p50 = 0.0
    shipped_match_p50 = None
    for size in arguments.sizes:
        catalog, seconds, mebibytes = build(size)
        queries_kinds = ("match", "match + feedback", "match + filter", "iso") if size == SHIPPED else (
            "match", "match + feedback", "iso")
        for query in queries_kinds:
            queries = arguments.queries if size < 1_000_000 else arguments.queries // 2
            result = measure(catalog, query, queries, generator)
            if query.startswith("match"):
                worst_match_p50 = max(worst_match_p50, result.p50_ms)
            if size == SHIPPED and query == "match":
                shipped_match_p50 = result.p50_ms
            label = f"{len(catalog):,}*" if size == SHIPPED else f"{size:,}"
            print(f"{label:>9} | {seconds:>7.2f} | {mebibytes:>11.1f} | {query:<16} | "
                  f"{result.p50_ms:>7.2f} | {result.p95_ms:>7.2f} | {result.peak_kib:>14,.0f}")
        del catalog
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n* the shipped catalog (build s = load time). Peak process RSS {peak_rss:,.0f} MiB; "
          f"worst match p50 {worst_match_p50:.2f} ms (target <= {TARGET_MILLISECONDS:.0f} ms at 1M)")
    if shipped_match_p50 is not None:
        print(f"shipped catalog top-{TOP} match p50 {shipped_match_p50:.2f} ms "
              f"(target <= {SHIPPED_TARGET_MILLISECONDS:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
