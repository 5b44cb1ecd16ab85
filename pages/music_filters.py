"""Song filter controls shared by the Playlist and Song map pages, and the cached catalog."""

from __future__ import annotations

import streamlit as st

from tunex_core.music.catalog import Catalog, CatalogFilter
from tunex_core.music.catalog_io import load_catalog

POPULARITY_HELP = ("Spotify's 0–100 popularity; only the TidyTuesday table has it (about 28,000 songs), "
                   "so any minimum above 0 leaves out songs without one.")


@st.cache_resource(show_spinner="Loading the song catalog…")
def cached_catalog() -> Catalog:
    """The shipped catalog, loaded once per server process and shared (read-only) by every session."""
    catalog = load_catalog()
    # Build the lazy indexes here, once, rather than in the first session that needs them.
    catalog.search("")
    if len(catalog):
        catalog.indices_of_artist(0)
    return catalog


def decade_label(decade: int) -> str:
    """``1980s`` for 1980."""
    return f"{decade}s"


def filter_controls(catalog: Catalog, key_prefix: str, playable_default: bool = False) -> CatalogFilter:
    """Genre, decade, popularity, "listener-rated only" and "playable only" widgets; the chosen filter.

    ``key_prefix`` keeps the two pages' widgets apart; every choice lasts the browser session, across
    visits to other pages; ``playable_default`` is the first state of "Only songs with a Spotify player".
    """
    with st.expander("Filters: genre, decade, popularity, listener-rated", expanded=False):
        genre_column, decade_column, popularity_column = st.columns(3)
        genres = genre_column.multiselect("Genre", catalog.genre_names, key=f"{key_prefix}_genres",
                                          persist_state="session", placeholder="any genre",
                                          help="From the TidyTuesday playlists; songs without a genre are left "
                                               "out when you choose one.")
        decades = decade_column.multiselect("Decade", list(catalog.decade_counts()), format_func=decade_label,
                                            key=f"{key_prefix}_decades", persist_state="session",
                                            placeholder="any decade")
        popularity = popularity_column.slider("Minimum popularity", 0, 100, 0, step=5,
                                              key=f"{key_prefix}_popularity", persist_state="session",
                                              help=POPULARITY_HELP)
        rated_column, playable_column = st.columns(2)
        rated_only = rated_column.checkbox(
            "Listener-rated songs only", key=f"{key_prefix}_rated", persist_state="session",
            help="Only PMEmo's 767 songs, whose mood point listeners rated; the others are estimated "
                 "from Spotify's audio features.")
        playable_only = playable_column.checkbox(
            "Only songs with a Spotify player", value=playable_default,
            key=f"{key_prefix}_playable", persist_state="session",
            help="Leave out the few songs without a Spotify id (they get a search link instead).")
    return CatalogFilter(genres=frozenset(genres) if genres else None,
                         decades=frozenset(decades) if decades else None,
                         min_popularity=int(popularity), rated_only=rated_only, playable_only=playable_only)


def describe_filter(song_filter: CatalogFilter) -> str:
    """A short text for the active filter, e.g. ``rock · 1980s · popularity ≥ 40``; empty when none."""
    parts = []
    if song_filter.genres:
        parts.append(", ".join(sorted(song_filter.genres)))
    if song_filter.decades:
        parts.append(", ".join(decade_label(decade) for decade in sorted(song_filter.decades)))
    if song_filter.min_popularity:
        parts.append(f"popularity ≥ {song_filter.min_popularity}")
    if song_filter.rated_only:
        parts.append("listener-rated only")
    if song_filter.playable_only:
        parts.append("with a Spotify player")
    return " · ".join(parts)
