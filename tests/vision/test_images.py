"""Tests for ``tunex_core.vision.images.decode_image``: formats, orientation and refusals."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tunex_core.vision.images import (
    ANALYSIS_SIDE,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    ImageError,
    decode_image,
    read_image_file,
    scaled_to_fit,
)


def encoded(image: np.ndarray, extension: str, *params) -> bytes:
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok
    return buffer.tobytes()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header for a ``width`` x ``height`` RGB image with (almost) no pixel data.

    A few dozen bytes that claim any size: cheap stand-ins for huge images and decompression bombs.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"")) + png_chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def small_bgr(face_bgr) -> np.ndarray:
    return cv2.resize(face_bgr, (120, 90), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize(("extension", "tolerance"), [(".jpg", 12), (".png", 0), (".webp", 12), (".bmp", 0)])
def test_decodes_supported_formats_to_bgr_uint8(small_bgr, extension, tolerance):
    params = (cv2.IMWRITE_JPEG_QUALITY, 95) if extension == ".jpg" else ()
    frame = decode_image(encoded(small_bgr, extension, *params))
    assert frame.shape == (90, 120, 3)
    assert frame.dtype == np.uint8
    assert np.abs(frame.astype(int) - small_bgr.astype(int)).mean() <= tolerance


def test_channel_order_is_bgr():
    rgb = np.zeros((60, 60, 3), np.uint8)
    rgb[..., 0] = 255  # pure red in RGB
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    frame = decode_image(buffer.getvalue())
    assert frame[30, 30].tolist() == [0, 0, 255]


def test_gray_and_alpha_pngs_become_three_channels():
    gray = encoded(np.full((50, 60), 128, np.uint8), ".png")
    assert decode_image(gray).shape == (50, 60, 3)
    bgra = encoded(np.full((50, 60, 4), 200, np.uint8), ".png")
    assert decode_image(bgra).shape == (50, 60, 3)


def test_exif_orientation_is_honoured():
    image = Image.new("RGB", (80, 40), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    assert decode_image(buffer.getvalue()).shape[:2] == (80, 40)


def test_empty():
    with pytest.raises(ImageError, match="the file is empty"):
        decode_image(b"")


def test_text_is_not_an_image():
    with pytest.raises(ImageError, match="not an image TuneX can read"):
        decode_image(b"name,valence\nhappy,0.9\n")


@pytest.mark.parametrize("extension", [".jpg", ".png", ".bmp", ".webp"])
@pytest.mark.parametrize("fraction", [0.5, 0.95])
def test_truncated(small_bgr, extension, fraction):
    data = encoded(small_bgr, extension)
    with pytest.raises(ImageError, match=r"corrupt or truncated|could not be read"):
        decode_image(data[: int(len(data) * fraction)])


def test_corrupt_png_pixel_data(small_bgr):
    data = bytearray(encoded(small_bgr, ".png"))
    middle = len(data) // 2
    data[middle: middle + 200] = bytes(200)
    with pytest.raises(ImageError, match="corrupt or truncated"):
        decode_image(bytes(data))


def test_header_only_png_is_refused_as_corrupt():
    with pytest.raises(ImageError, match=r"corrupt or truncated|could not be read"):
        decode_image(png_header_only(64, 64))


def test_unsupported_format_gif():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 60)).save(buffer, format="GIF")
    with pytest.raises(ImageError, match="GIF images are not supported; use JPEG, PNG or WebP"):
        decode_image(buffer.getvalue())


def test_over_the_byte_limit_is_refused_before_decoding():
    megabytes = MAX_IMAGE_BYTES / 1_048_576
    with pytest.raises(ImageError, match=rf"the file is {megabytes:.1f} MB; the limit is {megabytes:.0f} MB"):
        decode_image(b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES))


def test_max_bytes_is_configurable(small_bgr):
    data = encoded(small_bgr, ".png")
    with pytest.raises(ImageError, match="limit is"):
        decode_image(data, max_bytes=len(data) - 1)
    assert decode_image(data, max_bytes=len(data)).shape == (90, 120, 3)


@pytest.mark.parametrize(("width", "height"), [(MAX_IMAGE_SIDE + 1, 10), (10, MAX_IMAGE_SIDE + 1)])
def test_side_over_the_limit_is_refused_from_the_header(width, height):
    with pytest.raises(ImageError, match=f"{width}x{height} px; the limit is {MAX_IMAGE_SIDE} px per side"):
        decode_image(png_header_only(width, height))


def test_too_many_pixels_are_refused_from_the_header():
    assert MAX_IMAGE_PIXELS < 9000 * 8000
    with pytest.raises(ImageError, match=r"9000x8000 px \(72 megapixels\); the limit is 67 megapixels"):
        decode_image(png_header_only(9000, 8000))
    with pytest.raises(ImageError, match="the limit is 1 megapixels"):
        decode_image(png_header_only(1001, 1000), max_pixels=1_000_000)


def test_decompression_bomb_is_refused_without_allocating():
    # 100000 x 100000 x 3 would be 30 GB; Pillow's bomb guard refuses it from the header
    with pytest.raises(ImageError, match=r"could be decompression bomb|megapixels"):
        decode_image(png_header_only(100_000, 100_000), max_side=200_000)


def test_real_wide_png_is_refused_and_the_side_limit_accepted():
    wide = encoded(np.zeros((10, MAX_IMAGE_SIDE + 1, 3), np.uint8), ".png")
    with pytest.raises(ImageError, match=f"{MAX_IMAGE_SIDE + 1}x10 px; the limit is {MAX_IMAGE_SIDE} px per side"):
        decode_image(wide)
    edge = encoded(np.zeros((10, MAX_IMAGE_SIDE, 3), np.uint8), ".png")
    assert decode_image(edge).shape == (10, MAX_IMAGE_SIDE, 3)


def phone_photo(width: int, height: int, orientation: int | None = None) -> tuple[np.ndarray, bytes]:
    """A smooth colour picture and its JPEG (with an EXIF orientation tag when given)."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], axis=-1)
    image = image.astype(np.uint8)
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.fromarray(image[:, :, ::-1]).save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return image, buffer.getvalue()


def test_a_24_megapixel_phone_photo_is_decoded_reduced_for_analysis():
    image, data = phone_photo(5712, 4284)
    assert len(data) <= MAX_IMAGE_BYTES
    frame = decode_image(data, fit_side=ANALYSIS_SIDE)
    assert frame.shape == (2142, 2856, 3)  # the JPEG decoder's half scale: between 2048 and 4096 px
    expected = cv2.resize(image, (2856, 2142), interpolation=cv2.INTER_AREA)
    assert np.abs(frame.astype(int) - expected).mean() < 3
    assert decode_image(data).shape == (4284, 5712, 3)  # without fit_side every pixel is kept


def test_fit_side_keeps_the_exif_orientation():
    _, data = phone_photo(5712, 4284, orientation=6)
    assert decode_image(data, fit_side=ANALYSIS_SIDE).shape == (2856, 2142, 3)


def test_fit_side_scales_other_formats_and_leaves_small_pictures(small_bgr):
    wide = encoded(np.full((100, 5000, 3), 90, np.uint8), ".png")
    assert decode_image(wide, fit_side=4096).shape == (82, 4096, 3)
    photo = encoded(small_bgr, ".jpg")
    assert decode_image(photo, fit_side=4096).shape == (90, 120, 3)
    _, exact = phone_photo(4096, 3072)
    assert decode_image(exact, fit_side=4096).shape == (3072, 4096, 3)


def test_scaled_to_fit_shrinks_only_larger_frames():
    frame = np.zeros((3024, 4032, 3), np.uint8)
    assert scaled_to_fit(frame, 1600).shape == (1200, 1600, 3)
    assert scaled_to_fit(frame.transpose(1, 0, 2), 1600).shape == (1600, 1200, 3)
    small = np.zeros((90, 120, 3), np.uint8)
    assert scaled_to_fit(small, 1600) is small


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


# --- read_image_file: size checked before reading, only regular files -----------------------------

def test_read_image_file_returns_the_bytes(tmp_path, small_bgr):
    path = tmp_path / "face.png"
    path.write_bytes(encoded(small_bgr, ".png"))
    assert read_image_file(path) == path.read_bytes()
    assert decode_image(read_image_file(str(path))).shape == (90, 120, 3)


def test_read_image_file_refuses_an_oversized_file_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.jpg"
    with open(path, "wb") as handle:  # sparse: 3 GB claimed, nothing written
        handle.truncate(3 * 1024 ** 3)

    def no_open(*arguments, **keywords):
        raise AssertionError("the file was opened")

    monkeypatch.setattr("builtins.open", no_open)
    with pytest.raises(ImageError, match=rf"the file is 3072\.0 MB; the limit is {MAX_IMAGE_BYTES // 1_048_576} MB"):
        read_image_file(path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_read_image_file_refuses_a_device():
    with pytest.raises(ImageError, match="not a regular file"):
        read_image_file("/dev/zero")


def test_read_image_file_refuses_a_pipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match="not a regular file"):
        read_image_file(fifo)  # must not block waiting for a writer


def test_read_image_file_refuses_folders_and_missing_files(tmp_path):
    with pytest.raises(ImageError, match="a folder, not an image file"):
        read_image_file(tmp_path)
    with pytest.raises(ImageError, match="does not exist"):
        read_image_file(tmp_path / "missing.jpg")


def test_read_image_file_honours_max_bytes(tmp_path):
    path = tmp_path / "small.bin"
    path.write_bytes(bytes(100))
    assert len(read_image_file(path, max_bytes=100)) == 100
    with pytest.raises(ImageError, match="limit is"):
        read_image_file(path, max_bytes=99)
