"""Decoding user images (uploads, snapshots, CLI files) safely."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")


class ImageError(ValueError):
    """The bytes are not a supported, intact image within the size limits."""


def decode_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_side: int = MAX_IMAGE_SIDE) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP bytes into a BGR uint8 array, honouring EXIF orientation.

    Raises ``ImageError`` for empty, oversized, non-image or corrupt data. The
    header is checked before any pixel is decoded, so a decompression bomb is
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
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise ImageError("the image is corrupt or truncated")
    return frame
