"""Decoding user images (uploads, snapshots, CLI files) safely."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from tunex_core.files import FileReadError, read_limited

MAX_IMAGE_BYTES = 32 * 1024 * 1024  # a 48-megapixel phone JPEG is 15-25 MB
MAX_IMAGE_SIDE = 12_000
MAX_IMAGE_PIXELS = 64 * 1024 * 1024  # 67 megapixels: 200 MB decoded, the most one picture may take
# Pictures the app analyses are scaled down to this longer side (a 24-megapixel phone photo is 5712 px wide);
# a face at 2% of the shorter side still spans more than the model's 48 pixels.
ANALYSIS_SIDE = 4096
# OpenCV flags that let the JPEG decoder itself decode at 1/2, 1/4 or 1/8 scale, fastest first.
REDUCED_DECODE_FLAGS = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                        (2, cv2.IMREAD_REDUCED_COLOR_2))
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")


class ImageError(ValueError):
    """The bytes are not a supported, intact image within the size limits."""


def decode_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_side: int = MAX_IMAGE_SIDE,
                 fit_side: int | None = None, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes into a BGR uint8 array, honouring EXIF orientation.

    With ``fit_side``, a larger image comes back scaled down so that its longer side is at most
    ``fit_side``; a JPEG may come back smaller, down to half of it, because the JPEG decoder
    itself decodes at 1/2, 1/4 or 1/8 scale, so a large photo costs a fraction of its full size.
    Without ``fit_side`` every pixel is kept.

    Raises ``ImageError`` for empty, oversized (bytes, side or pixels), non-image or corrupt
    data. The header is checked before any pixel is decoded, so a decompression bomb is
    refused without allocating its pixels.
    """
    if not data:
        raise ImageError("the file is empty")
    if len(data) > max_bytes:
        raise ImageError(f"the file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB")
    try:
        with Image.open(io.BytesIO(data)) as header:
            image_format, (width, height) = header.format, header.size
    except UnidentifiedImageError as error:
        raise ImageError("the file is not an image TuneX can read (use JPEG, PNG or WebP)") from error
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(f"the image could not be read: {error}") from error
    if image_format not in SUPPORTED_FORMATS:
        raise ImageError(f"{image_format} images are not supported; use JPEG, PNG or WebP")
    if max(width, height) > max_side:
        raise ImageError(f"the image is {width}x{height} px; the limit is {max_side} px per side")
    if width * height > max_pixels:
        raise ImageError(f"the image is {width}x{height} px ({width * height / 1e6:.0f} megapixels); "
                         f"the limit is {max_pixels / 1e6:.0f} megapixels")
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), _decode_flag(image_format, max(width, height), fit_side))
    if frame is None:
        raise ImageError("the image is corrupt or truncated")
    return frame if fit_side is None else scaled_to_fit(frame, fit_side)


def scaled_to_fit(frame: np.ndarray, longest_side: int) -> np.ndarray:
    """``frame`` scaled down (area-averaged) so that its longer side is at most ``longest_side``; smaller
    frames are returned as they are."""
    longer = max(frame.shape[:2])
    if longer <= longest_side:
        return frame
    scale = longest_side / longer
    size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _decode_flag(image_format: str, longer_side: int, fit_side: int | None) -> int:
    """The OpenCV decode flag: a JPEG larger than ``fit_side`` is decoded at the smallest scale that keeps at
    least half of ``fit_side`` (the rest of the way is a resize); everything else at full size."""
    if fit_side is None or image_format != "JPEG" or longer_side <= fit_side:
        return cv2.IMREAD_COLOR
    for factor, flag in REDUCED_DECODE_FLAGS:
        if longer_side / factor >= fit_side / 2:
            return flag
    return cv2.IMREAD_COLOR


def read_image_file(path: str | Path, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes of the image file at ``path`` (``files.read_limited``: a regular file within ``max_bytes``,
    checked before reading); raises ``ImageError`` with a one-line reason."""
    try:
        return read_limited(path, max_bytes, what="an image file")
    except FileReadError as error:
        raise ImageError(str(error)) from error
