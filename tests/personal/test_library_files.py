"""Tests for ``tunex_core.personal.library_files``: upload names made safe, printable paths and media types."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunex_core.personal.library import library_music_id
from tunex_core.personal.library_files import (
    PRIVATE_UPLOADS_PREFIX,
    display_path,
    media_type,
    remove_abandoned_guest_folders,
    safe_upload_name,
)


@pytest.mark.parametrize(("name", "expected"), [
    ("song.mp3", "song.mp3"), ("a/b\\c.flac", "c.flac"), (".hidden.mp3", "hidden.mp3"), ("", "upload"),
    ("x\x00y.mp3", "x_y.mp3"), ("a" * 300 + ".mp3", "a" * 120 + ".mp3"),
])
def test_upload_names_are_made_safe(name, expected):
    assert safe_upload_name(name) == expected


def test_ids_never_collide_with_catalog_ids_and_names_print(tmp_path):
    assert all(library_music_id(tmp_path / f"{index}.mp3") < 0 for index in range(1000))
    assert len({library_music_id(tmp_path / f"{index}.mp3") for index in range(1000)}) == 1000
    assert display_path(b"/music/caf\xe9\x07.mp3") == "/music/caf\ufffd?.mp3"
    assert media_type(Path("x.FLAC")) == "audio/flac" and media_type(Path("x.unknown")) == "audio/mpeg"


def finished_process_id() -> int:
    """The id of a process that has exited (and been waited for): no process has it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_guest_folders_of_a_process_that_no_longer_runs_are_removed(tmp_path):
    dead = tmp_path / f"{PRIVATE_UPLOADS_PREFIX}{finished_process_id()}-abc"
    alive = tmp_path / f"{PRIVATE_UPLOADS_PREFIX}{os.getpid()}-def"
    unnamed = tmp_path / f"{PRIVATE_UPLOADS_PREFIX}xyz"  # made before folders carried a pid: left alone
    other = tmp_path / "someone-elses-folder-1"
    for folder in (dead, alive, unnamed, other):
        folder.mkdir()
        (folder / "song.mp3").write_bytes(b"ID3")

    assert remove_abandoned_guest_folders(tmp_path) == [dead]
    assert not dead.exists() and alive.is_dir() and unnamed.is_dir() and other.is_dir()
    assert remove_abandoned_guest_folders(tmp_path / "missing") == []

