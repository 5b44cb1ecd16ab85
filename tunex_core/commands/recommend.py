"""``python -m tunex_core recommend``: songs for a mood, from the terminal.

Examples::

    python -m tunex_core recommend --emotion sad
    python -m tunex_core recommend --valence 0.3 --arousal 0.7 --mode iso --target neutral -n 8
    python -m tunex_core recommend --emotion happy --json      # last stdout line: {"songs": [...]}
    python -m tunex_core recommend --emotion sad --genre rock --decade 1980 --min-popularity 40
    python -m tunex_core recommend --emotion calm --rated-only   # only PMEmo's listener-rated songs
    python -m tunex_core recommend --emotion sad --language en --language es   # English or Spanish songs

Each JSON song carries ``musicId, title, artist, valence, arousal, va_source`` (``rated`` by PMEmo
listeners or ``estimated`` from Spotify's features), ``spotify_id`` (22 base-62 characters, or
null), ``genre`` (or null), ``year`` (or null) and ``language`` (estimated ISO 639-1 code, or
``unknown``).

Stored likes/skips and the last plays (``~/.tunex/tunex.sqlite3``) shape the ranking unless
``--no-history`` is given. Only numpy and the standard library are imported; no TensorFlow or OpenCV.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from typing import TYPE_CHECKING

from tunex_core.commands import fail, print_storage_warnings

if TYPE_CHECKING:
    from tunex_core.music.catalog import CatalogFilter, Song
    from tunex_core.music.recommend import Playlist

RECENT_PLAYS_EXCLUDED = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``recommend`` sub-command."""
    parser = subparsers.add_parser(
        "recommend", help="recommend songs for a mood (match it, or move from it with --mode iso)",
        description="Recommend songs from the catalog for an emotion or a valence-arousal point.",
    )
    mood = parser.add_mutually_exclusive_group(required=True)
    mood.add_argument("--emotion", metavar="NAME",
                      help="angry, disgust, fear, happy, sad, surprise or neutral")
    mood.add_argument("--valence", type=float, metavar="V", help="mood valence in 0..1 (needs --arousal)")
    parser.add_argument("--arousal", type=float, metavar="A", help="mood arousal in 0..1 (with --valence)")
    parser.add_argument("--mode", choices=("match", "iso"), default="match",
                        help="match: songs near the mood; iso: step from the mood to --target "
                             "(default match)")
    parser.add_argument("--target", metavar="NAME",
                        help="iso target: an emotion name or 'V,A' (default neutral)")
    parser.add_argument("-n", "--count", type=int, default=10, metavar="N",
                        help="number of songs (default 10)")
    parser.add_argument("--catalog", metavar="PATH",
                        help="a catalog CSV with musicId,title,artist,valence,arousal and optionally "
                             "spotify_id,genre,year,popularity (default: the shipped catalog)")
    add_filter_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help='print {"songs": [...]} as one JSON object on the last line')
    parser.add_argument("--no-history", action="store_true",
                        help="ignore stored likes, skips and recent plays")
    parser.set_defaults(handler=run)


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The song filter options shared by the commands that choose songs."""
    parser.add_argument("--genre", action="append", metavar="GENRE",
                        help="only this genre (edm, latin, pop, r&b, rap, rock); repeat for several")
    parser.add_argument("--decade", action="append", type=int, metavar="YEAR",
                        help="only this decade, e.g. 1980; repeat for several")
    parser.add_argument("--min-popularity", type=int, default=0, metavar="P",
                        help="only songs with a Spotify popularity of at least P (0..100)")
    parser.add_argument("--language", action="append", metavar="CODE",
                        help="only songs in this language (ISO 639-1 code such as en, es; 'unknown' for songs "
                             "whose language was not estimated); repeat for several")
    parser.add_argument("--rated-only", action="store_true",
                        help="only songs whose valence/arousal PMEmo listeners rated")
    parser.add_argument("--playable-only", action="store_true",
                        help="only songs with a Spotify id (they play as embeds)")


def filter_from_arguments(arguments: argparse.Namespace) -> CatalogFilter:
    """The ``CatalogFilter`` the options describe; raises ``ValueError`` on a bad value."""
    from tunex_core.music.catalog import CatalogFilter

    if not 0 <= arguments.min_popularity <= 100:
        raise ValueError(f"--min-popularity must be in 0..100, not {arguments.min_popularity}")
    for decade in arguments.decade or ():
        if decade % 10:
            raise ValueError(f"--decade must be a decade's first year such as 1980, not {decade}")
    languages = [code.strip().lower() for code in getattr(arguments, "language", None) or ()]
    for code in languages:
        if not (code == "unknown" or (code.isascii() and code.isalpha() and 2 <= len(code) <= 3)):
            raise ValueError(f"--language must be a language code such as en or es, not {code!r}")
    return CatalogFilter(
        languages=frozenset(languages) if languages else None,
        genres=frozenset(genre.strip().lower() for genre in arguments.genre) if arguments.genre else None,
        decades=frozenset(arguments.decade) if arguments.decade else None,
        min_popularity=arguments.min_popularity, rated_only=arguments.rated_only,
        playable_only=arguments.playable_only,
    )


def song_json(song: Song) -> dict[str, object]:
    """A song as the JSON object ``recommend --json`` prints."""
    return {"musicId": song.music_id, "title": song.title, "artist": song.artist, "valence": song.valence,
            "arousal": song.arousal, "va_source": song.va_source, "spotify_id": song.spotify_id,
            "genre": song.genre or None, "year": song.year, "language": song.language}


def _parse_target(text: str | None) -> str | tuple[float, float] | None:
    if text is None or "," not in text:
        return text
    try:
        valence, arousal = (float(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--target must be an emotion name or 'V,A', not {text!r}") from None
    return valence, arousal


def run(arguments: argparse.Namespace) -> int:
    """Handle ``recommend``: print a table, or JSON with ``--json``; exit 2 on bad input."""
    from tunex_core.emotions import emotion
    from tunex_core.mood import Mood
    from tunex_core.music.catalog import CatalogError
    from tunex_core.music.catalog_io import load_catalog
    from tunex_core.music.recommend import RecommendError, recommend
    from tunex_core.storage import DatabaseBusyError

    if arguments.emotion is not None:
        if arguments.arousal is not None:
            return fail("give either --emotion or --valence with --arousal, not both")
        try:
            mood = Mood.from_emotion(emotion(arguments.emotion).name, source="cli")
        except ValueError as error:
            return fail(str(error))
        valence, arousal = mood.valence, mood.arousal
    else:
        if arguments.arousal is None:
            return fail("--valence needs --arousal")
        valence, arousal = arguments.valence, arguments.arousal
    if arguments.target is not None and arguments.mode != "iso":
        return fail("--target only applies to --mode iso")

    try:
        target = _parse_target(arguments.target)
        song_filter = filter_from_arguments(arguments)
        catalog = load_catalog(arguments.catalog)
    except (CatalogError, ValueError) as error:
        return fail(str(error))
    if catalog.invalid_spotify_ids:
        print(f"warning: {catalog.invalid_spotify_ids} invalid Spotify id(s) in {catalog.source} ignored "
              "(an id is 22 letters and digits)", file=sys.stderr)

    feedback, recent_ids = None, ()
    if not arguments.no_history:
        try:
            from tunex_core.music.feedback import FeedbackStore

            with FeedbackStore() as store:
                feedback = store.adjustments()
                recent_ids = tuple(play.music_id for play in store.recent_plays(RECENT_PLAYS_EXCLUDED))
        except (DatabaseBusyError, OSError) as error:
            print(f"warning: listening history unavailable, ranking without it ({error})", file=sys.stderr)
        print_storage_warnings()

    try:
        playlist = recommend(catalog, valence, arousal, mode=arguments.mode, target=target,
                             count=arguments.count, recent_ids=recent_ids, feedback=feedback,
                             song_filter=song_filter)
    except RecommendError as error:
        return fail(str(error))

    if arguments.json:
        print(json.dumps({"songs": [song_json(item.song) for item in playlist.items]}))
        return 0
    print(_table(playlist))
    return 0


def _table(playlist: Playlist) -> str:
    """The playlist as an aligned text table with a one-line heading."""
    valence, arousal = playlist.mood_point
    heading = f"{playlist.mode} playlist for mood point valence {valence:.2f}, arousal {arousal:.2f}"
    if playlist.mode == "iso":
        target_valence, target_arousal = playlist.target_point
        heading += (f" -> {playlist.target_name or 'target'} "
                    f"(valence {target_valence:.2f}, arousal {target_arousal:.2f})")
    if not playlist.items:
        return heading + "\n(no songs left to recommend)"
    rows = [("#", "id", "title", "artist", "valence", "arousal", "region", "distance", "spotify")]
    for item in playlist.items:
        song = item.song
        rows.append((str(item.position), str(song.music_id), _clip(song.title, 44), _clip(song.artist, 24),
                     f"{song.valence:.3f}", f"{song.arousal:.3f}", song.region, f"{item.distance:.3f}",
                     song.spotify_id or "-"))
    widths = [max(_display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (width - _display_width(cell))
                       for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    return "\n".join([heading, *lines])


def _display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _clip(text: str, width: int) -> str:
    if _display_width(text) <= width:
        return text
    while _display_width(text) > width - 1:
        text = text[:-1]
    return text + "…"
