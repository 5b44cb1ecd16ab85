"""Journal: the profile's moods over days and weeks, songs per mood, likes and skips, iso outcomes,
saved playlists (open, export, delete) and the profile's data (export, rename, delete)."""

from __future__ import annotations

import json
import time

import pandas as pd
import streamlit as st

from pages.common import PROFILE_KEY, current_profile_id, is_guest, playlist_download_buttons
from pages.music_filters import cached_catalog
from tunex_core.emotions import EMOTION_NAMES, emotion_label
from tunex_core.markup import escape_markdown
from tunex_core.music.catalog import CatalogError
from tunex_core.personal.journal import (
    JournalHistory,
    daily_summaries,
    feedback_counts,
    iso_summary,
    load_history,
    period_start,
    songs_by_mood,
    weekly_summaries,
)
from tunex_core.personal.journal_charts import (
    calendar_figure,
    emotions_per_day_figure,
    iso_figure,
    timeline_figure,
)
from tunex_core.personal.library import library_song_names
from tunex_core.personal.playlists import (
    SavedPlaylist,
    SavedPlaylistStore,
)
from tunex_core.personal.profile_import import ProfileImport, ProfileImportError, import_profile, read_profile_export
from tunex_core.personal.profiles import Profile, ProfileError, ProfileStore
from tunex_core.storage import (
    DEFAULT_PROFILE_ID,
    DatabaseBusyError,
    WriteOutcome,
    open_database,
    storage_status,
    write_outcome_message,
)

EVERYTHING = "Everything"
DEFAULT_PERIOD = "Last 30 days"
PERIODS = {"Last 7 days": 7, DEFAULT_PERIOD: 30, "Last 12 months": 365, EVERYTHING: None}
PERIOD_KEY = "journal_period"
RECENT_MOODS_SHOWN = 20
GROUPINGS = ("auto", "day", "week")
AUTO_WEEKS_AFTER_DAYS = 92  # "auto" groups by week when more days than this have moods
JOURNAL_MESSAGE_KEY = "journal_message"  # (message, failed)
IMPORT_GENERATION_KEY = "journal_import_generation"  # a new file picker after each import
IMPORT_READ_KEY = "journal_import_read"  # (uploaded file id, ProfileImport): read once per file


def song_names(music_ids) -> dict[int, tuple[str, str]]:
    """Title and artist of each music id ("song #id" when the catalog no longer has it)."""
    try:
        catalog = cached_catalog()
    except CatalogError:
        catalog = None
    names = {}
    for music_id in music_ids:
        index = catalog.index_of(music_id) if catalog is not None else None
        names[music_id] = ((catalog.titles[index], catalog.artists[index]) if index is not None
                           else (f"song #{music_id}", ""))
    names.update(library_song_names(current_profile_id(), [music_id for music_id in music_ids if music_id < 0]))
    return names


def when(timestamp: float | None) -> str:
    """A local date and time, e.g. "Tue 01 Dec 2026 09:10"."""
    return "" if timestamp is None else time.strftime("%a %d %b %Y %H:%M", time.localtime(timestamp))


def remember(message: str, failed: bool = False) -> None:
    """Show ``message`` once after the rerun that a button causes (as a warning when the action ``failed``)."""
    st.session_state[JOURNAL_MESSAGE_KEY] = (message, failed)


# --- button callbacks (run before the page; each opens the store once) -------------------------------


def delete_playlist(playlist_id: int, name: str) -> None:
    """Delete one of the profile's saved playlists (button callback)."""
    try:
        with open_database() as database:
            SavedPlaylistStore(database, current_profile_id()).delete(playlist_id)
    except DatabaseBusyError as error:
        remember(f"The playlist was not deleted: {error}", failed=True)
        return
    remember(f"Deleted the playlist “{name}”.")


def rename_profile(profile_id: int) -> None:
    """Rename the profile to the name typed in its field (button callback)."""
    try:
        with ProfileStore() as store:
            store.rename(profile_id, st.session_state.get(f"journal_new_name_{profile_id}", ""))
    except (ProfileError, DatabaseBusyError) as error:
        remember(f"Not renamed: {error}.", failed=True)
        return
    remember("Profile renamed.")


def clear_profile(profile_id: int, name: str) -> None:
    """Delete everything the profile holds but keep the profile (button callback)."""
    try:
        with ProfileStore() as store:
            store.clear(profile_id)
    except DatabaseBusyError as error:
        remember(f"Nothing was deleted: {error}", failed=True)
        return
    st.session_state["journal_confirm_clear"] = False
    remember(f"Deleted every mood, play, like, skip, saved playlist and check-in of “{name}”.")


def delete_profile(profile_id: int, name: str) -> None:
    """Delete the profile and everything it holds; the session returns to the default profile (button callback)."""
    try:
        with ProfileStore() as store:
            store.delete(profile_id)
    except (ProfileError, DatabaseBusyError) as error:
        remember(f"The profile was not deleted: {error}.", failed=True)
        return
    st.session_state[PROFILE_KEY] = DEFAULT_PROFILE_ID
    st.session_state["journal_confirm_delete"] = False
    remember(f"Deleted the profile “{name}” and everything it held.")


def import_profile_file(export: ProfileImport, name_key: str, generation: int) -> None:
    """Add the uploaded export as a new profile named in its field and switch to it (button callback)."""
    try:
        with ProfileStore() as store:
            profile = import_profile(store, export, st.session_state.get(name_key, export.name))
    except (ProfileError, DatabaseBusyError) as error:
        remember(f"Nothing was imported: {error}.", failed=True)
        return
    st.session_state[IMPORT_GENERATION_KEY] = generation + 1  # a new, empty file picker
    st.session_state.pop(IMPORT_READ_KEY, None)
    if profile is None:
        remember(write_outcome_message(WriteOutcome.QUEUED, "the imported profile"), failed=True)
        return
    st.session_state[PROFILE_KEY] = profile.id
    st.session_state[PERIOD_KEY] = EVERYTHING  # a restored history may be old: show all of it
    remember(f"Imported “{profile.name}”: {export.summary}. It is now the current profile.")


# --- sections --------------------------------------------------------------------------------------


def show_moods(history: JournalHistory) -> None:
    """The moods tab: valence–arousal over time, emotions per day and the calendar."""
    if not history.moods:
        st.info("No moods in this period. Read one on **Live mood**, or pick one on **Home** — every mood you "
                "use is added here.")
        return
    days = daily_summaries(history.moods)
    columns = st.columns(4)
    columns[0].metric("Moods recorded", f"{len(history.moods):,}")
    columns[1].metric("Days with moods", f"{len(days):,}")
    totals = [sum(day.emotion_counts[index] for day in days) for index in range(len(EMOTION_NAMES))]
    most = max(range(len(totals)), key=totals.__getitem__)
    columns[2].metric("Most often", emotion_label(EMOTION_NAMES[most], "—"))
    columns[3].metric("Mean valence", f"{sum(entry.valence for entry in history.moods) / len(history.moods):.2f}")

    grouping = st.radio("Group by", GROUPINGS, horizontal=True, key="journal_grouping",
                        persist_state="session",
                        format_func=lambda name: f"auto ({'week' if len(days) > AUTO_WEEKS_AFTER_DAYS else 'day'})"
                        if name == "auto" else name)
    by_week = grouping == "week" or (grouping == "auto" and len(days) > AUTO_WEEKS_AFTER_DAYS)
    summaries = weekly_summaries(history.moods) if by_week else days
    st.markdown("**Valence and arousal over time**")
    st.plotly_chart(timeline_figure(summaries, "week" if by_week else "day"), key="journal_timeline")
    st.markdown(f"**Emotions per {'week' if by_week else 'day'}**")
    st.plotly_chart(emotions_per_day_figure(summaries, "week" if by_week else "day"), key="journal_emotions")
    st.markdown("**Calendar** — each square is a day, coloured by how pleasant your moods were")
    st.plotly_chart(calendar_figure(days), key="journal_calendar")
    st.markdown("**Latest moods**")
    st.dataframe(pd.DataFrame([{
        "when": when(entry.recorded_at), "mood": emotion_label(entry.label, "—"), "valence": round(entry.valence, 2),
        "arousal": round(entry.arousal, 2), "from": entry.source,
    } for entry in reversed(history.moods[-RECENT_MOODS_SHOWN:])]), hide_index=True)


def show_songs(history: JournalHistory) -> None:
    """The songs tab: songs played per mood, with likes and skips."""
    by_mood = songs_by_mood(history.plays)
    ratings = feedback_counts(history.feedback)
    names = song_names({play.music_id for play in history.plays} | {rating.music_id for rating in ratings})
    st.markdown("**Songs played, by the mood they were played for**")
    if not by_mood:
        st.caption("No plays with a mood yet — press ▶️ Played on the **Song map**.")
    for label, songs in by_mood.items():
        st.markdown(emotion_label(label, "—"))
        st.dataframe(pd.DataFrame([{"title": names[song.music_id][0], "artist": names[song.music_id][1],
                                    "plays": song.plays} for song in songs]), hide_index=True)
    st.markdown("**Likes and skips**")
    if not ratings:
        st.caption("No likes or skips yet — rate songs on the **Playlist** or **Song map** page.")
        return
    st.dataframe(pd.DataFrame([{"title": names[rating.music_id][0], "artist": names[rating.music_id][1],
                                "👍 likes": rating.likes, "👎 skips": rating.skips, "last": when(rating.last_at)}
                               for rating in ratings]), hide_index=True)


def show_iso(history: JournalHistory) -> None:
    """The iso tab: whether guided playlists moved the mood, from the before/after check-ins."""
    summary = iso_summary(history.checkins)
    st.markdown(summary.verdict)  # TuneX's own sentence, no user text
    if not summary.sessions:
        return
    columns = st.columns(3)
    columns[0].metric("Finished iso sessions", summary.sessions)
    columns[1].metric("Moved toward the target", f"{summary.moved_closer} of {summary.sessions}")
    columns[2].metric("Distance to target", f"{summary.mean_distance_after:.2f}",
                      delta=f"{-summary.mean_progress:+.2f} from {summary.mean_distance_before:.2f}",
                      delta_color="inverse")
    st.plotly_chart(iso_figure(history.checkins), key="journal_iso")
    st.dataframe(pd.DataFrame([{
        "when": when(checkin.before_at), "target": emotion_label(checkin.target_label, "—"),
        "before": emotion_label(checkin.before_label, "—"), "after": emotion_label(checkin.after_label, "—"),
        "closer by": None if checkin.progress is None else round(checkin.progress, 2),
    } for checkin in reversed(history.checkins)]), hide_index=True)


def show_saved_playlists(playlists: tuple[SavedPlaylist, ...]) -> None:
    """The saved playlists tab: open, export or delete each one."""
    if not playlists:
        st.info("No saved playlists yet. On the **Playlist** page, name the playlist and press **Save playlist**.")
        return
    chosen = st.selectbox("Saved playlist", playlists, key="journal_playlist",
                          format_func=lambda playlist: f"{playlist.name} ({when(playlist.created_at)})")
    st.caption(escape_markdown(chosen.description))
    st.dataframe(pd.DataFrame([{"#": position, "title": song.title, "artist": song.artist, "listen": song.listen_url}
                               for position, song in enumerate(chosen.songs, start=1)]),
                 hide_index=True, column_config={"listen": st.column_config.LinkColumn("listen",
                                                                                       display_text="Open in Spotify")})
    columns = st.columns(4)
    playlist_download_buttons(chosen, columns[:3], "journal_export")
    with columns[3]:
        sure = st.checkbox("Delete it?", key=f"journal_confirm_playlist_{chosen.id}")
        st.button("🗑️ Delete playlist", key="journal_delete_playlist", on_click=delete_playlist,
                  args=(chosen.id, chosen.name), disabled=not sure)


def show_your_data(profile: Profile) -> None:
    """The your-data tab: where it is stored, export as JSON, rename, clear or delete the profile."""
    status = storage_status()
    where = ("a temporary in-memory store (nothing is kept after TuneX stops)" if status.in_memory
             else "this file on this computer")
    st.markdown(f"Everything TuneX keeps about **{escape_markdown(profile.name)}** is in {where}: moods you used, "
                "songs played, likes and skips, saved playlists and iso check-ins. Camera frames are never saved.")
    if not status.in_memory:
        st.code(status.location, language=None)  # shown as it is, with a copy button (markdown would escape it)
    st.download_button("⬇️ Download everything (JSON)", lambda: profile_export(profile.id), mime="application/json",
                       file_name=f"tunex-{export_file_name_stem(profile.name)}.json", key="journal_export_json",
                       help="Every mood, play, like, skip, saved playlist and check-in of this profile.")

    # A guest of a shared TuneX has one profile (in memory, or lent by the host): no import into a profile
    # they could not switch to, no renaming or deleting the profile itself, only emptying its data.
    guest = is_guest()
    if not guest:
        show_import()
        st.markdown("**Rename this profile**")
        rename_column, button_column = st.columns([3, 1])
        rename_column.text_input("New name", value=profile.name, max_chars=40, key=f"journal_new_name_{profile.id}",
                                 label_visibility="collapsed")
        button_column.button("Rename", key="journal_rename", on_click=rename_profile, args=(profile.id,))

    st.markdown("**Delete data**")
    st.caption("Deleting cannot be undone here. For a copy first, use **Download everything (JSON)** above"
               + ("." if guest else "; **Restore a profile from an export** brings it back as a profile."))
    confirm_clear = st.checkbox(f"Yes, delete every mood, play, like, skip, saved playlist and check-in of "
                                f"“{escape_markdown(profile.name)}”", key="journal_confirm_clear")
    st.button("Delete this profile's data", key="journal_clear", type="primary", disabled=not confirm_clear,
              on_click=clear_profile, args=(profile.id, profile.name))
    if not profile.is_default and not guest:
        confirm_delete = st.checkbox(f"Yes, delete the profile “{escape_markdown(profile.name)}” and everything it holds",
                                     key="journal_confirm_delete")
        st.button("Delete this profile", key="journal_delete_profile", type="primary", disabled=not confirm_delete,
                  on_click=delete_profile, args=(profile.id, profile.name))


def show_import() -> None:
    """Restore a profile from a "Download everything (JSON)" file, made here or on another computer."""
    st.markdown("**Restore a profile from an export**")
    generation = st.session_state.get(IMPORT_GENERATION_KEY, 0)
    uploaded = st.file_uploader("TuneX export (JSON)", type=["json"], key=f"journal_import_file_{generation}",
                                help="A file made by “Download everything (JSON)”. It becomes a new profile; "
                                     "no profile here is changed.")
    if uploaded is None:
        return
    try:
        export = staged_export(uploaded)
        with ProfileStore() as store:
            suggested = store.free_name(export.name)
    except ProfileImportError as error:
        st.error(f"This file cannot be imported: {escape_markdown(str(error))}.")
        return
    except DatabaseBusyError as error:
        st.warning(f"Importing is unavailable right now: {escape_markdown(str(error))}.")
        return
    exported = f", exported {export.exported_at:%-d %b %Y}" if export.exported_at else ""
    st.info(f"“{escape_markdown(export.name)}”{exported}: {export.summary}.")
    name_key = f"journal_import_name_{generation}"
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name_column.text_input("Name of the new profile", value=suggested, max_chars=40, key=name_key)
    button_column.button("Import", key="journal_import", type="primary", on_click=import_profile_file,
                         args=(export, name_key, generation), help="Adds it as a new profile and switches to it.")


def staged_export(uploaded) -> ProfileImport:
    """The uploaded export, read once per uploaded file: the page reruns on every click while it waits
    (a year of history, 1.7 MB, takes 40-56 ms to read and check)."""
    file_id, export = st.session_state.get(IMPORT_READ_KEY, (None, None))
    if file_id != uploaded.file_id:
        export = read_profile_export(uploaded.getvalue())
        st.session_state[IMPORT_READ_KEY] = (uploaded.file_id, export)
    return export


def profile_export(profile_id: int) -> str:
    """The profile's JSON export, made when the download is clicked (on Streamlit's download thread)."""
    try:
        with ProfileStore() as store:
            return store.export_json(profile_id)
    except (DatabaseBusyError, ProfileError) as error:
        return json.dumps({"error": f"the export failed: {error}"})


def export_file_name_stem(name: str) -> str:
    """A file-name-safe form of a profile name."""
    return "-".join("".join(character if character.isalnum() else " " for character in name).split()) or "profile"


# --- the page --------------------------------------------------------------------------------------

st.title("📔 Journal")
if journal_message := st.session_state.pop(JOURNAL_MESSAGE_KEY, None):
    message, failed = journal_message
    (st.warning if failed else st.success)(escape_markdown(message))

# The default goes through the session state, not index=: an import sets this key too, and a widget
# with both logs a warning.
st.session_state.setdefault(PERIOD_KEY, DEFAULT_PERIOD)
period_label = st.radio("Period", list(PERIODS), horizontal=True, key=PERIOD_KEY, persist_state="session")
days_back = PERIODS[period_label]
since = None if days_back is None else period_start(days_back, time.time())
try:
    with open_database() as database:
        profile = ProfileStore(database=database).get(current_profile_id())
        if profile is None:
            st.session_state[PROFILE_KEY] = DEFAULT_PROFILE_ID
            profile = ProfileStore(database=database).get(DEFAULT_PROFILE_ID)
        history = load_history(database, profile.id, since)
        playlists = SavedPlaylistStore(database, profile.id).playlists()
except DatabaseBusyError as error:
    st.warning(f"The journal is unavailable right now: {escape_markdown(str(error))}.")
    st.stop()

st.caption(f"Profile **{escape_markdown(profile.name)}** — " + (
    "kept for this visit only, in the memory of the computer sharing TuneX, and forgotten when you close the page."
    if is_guest() else "everything here stays on this computer."))
moods_tab, songs_tab, iso_tab, playlists_tab, data_tab = st.tabs(
    ["Moods", "Songs", "Iso check-ins", f"Saved playlists ({len(playlists)})", "Your data"])
with moods_tab:
    show_moods(history)
with songs_tab:
    show_songs(history)
with iso_tab:
    show_iso(history)
with playlists_tab:
    show_saved_playlists(playlists)
with data_tab:
    show_your_data(profile)
