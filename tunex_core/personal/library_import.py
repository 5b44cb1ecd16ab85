"""Importing music in the background: scan a folder (or take uploaded files), analyse what is new, keep
the figures, and say how far it got.

An ``ImportJob`` belongs to one profile of one database: a file by its path, or a store given as such
(``database=``: a guest's private in-memory store, which the background thread cannot find from a page's
session, so the job is handed it). Requests (``add_folder``, ``add_files``) go
into its queue; one background thread works through them:

1. scan the folder (``library_scan.scan_folder``) and forget songs whose files are gone;
2. skip every file already analysed with the same path, size and modification time;
3. analyse the others one at a time in a worker process (``library_worker``), saving each result as it
   comes, so what is done stays done if TuneX stops half-way.

``progress()`` is a consistent snapshot (songs done / total, time left, problems) that any thread may
read; ``stop()`` ends the job after the current song. A file the worker has not answered for within
``SONG_TIMEOUT_SECONDS`` is given that reason, the worker is killed and a new one started.

``ImportJobs`` is the process-wide, thread-safe registry of jobs by (database, profile): the Streamlit
app keeps one (in ``st.cache_resource``), so a job outlives the page that started it and every page,
tab and rerun sees the same progress. A guest's job (``ImportJobs.private_job``) is not kept there: the
guest's session holds it, so it goes with the guest's store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from tunex_core.personal.library import FileState, LibraryFolder, LibraryStore
from tunex_core.personal.library_files import (
    display_path,
    path_bytes,
    private_uploads_dir,
    save_uploads,
)
from tunex_core.personal.library_scan import scan_folder
from tunex_core.personal.library_worker import (
    DEFAULT_ANALYSER,
    RESULT_FIELDS,
    SONG_TIMEOUT_SECONDS,
    Analysis,
    AnalysisWorker,
)
from tunex_core.personal.upload_budget import UploadBudget, check_guest_budget, guest_uploads_lock
from tunex_core.storage import Database, DatabaseBusyError, default_database_path

MAX_PROBLEMS_SHOWN = 100
SCANNING, ANALYSING, FINISHED, STOPPED, FAILED = "scanning", "analysing", "finished", "stopped", "failed"


@dataclass(frozen=True)
class ImportProgress:
    """A snapshot of a job, for a progress bar and a summary."""

    state: str
    done: int  # songs analysed in this job (including those that failed)
    total: int  # songs to analyse in this job (known once each folder is scanned)
    failed: int
    unchanged: int  # songs skipped because they were analysed before
    current: str | None
    elapsed_seconds: float
    seconds_left: float | None
    problems: tuple[str, ...]
    other_files: int

    @property
    def running(self) -> bool:
        """Whether the job still scans or analyses."""
        return self.state in (SCANNING, ANALYSING)

    @property
    def fraction(self) -> float:
        """Share of the songs done, 0..1."""
        return self.done / self.total if self.total else (0.0 if self.running else 1.0)

    def summary(self) -> str:
        """One line for people, e.g. "12 of 40 songs analysed (1 could not be) · about 30 s left"."""
        text = f"{self.done} of {self.total} songs analysed"
        if self.failed:
            text += f" ({self.failed} could not be)"
        if self.unchanged:
            text += f" · {self.unchanged} unchanged, skipped"
        if self.state == SCANNING:
            text = "Looking for songs… " + text
        elif self.running and self.seconds_left is not None:
            text += f" · about {format_duration(self.seconds_left)} left"
        elif self.state == STOPPED:
            text += " · stopped"
        elif self.state == FAILED:
            text += " · the import stopped early"
        return text


def format_duration(seconds: float) -> str:
    """"45 s", "3 min", "1 h 05 min"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass(frozen=True)
class _Request:
    folder_id: int
    folder: Path | None  # scan this folder, or
    files: tuple[Path, ...]  # analyse these files


def file_state(path: Path) -> FileState | str:
    """The file's size and modification time, or the reason it cannot be analysed now."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return "the file is gone (moved or deleted during the import)"
    except OSError as error:
        return f"the file cannot be read: {error.strerror or error}"
    return FileState(path, int(status.st_size), int(status.st_mtime_ns))


class ImportJob:
    """The background import of one profile (see the module docstring); every method is thread-safe."""

    def __init__(self, profile_id: int, database_path: str | Path | None = None, *,
                 analyser: str | Callable = DEFAULT_ANALYSER, song_timeout: float = SONG_TIMEOUT_SECONDS,
                 suffixes: Iterable[str] | None = None, database: Database | None = None) -> None:
        self.profile_id = int(profile_id)
        self.suffixes = frozenset(suffixes) if suffixes is not None else None  # None: the analysis's own
        self.database = database  # a store given as such (a guest's), else the file at database_path
        if database is not None:
            self.database_path = database.path
        else:
            self.database_path = Path(database_path) if database_path is not None else default_database_path()
        self.analyser = analyser
        self.song_timeout = song_timeout
        self._lock = threading.Lock()
        self._queue: deque[_Request] = deque()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._reset_counts()

    def _reset_counts(self) -> None:
        self._state = FINISHED
        self._done = self._total = self._failed = self._unchanged = self._other_files = 0
        self._current: str | None = None
        self._started = time.monotonic()
        self._analysis_seconds = 0.0
        self._problems: list[str] = []

    # --- requests --------------------------------------------------------------------------------

    def add_folder(self, folder_id: int, folder: Path) -> None:
        """Scan ``folder`` (a folder of the library) and analyse its new and changed songs."""
        self._enqueue(_Request(int(folder_id), Path(folder), ()))

    def add_files(self, folder_id: int, files: Iterable[Path]) -> None:
        """Analyse ``files`` (uploads) into the library folder ``folder_id``."""
        self._enqueue(_Request(int(folder_id), None, tuple(Path(path) for path in files)))

    def _enqueue(self, request: _Request) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._reset_counts()
                self._stop.clear()
                self._state = SCANNING
                self._thread = threading.Thread(target=self._run, name=f"tunex-import-{self.profile_id}",
                                                daemon=True)
                self._queue.append(request)
                self._thread.start()
            else:
                self._queue.append(request)

    def stop(self) -> None:
        """Stop after the current song (what is analysed stays)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the job has nothing left to do; whether it finished within ``timeout`` seconds."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    @property
    def running(self) -> bool:
        """Whether the job is scanning or analysing."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def progress(self) -> ImportProgress:
        """A consistent snapshot of the job."""
        with self._lock:
            left = None
            if self._done and self._total > self._done:
                left = self._analysis_seconds / self._done * (self._total - self._done)
            return ImportProgress(self._state, self._done, self._total, self._failed, self._unchanged, self._current,
                                  time.monotonic() - self._started, left, tuple(self._problems[-MAX_PROBLEMS_SHOWN:]),
                                  self._other_files)

    # --- the background thread -------------------------------------------------------------------

    def _problem(self, text: str) -> None:
        with self._lock:
            self._problems.append(text)

    def _run(self) -> None:
        worker = AnalysisWorker(self.analyser, self.song_timeout) if isinstance(self.analyser, str) else None
        analyse = worker.analyse if worker is not None else self._analyse_in_thread
        try:
            with self._store() as store:
                while not self._stop.is_set():
                    with self._lock:
                        if not self._queue:
                            self._state, self._current = FINISHED, None
                            return
                        request = self._queue.popleft()
                    self._serve(store, request, analyse)
                with self._lock:
                    self._state, self._current = STOPPED, None
                    self._queue.clear()
        except Exception as error:  # a background thread has no caller to raise to: say it, and end cleanly
            reason = str(error) if isinstance(error, (DatabaseBusyError, RuntimeError, OSError)) else repr(error)
            self._problem(f"The import stopped: {reason}")
            with self._lock:
                self._state, self._current = FAILED, None
                self._queue.clear()
        finally:
            if worker is not None:
                worker.close()

    def _store(self) -> LibraryStore:
        """The job's store, opened in its own thread: the given one, else the file (never the session's)."""
        if self.database is not None:
            return LibraryStore(self.profile_id, database=self.database)
        return LibraryStore(self.profile_id, self.database_path)

    def _analyse_in_thread(self, path: Path) -> Analysis:
        try:
            result = self.analyser(path)
        except Exception as error:  # a callable analyser (tests, tools) may raise; the job goes on
            return Analysis(error=f"the analysis failed: {error}")
        return Analysis(**{name: getattr(result, name, None) for name in RESULT_FIELDS})

    def _serve(self, store: LibraryStore, request: _Request, analyse: Callable[[Path], Analysis]) -> None:
        known = store.known_states()
        if request.folder is not None:
            with self._lock:
                self._state, self._current = SCANNING, display_path(request.folder)
            scan = scan_folder(request.folder, self.suffixes, should_stop=self._stop.is_set)
            for text in scan.problems:
                self._problem(text)
            candidates: list[FileState | str] = list(scan.files)
            found = {path_bytes(state.path) for state in scan.files}
            gone = [song.path for song in store.songs(folder_id=request.folder_id)
                    if path_bytes(song.path) not in found and not song.path.exists()]
            store.forget_paths(path_bytes(path) for path in gone)
            with self._lock:
                self._other_files += scan.other_files
        else:
            candidates = [file_state(path) for path in request.files]
        pending: list[FileState] = []
        unchanged = 0
        for candidate in candidates:
            if isinstance(candidate, str):
                continue
            if known.get(path_bytes(candidate.path)) == (candidate.size, candidate.modified_ns):
                unchanged += 1
            else:
                pending.append(candidate)
        with self._lock:
            self._unchanged += unchanged
            self._total += len(pending)
            self._state = ANALYSING
        for state in pending:
            if self._stop.is_set():
                return
            with self._lock:
                self._current = display_path(state.path)
            started = time.monotonic()
            fresh = file_state(state.path)
            if isinstance(fresh, str):  # gone or unreadable since the scan: nothing to keep
                analysis = Analysis(error=fresh)
            else:
                analysis = analyse(fresh.path)
                self._save(store, request.folder_id, fresh, analysis)
            with self._lock:
                self._done += 1
                self._failed += analysis.error is not None
                self._analysis_seconds += time.monotonic() - started
            if analysis.error is not None:
                self._problem(f"{display_path(state.path)}: {analysis.error}")

    def _save(self, store: LibraryStore, folder_id: int, state: FileState, analysis: Analysis) -> None:
        try:
            store.save_analysis(folder_id, state, analysis)
        except sqlite3.IntegrityError:
            self._problem(f"{display_path(state.path)}: not kept (its folder was removed during the import)")


class ImportJobs:
    """Jobs by (database, profile), shared by every session of the process; thread-safe."""

    def __init__(self, analyser: str | Callable | None = None, suffixes: Iterable[str] | None = None) -> None:
        self.analyser = analyser if analyser is not None else DEFAULT_ANALYSER  # the song analysis, in a worker
        self.suffixes = suffixes
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int], ImportJob] = {}

    @staticmethod
    def _key(profile_id: int, database_path: str | Path | None) -> tuple[str, int]:
        path = Path(database_path) if database_path is not None else default_database_path()
        return str(path.absolute()), int(profile_id)

    def job(self, profile_id: int, database_path: str | Path | None = None) -> ImportJob:
        """The profile's job, made on first use."""
        key = self._key(profile_id, database_path)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = ImportJob(profile_id, key[0], analyser=self.analyser, suffixes=self.suffixes)
            return job

    def existing(self, profile_id: int, database_path: str | Path | None = None) -> ImportJob | None:
        """The profile's job if it ever had one, else None."""
        with self._lock:
            return self._jobs.get(self._key(profile_id, database_path))

    def private_job(self, profile_id: int, database: Database) -> ImportJob:
        """A new job writing into ``database`` (a guest's private store) with this registry's analysis. Not
        kept here: the caller holds it, so that the store (and its temporary uploads) goes with the caller."""
        return ImportJob(profile_id, analyser=self.analyser, suffixes=self.suffixes, database=database)


def import_folder(jobs: ImportJobs, profile_id: int, path: str | os.PathLike) -> LibraryFolder:
    """Remember the folder at ``path`` for the profile and start analysing its new and changed songs in the
    background (``jobs.job(profile_id).progress()`` follows it). Raises ``LibraryError`` (not a readable
    folder) or ``DatabaseBusyError``."""
    with LibraryStore(profile_id) as store:
        folder = store.add_folder(path)
    jobs.job(profile_id).add_folder(folder.id, folder.path)
    return folder


def import_uploads(jobs: ImportJobs, profile_id: int, uploads: Iterable[tuple[str, bytes]], *,
                   job: ImportJob | None = None, budget: UploadBudget | None = None) -> list[Path]:
    """Keep uploaded files (name, bytes) in the profile's uploads folder under the TuneX home and start
    analysing them in the background; returns where they were saved. With ``job`` (a guest's, from
    ``ImportJobs.private_job``) the files go to its store's temporary uploads folder and the job writes
    into that store only, within ``budget`` (default ``upload_budget.GUEST_BUDGET``), checked before any file
    is written. A batch is kept whole or not at all. Raises ``LibraryError``."""
    if job is not None and job.database is None:
        raise ValueError("import_uploads(job=...) takes a job with a store of its own (ImportJobs.private_job)")
    uploads = list(uploads)
    with (LibraryStore(profile_id) if job is None else LibraryStore(profile_id, database=job.database)) as store:
        target = store.uploads_dir
        guest = private_uploads_dir(store.database) is not None
        with guest_uploads_lock if guest else nullcontext():
            if guest:
                check_guest_budget(target, [len(data) for _, data in uploads], budget)
            folder = store.uploads_folder()
            saved = save_uploads(profile_id, uploads, target)
    if saved:
        (job if job is not None else jobs.job(profile_id)).add_files(folder.id, saved)
    return saved
