"""Does levelling the eyes before classifying help? PublicTest, plain and rotated.

Each face is upscaled 4x, OpenCV's eye cascade looks for two eyes in its upper
60%, and when it finds a plausible pair (tilt under 30 degrees) the 48x48 face
is rotated so that the eyes are level. The shipped model (flip TTA) classifies
the faces as they are and levelled, on PublicTest and on the fixed rotated copy
of ``evaluate --perturb rotate``. PublicTest only.

    python bench/alignment_study.py [--data ../shared/data/fer2013/fer2013.npz] [--limit N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.dataset import load_fer
from tunex_core.training.perturb import perturb
from tunex_core.vision.pipeline import EmotionPipeline

UPSCALE = 4
MAX_TILT_DEGREES = 30.0


def eye_tilt(face: np.ndarray, detector: cv2.CascadeClassifier) -> float | None:
    """The angle (degrees) of the line through the two eyes, or None without a plausible pair."""
    big = cv2.resize(face, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
    upper = big[: int(0.6 * big.shape[0])]
    eyes = detector.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=4, minSize=(20, 20))
    if len(eyes) < 2:
        return None
    largest = sorted(eyes, key=lambda box: box[2] * box[3], reverse=True)[:2]
    (x1, y1), (x2, y2) = sorted((x + w / 2, y + h / 2) for x, y, w, h in largest)
    if x2 - x1 < 0.2 * big.shape[1]:
        return None
    angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
    return angle if abs(angle) <= MAX_TILT_DEGREES else None


def levelled(faces: np.ndarray, detector: cv2.CascadeClassifier) -> tuple[np.ndarray, float]:
    """Faces rotated so the eyes are level where a pair was found; and the share where it was."""
    out, found = faces.copy(), 0
    centre = ((faces.shape[2] - 1) / 2.0, (faces.shape[1] - 1) / 2.0)
    for index, face in enumerate(faces):
        angle = eye_tilt(face, detector)
        if angle is None:
            continue
        found += 1
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        out[index] = cv2.warpAffine(face, matrix, (face.shape[1], face.shape[0]), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT)
    return out, found / max(1, len(faces))


def main() -> int:
    """Print accuracy as-is and levelled, for PublicTest and its rotated copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--model", default=None)
    arguments = parser.parse_args()
    split = load_fer(arguments.data).split("val")
    faces, labels = split.faces[: arguments.limit], split.labels[: arguments.limit]
    pipeline = EmotionPipeline.load(arguments.model)
    detector = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_eye.xml")
    print(f"{len(faces)} PublicTest faces, backend {pipeline.classifier.backend}, flip TTA")
    for name, copy in (("PublicTest", faces), ("PublicTest rotated ±15°", perturb(faces, "rotate"))):
        started = time.perf_counter()
        aligned, share = levelled(copy, detector)
        plain = float(np.mean(pipeline.classify_faces(copy).argmax(axis=1) == labels))
        fixed = float(np.mean(pipeline.classify_faces(aligned).argmax(axis=1) == labels))
        print(f"{name:<26} as is {plain:.2%}  eyes levelled {fixed:.2%}  ({fixed - plain:+.2%}; eye pair found "
              f"in {share:.0%}; {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
