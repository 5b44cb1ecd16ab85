"""Pages with a damaged, unreachable or locked database (AppTest through ``app.py``): no exception box,
a clear message, and no long waits. The timings themselves are measured by ``bench/storage_faults.py``.

The sidebar's messages are tested in ``test_profile_sidebar.py``: AppTest drops ``app.py``'s sidebar
once a page from ``pages/`` has run, so here the pages' own messages and ``storage_status`` are checked."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.storage_helpers import LockHolder
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.paths import PROJECT_ROOT, TESTS_FIXTURES_DIR
from tunex_core.storage import storage_status

APP = str(PROJECT_ROOT / "app.py")
PAGES = ("pages/playlist.py", "pages/song_map.py", "pages/journal.py", "pages/my_music.py")
# Far above the target (3 s) and far below the 55 s the Playlist page took before, so the test
# catches a regression without depending on the speed of the machine.
GENEROUS_SECONDS = 15.0
@pytest.fixture
def lock(isolated_home):
    """The fixture database in rollback-journal mode, locked by another process; yields the holder."""
    isolated_home.mkdir()
    database = isolated_home / "tunex.sqlite3"
    shutil.copy(TESTS_FIXTURES_DIR / "tunex_v0.sqlite3", database)
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    holder = LockHolder(database)
    yield holder
    holder.release()


def run_page(page: str) -> tuple[AppTest, float]:
    """Start the app with a "sad" session mood, open ``page`` and return it with the seconds it took."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["mood"] = Mood.from_emotion("sad")
    app.run()
    started = time.monotonic()
    app.switch_page(page).run()
    return app, time.monotonic() - started


def all_messages(app: AppTest) -> str:
    return " ".join(element.value for element in [*app.warning, *app.info])


@pytest.mark.parametrize("page", PAGES)
def test_a_corrupt_database_is_replaced_with_a_message(isolated_home, page):
    isolated_home.mkdir()
    (isolated_home / "tunex.sqlite3").write_bytes(os.urandom(32 * 1024))

    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["mood"] = Mood.from_emotion("sad")
    app.switch_page(page).run()

    assert not app.exception
    assert len(list(isolated_home.glob("tunex.sqlite3.damaged-*"))) == 1
    # The sidebar shows this notice (tests/pages/test_profile_sidebar.py); AppTest drops app.py's
    # sidebar once a page from pages/ has run, so it is checked at its source here.
    assert "was damaged" in " ".join(storage_status().notices)


@pytest.mark.parametrize("page", PAGES)
def test_an_unusable_home_keeps_every_page_working(isolated_home, page):
    isolated_home.write_text("a file where the folder should be\n")

    app, _ = run_page(page)

    assert not app.exception
    assert isolated_home.read_text() == "a file where the folder should be\n"
    assert storage_status().in_memory


@pytest.mark.parametrize("page", PAGES)
def test_a_locked_database_neither_breaks_nor_stalls_a_page(lock, page):
    app, elapsed = run_page(page)

    assert not app.exception
    assert elapsed < GENEROUS_SECONDS
    assert "locked by another program" in all_messages(app).replace("\\", "")


def test_a_like_while_locked_is_queued_then_saved(lock):
    app, _ = run_page("pages/playlist.py")
    like = next(button for button in app.button if button.label == "👍 Like")

    started = time.monotonic()
    like.click().run()
    assert time.monotonic() - started < GENEROUS_SECONDS
    assert not app.exception
    assert storage_status().pending_writes == 1

    lock.release()
    app.run()  # the next render can open the file, and saves the queued like first
    assert not app.exception
    assert storage_status().pending_writes == 0
    liked = int(like.key.removeprefix("like_"))
    with FeedbackStore() as store:
        assert store.adjustments().songs[liked].likes > 0
        assert {100, 101, 102, 103} <= store.adjustments().songs.keys()  # the fixture's ratings, migrated
