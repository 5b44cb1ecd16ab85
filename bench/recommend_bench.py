"""Benchmark: recommendation latency and memory on catalogs of 767, 100k and 1M songs.

Run from the project root (it is a script, not a test)::

    python bench/recommend_bench.py                 # 767 (shipped), 100k, 1M
    python bench/recommend_bench.py --sizes 767 100000 --queries 50

For each catalog it reports the build time and the memory the catalog holds
(tracemalloc, strings included), then for random mood points:

* ``match`` — a top-20 match query, without and with feedback (50 liked and
  50 skipped songs, which adds sparse per-song and per-artist offsets);
* ``iso`` — a 10-song iso playlist (one catalog pass per waypoint);

with p50/p95 latency and the peak extra memory of one query. The 767-song
catalog is the shipped PMEmo one; the larger ones are ``synthetic_catalog``
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

from tunex_core.music.catalog import Catalog, load_catalog, synthetic_catalog
from tunex_core.music.feedback import FeedbackAdjustments, SongFeedback
from tunex_core.music.recommend import recommend

TOP = 20
ISO_LENGTH = 10
TARGET_MILLISECONDS = 20.0


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

    def run(point: np.ndarray) -> None:
        if query == "iso":
            playlist = recommend(catalog, point[0], point[1], mode="iso", target="happy", count=ISO_LENGTH)
        else:
            playlist = recommend(catalog, point[0], point[1], count=TOP, feedback=feedback)
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
    catalog = load_catalog() if size == 767 else synthetic_catalog(size, seed=size)
    seconds = time.perf_counter() - start
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return catalog, seconds, current / 2**20


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[767, 100_000, 1_000_000])
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
    for size in arguments.sizes:
        catalog, seconds, mebibytes = build(size)
        for query in ("match", "match + feedback", "iso"):
            queries = arguments.queries if size < 1_000_000 else arguments.queries // 2
            result = measure(catalog, query, queries, generator)
            if query.startswith("match"):
                worst_match_p50 = max(worst_match_p50, result.p50_ms)
            print(f"{size:>9,} | {seconds:>7.2f} | {mebibytes:>11.1f} | {query:<16} | "
                  f"{result.p50_ms:>7.2f} | {result.p95_ms:>7.2f} | {result.peak_kib:>14,.0f}")
        del catalog
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak process RSS {peak_rss:,.0f} MiB; worst match p50 {worst_match_p50:.2f} ms "
          f"(target <= {TARGET_MILLISECONDS:.0f} ms at 1M)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
