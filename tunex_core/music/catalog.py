"""The song catalog: PMEmo songs (or a user's CSV) placed on the valence-arousal plane.

A catalog file is a UTF-8 CSV with at least the columns ``musicId, title,
artist, valence, arousal`` (valence and arousal on PMEmo's 0..1 scale). The
shipped file, ``data/pmemo_catalog.csv``, is built by
``python -m tunex_core.music.catalog_build`` and adds the optional columns
``featured_artists`` (``; ``-separated), ``artist_native``, ``duplicate_of``,
``title_original``, ``artist_original`` and ``cleaning_notes``.

Emotion regions: every song belongs to the emotion whose (valence, arousal)
point in ``tunex_core.emotions`` is nearest to the song's point (Euclidean
distance on the 0..1 plane; a tie goes to the emotion listed first in FER
order). The regions are therefore the Voronoi cells of the seven emotion
points, and they move automatically if those points are changed.

Bad files never crash the caller: every problem becomes a ``CatalogError``
whose message names the file, the line number and the column.
"""

from __future__ import annotations

import csv
import json
import math
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, VALENCE_AROUSAL
from tunex_core.paths import CATALOG_FILE, CLIPS_DIR

REQUIRED_COLUMNS: tuple[str, ...] = ("musicId", "title", "artist", "valence", "arousal")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "featured_artists", "artist_native", "duplicate_of",
    "title_original", "artist_original", "cleaning_notes",
)
LIST_SEPARATOR = "; "
VALUE_RANGE = (0.0, 1.0)


class CatalogError(ValueError):
    """A catalog file (or catalog data) is unusable; the message names file, line and column."""


@dataclass(frozen=True)
class CatalogRow:
    """One validated row of a catalog CSV file."""

    music_id: int
    title: str
    artist: str
    valence: float
    arousal: float
    featured_artists: tuple[str, ...] = ()
    artist_native: str = ""
    duplicate_of: int | None = None
    title_original: str = ""
    artist_original: str = ""
    cleaning_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Song:
    """A song with its valence-arousal point and emotion region."""

    music_id: int
    title: str
    artist: str
    valence: float
    arousal: float
    region: str
    featured_artists: tuple[str, ...] = ()
    artist_native: str = ""
    duplicate_of: int | None = None

    @property
    def canonical_id(self) -> int:
        """The id that stands for this song and its duplicates (the lowest id of the group)."""
        return self.duplicate_of if self.duplicate_of is not None else self.music_id

    @property
    def point(self) -> tuple[float, float]:
        """The song's (valence, arousal) point."""
        return self.valence, self.arousal


@dataclass(frozen=True)
class ChorusClip:
    """A shipped chorus excerpt with its dynamic (every 0.5 s) valence-arousal annotation."""

    music_id: int
    title: str
    artist: str
    album: str
    audio_path: Path
    times: tuple[float, ...]
    valence: tuple[float, ...]
    arousal: tuple[float, ...]
    valence_mean: float
    arousal_mean: float
    chorus_start: str
    chorus_end: str


def fold_text(text: str) -> str:
    """Lower-case ``text`` and strip accents, so that "Beyoncé" is found by "beyonce"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def emotion_region_indices(valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """For each point, the FER index of the nearest emotion point (see the module docstring)."""
    valence = np.asarray(valence, dtype=np.float64)
    arousal = np.asarray(arousal, dtype=np.float64)
    best_index = np.zeros(valence.shape, dtype=np.int8)
    best_distance = np.full(valence.shape, np.inf)
    for index, (emotion_valence, emotion_arousal) in enumerate(VALENCE_AROUSAL):
        distance = (valence - emotion_valence) ** 2 + (arousal - emotion_arousal) ** 2
        closer = distance < best_distance
        best_index[closer] = index
        best_distance[closer] = distance[closer]
    return best_index


def emotion_region(valence: float, arousal: float) -> str:
    """The name of the emotion region that contains the point (valence, arousal)."""
    index = emotion_region_indices(np.array([valence]), np.array([arousal]))[0]
    return EMOTION_NAMES[int(index)]


class Catalog:
    """Songs stored column-wise, so queries over a million songs stay vectorised.

    ``points`` is an ``(n, 2)`` float64 array of (valence, arousal) (``scan_valence`` and
    ``scan_arousal`` are float32 copies for fast scans); ``music_ids``,
    ``region_indices`` (FER index per song), ``artist_codes`` (one integer per
    distinct artist, compared case-insensitively) and ``canonical_ids`` (the id
    standing for a group of duplicates) are aligned with it. ``Song`` records
    are built on demand by ``catalog[index]``.
    """

    def __init__(self, music_ids: Sequence[int] | np.ndarray, titles: Sequence[str],
                 artists: Sequence[str], valence: Sequence[float] | np.ndarray,
                 arousal: Sequence[float] | np.ndarray, *,
                 featured_artists: Sequence[tuple[str, ...]] | None = None,
                 artist_natives: Sequence[str] | None = None,
                 duplicate_of: Sequence[int | None] | None = None,
                 source: str = "") -> None:
        size = len(titles)
        self.music_ids = np.asarray(music_ids, dtype=np.int64).reshape(-1)
        valence_column = np.asarray(valence, dtype=np.float64).reshape(-1)
        arousal_column = np.asarray(arousal, dtype=np.float64).reshape(-1)
        for name, column in (("musicId", self.music_ids), ("artist", artists), ("valence", valence_column),
                             ("arousal", arousal_column)):
            if len(column) != size:
                raise CatalogError(f"{source or 'catalog'}: column {name!r} has {len(column)} values, "
                                   f"expected {size} like the titles")
        self.points = np.column_stack([valence_column, arousal_column]) if size else np.zeros((0, 2))
        if size and not np.all(np.isfinite(self.points)):
            raise CatalogError(f"{source or 'catalog'}: valence/arousal must be finite numbers")
        if size and (self.points.min() < VALUE_RANGE[0] or self.points.max() > VALUE_RANGE[1]):
            raise CatalogError(f"{source or 'catalog'}: valence/arousal must lie in 0..1")
        self.titles = list(titles)
        self.artists = list(artists)
        self.featured_artists = list(featured_artists) if featured_artists is not None else None
        self.artist_natives = list(artist_natives) if artist_natives is not None else None
        self.source = source
        self.points.setflags(write=False)
        self.music_ids.setflags(write=False)
        # Contiguous float32 copies: a full scan of a million songs reads 8 MB instead of 16 MB.
        self.scan_valence = np.ascontiguousarray(self.points[:, 0], dtype=np.float32)
        self.scan_arousal = np.ascontiguousarray(self.points[:, 1], dtype=np.float32)

        self._id_order = np.argsort(self.music_ids, kind="stable")
        self._sorted_ids = self.music_ids[self._id_order]
        if size > 1 and np.any(self._sorted_ids[1:] == self._sorted_ids[:-1]):
            repeated = int(self._sorted_ids[1:][self._sorted_ids[1:] == self._sorted_ids[:-1]][0])
            raise CatalogError(f"{source or 'catalog'}: musicId {repeated} appears more than once")

        self.region_indices = emotion_region_indices(self.points[:, 0], self.points[:, 1])
        self.artist_codes, self.artist_names = _artist_codes(self.artists)

        self.canonical_ids = self.music_ids.copy()
        self._duplicate_groups: dict[int, tuple[int, ...]] = {}
        if duplicate_of is not None:
            self._set_duplicates(duplicate_of)
        self.canonical_ids.setflags(write=False)
        self._search_keys: list[str] | None = None
        self._artist_order: np.ndarray | None = None
        self._artist_bounds: np.ndarray | None = None

    @classmethod
    def from_rows(cls, rows: Sequence[CatalogRow], source: str = "") -> Catalog:
        """Build a catalog from validated CSV rows."""
        return cls(
            [row.music_id for row in rows], [row.title for row in rows], [row.artist for row in rows],
            [row.valence for row in rows], [row.arousal for row in rows],
            featured_artists=[row.featured_artists for row in rows],
            artist_natives=[row.artist_native for row in rows],
            duplicate_of=[row.duplicate_of for row in rows], source=source,
        )

    def _set_duplicates(self, duplicate_of: Sequence[int | None]) -> None:
        if len(duplicate_of) != len(self):
            raise CatalogError(f"{self.source or 'catalog'}: duplicate_of has {len(duplicate_of)} values, "
                               f"expected {len(self)}")
        groups: dict[int, list[int]] = {}
        for index, canonical in enumerate(duplicate_of):
            if canonical is None or canonical == self.music_ids[index]:
                continue
            canonical_index = self.find_index(canonical)
            if canonical_index is None or duplicate_of[canonical_index] not in (None, canonical):
                raise CatalogError(f"{self.source or 'catalog'}: song {int(self.music_ids[index])} is marked "
                                   f"duplicate_of {canonical}, which is not a catalog song of its own")
            self.canonical_ids[index] = canonical
            groups.setdefault(canonical, [canonical_index]).append(index)
        self._duplicate_groups = {canonical: tuple(indices) for canonical, indices in groups.items()}

    def __len__(self) -> int:
        return len(self.titles)

    def __getitem__(self, index: int) -> Song:
        index = int(index)
        music_id = int(self.music_ids[index])
        canonical = int(self.canonical_ids[index])
        return Song(
            music_id=music_id,
            title=self.titles[index],
            artist=self.artists[index],
            valence=float(self.points[index, 0]),
            arousal=float(self.points[index, 1]),
            region=EMOTION_NAMES[int(self.region_indices[index])],
            featured_artists=self.featured_artists[index] if self.featured_artists is not None else (),
            artist_native=self.artist_natives[index] if self.artist_natives is not None else "",
            duplicate_of=canonical if canonical != music_id else None,
        )

    def __iter__(self) -> Iterator[Song]:
        return (self[index] for index in range(len(self)))

    @property
    def songs(self) -> tuple[Song, ...]:
        """Every song as a ``Song`` record (builds them all; prefer indices for large catalogs)."""
        return tuple(self)

    def find_index(self, music_id: int) -> int | None:
        """Row index of ``music_id``, or None when the catalog has no such song."""
        position = int(np.searchsorted(self._sorted_ids, music_id))
        if position < len(self._sorted_ids) and self._sorted_ids[position] == music_id:
            return int(self._id_order[position])
        return None

    def index_of(self, music_id: int) -> int:
        """Row index of ``music_id``; raises ``KeyError`` when the catalog has no such song."""
        index = self.find_index(music_id)
        if index is None:
            raise KeyError(f"musicId {music_id} is not in the catalog")
        return index

    def rows_of(self, music_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row index of each id in ``music_ids`` (aligned with it), -1 where the catalog lacks the id."""
        wanted = np.asarray(music_ids, dtype=np.int64).reshape(-1)
        if wanted.size == 0 or len(self) == 0:
            return np.full(wanted.size, -1, dtype=np.int64)
        positions = np.clip(np.searchsorted(self._sorted_ids, wanted), 0, len(self._sorted_ids) - 1)
        return np.where(self._sorted_ids[positions] == wanted, self._id_order[positions], -1)

    def duplicate_group(self, index: int) -> tuple[int, ...]:
        """Row indices of the song at ``index`` and of every flagged duplicate of it."""
        return self._duplicate_groups.get(int(self.canonical_ids[index]), (int(index),))

    def indices_of(self, music_ids: Iterable[int]) -> np.ndarray:
        """Row indices of the known ids in ``music_ids`` and of their duplicates (unknown ids are ignored)."""
        rows = self.rows_of(np.fromiter((int(music_id) for music_id in music_ids), dtype=np.int64))
        found = rows[rows >= 0]
        if not self._duplicate_groups or found.size == 0:
            return found
        extra = [member for index in found.tolist() for member in self.duplicate_group(index)]
        return np.unique(np.concatenate([found, np.asarray(extra, dtype=np.int64)]))

    def indices_of_artist(self, artist_code: int) -> np.ndarray:
        """Row indices of every song by the artist with ``artist_code`` (see ``artist_codes``)."""
        if self._artist_order is None:
            self._artist_order = np.argsort(self.artist_codes, kind="stable")
            self._artist_bounds = np.searchsorted(self.artist_codes[self._artist_order],
                                                  np.arange(len(self.artist_names) + 1))
        start, stop = self._artist_bounds[artist_code], self._artist_bounds[artist_code + 1]
        return self._artist_order[start:stop]

    def song_by_id(self, music_id: int) -> Song:
        """The song with ``music_id``; raises ``KeyError`` if absent."""
        return self[self.index_of(music_id)]

    def search(self, text: str = "", regions: Iterable[str] | None = None) -> np.ndarray:
        """Indices of songs whose title, artist or featured artists contain ``text`` (case- and
        accent-insensitive), restricted to the emotion ``regions`` when given."""
        mask = np.ones(len(self), dtype=bool)
        if regions is not None:
            region_set = {EMOTION_NAMES.index(name) for name in regions}
            mask &= np.isin(self.region_indices, list(region_set))
        needle = fold_text(text.strip())
        if needle:
            keys = self._search_index()
            mask &= np.fromiter((needle in key for key in keys), dtype=bool, count=len(keys))
        return np.flatnonzero(mask)

    def _search_index(self) -> list[str]:
        if self._search_keys is None:
            featured = self.featured_artists or [()] * len(self)
            natives = self.artist_natives or [""] * len(self)
            self._search_keys = [
                fold_text(" | ".join((title, artist, *extra, native)))
                for title, artist, extra, native
                in zip(self.titles, self.artists, featured, natives, strict=True)
            ]
        return self._search_keys

    def region_counts(self) -> dict[str, int]:
        """Number of songs in each emotion region, in FER order."""
        counts = np.bincount(self.region_indices.astype(np.int64), minlength=len(EMOTION_NAMES))
        return {name: int(count) for name, count in zip(EMOTION_NAMES, counts, strict=True)}

    @property
    def nbytes(self) -> int:
        """Memory held by the numeric arrays (strings not included)."""
        arrays = (self.music_ids, self.points, self.scan_valence, self.scan_arousal, self.region_indices,
                  self.artist_codes, self.canonical_ids, self._id_order, self._sorted_ids)
        return int(sum(array.nbytes for array in arrays))


def _artist_codes(artists: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """One integer per distinct artist (case-insensitive) and the first spelling of each."""
    codes = np.empty(len(artists), dtype=np.int32)
    by_key: dict[str, int] = {}
    names: list[str] = []
    for index, artist in enumerate(artists):
        key = artist.casefold()
        code = by_key.get(key)
        if code is None:
            code = by_key[key] = len(names)
            names.append(artist)
        codes[index] = code
    return codes, tuple(names)


# --------------------------------------------------------------------------- CSV files


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
    if not stripped.isdigit():
        raise _fail(path, line, f"{text!r} is not a non-negative whole number", column)
    return int(stripped)


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def read_catalog_rows(path: str | Path) -> list[CatalogRow]:
    """Read and validate a catalog CSV; any problem raises ``CatalogError`` naming line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CatalogError(f"{path}: catalog file not found") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a folder, expected a CSV file") from None
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise CatalogError(f"{path}: cannot read the catalog ({error.strerror})") from None

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
    position = {name: header.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in header}

    rows: list[CatalogRow] = []
    first_line_of_id: dict[int, int] = {}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _fail(path, reader.line_num, f"unreadable CSV ({error})") from None
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
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


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load the shipped catalog, or the user's CSV at ``path`` (same columns); raises ``CatalogError``."""
    path = Path(path) if path is not None else CATALOG_FILE
    rows = read_catalog_rows(path)
    return Catalog.from_rows(rows, source=str(path))


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
