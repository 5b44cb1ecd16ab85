"""Tests for ``tunex_core.personal.library``: folders and songs of a profile, what a re-import skips and picks up,
removing without touching files, uploads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.personal.library_fakes import SUFFIXES, analyze, write_song
from tunex_core.personal.library import FileState, LibraryStore, is_library_id, library_music_id
from tunex_core.personal.library_files import LibraryError, display_path, save_upload, uploads_dir
from tunex_core.personal.library_import import FINISHED, ImportJob
from tunex_core.personal.profiles import ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID


def import_folder(folder: Path, profile_id: int = DEFAULT_PROFILE_ID, analyser=analyze) -> tuple:
    with LibraryStore(profile_id) as store:
        added = store.add_folder(folder)
    job = ImportJob(profile_id, analyser=analyser, suffixes=SUFFIXES)
    job.add_folder(added.id, added.path)
    assert job.wait(60)
    return added, job.progress()


def songs(profile_id: int = DEFAULT_PROFILE_ID):
    with LibraryStore(profile_id) as store:
        return {song.path.name: song for song in store.songs()}


def test_songs_are_analysed_and_kept_with_their_figures(home, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "a.mp3", 0.8, 0.7, "Sunny")
    write_song(music / "album" / "b.flac", 0.2, 0.3)
    (music / "cover.jpg").write_bytes(b"not music")
    (music / "broken.mp3").write_bytes(b"garbage")
    _, progress = import_folder(music)
    assert progress.state == FINISHED
    assert (progress.done, progress.total, progress.failed, progress.other_files) == (3, 3, 1, 1)
    found = songs()
    assert set(found) == {"a.mp3", "b.flac", "broken.mp3"}
    assert (found["a.mp3"].valence, found["a.mp3"].arousal, found["a.mp3"].title) == (0.8, 0.7, "Sunny")
    assert found["a.mp3"].display_artist == "Fake artist" and found["b.flac"].display_title == "b"
    assert found["broken.mp3"].error == "not an audio file" and not found["broken.mp3"].placed
    assert all(is_library_id(song.music_id) for song in found.values())
    assert found["a.mp3"].music_id == library_music_id(music / "a.mp3")
    assert any("broken.mp3: not an audio file" in problem for problem in progress.problems)


def test_re_adding_skips_unchanged_songs_and_picks_up_new_and_changed_ones(home, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "a.mp3", 0.8, 0.7)
    write_song(music / "b.mp3", 0.2, 0.3)
    import_folder(music)
    first = songs()
    write_song(music / "b.mp3", 0.9, 0.9)  # changed: new size (and time)
    os.utime(music / "b.mp3", ns=(time.time_ns(), first["b.mp3"].modified_ns + 10**9))
    write_song(music / "c.mp3", 0.5, 0.5)  # new
    calls = []

    def counting(path):
        calls.append(Path(path).name)
        return analyze(path)

    _, progress = import_folder(music, analyser=counting)
    assert sorted(calls) == ["b.mp3", "c.mp3"]
    assert (progress.unchanged, progress.done, progress.total) == (1, 2, 2)
    again = songs()
    assert again["a.mp3"] == first["a.mp3"]
    assert (again["b.mp3"].valence, again["b.mp3"].arousal) == (0.9, 0.9)
    assert again["b.mp3"].music_id == first["b.mp3"].music_id  # the same song for likes and plays


def test_a_changed_modification_time_alone_means_analyse_again(home, tmp_path):
    music = tmp_path / "Music"
    song = write_song(music / "a.mp3", 0.8, 0.7)
    import_folder(music)
    stat = song.stat()
    os.utime(song, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    calls = []
    import_folder(music, analyser=lambda path: calls.append(path) or analyze(path))
    assert len(calls) == 1


def test_songs_deleted_from_disk_are_forgotten_on_the_next_import(home, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "a.mp3", 0.8, 0.7)
    gone = write_song(music / "b.mp3", 0.2, 0.3)
    import_folder(music)
    gone.unlink()
    import_folder(music)
    assert set(songs()) == {"a.mp3"}


def test_removing_a_folder_forgets_its_songs_and_keeps_every_file(home, tmp_path):
    music, other = tmp_path / "Music", tmp_path / "Other"
    files = [write_song(music / "a.mp3", 0.8, 0.7), write_song(music / "sub" / "b.mp3", 0.2, 0.3),
             write_song(other / "c.mp3", 0.5, 0.5)]
    before = {path: path.read_bytes() for path in files}
    folder, _ = import_folder(music)
    import_folder(other)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        assert store.remove_folder(folder.id) == 2
        assert [kept.label for kept in store.folders()] == [display_path(other)]
    assert set(songs()) == {"c.mp3"}
    assert {path: path.read_bytes() for path in files} == before


def test_a_song_inside_another_added_folder_stays_when_the_inner_folder_goes(home, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "rock" / "a.mp3", 0.8, 0.7)
    inner, _ = import_folder(music / "rock")
    outer, _ = import_folder(music)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        store.remove_folder(inner.id)
        assert [song.folder_id for song in store.songs()] == [outer.id]


def test_profiles_have_their_own_music_and_a_deleted_profile_takes_its_music_along(home, tmp_path):
    write_song(tmp_path / "Music" / "a.mp3", 0.8, 0.7)
    with ProfileStore() as profiles:
        sam = profiles.create("Sam")
    import_folder(tmp_path / "Music", sam.id)
    assert set(songs(sam.id)) == {"a.mp3"} and songs() == {}
    upload = save_upload(sam.id, "mine.mp3", b"FAKE 0.5 0.5")
    kept = save_upload(DEFAULT_PROFILE_ID, "theirs.mp3", b"FAKE 0.5 0.5")
    with ProfileStore() as profiles:
        profiles.delete(sam.id)
    with LibraryStore(sam.id) as store:
        assert store.songs() == () and store.folders() == ()
    assert not upload.exists() and kept.exists()  # TuneX's copies of Sam's uploads went with Sam
    assert (tmp_path / "Music" / "a.mp3").exists()  # never a file of Sam's own folders


def test_adding_something_that_is_not_a_folder_says_why(home, tmp_path):
    song = write_song(tmp_path / "a.mp3", 0.5, 0.5)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        with pytest.raises(LibraryError, match="does not exist"):
            store.add_folder(tmp_path / "missing")
        with pytest.raises(LibraryError, match="is not a folder"):
            store.add_folder(song)
        first = store.add_folder(tmp_path)
        assert store.add_folder(tmp_path) == first  # adding again is the same folder
        with pytest.raises(LibraryError):
            store.remove_folder(first.id + 100)


def test_uploads_are_kept_under_the_tunex_home_and_deleted_with_their_entry(home, tmp_path):
    first = save_upload(DEFAULT_PROFILE_ID, "../../etc/My song.mp3", b"FAKE 0.3 0.8 Upload")
    second = save_upload(DEFAULT_PROFILE_ID, "My song.mp3", b"FAKE 0.4 0.8")
    assert first.parent == second.parent == uploads_dir(DEFAULT_PROFILE_ID)
    assert str(first).startswith(str(home)) and (first.name, second.name) == ("My song.mp3", "My song (2).mp3")
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        uploads = store.uploads_folder()
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=analyze, suffixes=SUFFIXES)
    job.add_files(uploads.id, [first, second])
    assert job.wait(30)
    assert {song.title for song in songs().values()} == {"Upload", None}
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        assert store.folders()[0].label == "Uploaded files"
        store.remove_folder(uploads.id)
    assert not first.exists() and not second.exists()


def test_emptying_a_profile_keeps_its_music_and_its_export_leaves_it_out(home, tmp_path):
    write_song(tmp_path / "Music" / "a.mp3", 0.8, 0.7)
    import_folder(tmp_path / "Music")
    with ProfileStore() as profiles:
        profiles.clear(DEFAULT_PROFILE_ID)
        exported = profiles.export_json(DEFAULT_PROFILE_ID)
    assert set(songs()) == {"a.mp3"}
    assert "a.mp3" not in exported and str(tmp_path) not in exported


def test_removing_a_private_stores_uploads_deletes_the_copies(home):
    from tunex_core.personal.library_files import keep_uploads_private
    from tunex_core.storage import private_memory_database

    guest = private_memory_database("guest-test")
    folder = keep_uploads_private(guest)
    copy = save_upload(DEFAULT_PROFILE_ID, "song.mp3", b"FAKE 0.5 0.5", folder)
    with LibraryStore(DEFAULT_PROFILE_ID, database=guest) as store:
        uploads = store.uploads_folder()
        store.save_analysis(uploads.id, FileState(copy, 12, 1), analyze(copy))
        assert store.remove_folder(uploads.id) == 1
    assert not copy.exists() and folder.exists()


