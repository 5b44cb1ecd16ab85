"""Fixed, deterministic perturbations of a split: "what a webcam does", for ``evaluate --perturb``.

Each perturbation maps (N, 48, 48) uint8 faces to faces of the same shape and is
the same on every run (no randomness), so scores of different models on a
perturbed copy of PublicTest can be compared directly. An augmentation is worth
keeping only if it helps on PublicTest and on these copies.
"""

from __future__ import annotations

import numpy as np

ROTATION_DEGREES = 15.0  # faces alternate between +15 and -15 degrees
DARK_GAIN, DARK_GAMMA = 0.45, 1.6  # a dim room: much darker, shadows crushed
BLUR_SIDE = 20  # a small webcam face: down to 20 px and back up
JPEG_QUALITY = 20  # heavy video compression
OCCLUSION_TOP, OCCLUSION_BOTTOM = 0.62, 0.9  # a flat band over the mouth (hand, microphone)


def _rotate(faces: np.ndarray) -> np.ndarray:
    import cv2

    centre = ((faces.shape[2] - 1) / 2.0, (faces.shape[1] - 1) / 2.0)
    out = np.empty_like(faces)
    for index, face in enumerate(faces):
        angle = ROTATION_DEGREES if index % 2 == 0 else -ROTATION_DEGREES
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        out[index] = cv2.warpAffine(face, matrix, (face.shape[1], face.shape[0]), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT)
    return out


def _dark(faces: np.ndarray) -> np.ndarray:
    scaled = 255.0 * DARK_GAIN * (faces.astype(np.float32) / 255.0) ** DARK_GAMMA
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _blur(faces: np.ndarray) -> np.ndarray:
    import cv2

    size = (faces.shape[2], faces.shape[1])
    return np.stack([cv2.resize(cv2.resize(face, (BLUR_SIDE, BLUR_SIDE), interpolation=cv2.INTER_AREA), size,
                                interpolation=cv2.INTER_LINEAR) for face in faces])


def _jpeg(faces: np.ndarray) -> np.ndarray:
    import cv2

    out = np.empty_like(faces)
    for index, face in enumerate(faces):
        ok, encoded = cv2.imencode(".jpg", face, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise ValueError("JPEG encoding failed")
        out[index] = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return out


def _occlude(faces: np.ndarray) -> np.ndarray:
    out = faces.copy()
    height = faces.shape[1]
    out[:, round(OCCLUSION_TOP * height): round(OCCLUSION_BOTTOM * height), :] = 128
    return out


PERTURBATIONS = {
    "rotate": _rotate,
    "dark": _dark,
    "blur": _blur,
    "jpeg": _jpeg,
    "occlude": _occlude,
}
DESCRIPTIONS = {
    "rotate": f"rotated ±{ROTATION_DEGREES:g}°",
    "dark": f"darkened (gain {DARK_GAIN}, gamma {DARK_GAMMA})",
    "blur": f"blurred (down to {BLUR_SIDE} px and back)",
    "jpeg": f"JPEG quality {JPEG_QUALITY}",
    "occlude": "mouth covered by a grey band",
}


def perturb(faces: np.ndarray, name: str) -> np.ndarray:
    """A perturbed copy of (N, 48, 48) uint8 ``faces``; ``name`` is one of ``PERTURBATIONS``."""
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}; choose one of {', '.join(PERTURBATIONS)}")
    faces = np.asarray(faces)
    if faces.ndim != 3 or faces.dtype != np.uint8:
        raise ValueError(f"faces must be (N, H, W) uint8, got {faces.shape} {faces.dtype}")
    if len(faces) == 0:
        return faces.copy()
    return PERTURBATIONS[name](faces)
