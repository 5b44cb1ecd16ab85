import os
import time

import numpy as np
import pytest

from tests.music.audio.synthetic_audio import CODECS, tone_signal, write_audio, write_long_audio, write_video
from tunex_core.music.audio import decoding
from tunex_core.music.audio.decoding import SAMPLE_RATE, AudioDecodeError, decode_excerpt, excerpt_start


@pytest.mark.parametrize("suffix", sorted(CODECS))
def test_each_format_decodes_to_mono_float32_at_the_analysis_rate(tmp_path, suffix):
    path = write_audio(tmp_path / f"song{suffix}", tone_signal(40, frequency=440.0),
                       tags={"title": "Sœur Title", "artist": "Somebody"})
    decoded = decode_excerpt(path)
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert decoded.sample_rate == SAMPLE_RATE
    assert decoded.samples.size == 30 * SAMPLE_RATE
    assert decoded.duration_seconds == pytest.approx(40, abs=0.2)
    assert decoded.start_seconds == pytest.approx(5, abs=0.2)  # the middle 30 s of 40
    assert (decoded.title, decoded.artist) == ("Sœur Title", "Somebody")
    # The decoded tone is the tone that was encoded: its strongest frequency is 440 Hz.
    spectrum = np.abs(np.fft.rfft(decoded.samples[:SAMPLE_RATE * 4]))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / (SAMPLE_RATE * 4)
    assert peak_hz == pytest.approx(440, abs=3)


def test_the_excerpt_is_the_middle_and_the_seek_lands_there(tmp_path):
    # 20 s of 300 Hz, then 20 s of 900 Hz, then 20 s of 300 Hz: the middle 30 s are mostly 900 Hz.
    signal = np.concatenate([tone_signal(20, frequency=300.0), tone_signal(20, frequency=900.0),
                             tone_signal(20, frequency=300.0)])
    decoded = decode_excerpt(write_audio(tmp_path / "three.flac", signal))
    assert decoded.start_seconds == pytest.approx(15, abs=0.1)
    second = decoded.samples[10 * SAMPLE_RATE:11 * SAMPLE_RATE]  # song time 25-26 s: the 900 Hz part
    peak_hz = np.argmax(np.abs(np.fft.rfft(second))) * SAMPLE_RATE / second.size
    assert peak_hz == pytest.approx(900, abs=3)
    assert excerpt_start(None) == 0.0 and excerpt_start(20.0) == 0.0 and excerpt_start(100.0) == 35.0


def test_a_two_hour_recording_is_read_by_seeking_not_whole(tmp_path):
    path = write_long_audio(tmp_path / "two hours.mp3", 2 * 3600)
    started = time.perf_counter()
    decoded = decode_excerpt(path)
    elapsed = time.perf_counter() - started
    assert decoded.duration_seconds == pytest.approx(7200, rel=0.02)
    assert decoded.start_seconds > 3500
    assert decoded.samples.size == 30 * SAMPLE_RATE
    assert elapsed < 2.0, elapsed  # decoding 2 hours would take far longer


def test_a_video_gives_its_audio_track_or_a_reason(tmp_path):
    with_sound = decode_excerpt(write_video(tmp_path / "clip.mp4", 12, with_audio=True))
    assert with_sound.samples.size == pytest.approx(12 * SAMPLE_RATE, rel=0.02)
    with pytest.raises(AudioDecodeError, match="video without an audio track"):
        decode_excerpt(write_video(tmp_path / "mute.mp4", 3, with_audio=False))


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b"hello, this is a text file and not a song\n" * 40, "not a readable audio file"),
    (os.urandom(40_000), "not a readable audio file"),
])
def test_non_audio_files_get_a_reason(tmp_path, content, reason):
    path = tmp_path / "song.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioDecodeError, match=reason):
        decode_excerpt(path)


def test_a_truncated_mp3_gives_what_it_holds_or_a_reason(tmp_path):
    whole = write_audio(tmp_path / "whole.mp3", tone_signal(40)).read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole[: len(whole) // 2])  # about 20 s of 40
    decoded = decode_excerpt(cut)
    assert 10 * SAMPLE_RATE < decoded.samples.size < 20 * SAMPLE_RATE
    assert decoded.duration_seconds < 25  # not the 40 s its header promises
    cut.write_bytes(whole[:3000])
    with pytest.raises(AudioDecodeError):
        decode_excerpt(cut)


def test_a_one_second_clip_is_too_short(tmp_path):
    with pytest.raises(AudioDecodeError, match="too short"):
        decode_excerpt(write_audio(tmp_path / "blip.wav", tone_signal(1)))


def test_missing_folder_and_unreadable_files_get_a_reason(tmp_path, monkeypatch):
    with pytest.raises(AudioDecodeError, match="does not exist"):
        decode_excerpt(tmp_path / "gone.mp3")
    with pytest.raises(AudioDecodeError, match="folder"):
        decode_excerpt(tmp_path)
    path = write_audio(tmp_path / "locked.wav", tone_signal(8))

    def refuse(*_arguments, **_options):
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, for whom chmod 000 changes nothing: the refusal is made by hand.
    monkeypatch.setattr(decoding, "open", refuse, raising=False)
    with pytest.raises(AudioDecodeError, match="permission denied"):
        decode_excerpt(path)


def test_non_utf8_file_names_are_read(tmp_path):
    raw_name = os.path.join(os.fsencode(tmp_path), b"caf\xe9 \xff.wav")
    source = write_audio(tmp_path / "source.wav", tone_signal(8))
    with open(raw_name, "wb") as handle:
        handle.write(source.read_bytes())
    decoded = decode_excerpt(os.fsdecode(raw_name))
    assert decoded.samples.size == pytest.approx(8 * SAMPLE_RATE, rel=0.01)
