"""End to end with the real song analysis (``analyze_song`` in the import's worker process): a folder holding
the bad input of issue 44 next to good songs. Every bad file gets its own reason, the good songs are placed,
nothing crashes or stalls. The songs are synthesised (``audio_fixtures``), never the shared clips."""

from __future__ import annotations

import os
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.personal.audio_fixtures import synthesised, write_tone_song
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_import import FINISHED, ImportJob
from tunex_core.storage import DEFAULT_PROFILE_ID

IMPORT_SECONDS = 180


def write_long_wav(path: Path, hours: float = 2.0, rate: int = 8000) -> Path:
    """A two-hour recording: 8 kHz, 8-bit mono (58 MB), written without encoding."""
    second = ((synthesised("calm", 1.0, rate=rate) * 2.5 + 1.0) * 127.5).clip(0, 255).astype(np.uint8).tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(1)
        handle.setframerate(rate)
        for _ in range(int(hours * 3600)):
            handle.writeframesraw(second)
    return path


@pytest.fixture(scope="module")
def bad_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("library") / "Music"
    write_tone_song(root / "bright.mp3", "bright", 10, title="Bright", artist="Synth")
    write_tone_song(root / "calm.flac", "calm", 10, seed=1)
    write_tone_song(root / "album" / "noise.ogg", "noise", 10, seed=2)
    write_tone_song(root / "album" / "tone.m4a", "bright", 10, seed=3)
    (root / "empty.mp3").write_bytes(b"")
    whole = (root / "bright.mp3").read_bytes()
    (root / "truncated.mp3").write_bytes(whole[: len(whole) // 8])
    (root / "text.mp3").write_text("not a song\n" * 200)
    write_tone_song(root / "one second.wav", "bright", 1.0)
    write_tone_song(root / "silence.wav", "silence", 10)
    write_long_wav(root / "two hours.wav")
    unreadable = write_tone_song(root / "unreadable.mp3", "calm", 10, seed=4)
    os.chmod(unreadable, 0)
    odd = os.fsencode(root) + b"/caf\xe9"
    os.makedirs(odd)
    with open(odd + b"/\xff song.flac", "wb") as handle:
        handle.write((root / "calm.flac").read_bytes())
    (root / "album" / "loop").symlink_to(root)
    os.mkfifo(root / "pipe.mp3")
    for index in range(300):
        (root / "scans" / f"page{index}.txt").parent.mkdir(exist_ok=True)
        (root / "scans" / f"page{index}.txt").write_text("x")
    yield root
    os.chmod(unreadable, 0o644)


def test_bad_files_get_reasons_and_good_songs_are_placed(home, bad_folder):
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(bad_folder)
    job = ImportJob(DEFAULT_PROFILE_ID)
    started = time.monotonic()
    job.add_folder(folder.id, folder.path)
    assert job.wait(IMPORT_SECONDS), f"the import did not end in {IMPORT_SECONDS} s"
    seconds = time.monotonic() - started
    progress = job.progress()
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        songs = {os.fsencode(song.path.name): song for song in store.songs()}
    assert progress.state == FINISHED and progress.other_files == 300, progress
    placed = {name for name, song in songs.items() if song.placed}
    root_reads_everything = os.access(bad_folder / "unreadable.mp3", os.R_OK)
    expected = {b"bright.mp3", b"calm.flac", b"noise.ogg", b"tone.m4a", b"two hours.wav", b"\xff song.flac"}
    assert placed == expected | ({b"unreadable.mp3"} if root_reads_everything else set())
    for song in songs.values():
        if song.placed:
            assert 0.0 <= song.valence <= 1.0 and 0.0 <= song.arousal <= 1.0
    failed = {name: song.error for name, song in songs.items() if not song.placed}
    assert set(failed) == {b"empty.mp3", b"truncated.mp3", b"text.mp3", b"one second.wav", b"silence.wav"} | (
        set() if root_reads_everything else {b"unreadable.mp3"})
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert "empty" in failed[b"empty.mp3"] and "short" in failed[b"one second.wav"]
    assert songs[b"bright.mp3"].title == "Bright" and songs[b"bright.mp3"].artist == "Synth"
    assert 7000 < songs[b"two hours.wav"].duration_seconds < 7400
    assert any("pipe.mp3: not a regular file" in problem for problem in progress.problems)
    print(f"imported {len(songs)} files in {seconds:.1f} s")  # the worker's start included
