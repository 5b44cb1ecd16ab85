"""``python -m tunex_core catalog info``: what the song catalog holds.

Examples::

    python -m tunex_core catalog info            # a short summary
    python -m tunex_core catalog info --json     # one JSON object on stdout
    python -m tunex_core catalog info --catalog my_songs.csv --json
    python -m tunex_core catalog regions         # songs, top artists and genres per emotion region

The JSON object has ``songs`` (rows), ``distinct_songs`` (flagged duplicates counted once),
``with_spotify_id``, ``pmemo_with_spotify_id`` (listener-rated songs with an id), ``rated``,
``estimated``, ``invalid_spotify_ids`` (dropped from a user catalog), ``genres`` and ``decades``
(song counts, unknown ones left out), ``languages`` (songs per estimated language code,
``unknown`` included), ``regions`` (songs per emotion region), ``source`` and
``load_seconds``. ``catalog regions`` lists each emotion region's songs, top artists and genres.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from tunex_core.commands import add_command_with_actions, add_json_option


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``catalog`` sub-command."""
    actions = add_command_with_actions(subparsers, "catalog", help_text="describe the song catalog",
                                       description="Describe the song catalog (the shipped one or yours).")
    info = actions.add_parser("info", help="songs, Spotify ids, rated/estimated, genres and decades")
    info.add_argument("--catalog", metavar="PATH", help="a catalog CSV or Parquet file (default: the shipped one)")
    add_json_option(info)
    info.set_defaults(handler=run_info)
    regions = actions.add_parser("regions", help="songs, top artists and top (sub)genres per emotion region")
    regions.add_argument("--catalog", metavar="PATH", help="a catalog CSV or Parquet file (default: the shipped one)")
    regions.add_argument("--top", type=int, default=5, help="how many artists and genres per region (default 5)")
    add_json_option(regions)
    regions.set_defaults(handler=run_regions)


def region_summary(catalog, top: int = 5) -> dict[str, dict[str, object]]:
    """Per emotion region (nearest emotion point, as on the Song map): songs, share of the catalog, the most
    frequent artists and TidyTuesday subgenres (genre where no subgenre; songs without either left out)."""
    from collections import Counter

    import numpy as np

    from tunex_core.emotions import EMOTIONS

    summary = {}
    for index, emotion in enumerate(EMOTIONS):
        members = np.flatnonzero(catalog.region_indices == index).tolist()
        genres = Counter(catalog.subgenres[member] or catalog.genres[member] for member in members)
        genres.pop("", None)
        artists = Counter(catalog.artists[member] for member in members)
        summary[emotion.name] = {
            "songs": len(members), "share": round(len(members) / max(1, len(catalog)), 4),
            "top_artists": [[name, count] for name, count in sorted(artists.items(), key=lambda item: (-item[1], item[0]))[:top]],
            "top_genres": [[name, count] for name, count in sorted(genres.items(), key=lambda item: (-item[1], item[0]))[:top]],
        }
    return summary


def run_regions(arguments: argparse.Namespace) -> int:
    """Handle ``catalog regions``; exit 2 when the catalog cannot be loaded."""
    from tunex_core.music.catalog import CatalogError
    from tunex_core.music.catalog_io import load_catalog

    try:
        catalog = load_catalog(arguments.catalog)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = region_summary(catalog, max(1, arguments.top))
    if arguments.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    for name, region in summary.items():
        artists = ", ".join(f"{artist} {count}" for artist, count in region["top_artists"])
        genres = ", ".join(f"{genre} {count}" for genre, count in region["top_genres"]) or "none"
        print(f"{name}: {region['songs']} songs ({region['share']:.1%}); artists: {artists}; genres: {genres}")
    return 0


def catalog_info(catalog, load_seconds: float) -> dict[str, object]:
    """The summary ``catalog info`` prints, as a JSON-ready dict."""
    import numpy as np

    from tunex_core.emotions import EMOTION_NAMES

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
        "languages": catalog.language_counts(),
        "regions": {name: int(count) for name, count in zip(
            EMOTION_NAMES, np.bincount(catalog.region_indices.astype(np.int64), minlength=len(EMOTION_NAMES)),
            strict=True)},
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
    print("languages: " + ", ".join(f"{code} {count}" for code, count in info["languages"].items()))
    print("decades: " + (", ".join(f"{decade}s {count}" for decade, count in info["decades"].items()) or "none"))
    return 0
