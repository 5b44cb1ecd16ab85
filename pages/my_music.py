"""My music: add a folder of your own songs or upload files, follow their analysis, list and remove them.

The analysis runs in the background (``tunex_core.personal.library_import``): it goes on while you use
other pages, and this page shows how far it got. Songs join the Song map and the playlists.

A guest of a shared TuneX gets uploads only (no folder path: nothing a guest types reads the host's disk);
their songs go into the guest's private in-memory store and a temporary folder deleted with it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import current_profile_id, may_touch_host_disk, shared_profile
from pages.library_source import cached_import_jobs, session_import_job
from pages.sharing import session_database_key
from tunex_core.markup import escape_markdown
from tunex_core.music.catalog import emotion_region
from tunex_core.personal.library import UPLOADS, LibraryStore
from tunex_core.personal.library_catalog import song_label
from tunex_core.personal.library_files import LibraryError, display_path, media_type
from tunex_core.personal.library_import import ImportProgress, format_duration, import_folder, import_uploads
from tunex_core.personal.upload_budget import GUEST_BUDGET, format_size
from tunex_core.storage import DatabaseBusyError

FOLDER_KEY = "my_music_folder"
MESSAGE_KEY = "my_music_message"  # (text, is_error)
UPLOAD_GENERATION_KEY = "my_music_upload_generation"  # a fresh file picker after each upload
WATCHING_KEY = "my_music_watching"  # the page saw the job running: rerun once when it ends
PROGRESS_REFRESH_SECONDS = 1.0
PROBLEMS_SHOWN = 30


def audio_suffixes() -> list[str]:
    """The file endings the analysis reads, without the dot (for the file picker)."""
    try:
        from tunex_core.personal.library_scan import audio_suffixes as suffixes

        return sorted(suffix.lstrip(".") for suffix in suffixes())
    except ImportError:
        return []


def _add_folder() -> None:
    if not may_touch_host_disk():  # a guest types no path (the field is not shown to guests either)
        return
    path = (st.session_state.get(FOLDER_KEY) or "").strip()
    if not path:
        st.session_state[MESSAGE_KEY] = ("Type the path of a folder on this computer first.", True)
        return
    try:
        folder = import_folder(cached_import_jobs(), current_profile_id(), path)
    except (LibraryError, DatabaseBusyError) as error:
        st.session_state[MESSAGE_KEY] = (f"The folder was not added: {error}.", True)
        return
    st.session_state[MESSAGE_KEY] = (f"Looking for songs in {folder.label}…", False)
    st.session_state[FOLDER_KEY] = ""


def _rescan(folder_id: int, path) -> None:
    if may_touch_host_disk():  # folders are the host's own (a guest has none)
        cached_import_jobs().job(current_profile_id()).add_folder(folder_id, path)


def _remove(folder_id: int, label: str, shown_from: tuple[str, int]) -> None:
    if shown_from != (session_database_key(), current_profile_id()):
        # The button was drawn for another store: a guest whose own music was listed, when the host has just
        # started lending a profile (folder ids of different stores are unrelated).
        st.session_state[MESSAGE_KEY] = ("Nothing was removed: the music listed here changed; look again.", True)
        return
    try:
        with LibraryStore(current_profile_id()) as store:
            forgotten = store.remove_folder(folder_id)
    except (LibraryError, DatabaseBusyError) as error:
        st.session_state[MESSAGE_KEY] = (f"Nothing was removed: {error}.", True)
        return
    st.session_state[MESSAGE_KEY] = (f"Removed {label}: {forgotten} songs are no longer in TuneX.", False)


def _stop() -> None:
    job = session_import_job()
    if job is not None:
        job.stop()


def show_message() -> None:
    """The outcome of the last button (added, uploaded, removed, or why not), once."""
    if message := st.session_state.pop(MESSAGE_KEY, None):
        text, is_error = message
        (st.error if is_error else st.success)(escape_markdown(text))


def show_progress() -> None:
    """The running import's progress bar (refreshed every second while it runs) or its last summary."""
    job = session_import_job()
    if job is None:
        return
    progress: ImportProgress = job.progress()
    if progress.running:
        st.session_state[WATCHING_KEY] = True
        st.progress(progress.fraction, text=escape_markdown(progress.summary()))
        if progress.current:
            st.caption(f"Now: {escape_markdown(progress.current)}")
        st.button("Stop the import", key="my_music_stop", on_click=_stop,
                  help="What is analysed stays; add the folder again to go on.")
        return
    if st.session_state.pop(WATCHING_KEY, False):
        st.rerun()  # the import ended: show the new songs on the whole page
    st.caption(f"Last import: {escape_markdown(progress.summary())}, in {format_duration(progress.elapsed_seconds)}.")
    if progress.problems:
        with st.expander(f"Problems ({len(progress.problems)})"):
            st.text("\n".join(progress.problems[-PROBLEMS_SHOWN:]))


def show_add_controls(guest: bool) -> None:
    """Add a folder (a path on this computer) or upload files; a guest uploads only."""
    if guest:
        show_upload_controls(guest=True)
        return
    folder_column, upload_column = st.columns(2)
    with folder_column:
        st.markdown("**Add a folder on this computer**")
        st.text_input("Folder", key=FOLDER_KEY, placeholder="e.g. /home/sam/Music", label_visibility="collapsed")
        st.button("Add and analyse", key="my_music_add", on_click=_add_folder, type="primary",
                  help="TuneX remembers the folder; adding it again picks up new and changed songs only.")
    with upload_column:
        show_upload_controls(guest=False)


def show_upload_controls(guest: bool) -> None:
    """The file picker and its button; a guest's songs go to the guest's own store and temporary folder."""
    st.markdown("**Upload songs**" if guest else "**Or upload songs**")
    generation = st.session_state.setdefault(UPLOAD_GENERATION_KEY, 0)
    uploaded = st.file_uploader("Songs", type=audio_suffixes() or None, accept_multiple_files=True,
                                key=f"my_music_upload_{generation}", label_visibility="collapsed")
    if uploaded and st.button("Analyse the uploaded songs", key="my_music_upload_go"):
        files = [(file.name, file.getvalue()) for file in uploaded]
        try:
            if guest:
                job = session_import_job(create=True)
                if job is None or job.database is None:  # the host started lending a profile during this run
                    raise LibraryError("guests of this TuneX now use a profile of the sharing computer, "
                                       "whose music guests cannot add to")
                saved = import_uploads(cached_import_jobs(), current_profile_id(), files, job=job)
            else:
                saved = import_uploads(cached_import_jobs(), current_profile_id(), files)
        except (LibraryError, DatabaseBusyError) as error:
            st.session_state[MESSAGE_KEY] = (f"The songs were not kept: {error}.", True)
        else:
            st.session_state[MESSAGE_KEY] = (f"Analysing {len(saved)} uploaded songs…", False)
            st.session_state[UPLOAD_GENERATION_KEY] = generation + 1
        st.rerun()


def song_rows(songs) -> pd.DataFrame:
    """The songs as a table: title, artist, point, region, length, file and problem."""
    return pd.DataFrame([{
        "title": song.display_title, "artist": song.display_artist,
        "valence": song.valence, "arousal": song.arousal,
        "region": emotion_region(song.valence, song.arousal) if song.placed else None,
        "length": format_duration(song.duration_seconds) if song.duration_seconds else None,
        "file": display_path(song.path), "problem": song.error,
    } for song in songs], columns=["title", "artist", "valence", "arousal", "region", "length", "file", "problem"])


def show_library(profile_id: int, guest: bool) -> None:
    """The folders (rescan, remove) and every song, and a player for one of them."""
    try:
        with LibraryStore(profile_id) as store:
            folders = store.folders()
            songs = store.songs()
    except DatabaseBusyError as error:
        st.warning(f"Your music cannot be listed right now: {escape_markdown(str(error))}")
        return
    if not folders:
        st.info(("No music yet. Upload songs" if guest else "No music yet. Add a folder or upload songs")
                + ": TuneX places each song by its sound.")
        return
    running = session_import_job()
    running = running is not None and running.running
    shown_from = (session_database_key(), profile_id)
    st.subheader("Folders")
    for folder in folders:
        text_column, rescan_column, remove_column = st.columns([6, 1, 1])
        text_column.markdown(f"**{escape_markdown(folder.label)}** — {folder.analysed} of {folder.songs} songs placed")
        if folder.kind != UPLOADS and not guest:
            rescan_column.button("Rescan", key=f"my_music_rescan_{folder.id}", on_click=_rescan,
                                 args=(folder.id, folder.path), disabled=running,
                                 help="Pick up new and changed songs (unchanged ones are skipped).")
        remove_column.button("Remove", key=f"my_music_remove_{folder.id}", on_click=_remove,
                             args=(folder.id, folder.label, shown_from),
                             help="Forget these songs in TuneX; no file is deleted from your folders "
                                  "(uploaded copies kept by TuneX are).")
    placed = [song for song in songs if song.placed]
    st.subheader(f"Songs ({len(placed)} placed of {len(songs)})")
    st.dataframe(song_rows(songs), hide_index=True)
    if placed:
        chosen = st.selectbox("Listen", placed, format_func=song_label, key="my_music_listen")
        st.audio(str(chosen.path), format=media_type(chosen.path))


st.title("🎵 My music")
guest = not may_touch_host_disk()
if guest and shared_profile() is not None:
    # The host lends one of its profiles: its music is the host's (folders on the host's disk, copies kept
    # in the host's TuneX home), so a guest neither lists nor adds to it.
    show_message()
    st.info("In a shared TuneX, the music of the profile lent to guests is the sharing computer's own: guests "
            "cannot list it or add songs. The Song map and Playlist work with TuneX's song catalog.")
    st.stop()
if guest:
    st.caption("Songs you upload are placed on the mood map by their sound, on the computer sharing TuneX, for "
               "this visit only: their copies and figures are deleted when you leave (no folders here). You may "
               f"keep up to {GUEST_BUDGET.guest_max_songs} songs, {format_size(GUEST_BUDGET.guest_max_bytes)} in "
               "all; removing songs makes room. "
               "They join the **Song map** and the **Playlist** (choose “Songs from”).")
else:
    st.caption("Your own songs, placed on the mood map by their sound — analysed on this computer, nothing is "
               "uploaded anywhere. TuneX keeps each file's path and its figures (valence, arousal, title, artist, "
               "length), never a copy of the audio; uploaded songs are kept in TuneX's own folder. "
               "They join the **Song map** and the **Playlist** (choose “Songs from”).")
show_message()
show_add_controls(guest)
job = session_import_job()
st.fragment(show_progress, run_every=PROGRESS_REFRESH_SECONDS if job is not None and job.running else None)()
show_library(current_profile_id(), guest)
