"""Songs made on the fly for end-to-end tests (synthesised tones and noise, written with PyAV): no shared clip
and no recording is ever needed. ``write_song_file`` picks the codec from the file's suffix."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

RATE = 44_100
# suffix -> (container format, codec, sample format, rate)
CODECS = {
    ".wav": ("wav", "pcm_s16le", "s16", RATE),
    ".flac": ("flac", "flac", "s16", RATE),
    ".mp3": ("mp3", "libmp3lame", "fltp", RATE),
    ".ogg": ("ogg", "libopus", "flt", 48_000),
    ".m4a": ("ipod", "aac", "fltp", RATE),
}


def synthesised(kind: str, seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """Mono float32 audio: ``bright`` (a fast, loud major arpeggio with a beat), ``calm`` (a slow, soft low
    chord), ``noise`` (white noise), ``silence``."""
    times = np.arange(int(seconds * rate)) / rate
    generator = np.random.default_rng(seed)
    if kind == "silence":
        return np.zeros_like(times, dtype=np.float32)
    if kind == "noise":
        return (0.3 * generator.standard_normal(times.size)).astype(np.float32)
    if kind == "bright":
        notes = np.array([523.25, 659.25, 783.99, 1046.5])
        step = (times * 8).astype(int) % notes.size  # eight notes a second
        tone = np.sin(2 * np.pi * notes[step] * times)
        beat = (np.sin(2 * np.pi * 2.5 * times) > 0.6) * 0.3 * generator.standard_normal(times.size)
        return (0.5 * tone + beat).astype(np.float32)
    if kind == "calm":
        chord = sum(np.sin(2 * np.pi * frequency * times) for frequency in (110.0, 130.81, 164.81)) / 3
        return (0.2 * chord * (0.6 + 0.4 * np.sin(2 * np.pi * 0.1 * times))).astype(np.float32)
    raise ValueError(f"unknown kind {kind!r}")


def write_song_file(path: Path, samples: np.ndarray, rate: int = RATE, title: str | None = None,
                    artist: str | None = None) -> Path:
    """Encode mono ``samples`` at ``path`` (codec by suffix, see ``CODECS``), with title/artist tags when given."""
    container_format, codec, sample_format, codec_rate = CODECS[path.suffix.lower()]
    if codec_rate != rate:
        positions = np.arange(int(samples.size * codec_rate / rate)) * rate / codec_rate
        samples = np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=container_format) as container:
        if title:
            container.metadata["title"] = title
        if artist:
            container.metadata["artist"] = artist
        stream = container.add_stream(codec, rate=codec_rate, layout="mono")
        stream.format = sample_format
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, samples.size, frame_size):
            chunk = samples[start:start + frame_size]
            if sample_format == "s16":
                data = (np.clip(chunk, -1, 1) * 32767).astype(np.int16)[None, :]
            else:
                data = chunk.astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(data, format=sample_format, layout="mono")
            frame.sample_rate = codec_rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_tone_song(path: Path, kind: str = "bright", seconds: float = 12.0, title: str | None = None,
                    artist: str | None = None, seed: int = 0) -> Path:
    """``synthesised(kind, seconds)`` written at ``path``."""
    return write_song_file(path, synthesised(kind, seconds, seed=seed), title=title, artist=artist)
