"""Would still photos be read better with more views of each face than the live video's two?

A still photo is analysed once, so it can afford what a video frame cannot: more views per face.
Each FER-2013 face is upscaled 4x onto a gray canvas and found again by the app's Haar cascade
(as in ``bench/margin_study.py``), so the crops carry the box-to-box variation of real detections;
then each way of reading a face is scored against the app's (the face and its mirror image) on
the same faces, with the exact McNemar test on the faces only one of them gets right.

    python bench/still_photo_tta.py [--split val] [--model MODEL] [--limit N]

Choices are made on PublicTest (``val``); ``--split test`` is for one confirmation afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from margin_study import moved_box, redetect  # the bench folder is on the path: this script's own

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.dataset import load_fer
from tunex_core.training.evaluation import compare_paired
from tunex_core.vision.faces import crop_face
from tunex_core.vision.pipeline import EmotionPipeline

# name: (test-time augmentation of each crop, scales of the crop around the Haar box)
READINGS = {
    "face + mirror (the app)": ("flip", (1.0,)),
    "10 views: + shifted 2 px": ("shift", (1.0,)),
    "6 views: scales 0.95, 1, 1.05": ("flip", (0.95, 1.0, 1.05)),
    "6 views: scales 0.9, 1, 1.1": ("flip", (0.9, 1.0, 1.1)),
    "4 views: scales 1, 1.1 (photos)": ("flip", (1.0, 1.1)),  # margins 0 and 0.05: PHOTO_MARGINS
}


def main() -> int:
    """Print accuracy per way of reading re-detected faces, paired against the app's reading."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--split", default="val", choices=("val", "test"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--limit", type=int, default=None)
    arguments = parser.parse_args()
    split = load_fer(arguments.data).split(arguments.split)
    faces, labels = split.faces[: arguments.limit], split.labels[: arguments.limit]
    pipeline = EmotionPipeline.load(arguments.model, backend="tensorflow")
    kept, canvases, boxes = redetect(faces)
    truth = labels[np.array(kept)]
    print(f"{arguments.split}: {len(faces)} faces, Haar found {len(kept)} ({len(kept) / len(faces):.1%})")
    crops_by_scale = {}
    predicted = {}
    for name, (tta, scales) in READINGS.items():
        started = time.perf_counter()
        probabilities = 0.0
        for scale in scales:
            if scale not in crops_by_scale:
                crops_by_scale[scale] = np.stack([crop_face(canvas, moved_box(box, 0.0, scale), 0.0)
                                                  for canvas, box in zip(canvases, boxes, strict=True)])
            probabilities = probabilities + pipeline.classifier.predict_in_batches(crops_by_scale[scale], tta=tta)
        predicted[name] = np.argmax(probabilities, axis=1)
        print(f"  {name}: scored in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    reference = next(iter(READINGS))
    print(f"{'reading':<32}{'accuracy':>10}{'only app / only this':>22}{'difference (95%)':>26}{'p':>8}")
    for name, labels_predicted in predicted.items():
        comparison = compare_paired(predicted[reference], labels_predicted, truth)
        low, high = comparison.interval
        print(f"{name:<32}{comparison.second_accuracy:>10.2%}"
              f"{f'{comparison.only_first_right} / {comparison.only_second_right}':>22}"
              f"{f'{100 * comparison.difference:+.2f} ({100 * low:+.2f}, {100 * high:+.2f})':>26}"
              f"{comparison.p_value:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
