"""The embedded SQLite database shared by feedback, history and the Spotify cache.

Default location: ``~/.tunex/tunex.sqlite3`` (``TUNEX_HOME`` moves the folder,
``TUNEX_DB`` names the file). Connections use WAL mode and a busy timeout so a
second process (another browser tab, the CLI) does not fail at once on a lock;
a lock that outlasts the timeout surfaces as ``DatabaseBusyError``.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from tunex_core.paths import user_data_dir

BUSY_TIMEOUT_SECONDS = 5.0


class DatabaseBusyError(RuntimeError):
    """The database stayed locked by another process for longer than the busy timeout."""


def default_database_path() -> Path:
    """``$TUNEX_DB`` if set, else ``tunex.sqlite3`` in the user data folder."""
    override = os.environ.get("TUNEX_DB")
    return Path(override).expanduser() if override else user_data_dir() / "tunex.sqlite3"


def connect(path: str | Path | None = None) -> sqlite3.Connection:
    """Open (creating folders as needed) the database at ``path`` or the default location."""
    database_path = Path(path) if path is not None else default_database_path()
    if str(database_path) != ":memory:":
        database_path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(database_path), timeout=BUSY_TIMEOUT_SECONDS,
                                 check_same_thread=False)
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        connection.close()
        raise DatabaseBusyError(f"database {database_path} is locked or unreadable: {error}") from error
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection):
    """Run a block in one transaction; a lock timeout becomes ``DatabaseBusyError``."""
    try:
        with connection:
            yield connection
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseBusyError(
                "the TuneX database is locked by another process; try again in a moment"
            ) from error
        raise
