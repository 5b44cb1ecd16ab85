"""The command line with a damaged, unusable or locked database: one clear line, no traceback, the job done."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage_helpers import LockHolder
from tunex_core import cli
from tunex_core.paths import PROJECT_ROOT, TESTS_FIXTURES_DIR


def recommend(home: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TUNEX_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    environment.pop("TUNEX_DB", None)
    return subprocess.run([sys.executable, "-m", "tunex_core", "recommend", "--emotion", "sad", "-n", "3"],
                          cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)


def assert_one_warning_and_songs(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and expected in lines[0], lines
    assert sum(1 for line in result.stdout.splitlines() if line[:1].isdigit()) == 3


def test_recommend_with_a_corrupt_database(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "tunex.sqlite3").write_bytes(os.urandom(16 * 1024))
    assert_one_warning_and_songs(recommend(home), "was damaged")
    assert len(list(home.glob("tunex.sqlite3.damaged-*"))) == 1


@pytest.mark.parametrize("layout", ["home is a file", "home below a file"])
def test_recommend_with_an_unusable_home(tmp_path, layout):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    home = blocker if layout == "home is a file" else blocker / "home"
    assert_one_warning_and_songs(recommend(home), "nothing you do now will be saved")


def test_recommend_with_a_locked_database(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    database = home / "tunex.sqlite3"
    shutil.copy(TESTS_FIXTURES_DIR / "tunex_v0.sqlite3", database)
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")
    holder = LockHolder(database)
    try:
        assert_one_warning_and_songs(recommend(home), "locked by another program")
    finally:
        holder.release()


def test_spotify_resolve_with_a_corrupt_cache_database(spotify_environment, isolated_home, capsys):
    isolated_home.mkdir()
    (isolated_home / "tunex.sqlite3").write_bytes(b"garbage" * 1000)

    status = cli.main(["spotify", "resolve", "--title", "Hello", "--artist", "Adele"])

    captured = capsys.readouterr()
    assert status == 0
    assert "Hello — Adele" in captured.out
    assert captured.err.count("warning: ") == 1 and "was damaged" in captured.err
