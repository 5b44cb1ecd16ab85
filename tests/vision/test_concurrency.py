"""One shipped ``EmotionPipeline`` shared by several threads (as Streamlit sessions share it) gives
every thread its own, correct answers: no crossed results, no interpreter errors."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from tests.conftest import paste_face
from tunex_core.paths import TFLITE_MODEL_FILE
from tunex_core.vision.pipeline import EmotionPipeline

THREADS = 3
PASSES = 4


@pytest.fixture(scope="module")
def litert_pipeline() -> EmotionPipeline:
    pytest.importorskip("ai_edge_litert.interpreter")
    if not TFLITE_MODEL_FILE.is_file():
        pytest.skip(f"shipped model {TFLITE_MODEL_FILE} is absent")
    return EmotionPipeline.load(backend="litert")


@pytest.fixture(scope="module")
def different_frames(face_bgr, fer_fixture) -> list[np.ndarray]:
    """Frames that each hold a different face: the photo at several sizes and places, mirrored,
    darkened, and with a FER-2013 face's expression blended over its face."""
    fer_faces, _ = fer_fixture
    frames = []
    for index in range(24):
        frame = np.full((480, 640, 3), 40 + 7 * index, np.uint8)
        face = face_bgr[:, ::-1] if index % 2 else face_bgr
        face = np.clip(face.astype(np.float32) * (0.7 + 0.03 * index), 0, 255).astype(np.uint8)
        width = 150 + 5 * index
        x, y, *_ = paste_face(frame, face, 120 + 8 * (index % 10), 90 + 4 * (index % 6), width)
        overlay = cv2.cvtColor(cv2.resize(fer_faces[index], (width, width)), cv2.COLOR_GRAY2BGR)
        region = frame[y: y + width, x: x + width]
        region[:] = cv2.addWeighted(region, 0.5, overlay, 0.5, 0)
        frames.append(frame)
    return frames


def run_in_threads(work, count: int) -> list:
    """Run ``work(thread_number)`` on ``count`` threads started together; return their results."""
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def target(number: int) -> None:
        barrier.wait()
        results[number] = work(number)

    threads = [threading.Thread(target=target, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.parametrize("method", ["process", "process_photo"])
def test_threads_sharing_one_pipeline_get_their_own_correct_answers(litert_pipeline, different_frames, method):
    analyse = getattr(litert_pipeline, method)
    expected = [analyse(frame) for frame in different_frames]
    assert sum(1 for faces in expected if faces) >= 12, "too few test frames with a detected face"
    labels = {faces[0].label for faces in expected if faces}
    probabilities = [faces[0].probabilities for faces in expected if faces]
    assert len(labels) >= 2 or np.ptp(np.stack(probabilities), axis=0).max() > 0.05, "the frames are too alike"

    def work(number: int) -> tuple[int, int]:
        wrong = errors = 0
        order = list(range(len(different_frames)))[number::1] + list(range(len(different_frames)))[:number]
        for _ in range(PASSES):
            for index in order:
                try:
                    faces = analyse(different_frames[index])
                except Exception:  # an interpreter shared between threads raises here
                    errors += 1
                    continue
                same = len(faces) == len(expected[index]) and all(
                    got.box == want.box and np.allclose(got.probabilities, want.probabilities, atol=1e-5)
                    for got, want in zip(faces, expected[index], strict=True))
                wrong += not same
        return wrong, errors

    results = run_in_threads(work, THREADS)
    wrong = sum(result[0] for result in results)
    errors = sum(result[1] for result in results)
    total = THREADS * PASSES * len(different_frames)
    assert (wrong, errors) == (0, 0), f"{wrong} wrong answers and {errors} errors in {total} calls"


def test_classifier_alone_is_safe_across_threads(litert_pipeline, fer_fixture):
    faces = fer_fixture[0][:30]
    expected = litert_pipeline.classify_faces(faces)

    def work(number: int) -> int:
        mismatches = 0
        for _ in range(PASSES):
            for index in range(number, len(faces), 1):
                try:
                    got = litert_pipeline.classify_faces(faces[index: index + 1])[0]
                except Exception:
                    mismatches += 1
                    continue
                mismatches += not np.allclose(got, expected[index], atol=1e-5)
        return mismatches

    assert sum(run_in_threads(work, THREADS)) == 0


def test_idle_engines_are_released_after_the_threads_leave(litert_pipeline, different_frames):
    run_in_threads(lambda number: litert_pipeline.process(different_frames[number]), THREADS)
    run_in_threads(lambda number: litert_pipeline.process_photo(different_frames[number]), THREADS)
    litert_pipeline.release_idle_engines(keep=1)
    assert litert_pipeline._detectors.created == 1 and litert_pipeline._photo_detectors.created == 1
    assert litert_pipeline.classifier.engines.created == 1
    assert litert_pipeline.process(different_frames[0])  # still works
    assert litert_pipeline.process_photo(different_frames[0])
