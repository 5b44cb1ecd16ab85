"""The embedded SQLite database: where it lives, its schema versions, and failing soft.

Default location: ``~/.tunex/tunex.sqlite3`` (``TUNEX_HOME`` moves the folder,
``TUNEX_DB`` names the file). Every table of every feature is defined here, in
``MIGRATIONS``; ``PRAGMA user_version`` says how many of them a file has had.

``open_database()`` is what the features use. It never raises for a broken store:

* a file that is not a database (or fails ``PRAGMA quick_check``) is moved aside —
  renamed ``tunex.sqlite3.damaged-<timestamp>``, never deleted — and a fresh one is made;
* a home folder that cannot be created or written (or a file made by a newer TuneX)
  makes TuneX run on an in-memory database for the rest of the process;
* either way ``storage_status()`` carries a sentence saying so, for the pages and the CLI.

A lock held by another program makes reads fail fast (``busy_timeout`` seconds,
half a second by default) with ``DatabaseBusyError``; writes that cannot get
the lock are queued in memory, in order, and saved by the next write or open
that can (``storage_status().pending_writes`` counts them). Writes from the
threads of one process (browser tabs) are serialised by a lock, so none is lost.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Self

from tunex_core.paths import user_data_dir

DATABASE_FILE_NAME = "tunex.sqlite3"
# Reads on the page path give up after this long; a write waits a little longer before it is queued.
BUSY_TIMEOUT_SECONDS = 0.5
WRITE_BUSY_TIMEOUT_SECONDS = 1.0
# While writes are queued, later opens and writes only glance at the lock before queueing behind them.
QUEUED_FLUSH_TIMEOUT_SECONDS = 0.05
MAX_PENDING_WRITES = 10_000
DAMAGED_SUFFIX = ".damaged-"

DEFAULT_PROFILE_ID = 1
DEFAULT_PROFILE_NAME = "Default"
# Tables whose rows belong to a profile (column ``profile_id``); saved playlists and
# check-ins go with their profile through ``ON DELETE CASCADE``.
PROFILE_TABLES = ("recommend_feedback", "recommend_plays", "mood_history", "saved_playlists", "iso_checkins")

# Version 1 is the schema TuneX used before versions existed (user_version 0), so it only adds
# what is missing. Never edit a migration that has shipped: append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS recommend_feedback (
        id INTEGER PRIMARY KEY,
        music_id INTEGER NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('like', 'skip')),
        created_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS recommend_feedback_music ON recommend_feedback (music_id);
    CREATE TABLE IF NOT EXISTS recommend_plays (
        id INTEGER PRIMARY KEY,
        music_id INTEGER NOT NULL,
        played_at REAL NOT NULL,
        mood_label TEXT,
        valence REAL,
        arousal REAL
    );
    CREATE INDEX IF NOT EXISTS recommend_plays_time ON recommend_plays (played_at);
    CREATE TABLE IF NOT EXISTS mood_history (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL,
        valence REAL NOT NULL,
        arousal REAL NOT NULL,
        probabilities TEXT NOT NULL,
        source TEXT NOT NULL,
        recorded_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS mood_history_time ON mood_history (recorded_at);
    CREATE TABLE IF NOT EXISTS spotify_resolutions (
        lookup_key TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        artist TEXT NOT NULL,
        track_id TEXT,
        track_title TEXT,
        track_artist TEXT,
        score REAL,
        reason TEXT NOT NULL,
        resolved_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS spotify_searches (
        query TEXT PRIMARY KEY,
        tracks_json TEXT NOT NULL,
        fetched_at REAL NOT NULL
    );
    """,
    f"""
    CREATE TABLE profiles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at REAL NOT NULL,
        settings TEXT NOT NULL DEFAULT '{{}}'
    );
    INSERT INTO profiles (id, name, created_at) VALUES
        ({DEFAULT_PROFILE_ID}, '{DEFAULT_PROFILE_NAME}', CAST(strftime('%s', 'now') AS REAL));
    ALTER TABLE recommend_feedback ADD COLUMN profile_id INTEGER NOT NULL DEFAULT {DEFAULT_PROFILE_ID};
    ALTER TABLE recommend_plays ADD COLUMN profile_id INTEGER NOT NULL DEFAULT {DEFAULT_PROFILE_ID};
    ALTER TABLE mood_history ADD COLUMN profile_id INTEGER NOT NULL DEFAULT {DEFAULT_PROFILE_ID};
    CREATE INDEX recommend_feedback_profile ON recommend_feedback (profile_id, created_at);
    CREATE INDEX recommend_plays_profile ON recommend_plays (profile_id, played_at);
    CREATE INDEX mood_history_profile ON mood_history (profile_id, recorded_at);
    CREATE TABLE saved_playlists (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        name TEXT NOT NULL COLLATE NOCASE,
        mode TEXT NOT NULL,
        mood_label TEXT,
        mood_valence REAL,
        mood_arousal REAL,
        target_label TEXT,
        created_at REAL NOT NULL,
        UNIQUE (profile_id, name)
    );
    CREATE TABLE saved_playlist_songs (
        playlist_id INTEGER NOT NULL REFERENCES saved_playlists (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        music_id INTEGER NOT NULL,
        title TEXT NOT NULL,
        artist TEXT NOT NULL,
        spotify_id TEXT,
        PRIMARY KEY (playlist_id, position)
    );
    CREATE TABLE iso_checkins (
        id INTEGER PRIMARY KEY,
        profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        session_key TEXT NOT NULL UNIQUE,
        target_label TEXT NOT NULL,
        target_valence REAL NOT NULL,
        target_arousal REAL NOT NULL,
        before_label TEXT NOT NULL,
        before_valence REAL NOT NULL,
        before_arousal REAL NOT NULL,
        before_at REAL NOT NULL,
        after_label TEXT,
        after_valence REAL,
        after_arousal REAL,
        after_at REAL
    );
    CREATE INDEX iso_checkins_profile ON iso_checkins (profile_id, before_at);
    """,
    # The listener's own music (tunex_core.personal.library): paths and figures, never audio. Paths are
    # the file system's bytes (a name need not be UTF-8); a profile's folders and songs go with it.
    """
    CREATE TABLE library_folders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        path BLOB NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('folder', 'uploads')),
        added_at REAL NOT NULL,
        UNIQUE (profile_id, path)
    );
    CREATE TABLE library_songs (
        id INTEGER PRIMARY KEY,
        profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
        folder_id INTEGER NOT NULL REFERENCES library_folders (id) ON DELETE CASCADE,
        music_id INTEGER NOT NULL,
        path BLOB NOT NULL,
        size INTEGER NOT NULL,
        modified_ns INTEGER NOT NULL,
        title TEXT,
        artist TEXT,
        duration_seconds REAL,
        valence REAL,
        arousal REAL,
        error TEXT,
        analysed_at REAL NOT NULL,
        UNIQUE (profile_id, path)
    );
    CREATE INDEX library_songs_folder ON library_songs (folder_id);
    CREATE INDEX library_songs_music ON library_songs (profile_id, music_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseBusyError(RuntimeError):
    """The database cannot be read right now (locked by another program, or failing); the message says why."""


StorageError = DatabaseBusyError


class WriteOutcome(Enum):
    """What became of a write."""

    SAVED = "saved"
    QUEUED = "queued"  # the file is locked; saved by a later write or open
    NOT_SAVED = "not saved"  # the queue is full or the write itself is invalid


Statement = tuple[str, Sequence[object]]


@dataclass(frozen=True)
class StorageStatus:
    """How the store stands, for a message in front of people."""

    location: str
    in_memory: bool
    notices: tuple[str, ...]
    pending_writes: int

    @property
    def persistent(self) -> bool:
        """Whether what is recorded survives a restart."""
        return not self.in_memory


@dataclass
class _PathState:
    """What this process knows about one database path (guarded by ``_registry_lock``)."""

    write_lock: threading.RLock = field(default_factory=threading.RLock)
    checked: bool = False  # integrity checked and schema current at least once
    memory: sqlite3.Connection | None = None  # the in-memory fallback, once chosen
    notices: list[str] = field(default_factory=list)
    pending: list[tuple[Statement, ...]] = field(default_factory=list)


_registry_lock = threading.Lock()
_states: dict[str, _PathState] = {}


def default_database_path() -> Path:
    """``$TUNEX_DB`` if set, else ``tunex.sqlite3`` in the user data folder."""
    override = os.environ.get("TUNEX_DB")
    return Path(override).expanduser() if override else user_data_dir() / DATABASE_FILE_NAME


def _state(path: Path) -> _PathState:
    key = str(path.absolute())
    with _registry_lock:
        return _states.setdefault(key, _PathState())


def reset_process_state() -> None:
    """Forget fallbacks, notices and queued writes of every path (tests; a fresh process)."""
    with _registry_lock:
        for state in _states.values():
            if state.memory is not None:
                state.memory.close()
        _states.clear()


def connect(path: str | Path | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> sqlite3.Connection:
    """A plain connection to the file at ``path`` (creating folders), in WAL mode; no schema, no fallback.

    Features use ``open_database``; this is for tools and tests that want the raw file.
    """
    database_path = Path(path) if path is not None else default_database_path()
    database_path.parent.mkdir(parents=True, exist_ok=True)
    connection = _raw_connection(str(database_path), busy_timeout)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        connection.close()
        raise DatabaseBusyError(f"{database_path} is locked or unreadable: {error}") from error
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection):
    """Run a block in one ``BEGIN IMMEDIATE`` transaction on a ``connect`` connection; a lock becomes
    ``DatabaseBusyError`` (features use ``Database.write``, which queues instead)."""
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if _is_busy(error):
            raise DatabaseBusyError("the TuneX database is locked by another program; try again in a moment") from error
        raise
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _raw_connection(target: str, busy_timeout: float, uri: bool = False) -> sqlite3.Connection:
    connection = sqlite3.connect(target, timeout=busy_timeout, check_same_thread=False,
                                 isolation_level=None, uri=uri)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


# ---------------------------------------------------------------------------------------------
# Error classification


def _is_busy(error: BaseException) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _is_damaged(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.DatabaseError) and not _is_busy(error) and (
        "not a database" in text or "malformed" in text or "corrupt" in text)


def _is_unusable_location(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, OSError) or (not _is_busy(error) and any(
        phrase in text for phrase in ("unable to open", "readonly", "read-only", "disk i/o", "disk is full",
                                      "permission")))


# ---------------------------------------------------------------------------------------------
# Schema


def _run_script(connection: sqlite3.Connection, script: str) -> None:
    """Run the statements of ``script`` one by one (``executescript`` would commit half-way)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            connection.execute(statement)
            statement = ""


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the schema to ``SCHEMA_VERSION`` in one transaction; return the version found.

    Raises ``_NewerSchemaError`` when the file was made by a newer TuneX (left untouched).
    """
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise _NewerSchemaError(found)
    if found == SCHEMA_VERSION:
        return found
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = connection.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
        for version in range(found, SCHEMA_VERSION):
            _run_script(connection, MIGRATIONS[version])
        connection.execute(f"PRAGMA user_version = {max(found, SCHEMA_VERSION)}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return found


class _NewerSchemaError(RuntimeError):
    def __init__(self, version: int):
        super().__init__(f"schema version {version} is newer than this TuneX understands ({SCHEMA_VERSION})")
        self.version = version


# ---------------------------------------------------------------------------------------------
# Opening, failing soft


class Database:
    """One open use of the store: reads fail fast on a lock, writes are queued when they cannot go in.

    Obtained from ``open_database``; use it in a ``with`` block or call ``close``.
    """

    def __init__(self, connection: sqlite3.Connection | None, path: Path, state: _PathState, *, in_memory: bool,
                 busy_timeout: float = BUSY_TIMEOUT_SECONDS, unavailable: str | None = None):
        self.connection = connection
        self.busy_timeout = busy_timeout
        self.path = path
        self.in_memory = in_memory
        self.unavailable = unavailable  # why the file could not be opened (locked), else None
        self._state = state

    @property
    def available(self) -> bool:
        """Whether reads can be answered (False while another program locks the file)."""
        return self.unavailable is None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exception_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the shared in-memory one stays open for the process)."""
        if not self.in_memory and self.connection is not None:
            self.connection.close()

    def query(self, sql: str, parameters: Sequence[object] = ()) -> list[sqlite3.Row]:
        """All rows of a read; a lock or a failing file raises ``DatabaseBusyError`` with a clear message."""
        if self.connection is None:
            raise DatabaseBusyError(self.unavailable)
        try:
            if self.in_memory:
                with self._state.write_lock:
                    return self.connection.execute(sql, parameters).fetchall()
            return self.connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise DatabaseBusyError(_read_failure_message(self.path, error)) from error

    def write(self, statements: Iterable[Statement]) -> WriteOutcome:
        """Run ``statements`` in one transaction; queue them (in order) when the file is locked.

        A constraint violation raises ``sqlite3.IntegrityError`` (the caller's mistake); any other
        failure of the file raises ``DatabaseBusyError`` with a message for people.
        """
        statements = tuple((sql, tuple(parameters)) for sql, parameters in statements)
        with self._state.write_lock:
            if self.connection is None:
                return self._queue(statements)
            if self._state.pending and not self._flush_pending(QUEUED_FLUSH_TIMEOUT_SECONDS):
                return self._queue(statements)
            try:
                self._execute_transaction(statements, WRITE_BUSY_TIMEOUT_SECONDS)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as error:
                if _is_busy(error):
                    return self._queue(statements)
                raise DatabaseBusyError(f"TuneX's database ({self.path}) could not be written: {error}") from error
            return WriteOutcome.SAVED

    def _queue(self, statements: tuple[Statement, ...]) -> WriteOutcome:
        if len(self._state.pending) >= MAX_PENDING_WRITES:
            return WriteOutcome.NOT_SAVED
        self._state.pending.append(statements)
        return WriteOutcome.QUEUED

    def _flush_pending(self, busy_timeout: float) -> bool:
        """Save the queued writes, oldest first; False when the file is still locked."""
        while self._state.pending:
            try:
                self._execute_transaction(self._state.pending[0], busy_timeout)
            except sqlite3.Error as error:
                if _is_busy(error):
                    return False
                self._state.notices.append(f"A change waiting to be saved was dropped: {error}.")
            self._state.pending.pop(0)
        return True

    def _execute_transaction(self, statements: tuple[Statement, ...], busy_timeout: float) -> None:
        connection = self.connection
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for sql, parameters in statements:
                    connection.execute(sql, parameters)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")


class DatabaseStore:
    """A feature's store that owns its ``Database``: ``close()``, or leaving a ``with`` block, closes it."""

    database: Database

    def close(self) -> None:
        """Close the database connection."""
        self.database.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exception_info: object) -> None:
        self.close()


def _read_failure_message(path: Path, error: BaseException) -> str:
    if _is_busy(error):
        return (f"TuneX's database ({path}) is locked by another program, so your history cannot be read "
                "until it is free")
    return f"TuneX's database ({path}) could not be read: {error}"


# The store that "the default database" means for the code running now: a shared TuneX
# (``start.sh --share``) points each guest's page runs at the guest's own in-memory store
# (``pages.common``); None, or a resolver answering None, means the file as usual.
_session_database_resolver: Callable[[], Database | None] | None = None


def set_session_database_resolver(resolver: Callable[[], Database | None] | None) -> None:
    """Let ``resolver`` choose the store that ``open_database()`` (no path) and ``storage_status()`` use."""
    global _session_database_resolver
    _session_database_resolver = resolver


def _session_database() -> Database | None:
    resolver = _session_database_resolver
    return resolver() if resolver is not None else None


def private_memory_database(label: str = "guest") -> Database:
    """A new in-memory store of its own (migrated, empty), for one visitor's session; gone with it."""
    memory = _raw_connection(":memory:", BUSY_TIMEOUT_SECONDS)
    migrate(memory)
    return Database(memory, Path(f":{label}:"), _PathState(checked=True), in_memory=True)


def open_database(path: str | Path | None = None, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Database:
    """Open the store at ``path`` (default ``default_database_path()``), migrated to ``SCHEMA_VERSION``.

    Never raises for a broken store: damaged files are moved aside and unusable locations replaced
    by an in-memory store (see the module docstring). When another program holds a lock longer than
    ``busy_timeout`` seconds while the schema is checked, the result is not ``available``: its reads
    raise ``DatabaseBusyError`` and its writes are queued.
    """
    if path is None and (session_database := _session_database()) is not None:
        return session_database
    database_path = Path(path).expanduser() if path is not None else default_database_path()
    state = _state(database_path)
    with state.write_lock:
        if state.memory is not None:
            return Database(state.memory, database_path, state, in_memory=True)
        try:
            connection = _open_checked(database_path, state, busy_timeout)
        except _NewerSchemaError as error:
            return _fall_back_to_memory(database_path, state, f"it was made by a newer TuneX ({error})")
        except (sqlite3.Error, OSError) as error:
            if _is_busy(error):
                return Database(None, database_path, state, in_memory=False, busy_timeout=busy_timeout,
                                unavailable=_read_failure_message(database_path, error))
            if _is_damaged(error):
                connection = _recover_damaged(database_path, state, busy_timeout, error)
                if connection is None:
                    return Database(state.memory, database_path, state, in_memory=True)
            elif _is_unusable_location(error):
                return _fall_back_to_memory(database_path, state, f"it cannot be created or written ({error})")
            else:
                return Database(None, database_path, state, in_memory=False, busy_timeout=busy_timeout,
                                unavailable=_read_failure_message(database_path, error))
        database = Database(connection, database_path, state, in_memory=False, busy_timeout=busy_timeout)
        if state.pending:
            database._flush_pending(QUEUED_FLUSH_TIMEOUT_SECONDS)
        return database


def _open_checked(path: Path, state: _PathState, busy_timeout: float) -> sqlite3.Connection:
    """Connect, check integrity the first time, migrate when needed; errors propagate."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = _raw_connection(str(path), busy_timeout)
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _NewerSchemaError(version)
        if not state.checked or version != SCHEMA_VERSION:
            problems = [row[0] for row in connection.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("database disk image is malformed: " + "; ".join(problems))
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            migrate(connection)
            state.checked = True
    except BaseException:
        connection.close()
        raise
    return connection


def _recover_damaged(path: Path, state: _PathState, busy_timeout: float,
                     error: BaseException) -> sqlite3.Connection | None:
    """Move a damaged file (and its -wal/-shm/-journal) aside and start a fresh one; None: fell back to memory."""
    aside = path.with_name(path.name + DAMAGED_SUFFIX + time.strftime("%Y%m%d-%H%M%S"))
    try:
        for suffix in ("", "-wal", "-shm", "-journal"):
            companion = Path(str(path) + suffix)
            if companion.exists():
                companion.rename(Path(str(aside) + suffix))
        connection = _open_checked(path, state, busy_timeout)
    except (sqlite3.Error, OSError) as second_error:
        _fall_back_to_memory(path, state, f"it is damaged ({error}) and could not be replaced ({second_error})")
        return None
    state.notices.append(f"TuneX's database {path} was damaged ({error}). It was kept as {aside.name} "
                         "and a new, empty database was started: earlier likes and moods are in the kept file.")
    return connection


def _fall_back_to_memory(path: Path, state: _PathState, reason: str) -> Database:
    """Switch ``path`` to a process-wide in-memory store and say so."""
    memory = _raw_connection(":memory:", BUSY_TIMEOUT_SECONDS)
    migrate(memory)
    state.memory = memory
    state.notices.append(f"TuneX cannot use its database {path}: {reason}. It runs with a temporary store, "
                         "so nothing you do now will be saved after TuneX stops.")
    return Database(memory, path, state, in_memory=True)


def storage_status(path: str | Path | None = None) -> StorageStatus:
    """Location, whether the store is temporary, messages for people and the count of queued writes."""
    if path is None and _session_database() is not None:
        return StorageStatus(location="this browser session only", in_memory=True, notices=(), pending_writes=0)
    database_path = Path(path).expanduser() if path is not None else default_database_path()
    state = _state(database_path)
    with state.write_lock:
        return StorageStatus(location=str(database_path), in_memory=state.memory is not None,
                             notices=tuple(state.notices), pending_writes=len(state.pending))


def write_outcome_message(outcome: WriteOutcome, what: str) -> str | None:
    """A sentence about ``what`` (e.g. "your like") when it was not simply saved, else None."""
    if outcome is WriteOutcome.QUEUED:
        return (f"The database is locked by another program: {what} is kept and will be saved "
                "as soon as it is free (keep TuneX running until then).")
    if outcome is WriteOutcome.NOT_SAVED:
        return f"{what[:1].upper()}{what[1:]} could not be saved: too many changes are waiting for the database."
    return None
