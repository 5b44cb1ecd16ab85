"""Playlist: songs for the session mood, playing as embedded Spotify players with no account.

Every catalog song with a Spotify id plays through ``open.spotify.com/embed`` (no token). Players
load progressively: the first ``INITIAL_PLAYERS``, the rest on demand. Spotify credentials are
optional: with them, songs without an id are looked up by search.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from pages.common import feedback_store, session_mood, set_session_mood
from pages.library_source import choose_source
from pages.music_filters import cached_catalog, describe_filter, filter_controls
from pages.playlist_panels import show_checkin_panel, show_save_panel
from tunex_core.emotions import EMOTION_NAMES, emotion_label
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogError
from tunex_core.music.emotion_music import EmotionMusicError, load_emotion_music
from tunex_core.music.feedback import LIKE, SKIP
from tunex_core.music.playlist_view import (
    PlaylistEntry,
    explain,
    playback_status,
    playlist_entries,
    shipped_clip_paths,
)
from tunex_core.music.recommend import DEFAULT_COUNT, DEFAULT_ISO_TARGET, MODES, RecommendError, recommend_for_mood
from tunex_core.music.spotify import SpotifyService, SpotifyStatus, configuration_fingerprint
from tunex_core.personal.library_catalog import LIBRARY
from tunex_core.personal.library_files import media_type
from tunex_core.storage import DatabaseBusyError

MODE_LABELS = {"match": "Match my mood", "iso": "Guide me to a target mood (iso principle)"}
EMBED_HEIGHT = 152
DISCOVERY_COUNT = 5
# Players loaded at once; each is a full Spotify web page, so the rest load on demand.
INITIAL_PLAYERS = 10
RECENT_PLAYS_EXCLUDED = 20
FEEDBACK_ERROR_KEY = "playlist_feedback_error"
LOADED_PLAYERS_KEY = "playlist_loaded_players"
PLAYLIST_EMOTION_KEY = "playlist_emotion"


@st.cache_resource(show_spinner=False)
def cached_clip_paths() -> dict[int, Path]:
    """Local chorus clips by music id."""
    return shipped_clip_paths()


@st.cache_resource(show_spinner=False)
def cached_spotify_service(configuration: str) -> SpotifyService:
    """One Spotify service (token, failure cool-down) per configuration; see ``configuration_fingerprint``."""
    return SpotifyService.from_environment()


def record_feedback(music_id: int, action: str, title: str) -> None:
    """Button callback: store a like or skip; the rerun that follows refreshes the playlist."""
    try:
        with feedback_store() as store:
            store.record_feedback(music_id, action)
    except DatabaseBusyError as error:
        st.session_state[FEEDBACK_ERROR_KEY] = f"Your {action} was not saved: {error}"
        return
    verb = "Liked" if action == LIKE else "Skipped"
    st.toast(f"{verb}: {escape_markdown(title)}")



def mood_selector_key(mood: Mood | None) -> str:
    """The widget key of the mood selector while ``mood`` is the session mood."""
    return f"{PLAYLIST_EMOTION_KEY}-{mood.label if mood is not None else 'none'}"


def choose_mood() -> Mood | None:
    """The session mood, or the emotion picked here (which becomes the session mood)."""
    mood = session_mood()
    # One selector per mood: it follows a mood set anywhere else (Home, Live mood, the sidebar's "Use my last
    # mood") even while this page is open, where a single keyed selectbox would keep showing its own old value.
    picked = st.selectbox("Mood", EMOTION_NAMES, format_func=emotion_label,
                          index=EMOTION_NAMES.index(mood.label) if mood is not None else None,
                          placeholder="Choose an emotion", key=mood_selector_key(mood))
    if mood is None and picked is None:
        st.info("No mood yet. Read one from your face on **Live mood**, or choose an emotion above.")
        return None
    if picked is not None and (mood is None or picked != mood.label):
        set_session_mood(Mood.from_emotion(picked, source="your pick on Playlist"))
        st.rerun()  # the sidebar, drawn before this page, shows the new mood too
    return mood


def show_status(service: SpotifyService, entries: list[PlaylistEntry]) -> None:
    """One status line: players without an account, how many songs play, and the optional search."""
    service.check_connection()
    status = playback_status(service, entries)  # TuneX's own text, no song data
    if status.level == "ok":
        st.caption(status.text)
    elif status.level == "info":
        st.info(status.text)
    else:
        st.warning(status.text)


def show_embed(url: str) -> None:
    """A Spotify player: ``st.iframe`` where this Streamlit has it, else the components iframe."""
    if hasattr(st, "iframe"):
        st.iframe(url, height=EMBED_HEIGHT)
    else:
        components.iframe(url, height=EMBED_HEIGHT)


def load_player(music_id: int) -> None:
    """Button callback: load this song's Spotify player."""
    st.session_state.setdefault(LOADED_PLAYERS_KEY, set()).add(music_id)


def load_all_players(music_ids: list[int]) -> None:
    """Button callback: load every player of the playlist."""
    st.session_state.setdefault(LOADED_PLAYERS_KEY, set()).update(music_ids)


def show_entry(entry: PlaylistEntry, mode: str, player_loaded: bool) -> None:
    """One song: title, player (Spotify embed, or a button that loads it), local clip, feedback, why."""
    with st.container(border=True):
        left, right = st.columns([4, 1])
        with left:
            st.markdown(f"**{entry.recommendation.position}. {escape_markdown(entry.title)}** — "
                        f"{escape_markdown(entry.artist)}")
            if entry.embed_url is not None:
                if player_loaded:
                    show_embed(entry.embed_url)
                else:
                    st.button("▶ Load the Spotify player", key=f"player_{entry.music_id}", on_click=load_player,
                              args=(entry.music_id,))
            if entry.clip_path is not None:
                st.audio(str(entry.clip_path), format="audio/mpeg")
            if entry.local_path is not None:  # the listener's own song, from disk
                st.audio(str(entry.local_path), format=media_type(entry.local_path))
            with st.expander("Why this song"):
                st.text(explain(entry.recommendation, mode, own_file=entry.local_path is not None))
        with right:
            if entry.local_path is None:
                st.link_button("Open in Spotify", entry.listen_url)
            st.button("👍 Like", key=f"like_{entry.music_id}", on_click=record_feedback,
                      args=(entry.music_id, LIKE, entry.title))
            st.button("👎 Skip", key=f"skip_{entry.music_id}", on_click=record_feedback,
                      args=(entry.music_id, SKIP, entry.title))


def show_entries(entries: list[PlaylistEntry], mode: str) -> None:
    """The songs: the first ``INITIAL_PLAYERS`` players at once, the others when asked for."""
    loaded = st.session_state.get(LOADED_PLAYERS_KEY, set())
    with_players = [entry for entry in entries if entry.embed_url is not None]
    initial = {entry.music_id for entry in with_players[:INITIAL_PLAYERS]}
    waiting = [entry.music_id for entry in with_players if entry.music_id not in initial | loaded]
    for entry in entries:
        show_entry(entry, mode, entry.music_id in initial or entry.music_id in loaded)
    if waiting:
        st.button(f"▶ Load the other {len(waiting)} players", key="load_all_players", on_click=load_all_players,
                  args=(waiting,))


def show_discovery(service: SpotifyService, mood: Mood, exclude_ids: list[str]) -> None:
    """Extra Spotify tracks from the emotion's genres and keywords (searches cached for a day)."""
    try:
        music = load_emotion_music()[mood.label]
    except EmotionMusicError as error:
        st.caption(f"Extra tracks unavailable: {escape_markdown(str(error))}")
        return
    discovery = service.discover(music.genres, music.keywords, count=DISCOVERY_COUNT,
                                 exclude_ids=exclude_ids)
    if not discovery.tracks:
        return
    st.subheader(f"More on Spotify for {emotion_label(mood.label)}")
    st.caption("From Spotify searches for this emotion's genres and keywords; "
               "these songs are not on TuneX's mood map.")
    for track in discovery.tracks:
        show_embed(track.embed_url)


def main() -> None:
    """The page: mood, mode and filters, the playlist with its players, and Spotify extras."""
    st.title("🎶 Playlist")
    mood = choose_mood()
    if mood is None:
        st.stop()

    controls = st.columns([2, 2, 2])
    mode = controls[0].radio("Mode", MODES, format_func=MODE_LABELS.get, key="playlist_mode",
                             persist_state="session")
    target = None
    if mode == "iso":
        target = controls[1].selectbox("Target mood", EMOTION_NAMES, format_func=emotion_label,
                                       index=EMOTION_NAMES.index(DEFAULT_ISO_TARGET), key="playlist_target",
                                       persist_state="session")
    count = controls[2].slider("Songs", min_value=3, max_value=30, value=DEFAULT_COUNT,
                               key="playlist_count", persist_state="session")

    try:
        catalog = cached_catalog()
    except CatalogError as error:
        st.error(f"The song catalog could not be loaded: {escape_markdown(str(error))}")
        st.stop()
    # Own songs first: they play here with no network (the catalog's need Spotify's players).
    source = choose_source(catalog, "playlist", default=LIBRARY)
    catalog = source.catalog
    service = cached_spotify_service(configuration_fingerprint())
    # Without credentials a song without an id can only be a search link, so such songs start filtered out.
    song_filter = filter_controls(catalog, "playlist", playable_default=not service.configured)

    adjustments, recent_ids = None, ()
    try:
        with feedback_store() as store:
            adjustments = store.adjustments()
            recent_ids = tuple(play.music_id for play in store.recent_plays(RECENT_PLAYS_EXCLUDED))
    except DatabaseBusyError as error:
        st.warning(f"Likes and skips unavailable, ranking without them: {escape_markdown(str(error))}")
    if FEEDBACK_ERROR_KEY in st.session_state:
        st.warning(escape_markdown(st.session_state.pop(FEEDBACK_ERROR_KEY)))
    try:
        playlist = recommend_for_mood(catalog, mood, mode=mode, target=target, count=count, feedback=adjustments,
                                      recent_ids=recent_ids, song_filter=song_filter)
    except RecommendError as error:
        st.error(escape_markdown(str(error)))
        st.stop()

    heading = f"For {emotion_label(mood.label)} (valence {mood.valence:.2f}, arousal {mood.arousal:.2f})"
    if mode == "iso":
        heading += f", moving toward {emotion_label(playlist.target_name or DEFAULT_ISO_TARGET)}"
    filter_text = describe_filter(song_filter)
    st.caption(heading + (f" · filters: {filter_text}" if filter_text else ""))
    if mode == "iso":
        show_checkin_panel(playlist)

    with st.spinner("Finding the songs on Spotify…"):
        entries = playlist_entries(playlist, service, cached_clip_paths(), source.local_files)
    show_status(service, entries)
    if (service.configured and service.state.status is not SpotifyStatus.CONNECTED
            and st.button("Try Spotify again")):
        service.reset()
        st.rerun()

    if not entries:
        st.warning("No songs match these filters for this mood. Loosen the filters above.")
    show_entries(entries, mode)
    show_save_panel(playlist, entries, mood, mode)

    if service.configured and service.state.status is SpotifyStatus.CONNECTED:
        show_discovery(service, mood, [entry.spotify_id for entry in entries if entry.spotify_id is not None])


main()
