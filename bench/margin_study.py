"""How much margin around the Haar box reproduces FER-2013's framing best?

FER-2013 faces are already crops. Each PublicTest face is upscaled 4x (to the
size of a webcam face), placed with context padding, run through the product's
Haar detector, and re-cropped from the detected box with several margins; the
crops are classified and the accuracy per margin is compared with the accuracy
on the original crops. PublicTest is the selection split, so choosing the
margin here does not touch PrivateTest.

    python bench/margin_study.py [--data ../shared/data/fer2013/fer2013.npz] [--limit 3589]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.dataset import load_fer
from tunex_core.vision.faces import Box, FaceDetector, crop_face
from tunex_core.vision.pipeline import EmotionPipeline

MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
UPSCALE = 4


def main() -> int:
    """Print accuracy per margin on PublicTest faces re-detected by the Haar cascade."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default=None)
    arguments = parser.parse_args()
    split = load_fer(arguments.data).split("val")
    faces, labels = split.faces[: arguments.limit], split.labels[: arguments.limit]
    pipeline = EmotionPipeline.load(arguments.model, backend="tensorflow")
    detector = FaceDetector(detection_width=10_000)  # detect at full resolution here
    pad = 48 * UPSCALE // 2
    crops = {margin: [] for margin in MARGINS}
    kept, width_ratios = [], []
    for index, face in enumerate(faces):
        large = cv2.resize(face, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(large, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=128)
        boxes = detector.detect_gray(canvas)
        if not boxes:
            continue
        box: Box = boxes[0]
        kept.append(index)
        width_ratios.append(box.w / large.shape[1])
        for margin in MARGINS:
            crops[margin].append(crop_face(canvas, box, margin))
    kept_array = np.array(kept)
    print(f"faces: {len(faces)}; Haar found a face in {len(kept)} ({len(kept) / len(faces):.1%})")
    print(f"Haar box width / FER crop width: median {np.median(width_ratios):.3f} "
          f"(margin that reproduces the crop: {(1 / np.median(width_ratios) - 1) / 2:.3f})")
    original = pipeline.classify_faces(faces[kept_array]).argmax(axis=1) == labels[kept_array]
    print(f"{'crop':<16}{'accuracy':>10}")
    print(f"{'original FER':<16}{original.mean():>10.2%}")
    for margin in MARGINS:
        predicted = pipeline.classify_faces(np.stack(crops[margin])).argmax(axis=1)
        print(f"{f'margin {margin:.2f}':<16}{(predicted == labels[kept_array]).mean():>10.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
