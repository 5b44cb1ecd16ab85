"""Tests for ``tunex_core.personal.library_import``: the background import job, its progress, stopping, failing, and
one job per profile."""

from __future__ import annotations

import time

import pytest

from tests.personal.library_fakes import SUFFIXES, analyze, write_song
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_files import LibraryError, uploads_dir
from tunex_core.personal.library_import import FINISHED, STOPPED, ImportJob, ImportJobs, format_duration
from tunex_core.storage import DEFAULT_PROFILE_ID


def songs(profile_id: int = DEFAULT_PROFILE_ID):
    with LibraryStore(profile_id) as store:
        return {song.path.name: song for song in store.songs()}


def start_slow_import(music, count: int, done: int):
    """A job importing ``count`` new songs from ``music`` at 0.05 s each, once ``done`` of them are in (at most 20 s):
    the job and its folder."""
    for index in range(count):
        write_song(music / f"{index:02}.mp3", 0.5, 0.5)

    def slow(path):
        time.sleep(0.05)
        return analyze(path)

    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(music)
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=slow, suffixes=SUFFIXES)
    job.add_folder(folder.id, folder.path)
    deadline = time.monotonic() + 20
    while job.progress().done < done and time.monotonic() < deadline:
        time.sleep(0.02)
    return job, folder


def test_progress_and_stop(home, tmp_path):
    music = tmp_path / "Music"
    job, _ = start_slow_import(music, count=30, done=5)
    progress = job.progress()
    assert progress.running and progress.total == 30 and progress.seconds_left is not None
    assert progress.seconds_left > 0 and "left" in progress.summary()
    job.stop()
    assert job.wait(10)
    stopped = job.progress()
    assert stopped.state == STOPPED and 5 <= stopped.done < 30
    assert len(songs()) == stopped.done  # what was analysed stays


def test_the_registry_gives_each_profile_one_job(home):
    jobs = ImportJobs(analyser=analyze)
    assert jobs.existing(DEFAULT_PROFILE_ID) is None
    assert jobs.job(DEFAULT_PROFILE_ID) is jobs.job(DEFAULT_PROFILE_ID)
    assert jobs.job(DEFAULT_PROFILE_ID) is not jobs.job(2)
    assert jobs.existing(DEFAULT_PROFILE_ID) is jobs.job(DEFAULT_PROFILE_ID)


def test_durations_read_well():
    assert [format_duration(value) for value in (3.2, 59, 61, 3 * 3600 + 300)] == ["3 s", "59 s", "1 min", "3 h 05 min"]


def test_a_failing_import_ends_with_a_reason_instead_of_hanging(home, tmp_path, monkeypatch):
    from tunex_core.personal import library_scan

    def unavailable():
        raise ImportError("no song analysis here")

    monkeypatch.setattr(library_scan, "audio_suffixes", unavailable)
    write_song(tmp_path / "Music" / "a.mp3", 0.5, 0.5)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(tmp_path / "Music")
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=analyze)
    job.add_folder(folder.id, folder.path)
    assert job.wait(10)
    progress = job.progress()
    assert progress.state == "failed" and not progress.running
    assert "no song analysis here" in progress.problems[-1] and "stopped early" in progress.summary()


def test_folder_adding_and_uploading_are_separate_entry_points(home, tmp_path):
    from tunex_core.personal.library_import import import_folder, import_uploads

    jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    write_song(tmp_path / "Music" / "a.mp3", 0.8, 0.7)
    folder = import_folder(jobs, DEFAULT_PROFILE_ID, tmp_path / "Music")
    assert jobs.job(DEFAULT_PROFILE_ID).wait(30)
    saved = import_uploads(jobs, DEFAULT_PROFILE_ID, [("up.mp3", b"FAKE 0.1 0.9 Uploaded")])
    assert jobs.job(DEFAULT_PROFILE_ID).wait(30)
    assert saved == [uploads_dir(DEFAULT_PROFILE_ID) / "up.mp3"]
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        kinds = {song.path.name: store.folder(song.folder_id).kind for song in store.songs()}
    assert kinds == {"a.mp3": "folder", "up.mp3": "uploads"} and folder.kind == "folder"
    with pytest.raises(LibraryError):
        import_folder(jobs, DEFAULT_PROFILE_ID, tmp_path / "missing")


def test_removing_a_folder_during_its_import_keeps_nothing_of_it(home, tmp_path):
    music = tmp_path / "Music"
    job, folder = start_slow_import(music, count=20, done=3)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        store.remove_folder(folder.id)
    assert job.wait(30)
    assert songs() == {}
    assert any("its folder was removed during the import" in problem for problem in job.progress().problems)
    assert len(list(music.iterdir())) == 20


def test_a_job_given_a_private_store_writes_there_and_keeps_uploads_in_its_temporary_folder(home, tmp_path):
    import gc

    from tunex_core.personal.library_files import keep_uploads_private
    from tunex_core.personal.library_import import import_uploads
    from tunex_core.storage import private_memory_database

    guest = private_memory_database("guest-test")
    folder = keep_uploads_private(guest)
    assert keep_uploads_private(guest) == folder and folder.is_dir() and not folder.is_relative_to(home)
    jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    job = jobs.private_job(DEFAULT_PROFILE_ID, guest)
    saved = import_uploads(jobs, DEFAULT_PROFILE_ID, [("up.mp3", b"FAKE 0.1 0.9 Uploaded"), ("up.mp3", b"x")],
                           job=job)
    assert job.wait(30) and job.progress().state == FINISHED
    assert saved == [folder / "up.mp3", folder / "up (2).mp3"]
    with LibraryStore(DEFAULT_PROFILE_ID, database=guest) as store:  # the job wrote into the given store
        placed = store.songs(placed_only=True)
        assert [song.display_title for song in placed] == ["Uploaded"] and store.uploads_dir == folder
        (uploads,) = store.folders()
        assert uploads.path == folder and uploads.kind == "uploads"
    assert jobs.existing(DEFAULT_PROFILE_ID) is None  # not kept in the process-wide registry
    with LibraryStore(DEFAULT_PROFILE_ID) as store:  # the database file has none of it
        assert not store.folders() and not store.songs()
    assert not uploads_dir(DEFAULT_PROFILE_ID).exists()
    del guest, job, store
    gc.collect()
    assert not folder.exists()  # gone with the store


def test_an_upload_job_needs_a_store_of_its_own(home):
    from tunex_core.personal.library_import import import_uploads

    with pytest.raises(ValueError, match="store of its own"):
        import_uploads(ImportJobs(analyser=analyze), DEFAULT_PROFILE_ID, [("a.mp3", b"x")],
                       job=ImportJob(DEFAULT_PROFILE_ID, analyser=analyze))


def test_a_guests_temporary_folder_outlives_their_session_while_its_import_runs(home):
    import gc
    import threading
    import weakref

    from tunex_core.personal.library_files import keep_uploads_private
    from tunex_core.personal.library_import import import_uploads
    from tunex_core.storage import private_memory_database

    analysing = threading.Event()
    go_on = threading.Event()

    def held(path):
        analysing.set()
        go_on.wait(20)
        return analyze(path)

    guest = private_memory_database("guest-lifetime")
    folder = keep_uploads_private(guest)
    jobs = ImportJobs(analyser=held, suffixes=SUFFIXES)
    job = jobs.private_job(DEFAULT_PROFILE_ID, guest)
    import_uploads(jobs, DEFAULT_PROFILE_ID, [("a.mp3", b"FAKE 0.2 0.8 A"), ("b.mp3", b"FAKE 0.3 0.7 B")], job=job)
    assert analysing.wait(10)
    store_alive, job_alive = weakref.ref(guest), weakref.ref(job)
    del guest, job  # the session ended: only the running import still holds the store
    gc.collect()
    assert store_alive() is not None and sorted(path.name for path in folder.iterdir()) == ["a.mp3", "b.mp3"]
    go_on.set()
    running = job_alive()
    assert running.wait(30)
    progress = running.progress()  # both songs were read from the kept copies
    assert (progress.state, progress.done, progress.failed) == (FINISHED, 2, 0), progress.problems
    del running
    gc.collect()
    assert store_alive() is None and job_alive() is None and not folder.exists()  # then both went
