"""The Spotify cache: resolutions and discovery searches in the shared TuneX SQLite database.

Resolutions are stored in table ``spotify_resolutions``, hits and misses with a
timestamp. Hits are kept for good; misses expire after ``MISS_EXPIRY_DAYS`` days
so songs added to Spotify later are found. Per-emotion discovery searches are
cached for ``DISCOVERY_EXPIRY_HOURS`` hours (table ``spotify_searches``).
Failures (offline, rate-limited, bad credentials) are never cached.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from tunex_core import storage
from tunex_core.music.spotify.records import Resolution, SpotifyStatus, TrackMatch
from tunex_core.music.title_matching import fold, normalise_title
from tunex_core.music.track_ids import is_valid_track_id

MISS_EXPIRY_DAYS = 7
DISCOVERY_EXPIRY_HOURS = 24


def lookup_key(title: str, artist: str) -> str:
    """The cache key of a song: normalised title and folded artist credit."""
    return f"{normalise_title(title)}\x1f{fold(artist)}"


_RESOLUTION_COLUMNS = "lookup_key, track_id, track_title, track_artist, score, reason, resolved_at"
_LOOKUP_BATCH = 500  # keys per SELECT, well under SQLite's parameter limit


class SpotifyCache:
    """Resolutions and discovery searches in the shared TuneX SQLite database (tables in ``tunex_core.storage``).

    Each call opens the store once (``storage.open_database``); ``get_resolutions`` and
    ``put_resolutions`` read and write a whole playlist with one connection.
    """

    def __init__(self, database_path: str | Path | None = None, *,
                 miss_expiry_days: float = MISS_EXPIRY_DAYS,
                 discovery_expiry_hours: float = DISCOVERY_EXPIRY_HOURS,
                 clock: Callable[[], float] = time.time):
        self.database_path = (Path(database_path) if database_path is not None
                              else storage.default_database_path())
        self.miss_expiry_seconds = miss_expiry_days * 86400.0
        self.discovery_expiry_seconds = discovery_expiry_hours * 3600.0
        self._clock = clock

    def _open(self) -> storage.Database:
        return storage.open_database(self.database_path)

    def _resolution_from_row(self, row: sqlite3.Row) -> Resolution | None:
        if row["track_id"] is None or not is_valid_track_id(row["track_id"]):
            if self._clock() - row["resolved_at"] > self.miss_expiry_seconds:
                return None
            return Resolution(track=None, reason=row["reason"], cached=True, status=SpotifyStatus.CONNECTED)
        track = TrackMatch(id=row["track_id"], title=row["track_title"] or "",
                           artist=row["track_artist"] or "", score=row["score"])
        return Resolution(track=track, reason=row["reason"], cached=True, status=SpotifyStatus.CONNECTED)

    def get_resolutions(self, songs: Sequence[tuple[str, str]]) -> list[Resolution | None]:
        """Cached resolutions of ``(title, artist)`` pairs, in order (None: absent or an expired miss)."""
        keys = [lookup_key(title, artist) for title, artist in songs]
        rows: dict[str, sqlite3.Row] = {}
        with closing(self._open()) as database:
            unique = sorted(set(keys))
            for start in range(0, len(unique), _LOOKUP_BATCH):
                batch = unique[start:start + _LOOKUP_BATCH]
                placeholders = ", ".join("?" * len(batch))
                for row in database.query(f"SELECT {_RESOLUTION_COLUMNS} FROM spotify_resolutions "
                                          f"WHERE lookup_key IN ({placeholders})", batch):
                    rows[row["lookup_key"]] = row
        return [self._resolution_from_row(rows[key]) if key in rows else None for key in keys]

    def get_resolution(self, title: str, artist: str) -> Resolution | None:
        """The cached resolution of a song, or None when absent or an expired miss."""
        return self.get_resolutions([(title, artist)])[0]

    def put_resolutions(self, entries: Sequence[tuple[str, str, Resolution]]) -> None:
        """Store definitive resolutions (hits or misses) of ``(title, artist, resolution)`` in one transaction."""
        if not entries:
            return
        now = self._clock()
        statements = []
        for title, artist, resolution in entries:
            track = resolution.track
            statements.append((
                "INSERT OR REPLACE INTO spotify_resolutions (lookup_key, title, artist, track_id, "
                "track_title, track_artist, score, reason, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (lookup_key(title, artist), title, artist, track.id if track else None,
                 track.title if track else None, track.artist if track else None,
                 track.score if track else None, resolution.reason, now)))
        with closing(self._open()) as database:
            database.write(statements)

    def put_resolution(self, title: str, artist: str, resolution: Resolution) -> None:
        """Store a definitive resolution (hit or miss) with the current time."""
        self.put_resolutions([(title, artist, resolution)])

    def get_search(self, query: str) -> tuple[TrackMatch, ...] | None:
        """Cached discovery results for ``query``, or None when absent or expired."""
        with closing(self._open()) as database:
            rows = database.query("SELECT tracks_json, fetched_at FROM spotify_searches WHERE query = ?", (query,))
        if not rows or self._clock() - rows[0]["fetched_at"] > self.discovery_expiry_seconds:
            return None
        return tuple(TrackMatch(id=item["id"], title=item["title"], artist=item["artist"])
                     for item in json.loads(rows[0]["tracks_json"]) if is_valid_track_id(item.get("id")))

    def put_search(self, query: str, tracks: Sequence[TrackMatch]) -> None:
        """Store discovery results for ``query``."""
        payload = json.dumps([{"id": track.id, "title": track.title, "artist": track.artist}
                              for track in tracks])
        with closing(self._open()) as database:
            database.write([("INSERT OR REPLACE INTO spotify_searches (query, tracks_json, fetched_at) "
                             "VALUES (?, ?, ?)", (query, payload, self._clock()))])
