"""``python -m tunex_core catalog info``: what the song catalog holds.

Examples::

    python -m tunex_core catalog info            # a short summary
    python -m tunex_core catalog info --json     # one JSON object on stdout
    python -m tunex_core catalog info --catalog my_songs.csv --json

The JSON object has ``songs`` (rows), ``distinct_songs`` (flagged duplicates counted once),
``with_spotify_id``, ``pmemo_with_spotify_id`` (listener-rated songs with an id), ``rated``,
``estimated``, ``invalid_spotify_ids`` (dropped from a user catalog), ``genres`` and ``decades``
(song counts, unknown ones left out), ``source`` and ``load_seconds``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``catalog`` sub-command."""
    parser = subparsers.add_parser("catalog", help="describe the song catalog",
                                   description="Describe the song catalog (the shipped one or yours).")
    actions = parser.add_subparsers(dest="catalog_action", required=True, metavar="ACTION")
    info = actions.add_parser("info", help="songs, Spotify ids, rated/estimated, genres and decades")
    info.add_argument("--catalog", metavar="PATH", help="a catalog CSV or Parquet file (default: the shipped one)")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=run_info)


def catalog_info(catalog, load_seconds: float) -> dict[str, object]:
    """The summary ``catalog info`` prints, as a JSON-ready dict."""
    return {
        "songs": len(catalog),
        "distinct_songs": len(set(catalog.canonical_ids.tolist())),
        "with_spotify_id": int(catalog.has_spotify_id.sum()),
        "pmemo_with_spotify_id": int((catalog.has_spotify_id & catalog.rated).sum()),
        "rated": int(catalog.rated.sum()),
        "estimated": int((~catalog.rated).sum()),
        "invalid_spotify_ids": catalog.invalid_spotify_ids,
        "genres": catalog.genre_counts(),
        "decades": {str(decade): count for decade, count in catalog.decade_counts().items()},
        "source": catalog.source,
        "load_seconds": round(load_seconds, 3),
    }


def run_info(arguments: argparse.Namespace) -> int:
    """Handle ``catalog info``; exit 2 when the catalog cannot be loaded."""
    from tunex_core.music.catalog import CatalogError
    from tunex_core.music.catalog_io import load_catalog

    started = time.perf_counter()
    try:
        catalog = load_catalog(arguments.catalog)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    info = catalog_info(catalog, time.perf_counter() - started)
    if arguments.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    share = info["with_spotify_id"] / max(1, info["songs"])
    print(f"{info['songs']} songs ({info['distinct_songs']} distinct) from {info['source']}, "
          f"loaded in {info['load_seconds']:.2f} s")
    print(f"with a Spotify id: {info['with_spotify_id']} ({share:.1%}); listener-rated: {info['rated']} "
          f"({info['pmemo_with_spotify_id']} with an id); estimated from Spotify features: {info['estimated']}")
    if info["invalid_spotify_ids"]:
        print(f"invalid Spotify ids ignored: {info['invalid_spotify_ids']}")
    print("genres: " + (", ".join(f"{name} {count}" for name, count in info["genres"].items()) or "none"))
    print("decades: " + (", ".join(f"{decade}s {count}" for decade, count in info["decades"].items()) or "none"))
    return 0
