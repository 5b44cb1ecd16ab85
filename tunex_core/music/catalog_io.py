"""Catalog files: CSV parsing and writing, Parquet reading and writing, and the chorus clips.

A catalog file is a UTF-8 CSV with at least the columns ``musicId, title,
artist, valence, arousal`` (valence and arousal on PMEmo's 0..1 scale). The
shipped file, ``data/pmemo_catalog.csv``, is built by
``python -m tunex_core.music.build.catalog`` and adds the optional columns
``featured_artists`` (``; ``-separated), ``artist_native``, ``duplicate_of``,
``title_original``, ``artist_original`` and ``cleaning_notes``.

Bad files never crash the caller: every problem becomes a ``CatalogError``
whose message names the file, the line number and the column.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from tunex_core.music.catalog import (
    MAX_MUSIC_ID,
    RATED,
    UNKNOWN_LANGUAGE,
    UNKNOWN_POPULARITY,
    UNKNOWN_YEAR,
    VA_SOURCES,
    VALUE_RANGE,
    Catalog,
    CatalogError,
    CatalogRow,
    ChorusClip,
)
from tunex_core.music.csv_reading import csv_records, read_errors_as_catalog_errors
from tunex_core.paths import CATALOG_FILE, CLIPS_DIR

REQUIRED_COLUMNS: tuple[str, ...] = ("musicId", "title", "artist", "valence", "arousal")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "featured_artists", "artist_native", "duplicate_of",
    "title_original", "artist_original", "cleaning_notes",
)
MUSIC_COLUMNS: tuple[str, ...] = ("spotify_id", "genre", "subgenre", "year", "decade", "popularity", "va_source",
                                  "language")
"""Optional columns of any catalog (the shipped one has them all)."""
LIST_SEPARATOR = "; "
YEAR_RANGE = (1000, 2100)
POPULARITY_RANGE = (0, 100)


def _fail(path: Path, line: int, message: str, column: str | None = None) -> CatalogError:
    where = f"{path}: line {line}" + (f", column {column!r}" if column else "")
    return CatalogError(f"{where}: {message}")


def _parse_unit_value(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, line, f"{text!r} is not a number", column) from None
    if not math.isfinite(value):
        raise _fail(path, line, f"{text!r} is not a finite number", column)
    low, high = VALUE_RANGE
    if not low <= value <= high:
        raise _fail(path, line, f"{value} is outside {low:g}..{high:g}", column)
    return value


def _parse_id(path: Path, line: int, column: str, text: str) -> int:
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit():
        raise _fail(path, line, f"{text!r} is not a non-negative whole number", column)
    value = int(stripped)
    if value > MAX_MUSIC_ID:
        raise _fail(path, line, f"{stripped} is too large (the largest musicId is {MAX_MUSIC_ID})", column)
    return value


def _parse_optional_int(path: Path, line: int, column: str, text: str, low: int, high: int) -> int | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = int(float(stripped)) if stripped.replace(".", "", 1).isdigit() else int(stripped)
    except ValueError:
        raise _fail(path, line, f"{text!r} is not a whole number", column) from None
    if not low <= value <= high:
        raise _fail(path, line, f"{value} is outside {low}..{high}", column)
    return value


def _parse_language(path: Path, line: int, text: str) -> str:
    """An ISO 639-1 code (two or three lower-case letters) or ``unknown``; empty means unknown."""
    text = text.strip().lower()
    if text and text != UNKNOWN_LANGUAGE and not (text.isascii() and text.isalpha() and 2 <= len(text) <= 3):
        raise _fail(path, line, f"{text!r} is not a language code such as en or unknown", "language")
    return text or UNKNOWN_LANGUAGE


def _parse_va_source(path: Path, line: int, text: str) -> str:
    value = text.strip().lower() or RATED
    if value not in VA_SOURCES:
        raise _fail(path, line, f"{text!r} is not one of {', '.join(VA_SOURCES)}", "va_source")
    return value


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def read_catalog_rows(path: str | Path) -> list[CatalogRow]:
    """Read and validate a catalog CSV; any problem raises ``CatalogError`` naming line and column."""
    path = Path(path)
    with read_errors_as_catalog_errors(path, name="catalog file", expected="a CSV file", reading="the catalog"):
        text = path.read_text(encoding="utf-8-sig")

    reader = csv.reader(text.splitlines())
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CatalogError(f"{path}: the file is empty; expected a header with "
                           f"{', '.join(REQUIRED_COLUMNS)}") from None
    except csv.Error as error:
        raise _fail(path, 1, f"unreadable CSV header ({error})") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise _fail(path, 1, f"missing column(s) {', '.join(repr(name) for name in missing)} in the header "
                             f"(found {', '.join(header) or 'nothing'})")
    position = {name: header.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *MUSIC_COLUMNS)
                if name in header}

    rows: list[CatalogRow] = []
    first_line_of_id: dict[int, int] = {}
    for line, fields in csv_records(reader, path):
        if len(fields) != len(header):
            raise _fail(path, line, f"expected {len(header)} fields like the header, found {len(fields)}")

        def field(name: str, fields: list[str] = fields) -> str:
            return fields[position[name]] if name in position else ""

        music_id = _parse_id(path, line, "musicId", field("musicId"))
        if music_id in first_line_of_id:
            raise _fail(path, line, f"musicId {music_id} already used on line {first_line_of_id[music_id]}",
                        "musicId")
        first_line_of_id[music_id] = line
        title = field("title").strip()
        artist = field("artist").strip()
        for name, value in (("title", title), ("artist", artist)):
            if not value:
                raise _fail(path, line, "empty value", name)
        duplicate_text = field("duplicate_of").strip()
        rows.append(CatalogRow(
            music_id=music_id, title=title, artist=artist,
            valence=_parse_unit_value(path, line, "valence", field("valence")),
            arousal=_parse_unit_value(path, line, "arousal", field("arousal")),
            featured_artists=_split_list(field("featured_artists")),
            artist_native=field("artist_native").strip(),
            duplicate_of=_parse_id(path, line, "duplicate_of", duplicate_text) if duplicate_text else None,
            title_original=field("title_original"),
            artist_original=field("artist_original"),
            cleaning_notes=_split_list(field("cleaning_notes")),
            # Invalid ids are kept here and dropped (and counted) by the Catalog, never put in a URL.
            spotify_id=field("spotify_id").strip() or None,
            genre=field("genre").strip().lower(), subgenre=field("subgenre").strip().lower(),
            year=_parse_optional_int(path, line, "year", field("year"), *YEAR_RANGE),
            decade=_parse_optional_int(path, line, "decade", field("decade"), *YEAR_RANGE),
            popularity=_parse_optional_int(path, line, "popularity", field("popularity"), *POPULARITY_RANGE),
            va_source=_parse_va_source(path, line, field("va_source")),
            language=_parse_language(path, line, field("language")),
        ))
    if not rows:
        raise CatalogError(f"{path}: the catalog has a header but no songs")
    row_by_id = {row.music_id: row for row in rows}
    for row in rows:
        canonical = row.duplicate_of
        if canonical is None or canonical == row.music_id:
            continue
        target_line = first_line_of_id.get(canonical)
        if target_line is None:
            raise _fail(path, first_line_of_id[row.music_id], f"musicId {canonical} is not in the catalog",
                        "duplicate_of")
        if row_by_id[canonical].duplicate_of not in (None, canonical):
            raise _fail(path, first_line_of_id[row.music_id],
                        f"musicId {canonical} (line {target_line}) is itself a duplicate; "
                        "point at its original",
                        "duplicate_of")
    return rows


def write_catalog_rows(rows: Iterable[CatalogRow], path: str | Path) -> None:
    """Write rows as a catalog CSV with every required and optional column."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
        for row in rows:
            writer.writerow((
                row.music_id, row.title, row.artist, repr(row.valence), repr(row.arousal),
                LIST_SEPARATOR.join(row.featured_artists), row.artist_native,
                "" if row.duplicate_of is None else row.duplicate_of,
                row.title_original, row.artist_original, LIST_SEPARATOR.join(row.cleaning_notes),
            ))


PARQUET_COLUMNS: tuple[str, ...] = (
    *REQUIRED_COLUMNS, "featured_artists", "artist_native", "duplicate_of", *MUSIC_COLUMNS,
)
"""Columns of a catalog Parquet file (the shipped catalog)."""


def write_catalog_parquet(rows: Sequence[CatalogRow], path: str | Path) -> None:
    """Write rows as a compact Parquet catalog (``PARQUET_COLUMNS``; deterministic for one pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as parquet

    columns = {
        "musicId": pa.array([row.music_id for row in rows], pa.int64()),
        "title": pa.array([row.title for row in rows], pa.string()),
        "artist": pa.array([row.artist for row in rows], pa.string()),
        "valence": pa.array([row.valence for row in rows], pa.float64()),
        "arousal": pa.array([row.arousal for row in rows], pa.float64()),
        "featured_artists": pa.array([LIST_SEPARATOR.join(row.featured_artists) or None for row in rows],
                                     pa.string()),
        "artist_native": pa.array([row.artist_native or None for row in rows], pa.string()),
        "duplicate_of": pa.array([row.duplicate_of for row in rows], pa.int64()),
        "spotify_id": pa.array([row.spotify_id for row in rows], pa.string()),
        "genre": pa.array([row.genre or None for row in rows], pa.string()).dictionary_encode(),
        "subgenre": pa.array([row.subgenre or None for row in rows], pa.string()).dictionary_encode(),
        "year": pa.array([row.year for row in rows], pa.int16()),
        "decade": pa.array([row.decade for row in rows], pa.int16()),
        "popularity": pa.array([row.popularity for row in rows], pa.int16()),
        "va_source": pa.array([row.va_source for row in rows], pa.string()).dictionary_encode(),
        "language": pa.array([row.language or UNKNOWN_LANGUAGE for row in rows], pa.string()).dictionary_encode(),
    }
    parquet.write_table(pa.table(columns), path, compression="zstd", compression_level=19)


def read_catalog_parquet(path: str | Path) -> Catalog:
    """Load a Parquet catalog written by ``write_catalog_parquet``; raises ``CatalogError``."""
    import pyarrow as pa
    import pyarrow.parquet as parquet

    path = Path(path)
    try:
        # ParquetFile, not read_table: read_table imports pyarrow.dataset and pandas (half a second).
        table = parquet.ParquetFile(path).read()
    except FileNotFoundError:
        raise CatalogError(f"{path}: catalog file not found") from None
    except (OSError, pa.ArrowException) as error:
        raise CatalogError(f"{path}: not a readable Parquet catalog ({error})") from None
    missing = [name for name in REQUIRED_COLUMNS if name not in table.column_names]
    if missing:
        raise CatalogError(f"{path}: missing column(s) {', '.join(repr(name) for name in missing)}")
    if table.num_rows == 0:
        raise CatalogError(f"{path}: the catalog has no songs")

    def strings(name: str) -> list | None:
        if name not in table.column_names:
            return None
        return table.column(name).cast(pa.string()).to_pylist()

    def numbers(name: str, arrow_type: pa.DataType, dtype: type, fill: float | None = None) -> np.ndarray:
        # Straight from the Arrow buffers: to_numpy() and fill_null() import pandas (half a second).
        column = table.column(name)
        if column.type != arrow_type:
            column = column.cast(arrow_type)
        array = column.combine_chunks()
        values = np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array) + array.offset)[array.offset:].copy()
        if array.null_count:
            if fill is None:
                raise CatalogError(f"{path}: column {name!r} has empty values")
            validity = np.unpackbits(np.frombuffer(array.buffers()[0], dtype=np.uint8), bitorder="little")
            values[~validity[array.offset:array.offset + len(array)].astype(bool)] = fill
        return values

    def integers(name: str, unknown: int) -> np.ndarray | None:
        if name not in table.column_names:
            return None
        return numbers(name, pa.int16(), np.int16, unknown)

    titles, artists = strings("title"), strings("artist")
    if any(not text for text in titles) or any(not text for text in artists):
        raise CatalogError(f"{path}: a song has an empty title or artist")
    try:
        valence = numbers("valence", pa.float64(), np.float64)
        arousal = numbers("arousal", pa.float64(), np.float64)
        music_ids = numbers("musicId", pa.int64(), np.int64)
    except (pa.ArrowException, ValueError) as error:
        raise CatalogError(f"{path}: musicId, valence and arousal must be numbers with no gaps ({error})") from None
    duplicate_of = None
    if "duplicate_of" in table.column_names:
        duplicate_of = table.column("duplicate_of").to_pylist()
    featured = strings("featured_artists")
    language_indices, language_dictionary = _dictionary_column(table, "language")
    return Catalog(
        music_ids, titles, artists, valence, arousal,
        featured_artists=[_split_list(text) if text else () for text in featured] if featured is not None else None,
        artist_natives=[text or "" for text in strings("artist_native") or [""] * len(titles)],
        duplicate_of=duplicate_of, spotify_ids=strings("spotify_id"), genres=strings("genre"),
        subgenres=strings("subgenre"), years=integers("year", UNKNOWN_YEAR),
        popularity=integers("popularity", UNKNOWN_POPULARITY), va_sources=strings("va_source"),
        decades=integers("decade", UNKNOWN_YEAR), languages=language_indices, language_dictionary=language_dictionary,
        source=str(path),
    )


def _dictionary_column(table, name: str) -> tuple[np.ndarray | None, list | None]:
    """A string column as (index per row, -1 for null; the distinct values), without a Python string per row.

    Straight from the Arrow buffers, as ``numbers`` does: ``to_numpy`` and ``fill_null`` import pandas.
    """
    import pyarrow as pa

    if name not in table.column_names:
        return None, None
    column = table.column(name)
    if not pa.types.is_dictionary(column.type):
        column = column.cast(pa.string()).dictionary_encode()
    if column.num_chunks > 1:
        column = column.unify_dictionaries()
    if not column.num_chunks:
        return np.zeros(0, dtype=np.int64), []
    dictionary = column.chunk(0).dictionary.to_pylist()
    parts = []
    for chunk in column.chunks:
        indices = chunk.indices
        width = np.dtype(f"int{indices.type.bit_width}")
        values = np.frombuffer(indices.buffers()[1], dtype=width, count=len(indices) + indices.offset)
        values = values[indices.offset:].astype(np.int64)
        if indices.null_count:
            validity = np.unpackbits(np.frombuffer(indices.buffers()[0], dtype=np.uint8), bitorder="little")
            values[~validity[indices.offset:indices.offset + len(indices)].astype(bool)] = -1
        parts.append(values)
    return np.concatenate(parts), dictionary


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the shipped catalog, or the user's catalog at ``path`` (a CSV with the same columns, or a
    Parquet file); raises ``CatalogError``."""
    path = Path(path) if path is not None else CATALOG_FILE
    if path.suffix.lower() == ".parquet":
        return read_catalog_parquet(path)
    rows = read_catalog_rows(path)
    return Catalog.from_rows(rows, source=str(path))



# --------------------------------------------------------------------------- chorus clips


def load_chorus_clips(directory: str | Path = CLIPS_DIR) -> tuple[ChorusClip, ...]:
    """The chorus clips in ``directory`` (``chorus_<id>.mp3`` + ``dynamic_<id>.json``), by id.

    A clip whose annotation file is missing or malformed raises ``CatalogError`` naming the file.
    """
    directory = Path(directory)
    clips = []
    for audio_path in sorted(directory.glob("chorus_*.mp3")):
        annotation_path = directory / f"dynamic_{audio_path.stem.removeprefix('chorus_')}.json"
        try:
            annotation = json.loads(annotation_path.read_text(encoding="utf-8"))
            dynamic = annotation["dynamic"]
            times = tuple(float(value) for value in dynamic["t"])
            valence = tuple(float(value) for value in dynamic["v"])
            arousal = tuple(float(value) for value in dynamic["a"])
            chorus_start, chorus_end = annotation.get("chorus") or ("", "")
            clip = ChorusClip(
                music_id=int(annotation["id"]), title=str(annotation["title"]),
                artist=str(annotation["artist"]), album=str(annotation.get("album", "")),
                audio_path=audio_path, times=times,
                valence=valence, arousal=arousal, valence_mean=float(annotation["valence_mean"]),
                arousal_mean=float(annotation["arousal_mean"]),
                chorus_start=str(chorus_start), chorus_end=str(chorus_end),
            )
        except FileNotFoundError:
            raise CatalogError(f"{annotation_path}: annotation for {audio_path.name} not found") from None
        except (ValueError, KeyError, TypeError) as error:
            raise CatalogError(f"{annotation_path}: malformed clip annotation ({error!r})") from None
        if not len(times) == len(valence) == len(arousal):
            raise CatalogError(f"{annotation_path}: t, v and a have different lengths")
        clips.append(clip)
    return tuple(clips)
