"""``python -m tunex_core spotify``: resolve a song to a Spotify track, check the connection."""

from __future__ import annotations

import argparse
import json

from tunex_core.commands import print_storage_warnings


def register(subparsers) -> None:
    """Add ``spotify resolve`` and ``spotify status``."""
    parser = subparsers.add_parser("spotify", help="Spotify track lookup (search only)",
                                   description="Look songs up on Spotify with the configured app.")
    commands = parser.add_subparsers(dest="spotify_command", required=True, metavar="ACTION")

    resolve = commands.add_parser(
        "resolve", help="find the Spotify track of a song",
        description="Find the Spotify track of a song (cached in the TuneX database). With --json the "
                    'last line is {"id", "uri", "embed_url", ...} or {"id": null, "reason": ...}.')
    resolve.add_argument("--title", required=True, help="song title")
    resolve.add_argument("--artist", required=True, help="artist credit")
    resolve.add_argument("--json", action="store_true", help="print a JSON object as the last line")
    resolve.add_argument("--no-cache", action="store_true",
                         help="ask Spotify even when the answer is cached (the new answer is stored)")
    resolve.set_defaults(handler=run_resolve)

    status = commands.add_parser("status", help="check the Spotify configuration and connection")
    status.set_defaults(handler=run_status)


def _non_empty(value: str, name: str) -> str:
    if not value.strip():
        raise SystemExit(f"error: --{name} must not be empty")
    return value


def run_resolve(arguments: argparse.Namespace) -> int:
    """Resolve one song and print the outcome."""
    from tunex_core.music.spotify import SpotifyService

    title = _non_empty(arguments.title, "title")
    artist = _non_empty(arguments.artist, "artist")
    service = SpotifyService.from_environment()
    resolution = service.resolve(title, artist, use_cache=not arguments.no_cache)
    source = "cache" if resolution.cached else f"Spotify {resolution.status.value}"
    if resolution.track is not None:
        print(f"{resolution.track.title} — {resolution.track.artist} ({source}, score "
              f"{resolution.track.score})")
        print(resolution.track.embed_url)
    else:
        print(f"not found ({source}): {resolution.reason}")
    print_storage_warnings()  # the cache's database was damaged or unusable
    if arguments.json:
        print(json.dumps(resolution.as_dict(), ensure_ascii=False))
    return 0


def run_status(arguments: argparse.Namespace) -> int:
    """Print whether Spotify is configured and reachable; exit 1 unless connected."""
    from tunex_core.music.spotify import SpotifyService, SpotifyStatus

    state = SpotifyService.from_environment().check_connection()
    print(f"Spotify {state.status.value}: {state.message}")
    return 0 if state.status is SpotifyStatus.CONNECTED else 1
