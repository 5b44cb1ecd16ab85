"""Decode the part of a song that is analysed: mono float32 at ``SAMPLE_RATE``, read with PyAV.

Only the excerpt is decoded: the demuxer seeks to it, so a two-hour recording costs about as much as
a three-minute song. Every failure becomes ``AudioDecodeError`` with a one-line reason a person can
act on (empty, not audio, no audio track, DRM, unreadable, too short, cut off), never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tunex_core.files import FileReadError, regular_file_status

SAMPLE_RATE = 22_050
"""Analysis rate: the training clips' rate (22,050 Hz mono); higher bands add little to mood."""
EXCERPT_SECONDS = 30.0
MIN_SECONDS = 5.0
"""Shorter songs are refused: five seconds hold too little rhythm and harmony to place a song."""
DECODE_TIME_LIMIT_SECONDS = 20.0
"""Wall-clock bound for one file, so a pathological file cannot stall an import."""
MAX_BAD_PACKETS = 50
# Sample-entry codes of encrypted audio in MP4/M4A: iTunes FairPlay (``drms``) and Common Encryption (``enca``).
ENCRYPTED_CODEC_TAGS = frozenset({"drms", "enca", "drmi", "p608"})


class AudioDecodeError(ValueError):
    """A song could not be decoded; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class DecodedAudio:
    """The decoded excerpt and what the container says about the whole song."""

    samples: np.ndarray  # mono float32 at SAMPLE_RATE
    sample_rate: int
    duration_seconds: float | None  # the whole song's, from the container (None when it does not say)
    start_seconds: float  # where the excerpt begins in the song
    title: str | None
    artist: str | None


def _tag(metadata: dict, *names: str) -> str | None:
    lowered = {str(key).lower(): value for key, value in metadata.items()}
    for name in names:
        value = lowered.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _open_checked(path: Path):
    """The file opened for binary reading, after refusing what is not a readable, non-empty regular file."""
    try:
        status = regular_file_status(path, "a song")
    except FileReadError as error:
        raise AudioDecodeError(str(error)) from error
    if status.st_size == 0:
        raise AudioDecodeError("the file is empty (0 bytes)")
    try:
        return open(path, "rb")
    except PermissionError as error:
        raise AudioDecodeError("permission denied: the file cannot be read") from error
    except OSError as error:
        raise AudioDecodeError(f"the file cannot be opened: {error.strerror or error}") from error


def _codec_tag(stream) -> str:
    try:
        return str(stream.codec_context.codec_tag or "").strip().lower()
    except Exception:
        return ""


def _container_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
        if seconds > 0:
            return seconds
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


class _Reader:
    """Decodes one audio stream from a position, resampled to mono float32 at SAMPLE_RATE."""

    def __init__(self, container, stream, deadline: float) -> None:
        self.container = container
        self.stream = stream
        self.deadline = deadline

    def read(self, start_seconds: float, seconds: float) -> np.ndarray:
        """``seconds`` of audio from ``start_seconds`` (fewer where the song ends or breaks off)."""
        if start_seconds > 0:
            try:
                self.container.seek(int(start_seconds * av.time_base), backward=True, any_frame=False)
            except av.error.FFmpegError:
                start_seconds = 0.0  # an unseekable stream is read from the start
                self.container.seek(0)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        wanted = int(seconds * SAMPLE_RATE)
        pieces: list[np.ndarray] = []
        have = 0
        skip_until = start_seconds
        bad_packets = 0
        packets = self.container.demux(self.stream)
        while have < wanted:
            if time.monotonic() > self.deadline:
                raise AudioDecodeError(f"decoding took over {DECODE_TIME_LIMIT_SECONDS:.0f} s (a damaged file?)")
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError:
                bad_packets += 1
                if bad_packets > MAX_BAD_PACKETS:
                    break
                continue
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError):
                bad_packets += 1
                if bad_packets > MAX_BAD_PACKETS:
                    break
                continue
            for frame in frames:
                frame_start = float(frame.time) if frame.time is not None else None
                frame.pts = None  # the resampler keeps its own clock; seeking makes timestamps jump
                for converted in resampler.resample(frame):
                    chunk = converted.to_ndarray().reshape(-1)
                    if frame_start is not None and frame_start < skip_until:
                        drop = round((skip_until - frame_start) * SAMPLE_RATE)
                        chunk = chunk[drop:]
                        frame_start += drop / SAMPLE_RATE
                    if chunk.size:
                        pieces.append(chunk)
                        have += chunk.size
        if have < wanted:
            for converted in resampler.resample(None):
                pieces.append(converted.to_ndarray().reshape(-1))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces)[:wanted].astype(np.float32, copy=False)


def excerpt_start(duration_seconds: float | None, excerpt_seconds: float = EXCERPT_SECONDS) -> float:
    """Where the middle ``excerpt_seconds`` of a song of ``duration_seconds`` begin (0 when unknown or short)."""
    if duration_seconds is None or duration_seconds <= excerpt_seconds:
        return 0.0
    return (duration_seconds - excerpt_seconds) / 2.0


def decode_excerpt(path: str | Path, excerpt_seconds: float = EXCERPT_SECONDS,
                   choose_start: Callable[[float | None], float] | None = None) -> DecodedAudio:
    """Decode ``excerpt_seconds`` of the song at ``path`` (by default its middle) as mono float32.

    ``choose_start`` maps the song's duration (None when unknown) to the excerpt's start in seconds.
    Raises ``AudioDecodeError`` with a one-line reason when the file cannot give that much audio.
    """
    path = Path(path)
    deadline = time.monotonic() + DECODE_TIME_LIMIT_SECONDS
    handle = _open_checked(path)
    try:
        try:
            container = av.open(handle, mode="r", metadata_errors="replace")
        except av.error.InvalidDataError as error:
            raise AudioDecodeError("not a readable audio file (an unknown format, or damaged)") from error
        except av.error.FFmpegError as error:
            raise AudioDecodeError(f"the file cannot be read as audio: {_short(error)}") from error
        except (PermissionError, OSError) as error:
            raise AudioDecodeError(f"the file cannot be read: {error.strerror or error}") from error
        with container:
            if not container.streams.audio:
                kind = "a video without an audio track" if container.streams.video else "no audio track inside"
                raise AudioDecodeError(f"nothing to listen to: {kind}")
            stream = container.streams.audio[0]
            if _codec_tag(stream) in ENCRYPTED_CODEC_TAGS:
                raise AudioDecodeError("DRM-protected (encrypted) audio: TuneX cannot play or analyse it")
            if stream.codec_context is None or not stream.codec_context.name:
                raise AudioDecodeError("the audio codec is not supported")
            metadata = {**dict(stream.metadata), **dict(container.metadata)}
            duration = _container_duration(container, stream)
            start = (choose_start or (lambda seconds: excerpt_start(seconds, excerpt_seconds)))(duration)
            reader = _Reader(container, stream, deadline)
            samples = reader.read(start, excerpt_seconds)
            if samples.size < MIN_SECONDS * SAMPLE_RATE and start > 0:
                samples, start = reader.read(0.0, excerpt_seconds), 0.0  # a wrong duration in the header
            if samples.size == 0:
                raise AudioDecodeError("no audio could be decoded (a damaged or cut-off file?)")
            decoded_seconds = samples.size / SAMPLE_RATE
            if decoded_seconds < MIN_SECONDS and duration is not None and start + decoded_seconds < duration - 1.0:
                raise AudioDecodeError(f"cut off or damaged: only {decoded_seconds:.1f} s of its {duration:.0f} s "
                                       "could be decoded")
            if decoded_seconds < MIN_SECONDS:
                raise AudioDecodeError(f"too short to analyse: {decoded_seconds:.1f} s of audio (at least "
                                       f"{MIN_SECONDS:.0f} s needed)")
            if duration is not None and samples.size < excerpt_seconds * SAMPLE_RATE:
                duration = min(duration, start + decoded_seconds)  # the file ends early (cut off)
            if not np.all(np.isfinite(samples)):
                samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
            return DecodedAudio(samples=samples, sample_rate=SAMPLE_RATE, duration_seconds=duration,
                                start_seconds=start, title=_tag(metadata, "title"),
                                artist=_tag(metadata, "artist", "album_artist", "performer", "composer"))
    finally:
        handle.close()


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:160]
