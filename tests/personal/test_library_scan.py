"""``tunex_core.personal.library_scan``: finding songs without being stopped or slowed by a bad folder."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from tests.personal.library_fakes import SUFFIXES, analyze, write_song
from tunex_core.personal import library_scan
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_files import display_path
from tunex_core.personal.library_import import ImportJob
from tunex_core.personal.library_scan import scan_folder, scan_paths
from tunex_core.storage import DEFAULT_PROFILE_ID


def names(result) -> list[str]:
    return sorted(state.path.name for state in result.files)


def test_only_regular_audio_files_are_kept_and_suffixes_ignore_case(tmp_path):
    write_song(tmp_path / "a.MP3", 0.5, 0.5)
    write_song(tmp_path / "deep" / "er" / "b.flac", 0.5, 0.5)
    (tmp_path / "notes.txt").write_text("x")
    os.mkfifo(tmp_path / "pipe.mp3")  # opening it would wait forever
    result = scan_folder(tmp_path, SUFFIXES)
    assert names(result) == ["a.MP3", "b.flac"]
    assert result.other_files == 1 and not result.truncated
    assert any("pipe.mp3: not a regular file" in problem for problem in result.problems)
    assert {state.size for state in result.files} == {len(b"FAKE 0.5 0.5")}


def test_ten_thousand_other_files_cost_one_listing(tmp_path):
    for index in range(10_000):
        (tmp_path / f"page{index}.txt").touch()
    write_song(tmp_path / "song.mp3", 0.5, 0.5)
    started = time.perf_counter()
    result = scan_folder(tmp_path, SUFFIXES)
    seconds = time.perf_counter() - started
    assert names(result) == ["song.mp3"] and result.other_files == 10_000
    assert seconds < 2.0, f"scanning 10,001 names took {seconds:.2f} s"


def test_symbolic_link_loops_end(tmp_path):
    write_song(tmp_path / "music" / "a.mp3", 0.5, 0.5)
    (tmp_path / "music" / "again").symlink_to(tmp_path / "music")  # a folder inside itself
    (tmp_path / "music" / "self.mp3").symlink_to(tmp_path / "music" / "self.mp3")  # a link to itself
    (tmp_path / "music" / "broken.mp3").symlink_to(tmp_path / "nowhere.mp3")
    result = scan_folder(tmp_path / "music", SUFFIXES)
    assert names(result) == ["a.mp3"]
    assert any("self.mp3: a loop of symbolic links" in problem for problem in result.problems)
    assert any("broken.mp3: it disappeared" in problem for problem in result.problems)


def test_names_that_are_not_utf8_are_found_kept_and_printable(home, tmp_path):
    folder = os.fsencode(tmp_path / "music")
    os.makedirs(folder)
    name = os.path.join(folder, b"caf\xe9 \xff.mp3")
    with open(name, "wb") as handle:
        handle.write(b"FAKE 0.2 0.9")
    result = scan_folder(tmp_path / "music", SUFFIXES)
    assert [os.fsencode(state.path) for state in result.files] == [name]
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        added = store.add_folder(tmp_path / "music")
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=analyze, suffixes=SUFFIXES)
    job.add_folder(added.id, added.path)
    assert job.wait(30)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        (song,) = store.songs()
    assert os.fsencode(song.path) == name and song.placed
    assert song.display_title == "caf\ufffd \ufffd"


def test_a_folder_that_vanishes_during_the_scan_is_a_problem_line(tmp_path, monkeypatch):
    write_song(tmp_path / "a" / "1.mp3", 0.5, 0.5)
    write_song(tmp_path / "b" / "2.mp3", 0.5, 0.5)
    real_scandir = os.scandir

    def vanishing(path):
        if os.fspath(path).endswith("/b"):
            raise FileNotFoundError(2, "No such file or directory", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(library_scan.os, "scandir", vanishing)
    result = scan_folder(tmp_path, SUFFIXES)
    assert names(result) == ["1.mp3"]
    assert any(problem.endswith("folder skipped (it disappeared while being read)") for problem in result.problems)


def test_a_song_that_vanishes_before_its_analysis_is_skipped_and_the_others_import(home, tmp_path):
    music = tmp_path / "music"
    first = write_song(music / "1.mp3", 0.5, 0.5)
    write_song(music / "2.mp3", 0.5, 0.5)

    def delete_the_other(path):
        if Path(path).name == "2.mp3":
            first.unlink(missing_ok=True)
        return analyze(path)

    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        added = store.add_folder(music)
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=delete_the_other, suffixes=SUFFIXES)
    job.add_files(added.id, [music / "2.mp3", music / "1.mp3"])
    assert job.wait(30)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        assert [song.path.name for song in store.songs()] == ["2.mp3"]
    assert any("1.mp3: the file is gone" in problem for problem in job.progress().problems)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_folders_are_skipped_with_a_reason(tmp_path):
    write_song(tmp_path / "open" / "a.mp3", 0.5, 0.5)
    write_song(tmp_path / "closed" / "b.mp3", 0.5, 0.5)
    os.chmod(tmp_path / "closed", 0)
    try:
        if os.access(tmp_path / "closed", os.R_OK):
            pytest.skip("running as a user whom permissions do not stop (root)")
        result = scan_folder(tmp_path, SUFFIXES)
    finally:
        os.chmod(tmp_path / "closed", 0o755)
    assert names(result) == ["a.mp3"]
    assert any(problem.endswith("closed: folder skipped (permission denied)") for problem in result.problems)


def test_the_walk_is_bounded(tmp_path):
    for index in range(20):
        write_song(tmp_path / f"{index}.mp3", 0.5, 0.5)
    result = scan_folder(tmp_path, SUFFIXES, max_entries=10)
    assert result.truncated and len(result.files) <= 10 and "too large" in result.problems[-1]
    assert len(scan_folder(tmp_path, SUFFIXES, max_songs=5).files) == 5
    stopped = scan_folder(tmp_path, SUFFIXES, should_stop=lambda: True)
    assert stopped.truncated and stopped.files == ()


def test_named_paths_keep_files_whatever_their_suffix_and_scan_folders(tmp_path):
    write_song(tmp_path / "dir" / "a.mp3", 0.5, 0.5)
    (tmp_path / "dir" / "b.txt").write_text("x")
    named = tmp_path / "named.txt"
    named.write_text("x")
    result = scan_paths([tmp_path / "dir", named, tmp_path / "missing.mp3"], SUFFIXES)
    assert [display_path(state.path.name) for state in result.files] == ["a.mp3", "named.txt", "missing.mp3"]
    assert result.files[-1].size == -1
