import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.music.audio.synthetic_audio import mark_as_drm, tone_signal, write_audio, write_long_audio, write_video
from tunex_core.music.audio import decoding
from tunex_core.music.audio.analysis import AUDIO_SUFFIXES, SongAnalysis, analyze_song
from tunex_core.music.audio.model import song_model


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("songs")
    calm = write_audio(folder / "calm.flac", tone_signal(40, frequency=220.0, beat_hz=0.5, noise=0.0, level=0.1),
                       tags={"title": "Calm Song", "artist": "Quiet Band"})
    busy = write_audio(folder / "busy.mp3", tone_signal(40, frequency=880.0, beat_hz=4.0, noise=0.3, seed=3))
    return {"calm": calm, "busy": busy}


def test_a_song_is_placed_on_the_plane_with_its_tags(songs):
    analysis = analyze_song(songs["calm"])
    assert isinstance(analysis, SongAnalysis) and analysis.ok, analysis.error
    assert 0.0 <= analysis.valence <= 1.0 and 0.0 <= analysis.arousal <= 1.0
    assert (analysis.title, analysis.artist) == ("Calm Song", "Quiet Band")
    assert analysis.duration_seconds == pytest.approx(40, abs=0.2)
    assert analysis.excerpt_start_seconds == pytest.approx(5, abs=0.2)
    untagged = analyze_song(songs["busy"])
    assert untagged.ok and untagged.title is None and untagged.artist is None


def test_a_loud_fast_noisy_song_is_more_aroused_than_a_soft_slow_tone(songs):
    assert analyze_song(songs["busy"]).arousal > analyze_song(songs["calm"]).arousal + 0.1


def bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input with a fragment of the reason it must get."""
    made = {}
    empty = folder / "empty.mp3"
    empty.write_bytes(b"")
    made["empty"] = (empty, "empty")
    whole = write_audio(folder / "whole.mp3", tone_signal(30)).read_bytes()
    truncated = folder / "truncated.mp3"
    truncated.write_bytes(whole[:2500])
    made["truncated"] = (truncated, "cut off")
    text = folder / "notes.mp3"
    text.write_text("these are my notes, not a song\n" * 30, encoding="utf-8")
    made["text"] = (text, "not a readable audio file")
    made["mute video"] = (write_video(folder / "mute.mp4", 2, with_audio=False), "video without an audio track")
    made["one second"] = (write_audio(folder / "blip.wav", tone_signal(1)), "too short")
    made["silence"] = (write_audio(folder / "silence.flac", tone_signal(20, level=0.0, noise=0.0)), "silent")
    made["drm"] = (mark_as_drm(write_audio(folder / "store.m4a", tone_signal(12))), "DRM")
    made["missing"] = (folder / "gone.ogg", "does not exist")
    made["folder"] = (folder, "folder")
    return made


def test_every_bad_file_gets_its_own_reason_and_nothing_raises(tmp_path):
    for name, (path, reason) in bad_files(tmp_path).items():
        analysis = analyze_song(path)
        assert analysis.error is not None and reason in analysis.error, (name, analysis.error)
        assert "\n" not in analysis.error and analysis.valence is None and analysis.arousal is None, name
        assert analysis.path == path


def test_an_unreadable_file_gets_a_reason(tmp_path, monkeypatch):
    path = write_audio(tmp_path / "locked.wav", tone_signal(8))

    def refuse(*_arguments, **_options):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(decoding, "open", refuse, raising=False)  # chmod 000 does not stop root
    assert "permission denied" in analyze_song(path).error


def test_a_video_with_sound_is_analysed_by_its_audio_track(tmp_path):
    analysis = analyze_song(write_video(tmp_path / "concert.mp4", 12, with_audio=True))
    assert analysis.ok, analysis.error
    assert 0 <= analysis.valence <= 1


def test_a_two_hour_recording_is_analysed_fast(tmp_path):
    path = write_long_audio(tmp_path / "radio show.mp3", 2 * 3600)
    started = time.perf_counter()
    analysis = analyze_song(path)
    assert analysis.ok, analysis.error
    assert time.perf_counter() - started < 5.0  # on a busy two-core machine; about 0.4 s alone
    assert analysis.duration_seconds == pytest.approx(7200, rel=0.02)
    assert analysis.excerpt_start_seconds > 3500


def test_a_non_utf8_file_name_is_analysed(tmp_path, songs):
    raw_name = os.path.join(os.fsencode(tmp_path), b"m\xfasica \xff.flac")
    with open(raw_name, "wb") as handle:
        handle.write(songs["calm"].read_bytes())
    analysis = analyze_song(Path(os.fsdecode(raw_name)))
    assert analysis.ok, analysis.error


def test_an_unexpected_failure_is_a_reason_not_a_crash(songs, monkeypatch):
    def broken(_path, **_options):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr("tunex_core.music.audio.analysis.decode_excerpt", broken)
    analysis = analyze_song(songs["calm"])
    assert analysis.error.startswith("could not be analysed") and "decoder exploded" in analysis.error


def test_threads_share_one_model_and_get_the_same_answers(songs):
    paths = [songs["calm"], songs["busy"]] * 3
    alone = {path: analyze_song(path) for path in songs.values()}
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(analyze_song, paths))
        models = list(pool.map(lambda _index: song_model(), range(6)))
    for path, analysis in zip(paths, together, strict=True):
        assert (analysis.valence, analysis.arousal) == (alone[path].valence, alone[path].arousal)
    assert all(model is models[0] for model in models)


def test_audio_suffixes_are_lower_case_and_audio_only():
    assert {".mp3", ".flac", ".ogg", ".m4a", ".wav", ".opus", ".aac"} <= AUDIO_SUFFIXES
    assert all(suffix == suffix.lower() and suffix.startswith(".") for suffix in AUDIO_SUFFIXES)
    assert not {".mp4", ".mkv", ".txt", ".jpg"} & AUDIO_SUFFIXES
