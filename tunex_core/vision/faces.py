"""Face detection (OpenCV Haar cascade) and FER-style face cropping.

Tuned for live video: the frame is converted to grayscale and downscaled to
``detection_width`` pixels before the cascade runs, and boxes are scaled back
to original frame pixels. Faces are cropped with a margin around the Haar box
so that the crop is framed like a FER-2013 face (see ``DEFAULT_MARGIN``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

FACE_SIZE = 48
MIN_FRAME_SIDE = 48
MAX_FRAME_PIXELS = 100_000_000  # larger frames are refused (memory guard)
# Fraction of the Haar box width added on each side before resizing to 48x48. Measured with
# bench/margin_study.py on FER-2013 PublicTest: the Haar box spans 96% of a FER crop's width
# (geometric match at 0.02) and is centred on it, and accuracy on re-detected faces is best with no margin
# (0.00: 67.9%, 0.05: 66.8%, 0.10: 65.5%, 0.15: 63.2%, 0.20: 59.9%, 0.30: 52.0%; model of 2026-12-04).
DEFAULT_MARGIN = 0.0
# Still photos (snapshot, upload, predict) are analysed once rather than 30 times a second, so faces are
# looked for on a larger copy and down to a smaller size. bench/photo_detection_bench.py (60 synthetic group
# photos, faces 2.5-12% of the width; nested boxes dropped for every setting): the live settings find 3.3%
# of the faces, these 98.6% with 0.13 stray boxes per photo in 315-365 ms p50 / 603-693 ms p95 per photo on the
# AVX-512 host (5 neighbours: 99.2% but 0.38 stray boxes, and once a large stray box swallowed a real face;
# 7: 98.1%, 0.07; a 1024-px copy: 97.8%).
PHOTO_DETECTION_WIDTH = 1280
PHOTO_MIN_FACE_FRACTION = 0.02
PHOTO_MIN_NEIGHBORS = 6
# A photo cropped tightly around one face (a profile picture, a face cut out of a larger photo) leaves the
# cascade no room around the face, and it finds nothing. When a still photo shows no face, it is looked at
# again with this share of its longer side added on each side as a replicated border. On the 930 faces_dev
# photos (bench/crowd_selection.py --retry-padding): faces found in 647 with no second look, 793 with 0.25,
# 795 with 0.5; right of all photos 41.1% / 47.5% / 47.6% (model of 2026-12-04), 51.4% / 56.9% / 57.3%
# (members/ferplus-mix).
PHOTO_RETRY_PADDING = 0.5
# Small still photos (a face cut out of a larger picture, a web thumbnail) are enlarged before faces are looked
# for: the cascade misses faces that fill a small picture, and the live minimum of 48 px refused 37 of faces_dev's
# 930 photos outright. A photo whose shorter side is under PHOTO_ENLARGED_SIDE is enlarged (bicubic) to it;
# one under PHOTO_MIN_SIDE (the cascade's own 24-px window) is refused. bench/still_photo_study.py on faces_dev,
# shipped model of 2026-12-06: faces found in 795 of 930 photos without enlarging, 823 enlarged to 96 px (5 more
# read right, none fewer), 832 to 192 px (5 more right, 4 fewer).
PHOTO_MIN_SIDE = 24
PHOTO_ENLARGED_SIDE = 96
# A still photo's faces are each classified from these crops (margins as in crop_face) and the readings
# averaged; live frames use DEFAULT_MARGIN alone. The Haar box itself is FER-2013's framing (see DEFAULT_MARGIN),
# a little more of a real photo's forehead, chin and cheeks helps (bench/still_photo_study.py, faces_dev, model
# of 2026-12-06, each crop also mirrored, not enlarged: 505 of 930 right with the box alone, 513 with margin 0.05
# alone, 521 with both averaged: 27 photos more right, 11 fewer; docs/experiments.md).
PHOTO_MARGINS = (0.0, 0.05)
DARK_FRAME_MEAN = 70  # mean gray level under which a frame counts as dark


class Box(NamedTuple):
    """A face rectangle in frame pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        """Area in pixels."""
        return self.w * self.h


def _cascade_path() -> Path:
    data = getattr(cv2, "data", None)
    if data is None or not hasattr(data, "haarcascades"):
        raise RuntimeError(
            "this OpenCV build has no bundled Haar cascades (OpenCV 5 removed them); "
            "install opencv-python-headless>=4.10,<5"
        )
    return Path(data.haarcascades) / "haarcascade_frontalface_default.xml"


def as_bgr_frame(frame, min_side: int = MIN_FRAME_SIDE) -> np.ndarray:
    """Validate a frame and convert it to a contiguous uint8 BGR image.

    Accepts uint8/uint16/float/bool arrays shaped (H, W), (H, W, 1), (H, W, 3)
    or (H, W, 4), at least ``min_side`` pixels each way. Raises ``ValueError`` with a clear message for anything else.
    """
    if frame is None:
        raise ValueError("no frame: got None instead of an image array")
    if not isinstance(frame, np.ndarray):
        try:
            frame = np.asarray(frame)
        except Exception as error:
            raise ValueError(f"frame must be an image array, got {type(frame).__name__}") from error
        if frame.dtype == object:
            raise ValueError("frame must be a numeric image array")
    if frame.size == 0:
        raise ValueError(f"frame is empty (shape {frame.shape})")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (3, 4)):
        raise ValueError(f"frame must be H x W (gray), H x W x 3 (BGR) or H x W x 4 (BGRA); got shape {frame.shape}")
    height, width = frame.shape[:2]
    if min(height, width) < min_side:
        raise ValueError(f"frame is {width}x{height} px; at least {min_side}x{min_side} is needed to find a face")
    if height * width > MAX_FRAME_PIXELS:
        raise ValueError(f"frame is {width}x{height} px; at most {MAX_FRAME_PIXELS // 1_000_000} megapixels are accepted")
    frame = _as_uint8(frame)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(frame)


def _as_uint8(frame: np.ndarray) -> np.ndarray:
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype == np.bool_:
        return frame.astype(np.uint8) * 255
    if np.issubdtype(frame.dtype, np.floating):
        if not np.all(np.isfinite(frame)):
            raise ValueError("frame contains NaN or infinite values")
        scale = 255.0 if float(frame.max()) <= 1.0 else 1.0
        return np.clip(frame * scale, 0, 255).astype(np.uint8)
    if np.issubdtype(frame.dtype, np.integer):
        if frame.dtype == np.uint16 or frame.max() > 255:
            return (np.clip(frame, 0, 65535) // 257).astype(np.uint8)
        return np.clip(frame, 0, 255).astype(np.uint8)
    raise ValueError(f"unsupported frame dtype {frame.dtype}")


@dataclass
class FaceDetector:
    """Haar-cascade frontal face detector working on a downscaled grayscale copy."""

    # Measured with bench/pipeline_bench.py: 256 px wide and faces from 12% of the shorter side keep
    # recall at 100% for 150-260 px faces in 640x480 (99% for 60-150 px) at 9.5 ms p50 per frame.
    detection_width: int = 256
    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_face_fraction: float = 0.12  # smallest face, as a fraction of the frame's shorter side
    drop_nested: bool = True  # drop boxes centred inside a larger box (see drop_nested_boxes)
    retry_padding: float = 0.0  # > 0: when nothing is found, look again with a border this share of the longer side

    def __post_init__(self) -> None:
        path = _cascade_path()
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise RuntimeError(f"could not load the Haar cascade {path}")

    def detect_gray(self, gray: np.ndarray) -> list[Box]:
        """Boxes of faces in a grayscale uint8 image, largest first, in its own pixels.

        With ``retry_padding``, an image with no face is searched again with a replicated border
        (boxes clipped to the image): a tightly cropped face then has room around it.
        """
        boxes = self._detect_once(gray)
        if boxes or self.retry_padding <= 0:
            return boxes
        height, width = gray.shape[:2]
        pad = max(1, round(self.retry_padding * max(height, width)))
        padded = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        clipped = []
        for box in self._detect_once(padded):
            left, top = max(0, box.x - pad), max(0, box.y - pad)
            right, bottom = min(width, box.x - pad + box.w), min(height, box.y - pad + box.h)
            if right > left and bottom > top:
                clipped.append(Box(left, top, right - left, bottom - top))
        clipped.sort(key=lambda box: (-box.area, box.y, box.x))
        return clipped

    def _detect_once(self, gray: np.ndarray) -> list[Box]:
        height, width = gray.shape[:2]
        scale = min(1.0, self.detection_width / width)
        small = gray if scale == 1.0 else cv2.resize(
            gray, (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA)
        min_side = max(20, int(min(small.shape[:2]) * self.min_face_fraction))
        found = self._cascade.detectMultiScale(
            small, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(min_side, min_side))
        # Equalising every frame invites false positives on bright clutter; only dark frames need it.
        if not len(found) and float(small.mean()) < DARK_FRAME_MEAN:
            found = self._cascade.detectMultiScale(
                cv2.equalizeHist(small), scaleFactor=self.scale_factor,
                minNeighbors=self.min_neighbors, minSize=(min_side, min_side))
        boxes = [
            Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale))
            for (x, y, w, h) in (found if len(found) else [])
        ]
        # OpenCV finds faces on several threads, so equal-sized faces come back in any order: break ties.
        boxes.sort(key=lambda box: (-box.area, box.y, box.x))
        return drop_nested_boxes(boxes) if self.drop_nested else boxes

    def detect(self, frame) -> list[Box]:
        """Boxes of faces in a frame (any accepted layout), largest first, in frame pixels."""
        return self.detect_gray(to_gray(as_bgr_frame(frame)))


def drop_nested_boxes(boxes: list[Box]) -> list[Box]:
    """``boxes`` (largest first) without those whose centre lies inside a larger box kept before them.

    The cascade sometimes also reports part of a large face (an eye and a brow, the mouth and chin) as
    a smaller face; two real faces never overlap that much. On PublicTest faces enlarged 4x and 8x,
    ``bench/photo_detection_bench.py --fer`` measures the boxes that match no face with and without this.
    """
    kept: list[Box] = []
    for box in boxes:
        centre_x, centre_y = box.x + box.w / 2, box.y + box.h / 2
        if not any(outer.x <= centre_x < outer.x + outer.w and outer.y <= centre_y < outer.y + outer.h
                   for outer in kept):
            kept.append(box)
    return kept


def still_photo_detector() -> FaceDetector:
    """The detector for still photos: slower than the live one (a larger copy, smaller faces), finds groups."""
    return FaceDetector(detection_width=PHOTO_DETECTION_WIDTH, min_face_fraction=PHOTO_MIN_FACE_FRACTION,
                        min_neighbors=PHOTO_MIN_NEIGHBORS, retry_padding=PHOTO_RETRY_PADDING)


@dataclass(frozen=True)
class StillPhoto:
    """A still photo in grayscale as its faces are looked for: enlarged when it is small (``still_photo``)."""

    gray: np.ndarray  # the grayscale photo, enlarged to PHOTO_ENLARGED_SIDE when smaller
    width: int  # the photo's own size, in its pixels
    height: int

    @property
    def enlarged(self) -> bool:
        """Whether ``gray`` is larger than the photo."""
        return self.gray.shape[:2] != (self.height, self.width)

    def photo_box(self, box: Box) -> Box:
        """``box`` (pixels of ``gray``) in the photo's own pixels, kept inside the photo."""
        if not self.enlarged:
            return box
        scale_x, scale_y = self.gray.shape[1] / self.width, self.gray.shape[0] / self.height
        left, top = min(self.width - 1, round(box.x / scale_x)), min(self.height - 1, round(box.y / scale_y))
        right = max(left + 1, min(self.width, round((box.x + box.w) / scale_x)))
        bottom = max(top + 1, min(self.height, round((box.y + box.h) / scale_y)))
        return Box(left, top, right - left, bottom - top)


def still_photo(frame, enlarged_side: int = PHOTO_ENLARGED_SIDE, min_side: int = PHOTO_MIN_SIDE) -> StillPhoto:
    """A still photo (any layout ``as_bgr_frame`` accepts, at least ``min_side`` px each way) in grayscale,
    enlarged (bicubic) so that its shorter side is at least ``enlarged_side``; ``ValueError`` if unusable."""
    gray = to_gray(as_bgr_frame(frame, min_side=min_side))
    height, width = gray.shape[:2]
    shorter = min(height, width)
    if shorter < enlarged_side:
        scale = enlarged_side / shorter
        gray = cv2.resize(gray, (max(enlarged_side, round(width * scale)), max(enlarged_side, round(height * scale))),
                          interpolation=cv2.INTER_CUBIC)
    return StillPhoto(gray=gray, width=width, height=height)


def to_gray(frame_bgr: np.ndarray) -> np.ndarray:
    """Grayscale copy of a BGR frame."""
    return cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)


def crop_face(gray: np.ndarray, box: Box, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """A 48x48 uint8 face crop: the box grown by ``margin`` of its width on each side.

    Parts of the grown square that fall outside the frame are filled by
    replicating the border, so faces at the edge keep their framing.
    """
    side = max(box.w, box.h) * (1.0 + 2.0 * margin)
    centre_x, centre_y = box.x + box.w / 2.0, box.y + box.h / 2.0
    left, top = round(centre_x - side / 2.0), round(centre_y - side / 2.0)
    side = max(1, round(side))
    height, width = gray.shape[:2]
    pad_left, pad_top = max(0, -left), max(0, -top)
    pad_right, pad_bottom = max(0, left + side - width), max(0, top + side - height)
    region = gray[max(0, top): min(height, top + side), max(0, left): min(width, left + side)]
    if pad_left or pad_top or pad_right or pad_bottom:
        region = cv2.copyMakeBorder(region, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REPLICATE)
    interpolation = cv2.INTER_AREA if side > FACE_SIZE else cv2.INTER_LINEAR
    return cv2.resize(region, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
