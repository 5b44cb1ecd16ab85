"""Which Haar settings find every face in a still photo (group pictures, phone photos)?

The live detector looks for faces on a 256-px-wide copy of each frame, and only for faces at
least 12% of the frame's shorter side: right for one or two people in front of a webcam at 30
frames a second, blind to the faces of a group photo. This bench builds synthetic photos of
groups: copies of the test portrait (``tests/fixtures/face.jpg``, mirrored, lighter or darker,
slightly tilted) pasted at random sizes and places onto a textured background at phone and
laptop resolutions, then counts, for each detector setting, the faces found (a box centred
within half a face of the pasted face, and of about its size), the boxes that match no face,
and the milliseconds per photo.

With ``--fer``, it also runs the live and the still-photo detector on portraits: FER-2013
PublicTest faces enlarged 4x and 8x onto a gray canvas (as ``bench/margin_study.py`` does),
where a large, sharp face invites boxes on its parts (an eye, the mouth and chin). It counts the
faces found, the boxes that match no face (a part, or the face at a wrong size) and the boxes beyond one
per portrait, with and without ``drop_nested_boxes``.

    python bench/photo_detection_bench.py [--photos 60] [--seed 7] [--fer [FER2013_NPZ]] [--fer-faces N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.dataset import load_fer
from tunex_core.vision.faces import FaceDetector, drop_nested_boxes, still_photo_detector

PORTRAIT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "face.jpg"
PHOTO_SIZES = ((4032, 3024), (1600, 1200), (1280, 720))
FACE_COUNTS = (1, 2, 4, 6, 10, 16)
# (detection width, smallest face as a fraction of the shorter side, neighbours a detection needs); the first is
# the live detector's.
SETTINGS = ((256, 0.12, 5), (512, 0.05, 5), (768, 0.03, 5), (1024, 0.03, 5), (1024, 0.03, 7), (1280, 0.02, 5),
            (1280, 0.02, 7))


def textured_background(width: int, height: int, generator: np.random.Generator) -> np.ndarray:
    """A colour background with gradients, blotches and edges (a room or a street, roughly)."""
    coarse = generator.integers(40, 220, size=(6, 8, 3)).astype(np.uint8)
    background = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(40):
        colour = tuple(int(value) for value in generator.integers(0, 255, 3))
        x, y = int(generator.integers(0, width)), int(generator.integers(0, height))
        size = int(generator.integers(width // 40, width // 6))
        if generator.random() < 0.5:
            cv2.rectangle(background, (x, y), (x + size, y + size // 2), colour, -1)
        else:
            cv2.circle(background, (x, y), size // 2, colour, -1)
    noise = generator.normal(0, 8, size=background.shape)
    return np.clip(background + noise, 0, 255).astype(np.uint8)


def group_photo(portrait: np.ndarray, face_box, size: tuple[int, int], faces: int,
                generator: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """A photo with ``faces`` pasted portraits and the (centre x, centre y, width) of each face."""
    width, height = size
    photo = textured_background(width, height, generator)
    columns = int(np.ceil(np.sqrt(faces * width / height)))
    rows = int(np.ceil(faces / columns))
    cell_width, cell_height = width // columns, height // rows
    truth = []
    for index in range(faces):
        row, column = divmod(index, columns)
        # The face takes 2.5-12% of the photo's width, and never more than its cell allows.
        face_width = min(generator.uniform(0.025, 0.12) * width, 0.9 * face_box[2] / portrait.shape[1] * cell_width,
                         0.9 * face_box[2] / portrait.shape[0] * cell_height)
        scale = face_width / face_box[2]
        tile = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        mirrored = generator.random() < 0.5
        if mirrored:
            tile = np.ascontiguousarray(tile[:, ::-1])
        gamma = generator.uniform(0.7, 1.4)
        tile = (255.0 * (tile / 255.0) ** gamma).astype(np.uint8)
        angle = generator.uniform(-10, 10)
        rotation = cv2.getRotationMatrix2D((tile.shape[1] / 2, tile.shape[0] / 2), angle, 1.0)
        tile = cv2.warpAffine(tile, rotation, (tile.shape[1], tile.shape[0]), borderMode=cv2.BORDER_REFLECT)
        left = column * cell_width + int(generator.integers(0, max(1, cell_width - tile.shape[1])))
        top = row * cell_height + int(generator.integers(0, max(1, cell_height - tile.shape[0])))
        tile = tile[: height - top, : width - left]
        photo[top: top + tile.shape[0], left: left + tile.shape[1]] = tile
        face_x = face_box[0] + face_box[2] / 2
        centre_x = left + scale * (portrait.shape[1] - face_x if mirrored else face_x)
        centre_y = top + scale * (face_box[1] + face_box[3] / 2)
        truth.append((centre_x, centre_y, face_width))
    return photo, truth


def score(boxes, truth) -> tuple[int, int]:
    """(faces found, boxes that match no face): a match is centred within half a face, 0.5-2x its width."""
    found, unmatched = set(), 0
    for box in boxes:
        centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2
        for index, (face_x, face_y, face_width) in enumerate(truth):
            close = abs(centre_x - face_x) < face_width / 2 and abs(centre_y - face_y) < face_width / 2
            if close and 0.5 < box.w / face_width < 2.0 and index not in found:
                found.add(index)
                break
        else:
            unmatched += 1
    return len(found), unmatched


def portraits(fer_file: str, limit: int | None) -> None:
    """Print, for the live and the still-photo detector, faces found and stray boxes on enlarged PublicTest faces."""
    faces = load_fer(fer_file).split("val").faces[:limit]
    detectors = (("live detector", FaceDetector(drop_nested=False)),
                 ("still_photo_detector()", replace(still_photo_detector(), drop_nested=False)))
    print(f"\n{len(faces)} PublicTest faces enlarged onto a gray canvas twice their size")
    print(f"{'':<35}{'found':>20}{'stray boxes':>22}{'boxes beyond one per face':>27}")
    print(f"{'detector':<26}{'enlarged':>9}{'all kept':>9}{'not nested':>11}{'all kept':>11}{'not nested':>11}"
          f"{'all kept':>14}{'not nested':>13}{'ms/photo p50':>14}")
    for upscale in (4, 8):
        side, pad = 48 * upscale, 48 * upscale // 2
        truth = [(pad + side / 2, pad + side / 2, 0.96 * side)]
        for name, detector in detectors:
            found = found_without_nested = stray = stray_without_nested = extra = extra_without_nested = 0
            times = []
            for face in faces:
                large = cv2.resize(face, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
                canvas = cv2.copyMakeBorder(large, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=128)
                start = time.perf_counter()
                boxes = detector.detect_gray(canvas)
                times.append(1000 * (time.perf_counter() - start))
                hits, unmatched = score(boxes, truth)
                found, stray = found + hits, stray + unmatched
                kept = drop_nested_boxes(boxes)
                hits_kept, unmatched_kept = score(kept, truth)
                found_without_nested, stray_without_nested = (found_without_nested + hits_kept,
                                                              stray_without_nested + unmatched_kept)
                extra, extra_without_nested = extra + max(0, len(boxes) - 1), extra_without_nested + max(0, len(kept) - 1)
            print(f"{name:<26}{upscale:>8}x{found / len(faces):>9.1%}{found_without_nested / len(faces):>11.1%}"
                  f"{stray:>11}{stray_without_nested:>11}"
                  f"{extra:>14}{extra_without_nested:>13}{statistics.median(times):>14.1f}")


def main() -> int:
    """Print, per detector setting, the share of faces found, stray boxes per photo and ms per photo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=60, help="synthetic photos (default 60)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fer", nargs="?", const=str(SHARED_FER_FILE), default=None, metavar="FER2013_NPZ",
                        help="also measure portraits: enlarged FER-2013 PublicTest faces (default file: the shared one)")
    parser.add_argument("--fer-faces", type=int, default=None, help="only the first N PublicTest faces")
    arguments = parser.parse_args()
    cv2.setNumThreads(1)
    generator = np.random.default_rng(arguments.seed)
    portrait = cv2.imread(str(PORTRAIT))
    face_box = FaceDetector(detection_width=10_000).detect(portrait)[0]
    photos = []
    for index in range(arguments.photos):
        size = PHOTO_SIZES[index % len(PHOTO_SIZES)]
        faces = FACE_COUNTS[(index // len(PHOTO_SIZES)) % len(FACE_COUNTS)]
        photos.append(group_photo(portrait, face_box, size, faces, generator))
    total_faces = sum(len(truth) for _, truth in photos)
    detectors = [(f"width {width}, faces from {fraction:.0%}, {neighbours} neighbours",
                  FaceDetector(detection_width=width, min_face_fraction=fraction, min_neighbors=neighbours))
                 for width, fraction, neighbours in SETTINGS]
    detectors.append(("still_photo_detector() (the app's stills)", still_photo_detector()))
    print(f"{arguments.photos} photos ({', '.join(f'{w}x{h}' for w, h in PHOTO_SIZES)}), "
          f"{total_faces} faces, 1-16 per photo, each 2.5-12% of the photo's width")
    print(f"{'detector':<44}{'found':>8}{'in 16-face photos':>19}{'stray boxes/photo':>19}{'ms/photo p50':>14}"
          f"{'p95':>7}")
    for name, detector in detectors:
        found = stray = found_in_crowds = crowd_faces = 0
        times = []
        for photo, truth in photos:
            start = time.perf_counter()
            boxes = detector.detect(photo)
            times.append(1000 * (time.perf_counter() - start))
            hits, unmatched = score(boxes, truth)
            found, stray = found + hits, stray + unmatched
            if len(truth) == max(FACE_COUNTS):
                found_in_crowds, crowd_faces = found_in_crowds + hits, crowd_faces + len(truth)
        times.sort()
        print(f"{name:<44}{found / total_faces:>8.1%}{found_in_crowds / max(1, crowd_faces):>19.1%}"
              f"{stray / len(photos):>19.2f}{statistics.median(times):>14.0f}{times[int(0.95 * (len(times) - 1))]:>7.0f}")
    if arguments.fer:
        portraits(arguments.fer, arguments.fer_faces)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
