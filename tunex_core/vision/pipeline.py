"""The emotion pipeline: frame in, faces with emotions out.

``EmotionPipeline.load()`` loads the shipped model once; ``process(frame_bgr)``
detects faces, crops them like FER-2013 faces and classifies them in one batch;
``process_photo(image_bgr)`` does the same for a still photo, with a detector that
also finds the small faces of a group picture, small photos enlarged first, and each face read
from two crops (``PHOTO_MARGINS``).
Drawing is separate (``tunex_core.vision.drawing``).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.errors import ModelFileError
from tunex_core.paths import METRICS_FILE, MODEL_FILE, TFLITE_MODEL_FILE
from tunex_core.vision.faces import (
    DEFAULT_MARGIN,
    FACE_SIZE,
    PHOTO_MARGINS,
    Box,
    FaceDetector,
    StillPhoto,
    as_bgr_frame,
    crop_face,
    still_photo,
    still_photo_detector,
    to_gray,
)
from tunex_core.vision.inference import IDLE_ENGINES, EmotionClassifier
from tunex_core.vision.pool import ObjectPool

MAX_FACES = 8  # faces classified per frame, largest first; bounds per-frame latency
MAX_PHOTO_FACES = 20  # faces classified per still photo (a group picture), largest first
# Each face is classified with its mirror image too: +2 points of accuracy for ~1 ms (models/MODEL_CARD.md).
DEFAULT_TTA = "flip"


@dataclass(frozen=True)
class FaceEmotion:
    """One face found in a frame and what it seems to feel."""

    box: Box
    label: str
    probabilities: np.ndarray  # 7 values in FER label order, summing to 1

    @property
    def confidence(self) -> float:
        """Probability of ``label``."""
        return float(self.probabilities[EMOTION_NAMES.index(self.label)])


def _stored_temperature(metrics_file: Path) -> float:
    try:
        temperature = float(json.loads(metrics_file.read_text()).get("temperature", 1.0))
    except (OSError, ValueError, TypeError, AttributeError):
        return 1.0
    return temperature if math.isfinite(temperature) and temperature > 0 else 1.0


class EmotionPipeline:
    """Face detection + emotion classification for whole frames."""

    def __init__(self, classifier: EmotionClassifier, detector: FaceDetector | None = None,
                 margin: float = DEFAULT_MARGIN, max_faces: int = MAX_FACES, tta: str | None = DEFAULT_TTA,
                 photo_detector: FaceDetector | None = None, max_photo_faces: int = MAX_PHOTO_FACES,
                 photo_margins: tuple[float, ...] = PHOTO_MARGINS):
        if not photo_margins:
            raise ValueError("photo_margins needs at least one margin")
        self.classifier = classifier
        self.tta = tta
        self.detector = detector or FaceDetector()
        self.photo_detector = photo_detector or still_photo_detector()
        self.margin = margin
        self.max_faces = max_faces
        self.max_photo_faces = max_photo_faces
        self.photo_margins = tuple(photo_margins)
        self._detectors = _detector_pool(self.detector)
        self._photo_detectors = _detector_pool(self.photo_detector)

    @classmethod
    def load(cls, model_path: str | Path | None = None, backend: str = "auto",
             **options) -> EmotionPipeline:
        """Load the shipped model (or ``model_path``).

        ``backend``: ``"litert"`` uses the ``.tflite`` export, ``"tensorflow"``
        the ``.keras`` model through a ``tf.function``; ``"auto"`` prefers
        LiteRT when the export and the ``ai-edge-litert`` runtime are present.
        Raises ``ModelFileError`` naming the missing file.
        """
        keras_path = Path(model_path) if model_path is not None else MODEL_FILE
        tflite_path = keras_path.with_suffix(".tflite") if model_path is not None else TFLITE_MODEL_FILE
        temperature = _stored_temperature(keras_path.parent / METRICS_FILE.name)
        use_litert = backend == "litert" or (backend == "auto" and tflite_path.is_file() and _has_litert())
        if use_litert:
            if not tflite_path.is_file():
                raise ModelFileError(f"model file not found: {tflite_path}")
            classifier = EmotionClassifier.from_tflite(tflite_path, temperature=temperature)
        else:
            from tunex_core.vision.model import load_model  # TensorFlow only on this path

            classifier = EmotionClassifier.from_keras_model(load_model(keras_path), temperature=temperature)
        return cls(classifier, **options)

    def process(self, frame_bgr) -> list[FaceEmotion]:
        """Faces in the frame, largest first, each with box, label and 7 probabilities.

        Safe to call from several threads at once (Streamlit sessions share one pipeline).

        Raises ``ValueError`` for frames that are not images (None, empty,
        wrong shape, too small or too large); gray, BGRA and non-uint8 frames
        are converted.
        """
        gray = self.grayscale(frame_bgr)
        return self.classify_boxes(gray, self.detect(gray))

    def process_photo(self, image_bgr) -> list[FaceEmotion]:
        """Like ``process``, for a still photo (snapshot, upload, ``predict``): up to ``max_photo_faces`` faces.

        The live detector looks on a small copy for large faces only (fast enough for every frame
        of a video); a still photo is analysed once, so its faces are looked for on a larger copy
        and down to a smaller size, and the faces of a group picture are found
        (``bench/photo_detection_bench.py``). A small photo (from ``PHOTO_MIN_SIDE`` px) is enlarged
        first, and each face is read from the crops of ``photo_margins``, averaged
        (``bench/still_photo_study.py``). Boxes are in the photo's own pixels.
        """
        photo = self.still_photo(image_bgr)
        boxes = self.detect_photo(photo.gray)
        probabilities = self.classify_photo_crops(self.crop_photo_boxes(photo.gray, boxes))
        return [
            FaceEmotion(box=photo.photo_box(box), label=EMOTION_NAMES[int(np.argmax(row))], probabilities=row)
            for box, row in zip(boxes, probabilities, strict=True)
        ]

    @staticmethod
    def still_photo(image_bgr) -> StillPhoto:
        """The photo validated, in grayscale and enlarged when small, as ``process_photo`` looks for faces in it
        (``ValueError`` if it is not an image or smaller than ``PHOTO_MIN_SIDE`` px)."""
        return still_photo(image_bgr)

    @staticmethod
    def grayscale(frame_bgr) -> np.ndarray:
        """The frame, validated and converted like ``process`` does, in grayscale (``ValueError`` if not an image)."""
        return to_gray(as_bgr_frame(frame_bgr))

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Boxes of the faces in a grayscale frame, largest first (at most ``max_faces``)."""
        with self._detectors.borrow() as detector:
            return detector.detect_gray(gray)[: self.max_faces]

    def detect_photo(self, gray: np.ndarray) -> list[Box]:
        """Boxes of the faces in a grayscale still photo, largest first (at most ``max_photo_faces``)."""
        with self._photo_detectors.borrow() as detector:
            return detector.detect_gray(gray)[: self.max_photo_faces]

    def crop_boxes(self, gray: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """The 48x48 crops (N, 48, 48) ``classify_boxes`` classifies for ``boxes`` of a grayscale frame."""
        if not boxes:
            return np.zeros((0, FACE_SIZE, FACE_SIZE), dtype=np.uint8)
        return np.stack([crop_face(gray, box, self.margin) for box in boxes])

    def crop_photo_boxes(self, gray: np.ndarray, boxes: list[Box]) -> np.ndarray:
        """The crops (N, margins, 48, 48) ``process_photo`` reads for ``boxes`` of a still photo's ``gray``."""
        if not boxes:
            return np.zeros((0, len(self.photo_margins), FACE_SIZE, FACE_SIZE), dtype=np.uint8)
        return np.stack([np.stack([crop_face(gray, box, margin) for margin in self.photo_margins])
                         for box in boxes])

    def classify_photo_crops(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities (N, 7) for a still photo's face crops (N, views, 48, 48): each view with the pipeline's
        test-time augmentation, the views averaged."""
        crops = np.asarray(crops)
        if crops.ndim != 4 or crops.shape[1] < 1 or crops.shape[2:] != (FACE_SIZE, FACE_SIZE):
            raise ValueError(f"photo crops must have shape (N, views, 48, 48); got {crops.shape}")
        faces, views = crops.shape[:2]
        if faces == 0:
            return np.zeros((0, len(EMOTION_NAMES)))
        flat = self.classifier.predict(crops.reshape(faces * views, FACE_SIZE, FACE_SIZE), tta=self.tta)
        return flat.reshape(faces, views, -1).mean(axis=1)

    def classify_boxes(self, gray: np.ndarray, boxes: list[Box]) -> list[FaceEmotion]:
        """Emotions of the faces in ``boxes`` of a grayscale frame (e.g. boxes held from an earlier frame)."""
        if not boxes:
            return []
        probabilities = self.classifier.predict(self.crop_boxes(gray, boxes), tta=self.tta)
        return [
            FaceEmotion(box=box, label=EMOTION_NAMES[int(np.argmax(row))], probabilities=row)
            for box, row in zip(boxes, probabilities, strict=True)
        ]

    def release_idle_engines(self, keep: int = 1) -> int:
        """Free idle detectors and interpreters beyond ``keep`` of each (made for viewers who have left)."""
        dropped = self._detectors.shrink(keep) + self._photo_detectors.shrink(keep)
        if self.classifier.engines is not None:
            dropped += self.classifier.engines.shrink(keep)
        return dropped

    def classify_faces(self, faces: np.ndarray) -> np.ndarray:
        """Probabilities for already-cropped 48x48 faces (N, 48, 48), with the pipeline's test-time augmentation."""
        return self.classifier.predict(faces, tta=self.tta)


def _detector_pool(detector) -> ObjectPool:
    """Detectors for several threads: a Haar cascade keeps per-call state, so each thread detects with its own.

    Detectors other than ``FaceDetector`` are not copied but used by one thread at a time.
    """
    if isinstance(detector, FaceDetector):
        return ObjectPool(partial(dataclasses.replace, detector), max_idle=IDLE_ENGINES, first=detector)
    return ObjectPool(lambda: detector, max_size=1, first=detector)


def _has_litert() -> bool:
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True
