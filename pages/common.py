"""Streamlit helpers shared by every page: session mood, profile, sidebar, cached resources."""

from __future__ import annotations

import time

import streamlit as st

from pages.sharing import (  # noqa: F401 (for the pages)
    GUEST_PROFILE_NAME,
    client_is_this_computer,
    guest_profile_id,
    is_guest,
    may_touch_host_disk,
    shared_profile,
)
from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.personal.journal import describe_age
from tunex_core.personal.playlists import EXPORT_FORMATS, SavedPlaylist, export_bytes, export_file_name
from tunex_core.personal.profiles import Profile, ProfileError, ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID, DatabaseBusyError, storage_status, write_outcome_message

MOOD_KEY = "mood"
PROFILE_KEY = "profile_id"
PROFILE_QUERY_PARAMETER = "profile"
RESUME_MOOD_BUTTON_KEY = "resume_last_mood"
PROFILE_SELECTOR_KEY = "profile_selector"
PROFILE_IDS_KEY = "profile_ids_by_name"  # the selector shows names; the session keeps the id
NEW_PROFILE_NAME_KEY = "new_profile_name"
PROFILE_MESSAGE_KEY = "profile_message"
# The Song map writes the session mood to the history once per mood under this key; moods set here
# are recorded at once, so the key is set too and the Song map does not record them again.
SONG_MAP_RECORDED_MOOD_KEY = "song_map_recorded_mood"
EXPORT_LABELS = {"m3u": "⬇️ M3U (Spotify links)", "csv": "⬇️ CSV", "text": "⬇️ Plain text"}


def route_first_request_through_app() -> None:
    """Make a page URL opened as a fresh server's first request show the app's own navigation.

    Streamlit sees the ``pages/`` folder beside ``app.py`` and, until some script calls
    ``st.navigation``, runs in its old multipage mode: a first request for ``/live`` runs
    ``pages/live.py`` alone, lists every file of ``pages/`` in the sidebar and skips ``app.py``
    (no Session-mood panel), for every visitor until someone opens ``/``. Every page imports this
    module, so the first page run in that mode switches the mode off and reruns, now through
    ``app.py``, on the same URL.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


route_first_request_through_app()


def init_session_state() -> None:
    """Set the session-state defaults once per browser session; the profile comes from the address
    (``?profile=ID``) when it names one, so reloading the page keeps the person who was using it."""
    st.session_state.setdefault(MOOD_KEY, None)
    if is_guest():  # a guest of a shared TuneX has one profile (in memory, or lent), whatever the address says
        st.session_state[PROFILE_KEY] = guest_profile_id()
    elif PROFILE_KEY not in st.session_state:
        st.session_state[PROFILE_KEY] = profile_id_from_address(st.query_params.get(PROFILE_QUERY_PARAMETER))


def profile_id_from_address(value: str | None) -> int:
    """The profile id in the address's ``profile`` parameter, or the default profile's when there is none
    or it is not a whole number (an unknown id falls back later, in ``session_profiles``)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return DEFAULT_PROFILE_ID


def keep_profile_in_address() -> None:
    """Write the session's profile into the address (``?profile=ID``; nothing for the default profile).
    Streamlit clears the address's parameters on every page switch, so this runs on every page."""
    profile_id = current_profile_id()
    if profile_id == DEFAULT_PROFILE_ID:
        if PROFILE_QUERY_PARAMETER in st.query_params:
            del st.query_params[PROFILE_QUERY_PARAMETER]
    elif st.query_params.get(PROFILE_QUERY_PARAMETER) != str(profile_id):
        st.query_params[PROFILE_QUERY_PARAMETER] = str(profile_id)


def current_profile_id() -> int:
    """The profile chosen in the sidebar (the default profile for people who never choose); for a guest of a
    shared TuneX always the guest's own, whatever the session state says."""
    if is_guest():
        return guest_profile_id()
    return int(st.session_state.get(PROFILE_KEY, DEFAULT_PROFILE_ID))


def feedback_store() -> FeedbackStore:
    """The likes, plays and moods of the current profile (one connection; use in a ``with`` block)."""
    return FeedbackStore(profile_id=current_profile_id())


def playlist_download_buttons(playlist: SavedPlaylist, columns, key_prefix: str) -> None:
    """One download button per export format of ``playlist`` (M3U, CSV, plain text), in ``columns``."""
    for column, kind in zip(columns, EXPORT_FORMATS, strict=False):
        mime, extension = EXPORT_FORMATS[kind]
        column.download_button(EXPORT_LABELS[kind], export_bytes(playlist, kind),
                               file_name=export_file_name(playlist, extension), mime=mime, key=f"{key_prefix}_{kind}")


def show_write_outcome(outcome, what: str) -> None:
    """A toast when ``what`` ("your like") was queued or not saved; nothing when it was saved."""
    message = write_outcome_message(outcome, what)
    if message:
        st.toast(message, icon="⏳")


def session_mood() -> Mood | None:
    """The mood the user chose with "Use this mood" (or on another page), if any."""
    return st.session_state.get(MOOD_KEY)


def set_session_mood(mood: Mood, record: bool = True) -> None:
    """Make ``mood`` the session mood used by the Song map and Playlist pages, and add it to the journal
    (``record=False`` for a mood that came from the journal)."""
    st.session_state[MOOD_KEY] = mood
    st.session_state[SONG_MAP_RECORDED_MOOD_KEY] = mood.created_at
    if not record:
        return
    try:
        with feedback_store() as store:
            show_write_outcome(store.record_mood(mood), "this mood")
    except DatabaseBusyError as error:
        st.toast(f"This mood was not added to your journal: {error}", icon="⚠️")


def last_recorded_mood() -> Mood | None:
    """The current profile's most recent mood from its journal, or None (no history, or the database is busy)."""
    try:
        with feedback_store() as store:
            records = store.recent_moods(limit=1)
    except (DatabaseBusyError, ValueError):  # locked, or a damaged row
        return None
    return records[0].to_mood() if records else None


def _select_profile() -> None:
    """Selector callback: make the chosen name's profile the session's profile."""
    chosen = st.session_state[PROFILE_SELECTOR_KEY]
    st.session_state[PROFILE_KEY] = st.session_state[PROFILE_IDS_KEY].get(chosen, DEFAULT_PROFILE_ID)


def _create_profile() -> None:
    """Button callback: create the profile named in the form and select it, or leave a message why not."""
    name = st.session_state.get(NEW_PROFILE_NAME_KEY, "")
    try:
        with ProfileStore() as store:
            profile = store.create(name)
    except (ProfileError, DatabaseBusyError) as error:
        st.session_state[PROFILE_MESSAGE_KEY] = f"No new profile: {error}."
        return
    if profile is None:
        st.session_state[PROFILE_MESSAGE_KEY] = ("The database is locked by another program; the profile will be "
                                                 "created when it is free.")
        return
    st.session_state[PROFILE_KEY] = profile.id
    st.session_state[NEW_PROFILE_NAME_KEY] = ""
    st.session_state[PROFILE_MESSAGE_KEY] = None


def session_profiles() -> tuple[Profile, ...]:
    """Every profile, or () when the database is locked; a deleted current profile falls back to the default."""
    try:
        with ProfileStore() as store:
            profiles = store.profiles()
    except DatabaseBusyError:
        return ()
    if current_profile_id() not in {profile.id for profile in profiles}:
        st.session_state[PROFILE_KEY] = DEFAULT_PROFILE_ID
    return profiles


def show_profile_sidebar() -> bool:
    """The profile selector, a "new profile" form and the store's messages (damaged, temporary, locked);
    returns whether the database could be read (False while another program locks it). A guest of a shared
    TuneX sees only that they are a guest."""
    if is_guest():
        if (lent := shared_profile()) is not None:
            st.sidebar.caption(f"👤 **{escape_markdown(lent[0])}**: a profile lent by the computer sharing TuneX; "
                               "your moods, likes and playlists are saved in it.")
        else:
            st.sidebar.caption(f"👤 **{GUEST_PROFILE_NAME}**: your moods, likes and playlists stay in this browser "
                               "tab and are forgotten when you close it.")
        keep_profile_in_address()
        return True
    profiles = session_profiles()
    with st.sidebar:
        if profiles:
            st.session_state[PROFILE_IDS_KEY] = {profile.name: profile.id for profile in profiles}
            st.session_state[PROFILE_SELECTOR_KEY] = next(profile.name for profile in profiles
                                                          if profile.id == current_profile_id())
            st.selectbox("Profile", [profile.name for profile in profiles], key=PROFILE_SELECTOR_KEY,
                         on_change=_select_profile,
                         help="Each profile has its own moods, likes, skips, plays and saved playlists.")
            # A form sends the name and the click as one run: with a plain text box and button, the text box's
            # own rerun could swallow a click that followed it at once (a lost "Create profile" in CI).
            with st.expander("New profile"), st.form("new_profile_form", border=False):
                st.text_input("Name", key=NEW_PROFILE_NAME_KEY, max_chars=40, placeholder="e.g. Sam")
                st.form_submit_button("Create profile", key="create_profile", on_click=_create_profile)
        else:
            st.caption("Profiles are unavailable while the database is locked; using the default profile.")
        keep_profile_in_address()
        if message := st.session_state.pop(PROFILE_MESSAGE_KEY, None):
            st.warning(escape_markdown(message))
        status = storage_status()
        for notice in status.notices:
            st.warning(escape_markdown(notice))
        if status.pending_writes:
            st.info(f"{status.pending_writes} change(s) wait for the database to be free and will be saved then.")
    return bool(profiles)


def show_mood_sidebar() -> None:
    """The sidebar of every page: the profile selector and store messages, then the session mood."""
    database_readable = show_profile_sidebar()
    mood = session_mood()
    with st.sidebar:
        st.subheader("Session mood")
        if mood is None:
            st.caption("No mood yet — read one on **Live mood**, or pick one on **Home** or **Playlist**.")
            # Under a lock every read waits for the busy timeout: one for the profiles above is enough.
            if database_readable and (last := last_recorded_mood()) is not None:
                emotion = EMOTION_BY_NAME[last.label]
                st.button(f"↩️ Use my last mood: {emotion.display_label} "
                          f"({describe_age(time.time() - last.created_at)})", key=RESUME_MOOD_BUTTON_KEY,
                          on_click=set_session_mood, args=(last,), kwargs={"record": False},
                          help="The mood this profile used last, from its journal (after a reload, for example).")
            return
        emotion = EMOTION_BY_NAME[mood.label]
        st.markdown(f"### {emotion.display_label}")
        st.progress(mood.confidence, text=f"confidence {mood.confidence:.0%}")
        st.caption(f"valence {mood.valence:.2f} · arousal {mood.arousal:.2f} · from {escape_markdown(mood.source)}")

# Session-state key: list of dicts ``{time, face, label, confidence}`` from the Live page.
CONFIDENCE_HISTORY_KEY = "confidence_history"


@st.cache_resource(show_spinner="Loading the emotion model…")
def cached_pipeline():
    """The emotion pipeline, loaded once per server process and shared by sessions."""
    from tunex_core.vision.pipeline import EmotionPipeline

    return EmotionPipeline.load()


def record_confidence_history(samples: list[dict], limit: int = 5000) -> None:
    """Append live per-face confidence samples for the Model page (bounded)."""
    history = st.session_state.setdefault(CONFIDENCE_HISTORY_KEY, [])
    history.extend(samples)
    del history[:-limit]
