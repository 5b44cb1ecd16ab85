"""A stand-in for the song analysis in library tests: a "song" is a small text file ``FAKE <valence> <arousal>``.

The library's logic (what is re-analysed, what is kept, progress, problems) does not depend on how a song is
placed; the end-to-end tests use the real ``analyze_song``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = frozenset({".mp3", ".flac", ".ogg", ".m4a", ".wav"})


@dataclass(frozen=True)
class FakeAnalysis:
    path: Path
    valence: float | None
    arousal: float | None
    duration_seconds: float | None
    title: str | None
    artist: str | None
    error: str | None


def write_song(path: Path, valence: float, arousal: float, title: str = "") -> Path:
    """A fake song at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"FAKE {valence} {arousal} {title}".strip().encode())
    return path


def analyze(path: Path) -> FakeAnalysis:
    """Parse a fake song; anything else gets a reason, like the real analysis."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return FakeAnalysis(Path(path), None, None, None, None, None, f"cannot be read: {error.strerror}")
    parts = data.decode("utf-8", "replace").split(maxsplit=3)
    if len(parts) < 3 or parts[0] != "FAKE":
        return FakeAnalysis(Path(path), None, None, None, None, None, "not an audio file")
    if len(parts) == 4 and parts[3] == "HANG":
        time.sleep(60)
    if len(parts) == 4 and parts[3] == "CRASH":
        raise SystemExit(3)
    return FakeAnalysis(Path(path), float(parts[1]), float(parts[2]), 180.0, parts[3] if len(parts) == 4 else None,
                        "Fake artist" if len(parts) == 4 else None, None)


def slow_analyze(path: Path) -> FakeAnalysis:
    """``analyze`` taking a tenth of a second, as a real song might."""
    time.sleep(0.1)
    return analyze(path)
