"""Tests for ``tunex_core.personal.library_worker``: songs are analysed in a worker process that survives a hang and a
crash."""

from __future__ import annotations

from pathlib import Path

from tests.personal.library_fakes import SUFFIXES, write_song
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_import import ImportJob
from tunex_core.storage import DEFAULT_PROFILE_ID

FAKE_WORKER = "tests.personal.library_fakes:analyze"


def songs(profile_id: int = DEFAULT_PROFILE_ID):
    with LibraryStore(profile_id) as store:
        return {song.path.name: song for song in store.songs()}


def test_the_job_runs_in_a_worker_process_and_survives_a_hang_and_a_crash(home, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "1.mp3", 0.8, 0.7)
    write_song(music / "2.mp3", 0.1, 0.1, "HANG")
    write_song(music / "3.mp3", 0.1, 0.1, "CRASH")
    write_song(music / "4.mp3", 0.3, 0.6)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(music)
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=FAKE_WORKER, suffixes=SUFFIXES, song_timeout=2.0)
    job.add_folder(folder.id, folder.path)
    assert job.wait(60)
    found = songs()
    assert found["1.mp3"].placed and found["4.mp3"].placed
    assert "longer than 2 s" in found["2.mp3"].error
    assert "crashed" in found["3.mp3"].error
    assert job.progress().failed == 2


def test_the_workers_answer_has_the_names_and_types_of_the_song_analysis():
    """A field renamed in ``SongAnalysis`` would otherwise be read as None for every song, silently."""
    from dataclasses import fields

    from tunex_core.music.audio.analysis import SongAnalysis
    from tunex_core.personal.library_worker import RESULT_FIELDS, Analysis, analysis_fields

    song_fields = {field.name: field.type for field in fields(SongAnalysis)}
    assert {field.name: field.type for field in fields(Analysis)}.items() <= song_fields.items()
    assert set(song_fields) - set(RESULT_FIELDS) == {"path", "excerpt_start_seconds", "seconds_taken"}
    song = SongAnalysis(path=Path("a.mp3"), valence=0.25, arousal=0.5, duration_seconds=180.0, title="A", artist="B")
    assert Analysis(**analysis_fields(song)) == Analysis(0.25, 0.5, 180.0, "A", "B", None)
