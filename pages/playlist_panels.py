"""Panels of the Playlist page that use the listener's own store: save and export the playlist, and the
one-tap "how do you feel now?" check-ins before and after an iso playlist. (A helper module, not a page.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import streamlit as st

from pages.common import current_profile_id, playlist_download_buttons, show_write_outcome
from tunex_core.emotions import EMOTIONS, emotion_label
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.music.playlist_view import PlaylistEntry
from tunex_core.music.recommend import Playlist
from tunex_core.personal.checkins import CheckinStore, IsoCheckin
from tunex_core.personal.playlists import (
    SavedPlaylist,
    SavedPlaylistStore,
    SavedSong,
    default_playlist_name,
)
from tunex_core.personal.profiles import ProfileError
from tunex_core.storage import DatabaseBusyError, WriteOutcome, open_database

SAVE_NAME_KEY = "playlist_save_name"
SAVE_MESSAGE_KEY = "playlist_save_message"
CHECKIN_KEY = "iso_checkin"  # {"session_key", "target", "before"} while a check-in waits for its "after"
CHECKIN_RESULT_KEY = "iso_checkin_result"


def saved_songs(entries: Sequence[PlaylistEntry]) -> list[SavedSong]:
    """The playlist's songs with their Spotify id (the catalog's own, else the one a search found)."""
    return [SavedSong(entry.music_id, entry.title, entry.artist, entry.spotify_id) for entry in entries]


def _save_playlist(songs: list[SavedSong], mode: str, mood: Mood, target_label: str | None, default_name: str) -> None:
    name = (st.session_state.get(SAVE_NAME_KEY) or "").strip() or default_name
    try:
        with open_database() as database:
            store = SavedPlaylistStore(database, current_profile_id())
            replaced = name.lower() in store.names()
            outcome = store.save(name, songs, mode=mode, mood_label=mood.label, mood_valence=mood.valence,
                                 mood_arousal=mood.arousal, target_label=target_label)
    except (ProfileError, DatabaseBusyError) as error:
        st.session_state[SAVE_MESSAGE_KEY] = ("warning", escape_markdown(f"The playlist was not saved: {error}."))
        return
    if outcome is WriteOutcome.SAVED:
        verb = "Replaced" if replaced else "Saved"
        st.session_state[SAVE_MESSAGE_KEY] = ("success", f"{verb} “{escape_markdown(name)}” — find it on the "
                                                         "**Journal** page.")
    else:
        show_write_outcome(outcome, f"the playlist “{name}”")


def show_save_panel(playlist: Playlist, entries: Sequence[PlaylistEntry], mood: Mood, mode: str) -> None:
    """Name and save the current playlist to the profile, or download it as M3U, CSV or text."""
    if not entries:
        return
    songs = saved_songs(entries)
    target_label = playlist.target_name if mode == "iso" else None
    default_name = default_playlist_name(mode, mood.label, target_label)
    with st.container(border=True):
        st.markdown("💾 **Save or export this playlist**")
        name_column, button_column = st.columns([3, 1])
        name_column.text_input("Playlist name", key=SAVE_NAME_KEY, max_chars=40, placeholder=default_name,
                               label_visibility="collapsed")
        button_column.button("Save playlist", key="playlist_save", on_click=_save_playlist,
                             args=(songs, mode, mood, target_label, default_name))
        if message := st.session_state.pop(SAVE_MESSAGE_KEY, None):
            kind, text = message
            (st.success if kind == "success" else st.warning)(text)  # user text in it is escaped
        current = SavedPlaylist(0, (st.session_state.get(SAVE_NAME_KEY) or "").strip() or default_name, mode,
                                mood.label, mood.valence, mood.arousal, target_label, time.time(), tuple(songs))
        playlist_download_buttons(current, st.columns(3), "playlist_download")


# --- iso check-ins -------------------------------------------------------------------------------------


def _record_checkin_mood(mood: Mood) -> None:
    try:
        with FeedbackStore(profile_id=current_profile_id()) as store:
            store.record_mood(mood)
    except DatabaseBusyError:
        pass  # the check-in itself is reported; the journal's mood list can miss this one


def _start_checkin(feeling: str, target_label: str, target_point: tuple[float, float]) -> None:
    before = Mood.from_emotion(feeling, source="check-in before an iso playlist")
    session_key = uuid.uuid4().hex
    try:
        with open_database() as database:
            outcome = CheckinStore(database, current_profile_id()).start(session_key, before, target_label,
                                                                         target_point)
    except DatabaseBusyError as error:
        st.session_state[CHECKIN_RESULT_KEY] = f"Your check-in was not saved: {error}."
        return
    show_write_outcome(outcome, "your check-in")
    _record_checkin_mood(before)
    st.session_state[CHECKIN_KEY] = {"session_key": session_key, "target": target_label,
                                     "target_point": tuple(target_point), "before": feeling,
                                     "before_at": before.created_at}
    st.session_state.pop(CHECKIN_RESULT_KEY, None)


def _finish_checkin(feeling: str) -> None:
    pending = st.session_state.get(CHECKIN_KEY)
    if not pending:
        return
    after = Mood.from_emotion(feeling, source="check-in after an iso playlist")
    try:
        with open_database() as database:
            outcome = CheckinStore(database, current_profile_id()).finish(pending["session_key"], after)
    except DatabaseBusyError as error:
        st.session_state[CHECKIN_RESULT_KEY] = f"Your check-in was not saved: {error}."
        return
    show_write_outcome(outcome, "your check-in")
    _record_checkin_mood(after)
    before = Mood.from_emotion(pending["before"])
    valence, arousal = pending["target_point"]
    result = IsoCheckin(pending["session_key"], pending["target"], valence, arousal, before.label, before.valence,
                        before.arousal, pending["before_at"], after.label, after.valence, after.arousal,
                        after.created_at)
    progress = result.progress or 0.0
    direction = "closer to" if progress > 0 else "further from" if progress < 0 else "no closer to"
    st.session_state[CHECKIN_RESULT_KEY] = (
        f"Before {emotion_label(before.label)}, after {emotion_label(after.label)}: "
        f"{abs(progress):.2f} {direction} {emotion_label(pending['target'])}. "
        "The Journal shows how your iso playlists work over time.")
    del st.session_state[CHECKIN_KEY]


def _cancel_checkin() -> None:
    st.session_state.pop(CHECKIN_KEY, None)


def show_checkin_panel(playlist: Playlist) -> None:
    """One tap before listening to an iso playlist and one after: did the music move the mood?"""
    target_label = playlist.target_name
    if target_label is None:
        return
    pending = st.session_state.get(CHECKIN_KEY)
    with st.container(border=True):
        if result := st.session_state.get(CHECKIN_RESULT_KEY):
            st.success(escape_markdown(result))
        if pending is None or pending.get("target") != target_label:
            st.markdown("🧭 **Before you listen — how do you feel now?**")
            stage, callback = "before", _start_checkin
            arguments = lambda name: (name, target_label, tuple(playlist.target_point))  # noqa: E731
        else:
            st.markdown(f"🧭 **After listening — how do you feel now?** (before: "
                        f"{emotion_label(pending['before'])}, target: {emotion_label(target_label)})")
            stage, callback = "after", _finish_checkin
            arguments = lambda name: (name,)  # noqa: E731
        columns = st.columns(len(EMOTIONS))
        for column, emotion in zip(columns, EMOTIONS, strict=True):
            column.button(emotion_label(emotion.name), key=f"checkin_{stage}_{emotion.name}",
                          on_click=callback, args=arguments(emotion.name))
        if stage == "after":
            st.button("Start over", key="checkin_cancel", on_click=_cancel_checkin)
