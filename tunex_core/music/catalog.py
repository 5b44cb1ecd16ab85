"""The song catalog: record types and ``Catalog``, PMEmo songs (or a user's CSV) placed on the valence-arousal plane.

Reading and writing catalog files (CSV, Parquet) and the chorus clips live in
``tunex_core.music.catalog_io``.

Emotion regions: every song belongs to the emotion whose (valence, arousal)
point in ``tunex_core.emotions`` is nearest to the song's point (Euclidean
distance on the 0..1 plane; a tie goes to the emotion listed first in FER
order). The regions are therefore the Voronoi cells of the seven emotion
points, and they move automatically if those points are changed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, VALENCE_AROUSAL
from tunex_core.music.track_ids import is_valid_track_id

VALUE_RANGE = (0.0, 1.0)
MAX_MUSIC_ID = 2**63 - 1
RATED, ESTIMATED = "rated", "estimated"
VA_SOURCES = (RATED, ESTIMATED)
UNKNOWN_YEAR = 0
UNKNOWN_POPULARITY = -1
UNKNOWN_LANGUAGE = "unknown"


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
    spotify_id: str | None = None
    genre: str = ""
    subgenre: str = ""
    year: int | None = None
    popularity: int | None = None
    va_source: str = RATED
    decade: int | None = None
    """Known when the year is not (the Hit Predictor table gives only the decade)."""
    language: str = ""
    """ISO 639-1 code estimated from the text at build time, ``unknown``, or empty (not estimated)."""


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
    spotify_id: str | None = None
    """A validated Spotify track id (22 base-62 characters), or None."""
    genre: str = ""
    subgenre: str = ""
    year: int | None = None
    popularity: int | None = None
    decade: int | None = None
    """e.g. 1990 for the 1990s; known from ``year`` or from a table that gives only the decade."""
    va_source: str = RATED
    """``rated``: PMEmo listeners rated the point; ``estimated``: mapped from Spotify's features."""
    language: str = UNKNOWN_LANGUAGE
    """ISO 639-1 code estimated from title/album/artist at build time, or ``unknown``."""

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


@dataclass(frozen=True)
class CatalogFilter:
    """Which songs a playlist or the song map may use. ``None``/0/False: no restriction.

    A genre or decade filter leaves out songs whose genre or decade is unknown; a minimum
    popularity leaves out songs without one (only the TidyTuesday table has popularity).
    """

    genres: frozenset[str] | None = None
    decades: frozenset[int] | None = None
    min_popularity: int = 0
    rated_only: bool = False
    playable_only: bool = False
    """Only songs with a Spotify id (they play as embeds without an account)."""
    languages: frozenset[str] | None = None
    """ISO 639-1 codes (``unknown`` allowed); a song of another or unknown language is left out."""

    @property
    def active(self) -> bool:
        """Whether any restriction is set."""
        return (self.genres is not None or self.decades is not None or self.min_popularity > 0
                or self.rated_only or self.playable_only or self.languages is not None)


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

    Lookups by id: ``index_of`` (one id, None when unknown), ``aligned_indices`` (many ids,
    -1 where unknown), ``indices_with_duplicates`` (known ids and their flagged duplicates)
    and ``song`` (one id as a ``Song``, ``KeyError`` when unknown); by artist:
    ``indices_of_artist``.
    """

    def __init__(self, music_ids: Sequence[int] | np.ndarray, titles: Sequence[str],
                 artists: Sequence[str], valence: Sequence[float] | np.ndarray,
                 arousal: Sequence[float] | np.ndarray, *,
                 featured_artists: Sequence[tuple[str, ...]] | None = None,
                 artist_natives: Sequence[str] | None = None,
                 duplicate_of: Sequence[int | None] | None = None,
                 spotify_ids: Sequence[str | None] | None = None,
                 genres: Sequence[str] | None = None, subgenres: Sequence[str] | None = None,
                 years: Sequence[int | None] | np.ndarray | None = None,
                 popularity: Sequence[int | None] | np.ndarray | None = None,
                 va_sources: Sequence[str] | None = None,
                 decades: Sequence[int | None] | np.ndarray | None = None,
                 languages: Sequence[str | None] | np.ndarray | None = None,
                 language_dictionary: Sequence[str | None] | None = None,
                 source: str = "") -> None:
        size = len(titles)
        try:
            self.music_ids = np.asarray(music_ids, dtype=np.int64).reshape(-1)
        except OverflowError:
            raise CatalogError(f"{source or 'catalog'}: a musicId is larger than {MAX_MUSIC_ID}") from None
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
        self._set_music_columns(spotify_ids, genres, subgenres, years, popularity, va_sources, decades)
        self._set_languages(languages, language_dictionary)
        self._search_keys: list[str] | None = None
        self._artist_index: tuple[np.ndarray, np.ndarray] | None = None

    def _set_music_columns(self, spotify_ids, genres, subgenres, years, popularity, va_sources, decades) -> None:
        """Spotify ids (invalid ones dropped and counted), genres, years, popularity and rating source."""
        size = len(self)
        source = self.source or "catalog"
        for name, column in (("spotify_id", spotify_ids), ("genre", genres), ("subgenre", subgenres),
                             ("year", years), ("popularity", popularity), ("va_source", va_sources),
                             ("decade", decades)):
            if column is not None and len(column) != size:
                raise CatalogError(f"{source}: column {name!r} has {len(column)} values, expected {size}")
        self.spotify_ids: list[str | None] = [None] * size
        self.invalid_spotify_ids = 0
        if spotify_ids is not None:
            for index, track_id in enumerate(spotify_ids):
                if track_id is None or track_id == "":
                    continue
                if is_valid_track_id(track_id):
                    self.spotify_ids[index] = track_id
                else:
                    self.invalid_spotify_ids += 1
        self.has_spotify_id = np.fromiter((track_id is not None for track_id in self.spotify_ids), dtype=bool,
                                          count=size)
        self.genres = [text or "" for text in genres] if genres is not None else [""] * size
        self.subgenres = [text or "" for text in subgenres] if subgenres is not None else [""] * size
        self.years = _integer_column(years, size, UNKNOWN_YEAR)
        given_decades = _integer_column(decades, size, UNKNOWN_YEAR)
        self.decades = np.where(self.years > 0, self.years // 10 * 10, given_decades).astype(np.int16)
        self.popularity = _integer_column(popularity, size, UNKNOWN_POPULARITY)
        if va_sources is None:
            self.rated = np.ones(size, dtype=bool)
        else:
            unknown = sorted({value for value in va_sources if value not in VA_SOURCES})
            if unknown:
                raise CatalogError(f"{source}: va_source must be rated or estimated, not {unknown[0]!r}")
            self.rated = np.fromiter((value == RATED for value in va_sources), dtype=bool, count=size)
        genre_names = sorted({genre for genre in self.genres if genre})
        self.genre_names = tuple(genre_names)
        code_of = {genre: code for code, genre in enumerate(genre_names, start=1)}
        self.genre_codes = np.fromiter((code_of.get(genre, 0) for genre in self.genres), dtype=np.int16,
                                       count=size)

    def _set_languages(self, languages, dictionary: Sequence[str | None] | None = None) -> None:
        """``language_codes`` (one small integer per song) and ``language_names`` (code → name; 0 is unknown).

        ``languages`` is one code per song, or (with ``dictionary``, as a Parquet dictionary column gives it)
        one index into ``dictionary`` per song, -1 for none: no Python string per song at load time.
        """
        size = len(self)
        if languages is not None and len(languages) != size:
            raise CatalogError(f"{self.source or 'catalog'}: column 'language' has {len(languages)} values, "
                               f"expected {size}")
        values = dictionary if dictionary is not None else languages or ()
        names = sorted({text for text in values if text and text != UNKNOWN_LANGUAGE})
        self.language_names: tuple[str, ...] = (UNKNOWN_LANGUAGE, *names)
        code_of = {name: code for code, name in enumerate(self.language_names)}
        if languages is None:
            self.language_codes = np.zeros(size, dtype=np.int16)
        elif dictionary is not None:
            lookup = np.array([code_of.get(text or UNKNOWN_LANGUAGE, 0) for text in dictionary] + [0], dtype=np.int16)
            self.language_codes = lookup[np.asarray(languages, dtype=np.int64)]  # -1 picks the trailing 0
        else:
            self.language_codes = np.fromiter((code_of.get(text or UNKNOWN_LANGUAGE, 0) for text in languages),
                                              dtype=np.int16, count=size)

    def language_counts(self) -> dict[str, int]:
        """Songs per language code (``unknown`` included), most songs first."""
        counts = np.bincount(self.language_codes.astype(np.int64), minlength=len(self.language_names))
        return dict(sorted(((name, int(counts[code])) for code, name in enumerate(self.language_names)
                            if counts[code]), key=lambda item: (-item[1], item[0])))

    @classmethod
    def from_rows(cls, rows: Sequence[CatalogRow], source: str = "") -> Catalog:
        """Build a catalog from validated CSV rows."""
        return cls(
            [row.music_id for row in rows], [row.title for row in rows], [row.artist for row in rows],
            [row.valence for row in rows], [row.arousal for row in rows],
            featured_artists=[row.featured_artists for row in rows],
            artist_natives=[row.artist_native for row in rows],
            duplicate_of=[row.duplicate_of for row in rows],
            spotify_ids=[row.spotify_id for row in rows], genres=[row.genre for row in rows],
            subgenres=[row.subgenre for row in rows], years=[row.year for row in rows],
            popularity=[row.popularity for row in rows], va_sources=[row.va_source for row in rows],
            decades=[row.decade for row in rows], languages=[row.language for row in rows], source=source,
        )

    def filter_mask(self, song_filter: CatalogFilter | None) -> np.ndarray | None:
        """Boolean mask of the songs ``song_filter`` allows (None when it allows every song)."""
        if song_filter is None or not song_filter.active:
            return None
        mask = np.ones(len(self), dtype=bool)
        if song_filter.genres is not None:
            codes = [self.genre_names.index(genre) + 1 for genre in song_filter.genres if genre in self.genre_names]
            mask &= np.isin(self.genre_codes, codes)
        if song_filter.decades is not None:
            mask &= np.isin(self.decades, [int(decade) for decade in song_filter.decades])
        if song_filter.min_popularity > 0:
            mask &= self.popularity >= song_filter.min_popularity
        if song_filter.rated_only:
            mask &= self.rated
        if song_filter.playable_only:
            mask &= self.has_spotify_id
        if song_filter.languages is not None:
            codes = [self.language_names.index(code) for code in song_filter.languages if code in self.language_names]
            mask &= np.isin(self.language_codes, codes)
        return mask

    def decade_counts(self) -> dict[int, int]:
        """Songs per known decade, oldest first."""
        decades, counts = np.unique(self.decades[self.decades > 0], return_counts=True)
        return {int(decade): int(count) for decade, count in zip(decades, counts, strict=True)}

    def genre_counts(self) -> dict[str, int]:
        """Songs per known genre, by name."""
        counts = np.bincount(self.genre_codes.astype(np.int64), minlength=len(self.genre_names) + 1)
        return {name: int(counts[code]) for code, name in enumerate(self.genre_names, start=1)}

    def _set_duplicates(self, duplicate_of: Sequence[int | None]) -> None:
        if len(duplicate_of) != len(self):
            raise CatalogError(f"{self.source or 'catalog'}: duplicate_of has {len(duplicate_of)} values, "
                               f"expected {len(self)}")
        groups: dict[int, list[int]] = {}
        for index, canonical in enumerate(duplicate_of):
            if canonical is None or canonical == self.music_ids[index]:
                continue
            canonical_index = self.index_of(canonical)
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
            spotify_id=self.spotify_ids[index], genre=self.genres[index], subgenre=self.subgenres[index],
            year=int(self.years[index]) or None, decade=int(self.decades[index]) or None,
            popularity=int(self.popularity[index]) if self.popularity[index] >= 0 else None,
            va_source=RATED if self.rated[index] else ESTIMATED,
            language=self.language_names[int(self.language_codes[index])],
        )

    def __iter__(self) -> Iterator[Song]:
        return (self[index] for index in range(len(self)))

    @property
    def songs(self) -> tuple[Song, ...]:
        """Every song as a ``Song`` record (builds them all; prefer indices for large catalogs)."""
        return tuple(self)

    def index_of(self, music_id: int) -> int | None:
        """Row index of ``music_id``, or None when the catalog has no such song."""
        position = int(np.searchsorted(self._sorted_ids, music_id))
        if position < len(self._sorted_ids) and self._sorted_ids[position] == music_id:
            return int(self._id_order[position])
        return None

    def aligned_indices(self, music_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row index of each id in ``music_ids`` (aligned with it), -1 where the catalog lacks the id."""
        wanted = np.asarray(music_ids, dtype=np.int64).reshape(-1)
        if wanted.size == 0 or len(self) == 0:
            return np.full(wanted.size, -1, dtype=np.int64)
        positions = np.clip(np.searchsorted(self._sorted_ids, wanted), 0, len(self._sorted_ids) - 1)
        return np.where(self._sorted_ids[positions] == wanted, self._id_order[positions], -1)

    def duplicate_group(self, index: int) -> tuple[int, ...]:
        """Row indices of the song at ``index`` and of every flagged duplicate of it."""
        return self._duplicate_groups.get(int(self.canonical_ids[index]), (int(index),))

    def indices_with_duplicates(self, music_ids: Iterable[int]) -> np.ndarray:
        """Row indices of the known ids in ``music_ids`` and of their duplicates (unknown ids are ignored)."""
        rows = self.aligned_indices(np.fromiter((int(music_id) for music_id in music_ids), dtype=np.int64))
        found = rows[rows >= 0]
        if not self._duplicate_groups or found.size == 0:
            return found
        extra = [member for index in found.tolist() for member in self.duplicate_group(index)]
        return np.unique(np.concatenate([found, np.asarray(extra, dtype=np.int64)]))

    def indices_of_artist(self, artist_code: int) -> np.ndarray:
        """Row indices of every song by the artist with ``artist_code`` (see ``artist_codes``)."""
        index = self._artist_index
        if index is None:
            # Built once, lazily; one tuple assignment, so a concurrent session never sees half of it.
            order = np.argsort(self.artist_codes, kind="stable")
            index = self._artist_index = (order, np.searchsorted(self.artist_codes[order],
                                                                 np.arange(len(self.artist_names) + 1)))
        order, bounds = index
        return order[bounds[artist_code]:bounds[artist_code + 1]]

    def song(self, music_id: int) -> Song:
        """The song with ``music_id``; raises ``KeyError`` if absent."""
        index = self.index_of(music_id)
        if index is None:
            raise KeyError(f"musicId {music_id} is not in the catalog")
        return self[index]

    def search(self, text: str = "", regions: Iterable[str] | None = None,
               song_filter: CatalogFilter | None = None) -> np.ndarray:
        """Indices of songs whose title, artist or featured artists contain ``text`` (case- and
        accent-insensitive), restricted to the emotion ``regions`` and ``song_filter`` when given."""
        mask = self.filter_mask(song_filter)
        mask = np.ones(len(self), dtype=bool) if mask is None else mask
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


def _integer_column(values, size: int, unknown: int) -> np.ndarray:
    if values is None:
        return np.full(size, unknown, dtype=np.int16)
    if isinstance(values, np.ndarray):
        return values.astype(np.int16)
    return np.fromiter((unknown if value is None else value for value in values), dtype=np.int16, count=size)


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
