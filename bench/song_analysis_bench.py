"""Time ``analyze_song`` one song at a time: decode + features + model, per song, as the app runs it.

Songs: the first ``--count`` shared 4Q clips (30 s MP3s) and ``--long`` generated long recordings
(synthesised, written to a temporary folder: 5 minutes, 20 minutes and 2 hours). The model is
loaded once before timing (the app loads it once per process). Prints per-stage medians and the
per-song mean, median, 95th percentile and maximum.

    python bench/song_analysis_bench.py [--clips ../shared/data/music_emotion/clips] [--count 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.music.audio.synthetic_audio import tone_signal, write_audio, write_long_audio
from tunex_core.music.audio.analysis import analyze_song
from tunex_core.music.audio.decoding import decode_excerpt
from tunex_core.music.audio.features import feature_vector
from tunex_core.music.audio.model import song_model
from tunex_core.paths import SHARED_MUSIC_EMOTION_DIR


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{label}: n={len(seconds)} mean {statistics.mean(seconds):.3f} s, median {statistics.median(seconds):.3f} s, "
            f"p95 {p95:.3f} s, max {max(seconds):.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=SHARED_MUSIC_EMOTION_DIR / "clips")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--no-long", action="store_true", help="skip the generated long recordings")
    arguments = parser.parse_args()
    model = song_model()
    clips = sorted(arguments.clips.glob("*.mp3"))[: arguments.count]
    if not clips:
        print(f"no clips under {arguments.clips}; only the generated recordings are timed")
    with tempfile.TemporaryDirectory() as folder:
        long_files = []
        if not arguments.no_long:
            long_files.append(write_audio(Path(folder) / "five minutes.mp3", tone_signal(300, seed=1)))
            long_files.append(write_long_audio(Path(folder) / "twenty minutes.mp3", 20 * 60))
            long_files.append(write_long_audio(Path(folder) / "two hours.mp3", 2 * 3600))
        analyze_song(long_files[0] if long_files else clips[0])  # warm-up: first-call imports and caches
        totals, decode_times, feature_times, model_times = [], [], [], []
        for path in clips:
            started = time.perf_counter()
            analysis = analyze_song(path, model)
            totals.append(time.perf_counter() - started)
            if analysis.error:
                print(f"{path.name}: {analysis.error}")
            started = time.perf_counter()
            decoded = decode_excerpt(path)
            decode_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            features = feature_vector(decoded.samples)
            feature_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            model.predict_plane(features)
            model_times.append(time.perf_counter() - started)
        if clips:
            print(summary(f"analyze_song, {len(clips)} shared clips", totals))
            print(f"  stages (median): decode {np.median(decode_times):.3f} s, features {np.median(feature_times):.3f} s, "
                  f"model {np.median(model_times):.4f} s")
        for path in long_files:
            started = time.perf_counter()
            analysis = analyze_song(path, model)
            print(f"{path.name} ({analysis.duration_seconds:.0f} s long): {time.perf_counter() - started:.3f} s, "
                  f"error={analysis.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
