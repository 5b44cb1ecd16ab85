"""Song filter controls shared by the Playlist and Song map pages, and the cached catalog."""

from __future__ import annotations

import streamlit as st

from tunex_core.music.catalog import UNKNOWN_LANGUAGE, Catalog, CatalogFilter
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


LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "pt": "Portuguese", "fr": "French", "de": "German", "it": "Italian",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "nb": "Norwegian", "fi": "Finnish", "pl": "Polish",
    "tr": "Turkish", "id": "Indonesian", "tl": "Tagalog", "ro": "Romanian", "ca": "Catalan", "ja": "Japanese",
    "ko": "Korean", "zh": "Chinese", "th": "Thai", "ru": "Russian", "uk": "Ukrainian", "he": "Hebrew",
    "el": "Greek", "hi": "Hindi", "ar": "Arabic", UNKNOWN_LANGUAGE: "language unknown",
}
LANGUAGE_HELP = ("Estimated offline from each song's title, album and artist (data/README.md has its measured "
                 "precision); songs whose language could not be told are 'language unknown'.")


def language_label(code: str) -> str:
    """``English (en)`` for ``en``."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name and code != UNKNOWN_LANGUAGE else name or code


def browser_language(catalog: Catalog) -> str | None:
    """The browser's language (``st.context.locale``, e.g. ``en-US`` → ``en``) when the catalog has songs in it."""
    try:
        locale = st.context.locale
    except AttributeError:  # a Streamlit without st.context.locale
        return None
    code = (locale or "").split("-")[0].split("_")[0].strip().lower()
    return code if code in catalog.language_names and code != UNKNOWN_LANGUAGE else None


def _any_language(key: str) -> None:
    st.session_state[key] = []


def language_control(catalog: Catalog, key_prefix: str) -> frozenset[str] | None:
    """The language multiselect (first choice: the browser's language) and its "Any language" button."""
    key = f"{key_prefix}_languages"
    if key not in st.session_state:
        default = browser_language(catalog)
        st.session_state[key] = [default] if default else []
    counts = catalog.language_counts()
    choice_column, any_column = st.columns([5, 1], vertical_alignment="bottom")
    languages = choice_column.multiselect("Language", list(counts), key=key, format_func=language_label,
                                          persist_state="session", placeholder="any language",
                                          help=LANGUAGE_HELP)
    any_column.button("Any language", key=f"{key}_any", on_click=_any_language, args=(key,),
                      disabled=not languages)
    return frozenset(languages) if languages else None


def filter_controls(catalog: Catalog, key_prefix: str, playable_default: bool = False) -> CatalogFilter:
    """Genre, decade, popularity, "listener-rated only" and "playable only" widgets; the chosen filter.

    ``key_prefix`` keeps the two pages' widgets apart; every choice lasts the browser session, across
    visits to other pages; ``playable_default`` is the first state of "Only songs with a Spotify player".
    """
    languages = language_control(catalog, key_prefix)
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
                         min_popularity=int(popularity), rated_only=rated_only, playable_only=playable_only,
                         languages=languages)


def describe_filter(song_filter: CatalogFilter) -> str:
    """A short text for the active filter, e.g. ``rock · 1980s · popularity ≥ 40``; empty when none."""
    parts = []
    if song_filter.languages:
        parts.append(", ".join(LANGUAGE_NAMES.get(code, code) for code in sorted(song_filter.languages)))
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
