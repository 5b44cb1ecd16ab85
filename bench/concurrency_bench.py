"""How best to share the emotion pipeline between live sessions: a lock, or an engine per thread?

Each of N threads (one per simulated viewer) runs ``EmotionPipeline.process`` on a 640x480 frame
with the test face, as fast as it can, for a few seconds. Printed per strategy: analyses per
second per viewer (slowest viewer) and in total, and the median latency of one analysis.

Strategies:
  lock            one detector + one interpreter behind a lock (sessions take turns)
  pool            each thread borrows its own detector + interpreter (``tunex_core.vision.pool``)
Each with LiteRT ``num_threads`` 1 or 2 and OpenCV's own thread pool on (default) or off.

    .venv/bin/python bench/concurrency_bench.py --viewers 1 3 --seconds 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tunex_core.paths import TFLITE_MODEL_FILE
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.pipeline import EmotionPipeline, _stored_temperature

FACE_PHOTO = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "face.jpg"


def test_frame() -> np.ndarray:
    """640x480 with the fixture face in the middle (as the fake camera shows it)."""
    face = cv2.imread(str(FACE_PHOTO), cv2.IMREAD_COLOR)
    frame = np.zeros((480, 640, 3), np.uint8)
    side = 480
    face = cv2.resize(face, (side, side))
    frame[:, (640 - side) // 2: (640 + side) // 2] = face
    return frame


class LockedPipeline:
    """The pipeline behind one lock: callers take turns."""

    def __init__(self, pipeline: EmotionPipeline):
        self.pipeline = pipeline
        self.lock = threading.Lock()

    def process(self, frame):
        with self.lock:
            return self.pipeline.process(frame)


def measure(pipeline, viewers: int, seconds: float, frame: np.ndarray) -> tuple[float, float, float]:
    """(slowest viewer's analyses/s, total analyses/s, median ms per analysis)."""
    counts = [0] * viewers
    latencies: list[float] = []
    barrier = threading.Barrier(viewers)
    stop_at = [0.0]

    def viewer(number: int) -> None:
        barrier.wait()
        if number == 0:
            stop_at[0] = time.perf_counter() + seconds
        while not stop_at[0]:
            time.sleep(0.001)
        while time.perf_counter() < stop_at[0]:
            started = time.perf_counter()
            pipeline.process(frame)
            latencies.append((time.perf_counter() - started) * 1000)
            counts[number] += 1

    threads = [threading.Thread(target=viewer, args=(number,)) for number in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return min(counts) / seconds, sum(counts) / seconds, statistics.median(latencies)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seconds", type=float, default=4.0)
    arguments = parser.parse_args(argv)
    frame = test_frame()
    temperature = _stored_temperature(TFLITE_MODEL_FILE.parent / "metrics.json")
    default_cv_threads = cv2.getNumThreads()
    print(f"cores: {len(__import__('os').sched_getaffinity(0))}, OpenCV threads by default: {default_cv_threads}")
    print(f"{'strategy':<8} {'litert':>6} {'opencv':>6} {'viewers':>7} {'per viewer/s':>12} {'total/s':>8} "
          f"{'median ms':>9}")
    for cv_threads in (default_cv_threads, 1):
        cv2.setNumThreads(cv_threads)
        for litert_threads in (1, 2):
            for strategy in ("lock", "pool"):
                classifier = EmotionClassifier.from_tflite(TFLITE_MODEL_FILE, temperature=temperature,
                                                           threads=litert_threads)
                pipeline = EmotionPipeline(classifier)
                pipeline.process(frame)
                shared = LockedPipeline(pipeline) if strategy == "lock" else pipeline
                for viewers in arguments.viewers:
                    slowest, total, median = measure(shared, viewers, arguments.seconds, frame)
                    print(f"{strategy:<8} {litert_threads:>6} {cv_threads:>6} {viewers:>7} {slowest:>12.1f} "
                          f"{total:>8.1f} {median:>9.1f}", flush=True)
    cv2.setNumThreads(default_cv_threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
