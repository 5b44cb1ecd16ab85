"""Read the public Spotify song tables (track ids + audio features) used by the catalog build.

Three tables are supported, each a CSV file (``.csv`` or ``.csv.gz``) collected through
Spotify's Web API before it withdrew ``/audio-features``:

``tidytuesday``  TidyTuesday 2020-01-21 ``spotify_songs``: ``track_id, track_name, track_artist,
                 track_popularity, track_album_release_date, playlist_genre, playlist_subgenre`` + features.
``hit_predictor`` The Spotify Hit Predictor set: ``track, artist, uri`` (``spotify:track:<id>``),
                 ``decade`` (``60s`` … ``10s``) + features.
``top_songs``    Spotify Top Songs and Audio Features: ``id, artist_names, track_name``
                 (``mode`` is ``Major``/``Minor``) + features.

Every table carries the features in ``FEATURES``. Real-world defects are handled per row and
counted in a ``TableReport`` instead of stopping the build: an id that is not 22 base-62
characters, an empty title or artist, a missing or non-numeric valence/energy (the row cannot be
placed: dropped), another feature missing or outside its range (kept as missing, filled with the
mapping's mean later), UTF-8 text that was decoded as Latin-1 (``BeyoncÃ©`` → ``Beyoncé``) and
release dates that are not ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (year left unknown). A file
that is missing, not gzip/UTF-8, or whose header lacks a needed column raises ``CatalogError``
naming the file (and the line).
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tunex_core.music.catalog import CatalogError
from tunex_core.music.csv_reading import csv_records
from tunex_core.music.track_ids import is_valid_track_id

FEATURES: tuple[str, ...] = (
    "valence", "energy", "danceability", "tempo", "loudness", "acousticness", "mode",
    "speechiness", "instrumentalness", "liveness",
)
"""Spotify audio features read from every table (all three tables have them)."""
REQUIRED_FEATURES: tuple[str, ...] = ("valence", "energy")
"""Without these a track cannot be placed on the mood plane and is dropped."""
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "valence": (0.0, 1.0), "energy": (0.0, 1.0), "danceability": (0.0, 1.0), "acousticness": (0.0, 1.0),
    "speechiness": (0.0, 1.0), "instrumentalness": (0.0, 1.0), "liveness": (0.0, 1.0), "mode": (0.0, 1.0),
    # Spotify reports tempo 0 when it found no beat; that is a missing value, not a tempo.
    "tempo": (1.0, 300.0), "loudness": (-60.0, 5.0),
}
YEAR_RANGE = (1900, 2030)
DECADE_PATTERN = re.compile(r"^(\d{2})s$")
DATE_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
MOJIBAKE_MARKERS = re.compile("[ÃÂâ][\u0080-\u00bf]")
SPOTIFY_URI_PREFIX = "spotify:track:"


@dataclass(frozen=True)
class TableLayout:
    """Which column of one table holds each field (``None``: the table does not have it)."""

    name: str
    file_name: str
    id_column: str
    title_column: str
    artist_column: str
    popularity_column: str | None = None
    date_column: str | None = None
    decade_column: str | None = None
    genre_column: str | None = None
    subgenre_column: str | None = None
    artist_separator: str | None = None
    album_column: str | None = None
    """Read when the header has it (for the songs' language); a table without it is still usable."""
    duration_column: str | None = "duration_ms"
    """Read when the header has it (a placement feature); a table without it is still usable."""

    @property
    def needed_columns(self) -> tuple[str, ...]:
        """Header columns the reader needs."""
        optional = (self.popularity_column, self.date_column, self.decade_column, self.genre_column,
                    self.subgenre_column)
        return (self.id_column, self.title_column, self.artist_column, *FEATURES,
                *(column for column in optional if column))


TABLE_LAYOUTS: tuple[TableLayout, ...] = (
    TableLayout("tidytuesday", "tidytuesday_spotify_songs.csv.gz", "track_id", "track_name", "track_artist",
                popularity_column="track_popularity", date_column="track_album_release_date",
                genre_column="playlist_genre", subgenre_column="playlist_subgenre", album_column="track_album_name"),
    TableLayout("hit_predictor", "hit_predictor_1960_2019.csv.gz", "uri", "track", "artist",
                decade_column="decade"),
    TableLayout("top_songs", "spotify_top_songs_audio_features.csv.gz", "id", "track_name", "artist_names",
                artist_separator=", "),
)
"""The shipped build's tables, in priority order: when tables disagree about a track, the first wins."""


@dataclass(frozen=True)
class SpotifyTableRow:
    """One usable row of a Spotify table."""

    spotify_id: str
    title: str
    artist: str
    artists: tuple[str, ...]
    features: tuple[float, ...]
    """Aligned with ``FEATURES``; NaN where missing or out of range."""
    table: str
    line: int
    genre: str = ""
    subgenre: str = ""
    year: int | None = None
    decade: int | None = None
    popularity: int | None = None
    album: str = ""
    duration: float | None = None
    """Seconds; None when the table has no duration or the value is not a positive number."""


@dataclass
class TableReport:
    """What reading one table found: rows read and kept, and each defect with its count."""

    table: str
    path: str
    rows_read: int = 0
    rows_kept: int = 0
    defects: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {"table": self.table, "file": Path(self.path).name, "rows_read": self.rows_read,
                "rows_kept": self.rows_kept, "defects": dict(sorted(self.defects.items()))}


def repair_latin1_mojibake(text: str) -> str:
    """Undo UTF-8 text decoded as Latin-1/cp1252 (``"BeyoncÃ©"`` → ``"Beyoncé"``); else ``text``.

    Genuine text such as ``"SENTADÃO"`` does not re-decode as UTF-8 and is kept.
    """
    if text.isascii() or not MOJIBAKE_MARKERS.search(text):
        return text
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _clean_text(text: str, report: TableReport, what: str) -> str:
    cleaned = " ".join(text.split())
    repaired = repair_latin1_mojibake(cleaned)
    if repaired != cleaned:
        report.defects[f"{what} mojibake repaired"] += 1
    return repaired


def _parse_feature(name: str, text: str) -> float:
    text = text.strip()
    if name == "mode" and text.lower() in ("major", "minor"):
        return 1.0 if text.lower() == "major" else 0.0
    try:
        value = float(text)
    except ValueError:
        return math.nan
    low, high = FEATURE_RANGES[name]
    return value if math.isfinite(value) and low <= value <= high else math.nan


def _parse_duration(text: str) -> float | None:
    """Milliseconds as seconds; None for an empty, non-numeric or non-positive value."""
    try:
        milliseconds = float(text)
    except ValueError:
        return None
    return milliseconds / 1000.0 if math.isfinite(milliseconds) and milliseconds > 0 else None


def _parse_year(text: str) -> int | None:
    match = DATE_PATTERN.match(text.strip())
    if not match:
        return None
    year = int(match[1])
    month = int(match[2]) if match[2] else 1
    day = int(match[3]) if match[3] else 1
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1] or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return year


def _parse_decade(text: str) -> int | None:
    match = DECADE_PATTERN.match(text.strip())
    if not match:
        return None
    short = int(match[1])
    return (1900 if short >= 30 else 2000) + short


def _open_lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            yield from handle
    except FileNotFoundError:
        raise CatalogError(f"{path}: Spotify table not found") from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise CatalogError(f"{path}: cannot read the table ({error})") from None
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def read_spotify_table(path: str | Path, layout: TableLayout) -> tuple[list[SpotifyTableRow], TableReport]:
    """Read one table with ``layout``; bad rows are dropped or repaired and counted in the report.

    Raises ``CatalogError`` naming the file (and line) when the file itself is unusable.
    """
    path = Path(path)
    report = TableReport(layout.name, str(path))
    reader = csv.reader(_open_lines(path))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CatalogError(f"{path}: the table is empty") from None
    except csv.Error as error:
        raise CatalogError(f"{path}: line 1: unreadable CSV header ({error})") from None
    missing = [name for name in layout.needed_columns if name not in header]
    if missing:
        raise CatalogError(f"{path}: line 1: missing column(s) {', '.join(missing)} in the header")
    position = {name: header.index(name) for name in layout.needed_columns}
    for optional in (layout.album_column, layout.duration_column):
        if optional and optional in header:
            position[optional] = header.index(optional)
    rows: list[SpotifyTableRow] = []
    for line, fields in csv_records(reader, path):
        report.rows_read += 1
        if len(fields) != len(header):
            report.defects["wrong number of fields"] += 1
            continue
        row = _parse_row(fields, position, layout, line, report)
        if row is not None:
            rows.append(row)
    report.rows_kept = len(rows)
    return rows, report


def _parse_row(fields: list[str], position: dict[str, int], layout: TableLayout, line: int,
               report: TableReport) -> SpotifyTableRow | None:
    def value(column: str | None) -> str:
        return fields[position[column]] if column and column in position else ""

    spotify_id = value(layout.id_column).strip().removeprefix(SPOTIFY_URI_PREFIX)
    if not is_valid_track_id(spotify_id):
        report.defects["invalid Spotify id"] += 1
        return None
    title = _clean_text(value(layout.title_column), report, "title")
    artist = _clean_text(value(layout.artist_column), report, "artist")
    if not title or not artist:
        report.defects["missing title or artist"] += 1
        return None
    features = tuple(_parse_feature(name, value(name)) for name in FEATURES)
    if any(math.isnan(features[FEATURES.index(name)]) for name in REQUIRED_FEATURES):
        report.defects["missing or out-of-range valence/energy"] += 1
        return None
    for name, feature in zip(FEATURES, features, strict=True):
        if math.isnan(feature):
            report.defects[f"{name} missing or out of range"] += 1
    year = None
    if layout.date_column:
        year = _parse_year(value(layout.date_column))
        if year is None:
            report.defects["bad release date"] += 1
    decade = (year // 10 * 10) if year is not None else None
    if layout.decade_column and decade is None:
        decade = _parse_decade(value(layout.decade_column))
        if decade is None:
            report.defects["bad decade"] += 1
    popularity = None
    if layout.popularity_column:
        text = value(layout.popularity_column).strip()
        popularity = int(text) if text.isdigit() and int(text) <= 100 else None
        if popularity is None:
            report.defects["bad popularity"] += 1
    artists = (tuple(part.strip() for part in artist.split(layout.artist_separator) if part.strip())
               if layout.artist_separator else (artist,))
    return SpotifyTableRow(
        spotify_id=spotify_id, title=title, artist=", ".join(artists), artists=artists, features=features,
        table=layout.name, line=line,
        genre=value(layout.genre_column).strip().lower(), subgenre=value(layout.subgenre_column).strip().lower(),
        year=year, decade=decade, popularity=popularity,
        album=repair_latin1_mojibake(" ".join(value(layout.album_column).split())),
        duration=_parse_duration(value(layout.duration_column)),
    )


def read_spotify_tables(folder: str | Path,
                        layouts: tuple[TableLayout, ...] = TABLE_LAYOUTS
                        ) -> tuple[list[SpotifyTableRow], list[TableReport]]:
    """Read every table of ``layouts`` from ``folder`` (rows in priority order)."""
    folder = Path(folder)
    rows: list[SpotifyTableRow] = []
    reports: list[TableReport] = []
    for layout in layouts:
        table_rows, report = read_spotify_table(folder / layout.file_name, layout)
        rows.extend(table_rows)
        reports.append(report)
    return rows, reports
