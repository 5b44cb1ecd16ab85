"""Tests for ``tunex_core.personal.upload_budget``: what a guest of a shared TuneX may keep on the host's disk,
checked before a batch is written (all or nothing), freed by removing songs; the host's uploads unbounded."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.personal.library_fakes import SUFFIXES, analyze
from tunex_core.personal import library_files
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_files import LibraryError, keep_uploads_private, private_upload_folders, uploads_dir
from tunex_core.personal.library_import import ImportJob, ImportJobs, import_uploads
from tunex_core.personal.upload_budget import (
    ALL_GUESTS_MAX_BYTES,
    GUEST_MAX_BYTES,
    GUEST_MAX_SONGS,
    UploadBudget,
    check_upload_budget,
    folder_usage,
    format_size,
)
from tunex_core.storage import DEFAULT_PROFILE_ID, Database, private_memory_database

BIG = 10**12  # a limit that is never reached


def fill(folder, *sizes: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index, size in enumerate(sizes):
        (folder / f"kept-{index}.mp3").write_bytes(b"x" * size)


def test_the_limits_a_host_expects():
    assert (GUEST_MAX_BYTES, GUEST_MAX_SONGS, ALL_GUESTS_MAX_BYTES) == (300_000_000, 100, 2_000_000_000)
    assert UploadBudget() == UploadBudget(GUEST_MAX_BYTES, GUEST_MAX_SONGS, ALL_GUESTS_MAX_BYTES)
    assert [format_size(size) for size in (1000, 300_000_000, 12_345_678, 2_000_000_000)] == [
        "1,000 bytes", "300 MB", "12.3 MB", "2,000 MB"]


def test_a_guest_may_fill_their_bytes_exactly_but_not_one_byte_more(tmp_path):
    folder = tmp_path / "guest"
    fill(folder, 600, 300)
    budget = UploadBudget(guest_max_bytes=1000, guest_max_songs=BIG, all_guests_max_bytes=BIG)
    check_upload_budget(folder, [50, 50], [folder], budget)  # 900 kept + 100 = 1000: exactly the limit
    with pytest.raises(LibraryError) as refused:
        check_upload_budget(folder, [50, 51], [folder], budget)
    message = str(refused.value)
    assert message == ("a guest may keep at most 1,000 bytes of songs on this computer: you keep 900 bytes and "
                       "these 2 songs need 101 bytes more (remove some to make room)")
    assert "\n" not in message


def test_a_guest_may_fill_their_songs_exactly_but_not_one_more(tmp_path):
    folder = tmp_path / "guest"
    fill(folder, 1, 1, 1)
    budget = UploadBudget(guest_max_bytes=BIG, guest_max_songs=5, all_guests_max_bytes=BIG)
    check_upload_budget(folder, [1, 1], [], budget)
    with pytest.raises(LibraryError, match=r"at most 5 songs on this computer: you keep 3 and these are 3 more"):
        check_upload_budget(folder, [1, 1, 1], [], budget)
    check_upload_budget(tmp_path / "not made yet", [1] * 5, [], budget)  # a new guest's folder counts as empty


def test_the_cap_for_all_guests_counts_the_other_guests_folders(tmp_path):
    mine, other, third = tmp_path / "mine", tmp_path / "other", tmp_path / "third"
    fill(mine, 100)
    fill(other, 500)
    fill(third, 300)
    budget = UploadBudget(guest_max_bytes=BIG, guest_max_songs=BIG, all_guests_max_bytes=1000)
    folders = [mine, other, third]  # every guest's folder, this guest's among them (counted once)
    check_upload_budget(mine, [100], folders, budget)  # 100 + 500 + 300 + 100 = 1000
    with pytest.raises(LibraryError, match=r"all guests together may keep at most 1,000 bytes of songs on this "
                                           r"computer: 900 bytes is in use and this song needs 101 bytes more"):
        check_upload_budget(mine, [101], folders, budget)
    check_upload_budget(mine, [101], [mine, third], budget)  # the other guest left: their folder no longer counts


def test_hidden_links_and_sub_folders_are_not_songs(tmp_path):
    folder = tmp_path / "guest"
    fill(folder, 10)
    (folder / "sub").mkdir()
    (folder / "link.mp3").symlink_to(folder / "kept-0.mp3")
    usage = folder_usage(folder)
    assert (usage.songs, usage.size_bytes) == (1, 10)


@dataclass
class Guest:
    store: Database
    folder: Path
    jobs: ImportJobs
    job: ImportJob
    budget: UploadBudget

    def upload(self, *songs: tuple[str, bytes]) -> list[Path]:
        return import_uploads(self.jobs, DEFAULT_PROFILE_ID, list(songs), job=self.job, budget=self.budget)


@pytest.fixture
def guest(home) -> Guest:
    """A guest's private store with its temporary uploads folder, an import registry and a small budget."""
    gc.collect()  # stores of earlier tests that are gone no longer count
    store = private_memory_database("guest-budget")
    folder = keep_uploads_private(store)
    others = sum(folder_usage(path).size_bytes for path in private_upload_folders() if path != folder)
    jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    budget = UploadBudget(guest_max_bytes=100, guest_max_songs=3, all_guests_max_bytes=others + 150)
    return Guest(store, folder, jobs, jobs.private_job(DEFAULT_PROFILE_ID, store), budget)


def song(valence: float, size: int) -> bytes:
    data = f"FAKE {valence} 0.5 ".encode()
    return data + b"x" * (size - len(data))


def test_a_batch_over_the_budget_is_refused_before_anything_is_written(guest):
    with pytest.raises(LibraryError, match=r"at most 100 bytes of songs on this computer: you keep 0 bytes and "
                                           r"these 2 songs need 101 bytes more"):
        guest.upload(("a.mp3", song(0.1, 50)), ("b.mp3", song(0.2, 51)))
    assert list(guest.folder.iterdir()) == [] and not guest.job.running
    with LibraryStore(DEFAULT_PROFILE_ID, database=guest.store) as library:
        assert not library.folders() and not library.songs()  # not even an empty "Uploaded files"


def test_removing_songs_frees_their_budget(guest):
    guest.upload(("a.mp3", song(0.1, 40)), ("b.mp3", song(0.2, 40)))
    assert guest.job.wait(30)
    with pytest.raises(LibraryError, match="you keep 80 bytes and this song needs 40 bytes more"):
        guest.upload(("c.mp3", song(0.3, 40)))
    with LibraryStore(DEFAULT_PROFILE_ID, database=guest.store) as library:
        first = next(item for item in library.songs() if item.path.name == "a.mp3")
        library.remove_song(first.id)
    guest.upload(("c.mp3", song(0.3, 40)))
    assert guest.job.wait(30)
    with LibraryStore(DEFAULT_PROFILE_ID, database=guest.store) as library:
        (uploads,) = library.folders()
        assert library.remove_folder(uploads.id) == 2
    saved = guest.upload(*[(name, song(0.4, 30)) for name in ("d.mp3", "e.mp3", "f.mp3")])
    assert [path.name for path in saved] == ["d.mp3", "e.mp3", "f.mp3"] and guest.job.wait(30)


def test_the_cap_for_all_guests_counts_another_live_guest(guest):
    other = private_memory_database("guest-budget-other")
    keep_uploads_private(other)
    other_jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    other_job = other_jobs.private_job(DEFAULT_PROFILE_ID, other)
    import_uploads(other_jobs, DEFAULT_PROFILE_ID, [("theirs.mp3", song(0.5, 100))], job=other_job,
                   budget=guest.budget)
    assert other_job.wait(30)
    with pytest.raises(LibraryError, match="all guests together"):
        guest.upload(("mine.mp3", song(0.1, 51)))
    assert list(guest.folder.iterdir()) == []
    guest.upload(("mine.mp3", song(0.1, 50)))  # exactly the cap
    assert guest.job.wait(30)
    del other, other_job
    gc.collect()  # the other guest left: their copies went with their store, and their share with them
    guest.upload(("more.mp3", song(0.2, 50)))
    assert guest.job.wait(30)


def test_a_batch_that_fails_half_way_keeps_nothing(guest, monkeypatch):
    real_save = library_files.save_upload

    def failing_second(profile_id, name, data, target=None):
        if name == "b.mp3":
            raise LibraryError("b.mp3 could not be saved: No space left on device")
        return real_save(profile_id, name, data, target)

    monkeypatch.setattr(library_files, "save_upload", failing_second)
    with pytest.raises(LibraryError, match="No space left"):
        guest.upload(("a.mp3", song(0.1, 20)), ("b.mp3", song(0.2, 20)))
    assert list(guest.folder.iterdir()) == [] and not guest.job.running


def test_the_hosts_own_uploads_have_no_budget(home):
    jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    tiny = UploadBudget(guest_max_bytes=1, guest_max_songs=1, all_guests_max_bytes=1)
    saved = import_uploads(jobs, DEFAULT_PROFILE_ID, [(f"{index}.mp3", song(0.5, 200)) for index in range(3)],
                           budget=tiny)
    assert [path.parent for path in saved] == [uploads_dir(DEFAULT_PROFILE_ID)] * 3
    assert jobs.job(DEFAULT_PROFILE_ID).wait(30)


def test_two_guests_uploading_at_once_cannot_both_take_the_last_room(guest, monkeypatch):
    other = private_memory_database("guest-budget-racing")
    keep_uploads_private(other)
    other_jobs = ImportJobs(analyser=analyze, suffixes=SUFFIXES)
    other_job = other_jobs.private_job(DEFAULT_PROFILE_ID, other)
    writing, go_on = threading.Event(), threading.Event()
    real_save = library_files.save_upload

    def slow_first(profile_id, name, data, target=None):
        if name == "first.mp3":  # the first guest's batch passed its check and is being written
            writing.set()
            go_on.wait(10)
        return real_save(profile_id, name, data, target)

    monkeypatch.setattr(library_files, "save_upload", slow_first)
    first = threading.Thread(target=guest.upload, args=(("first.mp3", song(0.1, 100)),))
    first.start()
    assert writing.wait(10)
    outcome: list[object] = []

    def upload_second() -> None:
        try:
            outcome.append(import_uploads(other_jobs, DEFAULT_PROFILE_ID, [("second.mp3", song(0.2, 100))],
                                          job=other_job, budget=guest.budget))
        except LibraryError as error:
            outcome.append(error)

    second = threading.Thread(target=upload_second)
    second.start()
    second.join(0.5)  # without the lock it would check now, before the first batch is on disk, and pass
    go_on.set()
    first.join(10)
    second.join(10)
    assert isinstance(outcome[0], LibraryError) and "all guests together" in str(outcome[0])  # 100 + 100 > 150
    assert [path.name for path in guest.folder.iterdir()] == ["first.mp3"]
    assert guest.job.wait(30)


def test_a_guest_who_left_stops_counting_even_while_their_store_waits_in_a_reference_cycle(guest):
    gone = private_memory_database("guest-budget-gone")
    gone_folder = keep_uploads_private(gone)
    fill(gone_folder, 100)
    gone.session = {"store": gone}  # as a Streamlit session's objects: freed only by a full collection
    del gone
    gc.disable()  # no automatic collection in between
    try:
        assert gone_folder.exists()
        saved = guest.upload(("mine.mp3", song(0.1, 100)))  # 100 + 100 > 150 unless the one who left is freed
    finally:
        gc.enable()
    assert [path.name for path in saved] == ["mine.mp3"] and not gone_folder.exists()
    assert guest.job.wait(30)
