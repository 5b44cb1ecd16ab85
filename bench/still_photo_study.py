"""How should a still photo be read? Small photos enlarged before detection, and each face's crops.

A labelled photo set (``faces_dev`` by default: a development set, choose on it, never train on it) is
read as the app reads an upload (``decode_image(..., fit_side=ANALYSIS_SIDE)``, the still-photo
detector, the largest face). Two settings are compared, every other step being the app's:

- ``--enlarge``: a photo whose shorter side is under this many pixels is enlarged (bicubic) to it before
  faces are looked for (0: never; photos under 48 px are then refused, as live frames are);
- ``--margins``: each face is read from the crops of these margin sets (``crop_face``'s margin; the
  readings of a set averaged, each crop with the app's flip TTA).

For each pair: faces found, photos right, and against the first pair the photos that became right and
those that became wrong (a paired count, less noisy than two accuracies), and recall per emotion.

    python bench/still_photo_study.py [--model MODEL] [--enlarge 0 96 144 192 256] \
        [--margins 0 0.05 0.1 0,0.05 0,0.05,0.1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import SHARED_FACES_DEV_DIR
from tunex_core.training.photos import read_labelled_photos
from tunex_core.vision.faces import MIN_FRAME_SIDE, PHOTO_MIN_SIDE, crop_face, still_photo
from tunex_core.vision.images import ANALYSIS_SIDE, decode_image, read_image_file
from tunex_core.vision.pipeline import EmotionPipeline


def margin_set(text: str) -> tuple[float, ...]:
    """``0,0.05`` → (0.0, 0.05)."""
    return tuple(float(value) for value in text.split(","))


def largest_faces(pipeline: EmotionPipeline, frames: list, enlarge: int) -> list:
    """(gray, box) of each photo's largest face, or None when no face is found or the photo is refused."""
    found = []
    for frame in frames:
        try:
            photo = still_photo(frame, enlarged_side=enlarge, min_side=PHOTO_MIN_SIDE if enlarge else MIN_FRAME_SIDE)
        except ValueError:
            found.append(None)
            continue
        boxes = pipeline.detect_photo(photo.gray)
        found.append((photo.gray, boxes[0]) if boxes else None)
    return found


def main() -> int:
    """Print one line per (enlarge, margins) pair."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=str(SHARED_FACES_DEV_DIR / "images"))
    parser.add_argument("--labels", default=str(SHARED_FACES_DEV_DIR / "labels.csv"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--backend", choices=("litert", "tensorflow"), default="litert")
    parser.add_argument("--enlarge", type=int, nargs="+", default=[0, 96, 144, 192, 256])
    parser.add_argument("--margins", type=margin_set, nargs="+", default=[(0.0,), (0.05,), (0.0, 0.05)])
    arguments = parser.parse_args()
    photos = read_labelled_photos(arguments.photos, arguments.labels)
    pipeline = EmotionPipeline.load(arguments.model, backend=arguments.backend)
    frames = [decode_image(read_image_file(photos.directory / name), fit_side=ANALYSIS_SIDE) for name in photos.files]
    labels = np.asarray(photos.labels)
    print(f"{len(frames)} photos, backend {pipeline.classifier.backend}, TTA {pipeline.tta}; "
          f"recall per emotion: {' '.join(name[:5] for name in EMOTION_NAMES)}")
    reference = None
    for enlarge in arguments.enlarge:
        started = time.perf_counter()
        faces = largest_faces(pipeline, frames, enlarge)
        seconds = time.perf_counter() - started
        found = np.array([face is not None for face in faces])
        for margins in arguments.margins:
            crops = np.stack([[crop_face(gray, box, margin) for margin in margins]
                              for gray, box in (face for face in faces if face is not None)])
            predicted = np.full(len(labels), -1)
            predicted[found] = pipeline.classify_photo_crops(crops).argmax(axis=1)
            right = predicted == labels
            reference = right if reference is None else reference
            recalls = " ".join(f"{right[labels == index].mean():.3f}" if np.any(labels == index) else "-"
                               for index in range(len(EMOTION_NAMES)))
            print(f"enlarge {enlarge:>3}  margins {','.join(f'{m:g}' for m in margins):<12} found {found.sum():>4}  "
                  f"right {right.sum():>4} ({right.mean():.2%})  +{int((right & ~reference).sum())}"
                  f"/-{int((~right & reference).sum())}  recall {recalls}  (detection {seconds:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
