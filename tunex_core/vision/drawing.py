"""Drawing face boxes and emotion labels on frames (kept apart from inference)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from tunex_core.emotions import EMOTION_BY_NAME, colour_bgr
from tunex_core.vision.pipeline import FaceEmotion


def face_tag(face: FaceEmotion) -> str:
    """What a face reads, as drawn beside its box: "Happy 87%"."""
    return f"{EMOTION_BY_NAME[face.label].display_name} {face.confidence:.0%}"


def faces_description(faces: Sequence[FaceEmotion]) -> str:
    """Alt text for a picture annotated by ``draw_faces``: how many faces are boxed and what each reads."""
    if not faces:
        return "The picture; no face was found in it."
    readings = [face_tag(face) for face in faces]
    if len(faces) == 1:
        return f"The picture with one face boxed: {readings[0]}."
    numbered = "; ".join(f"#{number} {reading}" for number, reading in enumerate(readings, start=1))
    return f"The picture with {len(faces)} faces boxed and numbered, largest first: {numbered}."


def draw_faces(frame_bgr: np.ndarray, faces: Sequence[FaceEmotion], numbered: bool = False,
               in_place: bool = False, scale: float = 1.0) -> np.ndarray:
    """Draw each face's box and "Label 87%" tag; returns the annotated frame.

    With ``numbered`` the tag starts with the face number (#1 is the largest). ``scale`` is the size of
    ``frame_bgr`` relative to the frame the boxes were found in (0.5: drawing on a half-size copy).
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale}")
    canvas = frame_bgr if in_place else frame_bgr.copy()
    height, width = canvas.shape[:2]
    thickness = max(2, round(min(height, width) / 240))
    font_scale = max(0.5, min(height, width) / 800)
    for number, face in enumerate(faces, start=1):
        x, y, w, h = (round(value * scale) for value in face.box)
        colour = colour_bgr(face.label)
        cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, thickness)
        text = face_tag(face)
        if numbered:
            text = f"#{number} {text}"
        (text_width, text_height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 1)
        top = y - text_height - baseline - 4
        if top < 0:
            top = min(height - text_height - baseline - 4, y + h)
        cv2.rectangle(canvas, (x, top), (x + text_width + 6, top + text_height + baseline + 4), colour, -1)
        cv2.putText(canvas, text, (x + 3, top + text_height + 2), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return canvas
