"""The listener's own songs as a song catalog, alone or beside the shipped one, for the Song map and
the playlists (match and iso) to use like any catalog.

``songs_source`` builds the ``Catalog`` for a source choice: ``catalog`` (the shipped songs), ``library``
(the profile's analysed songs) or ``both``. Own songs keep their negative ids (``library.library_music_id``),
so feedback, plays and saved playlists refer to them like to catalog songs; their point is the audio
model's estimate (``va_source`` "estimated"). Filters: see ``SourceCatalog``.

``library_map_trace`` is their own marker on the Song map.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from tunex_core.music.catalog import (
    ESTIMATED,
    RATED,
    UNKNOWN_POPULARITY,
    UNKNOWN_YEAR,
    Catalog,
    CatalogFilter,
)
from tunex_core.personal.library import LibrarySong
from tunex_core.personal.library_files import display_path

CATALOG, LIBRARY, BOTH = "catalog", "library", "both"
SOURCES = (CATALOG, LIBRARY, BOTH)
SOURCE_LABELS = {CATALOG: "TuneX catalog", LIBRARY: "My music", BOTH: "Both"}
LIBRARY_SOURCE_NAME = "my music"
MARKER_COLOUR = "#111111"


@dataclass(frozen=True)
class SongSource:
    """The catalog a page uses, and the own songs' files by music id (for ``st.audio``)."""

    catalog: Catalog
    local_files: dict[int, Path]
    choice: str

    @property
    def has_library_songs(self) -> bool:
        """Whether any own song is in ``catalog``."""
        return bool(self.local_files)


class SourceCatalog(Catalog):
    """A catalog with the listener's own songs (negative ids) in it. They play from disk, so "playable only"
    keeps them; their language is not known, so a language filter (the browser's language by default)
    keeps them too. Genre, decade, popularity and "listener-rated only" leave them out: they have none."""

    def filter_mask(self, song_filter: CatalogFilter | None) -> np.ndarray | None:
        """``Catalog.filter_mask``, with own songs passing the language and playable filters."""
        mask = super().filter_mask(song_filter)
        own = self.music_ids < 0
        if mask is None or not own.any():
            return mask
        lenient = super().filter_mask(replace(song_filter, languages=None, playable_only=False))
        return mask | (own if lenient is None else own & lenient)


def library_catalog(songs: Sequence[LibrarySong]) -> Catalog:
    """A catalog of the placed songs among ``songs`` (those with a point); may be empty."""
    placed = [song for song in songs if song.placed]
    return SourceCatalog([song.music_id for song in placed], [song.display_title for song in placed],
                      [song.display_artist for song in placed], [float(song.valence) for song in placed],
                         [float(song.arousal) for song in placed], va_sources=[ESTIMATED] * len(placed),
                         source=LIBRARY_SOURCE_NAME)


def combined_catalog(base: Catalog, songs: Sequence[LibrarySong]) -> Catalog:
    """``base`` with the placed ``songs`` after it (every column of ``base`` kept)."""
    own = library_catalog(songs)
    if not len(own):
        return base
    size = len(base)

    def column(values, fill):
        return [*values, *([fill] * len(own))]

    duplicate_of = [None if canonical == music_id else int(canonical)
                    for music_id, canonical in zip(base.music_ids.tolist(), base.canonical_ids.tolist(), strict=True)]
    return SourceCatalog(
        np.concatenate([base.music_ids, own.music_ids]), base.titles + own.titles,
        base.artists + own.artists, np.concatenate([base.points[:, 0], own.points[:, 0]]),
        np.concatenate([base.points[:, 1], own.points[:, 1]]),
        featured_artists=column(base.featured_artists or [()] * size, ()),
        artist_natives=column(base.artist_natives or [""] * size, ""),
        duplicate_of=column(duplicate_of, None), spotify_ids=column(base.spotify_ids, None),
        genres=column(base.genres, ""), subgenres=column(base.subgenres, ""),
        years=np.concatenate([base.years, np.full(len(own), UNKNOWN_YEAR, dtype=np.int16)]),
        decades=np.concatenate([base.decades, np.full(len(own), UNKNOWN_YEAR, dtype=np.int16)]),
        popularity=np.concatenate([base.popularity, np.full(len(own), UNKNOWN_POPULARITY, dtype=np.int16)]),
        va_sources=[*(RATED if rated else ESTIMATED for rated in base.rated.tolist()), *([ESTIMATED] * len(own))],
        languages=np.concatenate([base.language_codes, np.full(len(own), -1, dtype=np.int64)]),
        language_dictionary=base.language_names,  # own songs: -1, an unknown language
        source=f"{base.source} + {LIBRARY_SOURCE_NAME}",
    )


def songs_source(choice: str, base: Catalog | None, songs: Sequence[LibrarySong]) -> SongSource:
    """The catalog for ``choice`` (one of ``SOURCES``) and the own songs' files; ``base`` may be None only
    for ``library``. Builds indexes eagerly so the result can be shared read-only between threads."""
    if choice not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {choice!r}")
    if choice == CATALOG:
        catalog = base
    elif choice == LIBRARY:
        catalog = library_catalog(songs)
    else:
        catalog = combined_catalog(base, songs)
    local = {} if choice == CATALOG else {song.music_id: song.path for song in songs if song.placed}
    if len(catalog):
        catalog.search("")
        catalog.indices_of_artist(0)
    return SongSource(catalog, local, choice)


def library_map_trace(catalog: Catalog, visible_indices: Sequence[int] | np.ndarray | None = None) -> go.Scatter | None:
    """The own songs among ``visible_indices`` as one Plotly trace with their own marker (an open
    diamond), title and artist on hover; None when none is visible."""
    indices = np.arange(len(catalog)) if visible_indices is None else np.asarray(visible_indices, dtype=np.int64)
    own = indices[catalog.music_ids[indices] < 0]
    if not own.size:
        return None
    return go.Scatter(
        x=catalog.points[own, 0], y=catalog.points[own, 1], mode="markers", name=f"My music ({own.size})",
        marker={"symbol": "diamond-open", "size": 12, "color": MARKER_COLOUR, "line": {"width": 2}},
        text=[f"<b>{html.escape(catalog.titles[index])}</b> — {html.escape(catalog.artists[index])} · my music"
              for index in own.tolist()],
        hovertemplate="%{text}<br>valence %{x:.3f} · arousal %{y:.3f}<extra></extra>",
    )


def song_label(song: LibrarySong) -> str:
    """"Title — Artist (file.mp3)" for lists."""
    return f"{song.display_title} — {song.display_artist} ({display_path(song.path.name)})"
