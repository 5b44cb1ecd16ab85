"""Tests for the ``.y4m`` fake-camera builder (pure functions; no browser needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.browser.y4m import (
    fit_image,
    i420_to_rgb,
    image_to_y4m,
    parse_y4m,
    rgb_to_i420,
    still_video,
    synthetic_face,
    y4m_bytes,
)


def solid(colour, width=4, height=4) -> np.ndarray:
    return np.full((height, width, 3), colour, dtype=np.uint8)


@pytest.mark.parametrize(
    ("colour", "expected"),
    [  # BT.601 limited-range reference values
        ((255, 255, 255), (235, 128, 128)),
        ((0, 0, 0), (16, 128, 128)),
        ((255, 0, 0), (81, 90, 240)),
        ((0, 255, 0), (145, 54, 34)),
        ((0, 0, 255), (41, 240, 110)),
    ],
)
def test_rgb_to_i420_matches_bt601_reference_colours(colour, expected):
    luma, blue_difference, red_difference = rgb_to_i420(solid(colour))
    assert luma.shape == (4, 4) and blue_difference.shape == (2, 2) and red_difference.shape == (2, 2)
    assert (int(luma[0, 0]), int(blue_difference[0, 0]), int(red_difference[0, 0])) == expected


def test_chroma_is_averaged_over_two_by_two_blocks():
    image = solid((0, 0, 0), width=2, height=2)
    image[0, 0] = (0, 0, 255)  # one blue pixel among three black ones
    _, blue_difference, _ = rgb_to_i420(image)
    assert int(blue_difference[0, 0]) == round((240 + 3 * 128) / 4)


def test_odd_sizes_are_rejected():
    with pytest.raises(ValueError, match="even width and height"):
        rgb_to_i420(solid((1, 2, 3), width=3, height=4))


def test_round_trip_keeps_colours_close():
    gradient = np.zeros((48, 64, 3), dtype=np.uint8)
    gradient[..., 0] = np.linspace(0, 255, 64, dtype=np.uint8)[None, :]
    gradient[..., 1] = np.linspace(255, 0, 48, dtype=np.uint8)[:, None]
    gradient[..., 2] = 90
    restored = i420_to_rgb(*rgb_to_i420(gradient))
    assert np.abs(restored.astype(int) - gradient.astype(int)).max() <= 8


def test_fit_image_letterboxes_and_centres():
    wide = solid((200, 100, 50), width=100, height=50)
    fitted = fit_image(wide, 640, 480)
    assert fitted.shape == (480, 640, 3)
    assert fitted[0].max() == 0 and fitted[-1].max() == 0  # black bars above and below
    assert tuple(fitted[240, 320]) == (200, 100, 50)
    assert fitted[:, :, 0].astype(bool).sum(axis=0).max() == 320  # picture is 640x320
    with pytest.raises(ValueError, match="uint8 RGB"):
        fit_image(np.zeros((4, 4)), 8, 8)


def test_still_video_header_frames_and_size():
    data = still_video(solid((10, 200, 30), width=320, height=240), width=640, height=480,
                       seconds=2.0, frames_per_second=10)
    header = b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420\n"
    assert data.startswith(header)
    frame_size = len(b"FRAME\n") + 640 * 480 * 3 // 2
    assert len(data) == len(header) + 20 * frame_size
    video = parse_y4m(data)
    assert (video.width, video.height, video.frames_per_second, video.colour_space) == (640, 480, 10.0, "420")
    assert len(video.frames) == 20
    np.testing.assert_array_equal(video.frames[0][0], video.frames[-1][0])
    centre = i420_to_rgb(*video.frames[0])[240, 320]
    assert np.abs(centre.astype(int) - np.array([10, 200, 30])).max() <= 3


def test_y4m_bytes_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one frame"):
        y4m_bytes([])
    with pytest.raises(ValueError, match="every frame"):
        y4m_bytes([solid((0, 0, 0)), solid((0, 0, 0), width=6)])
    with pytest.raises(ValueError, match="frames_per_second"):
        y4m_bytes([solid((0, 0, 0))], frames_per_second=0)


def test_parse_y4m_rejects_other_streams():
    with pytest.raises(ValueError, match="not a YUV4MPEG2"):
        parse_y4m(b"RIFF nonsense\n")
    truncated = y4m_bytes([solid((0, 0, 0))])[:-3]
    with pytest.raises(ValueError, match="truncated"):
        parse_y4m(truncated)


def test_image_to_y4m_from_a_file_and_from_the_synthetic_face(tmp_path):
    photo = tmp_path / "face.png"
    Image.fromarray(solid((120, 60, 30), width=200, height=300)).save(photo)
    from_file = parse_y4m(image_to_y4m(photo, tmp_path / "photo.y4m", seconds=0.5).read_bytes())
    assert (from_file.width, from_file.height, len(from_file.frames)) == (640, 480, 5)
    assert np.abs(i420_to_rgb(*from_file.frames[0])[240, 320].astype(int) - [120, 60, 30]).max() <= 3
    synthetic = parse_y4m(image_to_y4m(None, tmp_path / "synthetic.y4m").read_bytes())
    assert len(synthetic.frames) == 20
    face = synthetic_face()
    assert face.shape == (480, 480, 3) and len(np.unique(face.reshape(-1, 3), axis=0)) > 5
