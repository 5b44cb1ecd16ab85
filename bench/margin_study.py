"""How much margin around the Haar box reproduces FER-2013's framing best?

FER-2013 faces are already crops. Each PublicTest face is upscaled 4x (to the
size of a webcam face), placed with context padding, run through the product's
Haar detector, and re-cropped from the detected box with several margins; the
crops are classified and the accuracy per margin is compared with the accuracy
on the original crops. PublicTest is the selection split, so choosing the
margin here does not touch PrivateTest. It also reports where the Haar box sits in the FER
crop, and the accuracy when the crop is moved up or down or scaled around the box: a systematic
offset between Haar's framing and FER-2013's would show there.

Margins, shifts and scales that reach past the 48-px original take in the flat gray canvas rather
than the rest of a photo, so they are penalised here more than they would be on real photos.

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
# The crop's centre moved down by this fraction of the box (negative: up), and its side scaled.
VERTICAL_SHIFTS = (-0.06, -0.03, 0.0, 0.03, 0.06)
SCALES = (0.95, 1.0, 1.05)
UPSCALE = 4


def moved_box(box: Box, shift: float, scale: float) -> Box:
    """The square box around ``box``'s centre moved down by ``shift`` of its side and scaled by ``scale``."""
    side = max(box.w, box.h)
    centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2 + shift * side
    new_side = round(side * scale)
    return Box(round(centre_x - new_side / 2), round(centre_y - new_side / 2), new_side, new_side)


def redetect(faces: np.ndarray) -> tuple[list[int], list[np.ndarray], list[Box]]:
    """Each 48x48 face upscaled ``UPSCALE`` times onto a gray canvas and found again by the app's Haar cascade
    (at full resolution): the indices of the faces found, their canvases and the largest box in each."""
    detector = FaceDetector(detection_width=10_000)
    pad = 48 * UPSCALE // 2
    kept, canvases, boxes = [], [], []
    for index, face in enumerate(faces):
        large = cv2.resize(face, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(large, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=128)
        found = detector.detect_gray(canvas)
        if found:
            kept.append(index)
            canvases.append(canvas)
            boxes.append(found[0])
    return kept, canvases, boxes


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
    pad, side = 48 * UPSCALE // 2, 48 * UPSCALE
    crops = {margin: [] for margin in MARGINS}
    width_ratios, centres = [], []
    moved = {(shift, scale): [] for shift in VERTICAL_SHIFTS for scale in SCALES}
    kept, canvases, boxes = redetect(faces)
    for canvas, box in zip(canvases, boxes, strict=True):
        width_ratios.append(box.w / side)
        centres.append(((box.x + box.w / 2 - pad) / side, (box.y + box.h / 2 - pad) / side))
        for margin in MARGINS:
            crops[margin].append(crop_face(canvas, box, margin))
        for shift, scale in moved:
            moved[shift, scale].append(crop_face(canvas, moved_box(box, shift, scale), 0.0))
    kept_array = np.array(kept)
    print(f"faces: {len(faces)}; Haar found a face in {len(kept)} ({len(kept) / len(faces):.1%})")
    print(f"Haar box width / FER crop width: median {np.median(width_ratios):.3f} "
          f"(margin that reproduces the crop: {(1 / np.median(width_ratios) - 1) / 2:.3f})")
    centre_x, centre_y = np.median(centres, axis=0)
    spread_x, spread_y = np.std(centres, axis=0)
    print(f"Haar box centre in the FER crop (0.5 = middle): x {centre_x:.3f} (sd {spread_x:.3f}), "
          f"y {centre_y:.3f} (sd {spread_y:.3f}); box width sd {np.std(width_ratios):.3f} of the crop")
    original = pipeline.classify_faces(faces[kept_array]).argmax(axis=1) == labels[kept_array]
    print(f"{'crop':<16}{'accuracy':>10}")
    print(f"{'original FER':<16}{original.mean():>10.2%}")
    for margin in MARGINS:
        predicted = pipeline.classify_faces(np.stack(crops[margin])).argmax(axis=1)
        print(f"{f'margin {margin:.2f}':<16}{(predicted == labels[kept_array]).mean():>10.2%}")
    print("crop moved down by a share of the box (negative: up) and scaled, no margin:")
    print(f"{'shift':<10}" + "".join(f"{f'x{scale:.2f}':>10}" for scale in SCALES))
    for shift in VERTICAL_SHIFTS:
        row = [(pipeline.classify_faces(np.stack(moved[shift, scale])).argmax(axis=1) == labels[kept_array]).mean()
               for scale in SCALES]
        print(f"{shift:<+10.2f}" + "".join(f"{value:>10.2%}" for value in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
