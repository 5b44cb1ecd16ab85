"""The listener's own music on the music pages: the import jobs shared by every session (a guest's own job
kept in the guest's session), and the "Songs from" choice (catalog, my music, both) of the Song map and
Playlist pages. (A helper module, not a page.)"""

from __future__ import annotations

import time

import streamlit as st

from pages.common import current_profile_id, is_guest, shared_profile
from pages.sharing import private_database, session_database_key
from tunex_core.music.catalog import Catalog
from tunex_core.personal.library import LibraryStore, library_version
from tunex_core.personal.library_catalog import BOTH, CATALOG, SOURCE_LABELS, SOURCES, SongSource, songs_source
from tunex_core.personal.library_import import ImportJob, ImportJobs
from tunex_core.storage import DatabaseBusyError

GUEST_IMPORT_JOB_KEY = "guest_import_job"
REFRESH_DURING_IMPORT_SECONDS = 20.0
LIBRARY_CHECK_SECONDS = 10.0


@st.cache_resource(show_spinner=False)
def cached_import_jobs() -> ImportJobs:
    """The process's import jobs by profile (thread-safe): a job outlives the page and session that started it."""
    return ImportJobs()


def session_import_job(create: bool = False) -> ImportJob | None:
    """This session's import job (made when ``create``, else None until there is one): a guest's own, kept in
    the guest's session and writing into the guest's private store (its background thread has no session to
    find that store from), else the current profile's job of the database file, shared by the process."""
    database = private_database()
    if database is None:
        jobs = cached_import_jobs()
        return jobs.job(current_profile_id()) if create else jobs.existing(current_profile_id())
    job = st.session_state.get(GUEST_IMPORT_JOB_KEY)
    if job is None and create:
        job = st.session_state[GUEST_IMPORT_JOB_KEY] = cached_import_jobs().private_job(current_profile_id(), database)
    return job


@st.cache_resource(show_spinner=False, max_entries=4)  # a combined catalog is ~66,000 songs: few at once
def cached_source(choice: str, database: str, profile_id: int, fingerprint: tuple, _base: Catalog) -> SongSource:
    """The catalog for ``choice`` with the profile's songs (in the store named ``database``) as they were at
    ``fingerprint`` (built once per change of the library; read-only, so sessions of that store share it)."""
    with LibraryStore(profile_id) as store:
        songs = store.songs(placed_only=True)
    return songs_source(choice, _base, songs)


@st.cache_data(ttl=LIBRARY_CHECK_SECONDS, show_spinner=False, max_entries=64)
def cached_fingerprint(database: str, profile_id: int, version: int) -> tuple | None:
    """``library_fingerprint``, read from the database once per change made in this process
    (``version``) and otherwise at most every ``LIBRARY_CHECK_SECONDS`` (a ``music add`` from the command
    line shows that soon): most page runs then open no connection for it."""
    return library_fingerprint(profile_id)


def library_fingerprint(profile_id: int) -> tuple | None:
    """The profile's library fingerprint, or None when it has no placed song (or the database is busy)."""
    try:
        with LibraryStore(profile_id) as store:
            fingerprint = store.fingerprint()
    except DatabaseBusyError:
        return None
    return fingerprint if fingerprint[1] else None


def choose_source(base: Catalog, key_prefix: str, default: str = BOTH) -> SongSource:
    """A "Songs from" choice (first ``default``) when the profile has songs of its own, and the catalog it
    selects (the shipped catalog alone otherwise, and always for a guest of a profile the host lends)."""
    if is_guest() and shared_profile() is not None:
        # The profile the host lends is the guests', its music is not: its songs are files on the host's disk
        # (My music tells those guests that the Song map and Playlist use the catalog).
        return SongSource(base, {}, CATALOG)
    profile_id = current_profile_id()
    database = session_database_key()  # a guest's songs are in the guest's own store, never shared with others
    fingerprint = cached_fingerprint(database, profile_id, library_version())
    if fingerprint is None:
        return SongSource(base, {}, CATALOG)
    choice = st.radio("Songs from", SOURCES, index=SOURCES.index(default), format_func=SOURCE_LABELS.get,
                      horizontal=True, key=f"{key_prefix}_source", persist_state="session",
                      help="Your own songs (added on **My music**) play from this computer, with no network.")
    job = session_import_job()
    if job is not None and job.running:
        # Every analysed song changes the fingerprint; rebuilding the catalog (66,000 songs with "Both")
        # on every visit would slow the pages during an import, so it is refreshed every few seconds.
        fingerprint = ("importing", int(time.monotonic() // REFRESH_DURING_IMPORT_SECONDS))
    base_identity = (base.source, len(base))
    return cached_source(choice, database, profile_id, (*fingerprint, *base_identity), base)
