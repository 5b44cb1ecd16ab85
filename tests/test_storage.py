"""``tunex_core.storage``: migrations from today's file, and failing soft when the file is damaged,
unreachable or locked by another program (rollback journal and WAL), with concurrent writers."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.storage_helpers import LockHolder
from tunex_core import storage
from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, SKIP, FeedbackStore
from tunex_core.music.spotify import SpotifyCache
from tunex_core.paths import TESTS_FIXTURES_DIR
from tunex_core.storage import (
    DEFAULT_PROFILE_ID,
    SCHEMA_VERSION,
    DatabaseBusyError,
    WriteOutcome,
    open_database,
    storage_status,
)

V0_FIXTURE = TESTS_FIXTURES_DIR / "tunex_v0.sqlite3"
V0_COUNTS = {"recommend_feedback": 12, "recommend_plays": 8, "mood_history": 8,
             "spotify_resolutions": 2, "spotify_searches": 1}
def v0_copy(home: Path, journal_mode: str = "WAL") -> Path:
    home.mkdir(parents=True, exist_ok=True)
    database = home / "tunex.sqlite3"
    shutil.copy(V0_FIXTURE, database)
    with sqlite3.connect(database) as connection:
        connection.execute(f"PRAGMA journal_mode={journal_mode}")
    return database


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in V0_COUNTS}


@pytest.fixture
def lock_holders():
    holders: list[LockHolder] = []
    yield holders
    for holder in holders:
        holder.release()


# --- migration --------------------------------------------------------------------------------


def test_todays_database_opens_with_every_row_kept(home):
    database_path = v0_copy(home)

    with FeedbackStore() as store:
        adjustments = store.adjustments(now=1_780_000_000.0)
        moods = store.recent_moods(limit=100)
        plays = store.recent_plays(limit=100)

    assert counts(database_path) == V0_COUNTS
    with sqlite3.connect(database_path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        owners = {row[0] for table in ("recommend_feedback", "recommend_plays", "mood_history")
                  for row in connection.execute(f"SELECT DISTINCT profile_id FROM {table}")}
    assert owners == {DEFAULT_PROFILE_ID}
    assert set(adjustments.songs) == {100, 101, 102, 103}
    assert len(moods) == 8 and {mood.label for mood in moods} == {"sad", "happy", "neutral", "angry"}
    assert len(plays) == 8 and sum(play.mood_label is not None for play in plays) == 4
    hello = SpotifyCache(clock=lambda: 1_780_000_000.0).get_resolution("Hello", "Adele")
    assert hello is not None and hello.track.id == "4sPmO7WMQUAf45kwMOtONw"
    assert storage_status().notices == ()


def test_migration_runs_once_and_is_idempotent(home):
    database_path = v0_copy(home)
    with open_database() as database:
        assert database.available
    storage.reset_process_state()  # a second process start
    with open_database() as database:
        rows = database.query("SELECT id, name FROM profiles")
    assert [tuple(row) for row in rows] == [(DEFAULT_PROFILE_ID, storage.DEFAULT_PROFILE_NAME)]
    assert counts(database_path) == V0_COUNTS


def test_a_new_database_gets_the_current_schema(home):
    with open_database() as database:
        tables = {row[0] for row in database.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"profiles", "saved_playlists", "saved_playlist_songs", "iso_checkins", *V0_COUNTS} <= tables
    with sqlite3.connect(home / "tunex.sqlite3") as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_from_a_newer_tunex_is_left_alone(home):
    home.mkdir()
    database_path = home / "tunex.sqlite3"
    with sqlite3.connect(database_path) as connection:
        connection.execute("CREATE TABLE future (x)")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    before = database_path.read_bytes()

    with FeedbackStore() as store:
        assert store.record_feedback(1, LIKE) is WriteOutcome.SAVED

    status = storage_status()
    assert status.in_memory and "newer TuneX" in status.notices[0]
    assert database_path.read_bytes() == before


# --- damaged and unusable files ---------------------------------------------------------------


def test_a_corrupt_file_is_moved_aside_and_a_fresh_database_started(home):
    home.mkdir()
    garbage = os.urandom(64 * 1024)
    (home / "tunex.sqlite3").write_bytes(garbage)

    with FeedbackStore() as store:
        assert store.record_feedback(5, LIKE) is WriteOutcome.SAVED
        assert set(store.adjustments().songs) == {5}

    kept = sorted(home.glob("tunex.sqlite3.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage
    status = storage_status()
    assert status.persistent and len(status.notices) == 1
    assert kept[0].name in status.notices[0] and "new, empty database" in status.notices[0]


def test_a_damaged_page_inside_a_valid_file_is_detected(home):
    database_path = v0_copy(home, journal_mode="DELETE")
    with sqlite3.connect(database_path) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute("PRAGMA journal_mode=DELETE")
    data = bytearray(database_path.read_bytes())
    data[page_size: 3 * page_size] = os.urandom(2 * page_size)  # the first table pages, not the header
    database_path.write_bytes(bytes(data))

    with FeedbackStore() as store:
        assert store.recent_moods() == ()

    assert len(list(home.glob("tunex.sqlite3.damaged-*"))) == 1
    assert "damaged" in storage_status().notices[0]


@pytest.mark.parametrize("layout", ["home is a file", "home below a file"])
def test_an_unusable_home_runs_on_a_temporary_store_and_says_so(tmp_path, monkeypatch, layout):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n")
    monkeypatch.setenv("TUNEX_HOME", str(blocker if layout == "home is a file" else blocker / "home"))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    storage.reset_process_state()
    try:
        with FeedbackStore() as store:
            assert store.record_feedback(3, SKIP) is WriteOutcome.SAVED
        with FeedbackStore() as store:  # the temporary store lasts for the process
            assert set(store.adjustments().songs) == {3}
        status = storage_status()
        assert status.in_memory and not status.persistent
        assert "nothing you do now will be saved" in status.notices[0]
        assert blocker.read_text() == "a file, not a folder\n"
    finally:
        storage.reset_process_state()


# --- locks held by another program ------------------------------------------------------------


@pytest.mark.parametrize("journal_mode", ["DELETE", "WAL"])
def test_a_lock_taken_before_tunex_opened_the_file_fails_fast_and_queues_writes(home, lock_holders,
                                                                              journal_mode):
    database_path = v0_copy(home, journal_mode=journal_mode)
    holder = LockHolder(database_path)
    lock_holders.append(holder)

    started = time.monotonic()
    with FeedbackStore() as store:
        with pytest.raises(DatabaseBusyError, match="locked by another program"):
            store.adjustments()
        outcomes = [store.record_feedback(7, LIKE), store.record_mood(Mood.from_emotion("sad"))]
    elapsed = time.monotonic() - started

    assert elapsed < 4.0  # one short busy wait at open; the old store waited 5 s per connection
    assert outcomes == [WriteOutcome.QUEUED, WriteOutcome.QUEUED]
    assert storage_status().pending_writes == 2
    assert "will be saved" in storage.write_outcome_message(WriteOutcome.QUEUED, "your like")

    holder.release()
    with FeedbackStore() as store:  # the next open saves the queue, in order
        assert 7 in store.adjustments().songs
        assert store.recent_moods(1)[0].label == "sad"
    assert storage_status().pending_writes == 0
    assert counts(database_path)["recommend_feedback"] == V0_COUNTS["recommend_feedback"] + 1


def test_a_lock_on_a_migrated_wal_database_still_allows_reading(home, lock_holders):
    with FeedbackStore() as store:
        store.record_feedback(1, LIKE)
    holder = LockHolder(home / "tunex.sqlite3")
    lock_holders.append(holder)

    started = time.monotonic()
    with FeedbackStore() as store:
        assert set(store.adjustments().songs) == {1}
        first = store.record_feedback(2, LIKE)
    with FeedbackStore() as store:
        second = store.record_feedback(3, LIKE)
    elapsed = time.monotonic() - started

    assert (first, second) == (WriteOutcome.QUEUED, WriteOutcome.QUEUED)
    assert elapsed < storage.WRITE_BUSY_TIMEOUT_SECONDS + 2.0  # only the first write waits for the lock
    holder.release()
    with FeedbackStore() as store:
        assert store.record_feedback(4, LIKE) is WriteOutcome.SAVED
        assert set(store.adjustments().songs) == {1, 2, 3, 4}


# --- concurrent writers -----------------------------------------------------------------------


def test_two_tabs_writing_at_once_lose_nothing(home):
    with FeedbackStore():
        pass
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def writer(first_id: int) -> None:
        try:
            barrier.wait()
            for offset in range(100):
                with FeedbackStore() as store:
                    assert store.record_feedback(first_id + offset, LIKE) is WriteOutcome.SAVED
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(first,)) for first in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with sqlite3.connect(home / "tunex.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM recommend_feedback").fetchone()[0] == 200


WRITER_PROCESS = """
import sys
from tunex_core.music.feedback import FeedbackStore
from tunex_core.storage import WriteOutcome
outcomes = []
for offset in range(100):
    with FeedbackStore() as store:
        outcomes.append(store.record_feedback(int(sys.argv[1]) + offset, "like"))
with FeedbackStore() as store:  # flushes anything queued behind the other writer
    pass
from tunex_core.storage import storage_status
print(sum(outcome is WriteOutcome.QUEUED for outcome in outcomes), storage_status().pending_writes)
"""


def test_two_processes_writing_at_once_lose_nothing(home):
    with FeedbackStore():
        pass
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER_PROCESS, str(first)], env=environment,
                                stdout=subprocess.PIPE, text=True) for first in (0, 1000)]
    outputs = [writer.communicate(timeout=120)[0].split() for writer in writers]

    assert all(writer.returncode == 0 for writer in writers)
    assert all(output[1] == "0" for output in outputs)  # no write left waiting
    with sqlite3.connect(home / "tunex.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM recommend_feedback").fetchone()[0] == 200


def test_transaction_on_a_raw_connection_commits_or_rolls_back(home):
    connection = storage.connect()
    with storage.transaction(connection):
        connection.execute("CREATE TABLE kept (value)")
        connection.execute("INSERT INTO kept VALUES (1)")
    with pytest.raises(ValueError), storage.transaction(connection):
        connection.execute("INSERT INTO kept VALUES (2)")
        raise ValueError("undo")
    assert connection.execute("SELECT count(*) FROM kept").fetchone()[0] == 1
    connection.close()
