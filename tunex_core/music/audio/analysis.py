"""Analyse one song file: its valence and arousal on the catalog's plane, its tags, or why it failed.

``analyze_song`` never raises for a bad file: every failure comes back as ``SongAnalysis.error``, one
line a person can act on. It is safe to call from several threads at once (the model is loaded once,
under a lock, and is read-only; decoding and features use only local state).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from tunex_core.errors import ModelFileError
from tunex_core.music.audio.decoding import AudioDecodeError, decode_excerpt
from tunex_core.music.audio.features import SilentAudioError, feature_vector
from tunex_core.music.audio.model import SongEmotionModel, song_model

AUDIO_SUFFIXES: frozenset[str] = frozenset({
    ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".m4b", ".aac", ".wav", ".wave", ".aif", ".aiff",
    ".aifc", ".wma", ".alac", ".ape", ".wv", ".mka", ".mpc", ".spx", ".au", ".caf", ".dsf", ".tta",
})
"""File-name endings (lower case) that a music folder's songs have; video files are analysed only when named."""


@dataclass(frozen=True)
class SongAnalysis:
    """What ``analyze_song`` found: a place on the catalog's 0..1 plane, or ``error`` saying why not."""

    path: Path
    valence: float | None = None  # the catalog's 0..1 plane
    arousal: float | None = None
    duration_seconds: float | None = None
    title: str | None = None  # from the file's tags when present
    artist: str | None = None
    error: str | None = None  # one clear reason when the song could not be analysed
    excerpt_start_seconds: float | None = None  # where the analysed 30 s begin
    seconds_taken: float | None = None

    @property
    def ok(self) -> bool:
        """True when the song was placed on the plane."""
        return self.error is None


def analyze_song(path: Path, model: SongEmotionModel | None = None) -> SongAnalysis:
    """Decode the middle 30 s of the song at ``path``, describe them and place the song on the plane.

    ``model`` defaults to the shipped model (``models/song_emotion.npz``), loaded once per process.
    Never raises for a bad file, a missing model or an unexpected decoder failure: ``error`` says why.
    """
    started = time.perf_counter()
    path = Path(path)
    title = artist = duration = start = None
    try:
        model = model or song_model()
        decoded = decode_excerpt(path)
        title, artist, duration, start = decoded.title, decoded.artist, decoded.duration_seconds, decoded.start_seconds
        features = feature_vector(decoded.samples)
        if not np.all(np.isfinite(features)):
            raise AudioDecodeError("the audio gave no usable features (damaged?)")
        placed = model.predict_plane(features)
        valence, arousal = float(placed["valence"][0]), float(placed["arousal"][0])
        return SongAnalysis(path=path, valence=valence, arousal=arousal, duration_seconds=duration, title=title,
                            artist=artist, excerpt_start_seconds=start,
                            seconds_taken=time.perf_counter() - started)
    except (AudioDecodeError, SilentAudioError, ModelFileError) as error:
        reason = str(error)
    except MemoryError:
        reason = "not enough memory to decode this file"
    except (av.error.FFmpegError, OSError, ValueError, RuntimeError) as error:
        reason = f"could not be analysed ({type(error).__name__}: {str(error).splitlines()[0][:160] if str(error) else ''})"
    except Exception as error:
        reason = f"could not be analysed (unexpected {type(error).__name__})"
    return SongAnalysis(path=path, duration_seconds=duration, title=title, artist=artist, error=reason,
                        excerpt_start_seconds=start, seconds_taken=time.perf_counter() - started)
