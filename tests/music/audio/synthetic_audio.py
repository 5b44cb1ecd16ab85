"""Audio files made for tests with numpy and PyAV (no ffmpeg binary, no shared clips)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

RATE = 22_050
# container format, codec, sample format of the codec's input
CODECS = {
    ".mp3": ("mp3", "libmp3lame", "fltp"),
    ".flac": ("flac", "flac", "s16"),
    ".wav": ("wav", "pcm_s16le", "s16"),
    ".ogg": ("ogg", "libopus", "flt"),
    ".opus": ("ogg", "libopus", "flt"),
    ".m4a": ("ipod", "aac", "fltp"),
}


def tone_signal(seconds: float, rate: int = RATE, frequency: float = 440.0, beat_hz: float = 2.0,
                noise: float = 0.05, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """A pulsing tone with a little noise: mono float32 in -1..1."""
    generator = np.random.default_rng(seed)
    time_axis = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 * (1.0 + np.sin(2 * np.pi * beat_hz * time_axis)) ** 2
    signal = level * (np.sin(2 * np.pi * frequency * time_axis) + 0.5 * np.sin(2 * np.pi * 1.5 * frequency * time_axis))
    signal = signal * envelope + noise * generator.standard_normal(time_axis.size)
    return np.clip(signal, -1, 1).astype(np.float32)


def write_audio(path: Path, samples: np.ndarray, rate: int = RATE, tags: dict[str, str] | None = None,
                suffix: str | None = None) -> Path:
    """Encode mono ``samples`` into ``path`` with the codec its suffix (or ``suffix``) calls for."""
    container_format, codec, sample_format = CODECS[suffix or path.suffix]
    if codec == "libopus":
        rate = 48_000 if rate != 48_000 else rate
        samples = np.interp(np.arange(int(len(samples) * 48_000 / RATE)) * RATE / 48_000,
                            np.arange(len(samples)), samples).astype(np.float32)
    with av.open(str(path), mode="w", format=container_format) as container:
        for key, value in (tags or {}).items():
            container.metadata[key] = value
        stream = container.add_stream(codec, rate=rate, layout="mono")
        frame_size = stream.codec_context.frame_size or 1024
        integer = sample_format == "s16"
        data = (np.clip(samples, -1, 1) * 32767).astype(np.int16) if integer else samples.astype(np.float32)
        pts = 0
        for start in range(0, len(data), frame_size):
            chunk = data[start:start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format=sample_format, layout="mono")
            frame.sample_rate = rate
            frame.pts = pts
            frame.time_base = Fraction(1, rate)
            pts += len(chunk)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_long_audio(path: Path, seconds: float, rate: int = 8_000) -> Path:
    """A long recording made cheaply: one minute of low-rate constant-bit-rate MP3, its frames repeated.

    MP3 frames stand alone, so the repeated bytes are a valid file; without a Xing header a decoder
    estimates the duration from the size and the bit rate, as for many real recordings.
    """
    minute = path.with_name(path.stem + "_minute.mp3")
    with av.open(str(minute), mode="w", format="mp3", options={"write_xing": "0", "id3v2_version": "0"}) as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.codec_context.bit_rate = 16_000
        frame_size = stream.codec_context.frame_size or 1152
        block = tone_signal(60, rate=rate, frequency=330.0)
        for start in range(0, len(block), frame_size):
            frame = av.AudioFrame.from_ndarray(block[start:start + frame_size].reshape(1, -1), format="fltp",
                                               layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    data = minute.read_bytes()
    minute.unlink()
    with open(path, "wb") as handle:
        for _minute in range(int(np.ceil(seconds / 60))):
            handle.write(data)
    return path


def write_video(path: Path, seconds: float, with_audio: bool) -> Path:
    """A small MP4 (MPEG-4 video of a moving grey square, and AAC audio when ``with_audio``)."""
    with av.open(str(path), mode="w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=RATE, layout="mono") if with_audio else None
        for index in range(int(seconds * 10)):
            image = np.full((48, 64, 3), 40, dtype=np.uint8)
            image[:, (index * 3) % 64:(index * 3) % 64 + 8] = 200
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if audio is not None:
            samples = tone_signal(seconds)
            frame_size = audio.codec_context.frame_size or 1024
            for start in range(0, len(samples), frame_size):
                frame = av.AudioFrame.from_ndarray(samples[start:start + frame_size].reshape(1, -1), format="fltp",
                                                   layout="mono")
                frame.sample_rate = RATE
                frame.pts = start
                frame.time_base = Fraction(1, RATE)
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode(None):
                container.mux(packet)
    return path


def mark_as_drm(m4a_path: Path) -> Path:
    """Turn an AAC ``.m4a`` into what an iTunes FairPlay file looks like: sample entry ``drms`` instead of ``mp4a``."""
    data = bytearray(m4a_path.read_bytes())
    index = data.find(b"mp4a")
    assert index > 0, "no mp4a sample entry"
    data[index:index + 4] = b"drms"
    m4a_path.write_bytes(bytes(data))
    return m4a_path
