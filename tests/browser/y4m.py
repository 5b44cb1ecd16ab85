"""Build YUV4MPEG2 (``.y4m``) videos for Chromium's fake camera, from a still image.

Chromium plays such a file, looping, as the webcam when started with
``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE.y4m``.
Frames are planar 4:2:0 (``C420``) in BT.601 limited range, which is what the
format means when no colour range is given.

Pure functions over numpy arrays; ``image_to_y4m`` is the only one that touches files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

MAGIC = b"YUV4MPEG2"
FRAME_MARKER = b"FRAME\n"


@dataclass(frozen=True)
class Y4mVideo:
    """A decoded ``.y4m`` file: its header fields and its planes per frame."""

    width: int
    height: int
    frames_per_second: float
    colour_space: str
    frames: list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def fit_image(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``rgb`` (H, W, 3) uint8 to fit inside ``width`` x ``height``, centred on black."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    image = Image.fromarray(rgb)
    scale = min(width / image.width, height / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    resized = image.resize(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (width, height))
    canvas.paste(resized, ((width - size[0]) // 2, (height - size[1]) // 2))
    return np.asarray(canvas)


def rgb_to_i420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert an RGB image with even sides to BT.601 limited-range Y, U (Cb) and V (Cr) planes.

    Y is full size; U and V are averaged over 2x2 blocks (half width, half height).
    """
    height, width = rgb.shape[:2]
    if height % 2 or width % 2:
        raise ValueError(f"4:2:0 needs even width and height, got {width}x{height}")
    red, green, blue = (rgb[..., channel].astype(np.float64) / 255.0 for channel in range(3))
    luma = 16.0 + 65.481 * red + 128.553 * green + 24.966 * blue
    blue_difference = 128.0 - 37.797 * red - 74.203 * green + 112.0 * blue
    red_difference = 128.0 + 112.0 * red - 93.786 * green - 18.214 * blue

    def subsample(plane: np.ndarray) -> np.ndarray:
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    def to_bytes(plane: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(plane), 0, 255).astype(np.uint8)

    return to_bytes(luma), to_bytes(subsample(blue_difference)), to_bytes(subsample(red_difference))


def i420_to_rgb(luma: np.ndarray, blue_difference: np.ndarray, red_difference: np.ndarray) -> np.ndarray:
    """The inverse of ``rgb_to_i420`` (chroma upsampled by repetition), for checks and previews."""
    y = (luma.astype(np.float64) - 16.0) * (255.0 / 219.0)
    u = np.repeat(np.repeat(blue_difference.astype(np.float64) - 128.0, 2, axis=0), 2, axis=1)
    v = np.repeat(np.repeat(red_difference.astype(np.float64) - 128.0, 2, axis=0), 2, axis=1)
    red = y + 1.596027 * v
    green = y - 0.391762 * u - 0.812968 * v
    blue = y + 2.017232 * u
    return np.clip(np.rint(np.stack([red, green, blue], axis=-1)), 0, 255).astype(np.uint8)


def y4m_bytes(frames: Sequence[np.ndarray], frames_per_second: int = 10) -> bytes:
    """Encode equally sized RGB frames (H, W, 3) uint8 as a ``C420`` YUV4MPEG2 stream."""
    if not frames:
        raise ValueError("a video needs at least one frame")
    height, width = frames[0].shape[:2]
    if frames_per_second <= 0:
        raise ValueError(f"frames_per_second must be positive, got {frames_per_second}")
    header = f"YUV4MPEG2 W{width} H{height} F{frames_per_second}:1 Ip A1:1 C420\n".encode("ascii")
    chunks = [header]
    for frame in frames:
        if frame.shape != (height, width, 3):
            raise ValueError(f"every frame must be {width}x{height} RGB, got {frame.shape}")
        chunks.append(FRAME_MARKER)
        chunks.extend(plane.tobytes() for plane in rgb_to_i420(frame))
    return b"".join(chunks)


def still_video(rgb: np.ndarray, width: int = 640, height: int = 480, seconds: float = 2.0,
                frames_per_second: int = 10) -> bytes:
    """A ``.y4m`` stream showing ``rgb`` (fitted to ``width`` x ``height``) for ``seconds``."""
    frame = fit_image(rgb, width, height)
    count = max(1, round(seconds * frames_per_second))
    return y4m_bytes([frame] * count, frames_per_second)


def parse_y4m(data: bytes) -> Y4mVideo:
    """Decode a ``C420`` YUV4MPEG2 stream (the subset ``y4m_bytes`` writes)."""
    header_end = data.index(b"\n")
    fields = data[:header_end].split(b" ")
    if fields[0] != MAGIC:
        raise ValueError("not a YUV4MPEG2 stream")
    values = {field[:1].decode("ascii"): field[1:].decode("ascii") for field in fields[1:]}
    width, height = int(values["W"]), int(values["H"])
    numerator, denominator = (int(part) for part in values["F"].split(":"))
    colour_space = values.get("C", "420jpeg")
    if not colour_space.startswith("420"):
        raise ValueError(f"only 4:2:0 streams are supported, got C{colour_space}")
    luma_size, chroma_size = width * height, (width // 2) * (height // 2)
    frames = []
    position = header_end + 1
    while position < len(data):
        if data[position:position + len(FRAME_MARKER)] != FRAME_MARKER:
            raise ValueError(f"expected FRAME at byte {position}")
        position += len(FRAME_MARKER)
        end = position + luma_size + 2 * chroma_size
        if end > len(data):
            raise ValueError("truncated frame")
        planes = np.frombuffer(data[position:end], dtype=np.uint8)
        frames.append((planes[:luma_size].reshape(height, width),
                       planes[luma_size:luma_size + chroma_size].reshape(height // 2, width // 2),
                       planes[luma_size + chroma_size:].reshape(height // 2, width // 2)))
        position = end
    return Y4mVideo(width, height, numerator / denominator, colour_space, frames)


def synthetic_face(width: int = 480, height: int = 480) -> np.ndarray:
    """A drawn, smiling cartoon face on a grey background (used when no face photo is available)."""
    image = Image.new("RGB", (width, height), (96, 104, 112))
    draw = ImageDraw.Draw(image)
    centre_x, centre_y = width / 2, height / 2
    face_width, face_height = width * 0.55, height * 0.75
    draw.ellipse([centre_x - face_width / 2, centre_y - face_height / 2,
                  centre_x + face_width / 2, centre_y + face_height / 2], fill=(226, 187, 160))
    for side in (-1, 1):
        eye_x, eye_y = centre_x + side * face_width * 0.2, centre_y - face_height * 0.12
        draw.ellipse([eye_x - 18, eye_y - 10, eye_x + 18, eye_y + 10], fill=(250, 250, 250))
        draw.ellipse([eye_x - 8, eye_y - 8, eye_x + 8, eye_y + 8], fill=(40, 30, 25))
        draw.line([eye_x - 26, eye_y - 30, eye_x + 26, eye_y - 34], fill=(70, 50, 40), width=7)
    draw.arc([centre_x - face_width * 0.25, centre_y + face_height * 0.02,
              centre_x + face_width * 0.25, centre_y + face_height * 0.3], start=15, end=165,
             fill=(150, 40, 50), width=9)
    return np.asarray(image)


def load_rgb(image_path: str | Path) -> np.ndarray:
    """Read an image file as an (H, W, 3) uint8 RGB array."""
    with Image.open(image_path) as image:
        return np.asarray(image.convert("RGB"))


def image_to_y4m(image_path: str | Path | None, output_path: str | Path, *, width: int = 640,
                 height: int = 480, seconds: float = 2.0, frames_per_second: int = 10) -> Path:
    """Write a still ``.y4m`` of ``image_path`` (or of ``synthetic_face()`` when it is ``None``)."""
    rgb = synthetic_face() if image_path is None else load_rgb(image_path)
    output = Path(output_path)
    output.write_bytes(still_video(rgb, width, height, seconds, frames_per_second))
    return output
