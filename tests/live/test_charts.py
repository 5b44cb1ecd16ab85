"""The Live page's chart images: sizes, emotion colours where the values say, bad input tolerated."""

from __future__ import annotations

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, EMOTIONS
from tunex_core.live.charts import draw_probability_bars, draw_timeline


def colour_pixels(image: np.ndarray, hex_colour: str) -> int:
    rgb = np.array([int(hex_colour.lstrip("#")[index: index + 2], 16) for index in (0, 2, 4)])
    return int((np.abs(image.astype(int) - rgb) < 10).all(axis=2).sum())


def test_bars_are_as_long_as_the_probabilities():
    probabilities = np.zeros(7)
    probabilities[EMOTION_NAMES.index("happy")] = 0.8
    probabilities[EMOTION_NAMES.index("sad")] = 0.2
    image = draw_probability_bars(probabilities, width=520, height=230)
    assert image.shape == (230, 520, 3) and image.dtype == np.uint8
    by_name = {emotion.name: colour_pixels(image, emotion.colour) for emotion in EMOTIONS}
    assert by_name["happy"] > 3 * by_name["sad"] > 0
    assert by_name["angry"] == 0


def test_compare_marks_are_drawn():
    plain = draw_probability_bars(np.full(7, 1 / 7))
    marked = draw_probability_bars(np.full(7, 1 / 7), compare=np.full(7, 0.5))
    assert (marked != plain).any()


def test_timeline_draws_each_emotion_line():
    times = [float(second) for second in range(20)]
    values = np.tile(np.full(7, 1 / 7), (20, 1))
    values[:, EMOTION_NAMES.index("fear")] = np.linspace(0, 1, 20)
    image = draw_timeline(times, values)
    assert image.shape == (230, 520, 3)
    assert colour_pixels(image, next(emotion.colour for emotion in EMOTIONS if emotion.name == "fear")) > 50


def test_timeline_without_points_is_an_empty_chart():
    image = draw_timeline([], np.zeros((0, 7)))
    assert image.shape == (230, 520, 3)
    assert draw_timeline([1.0], np.zeros((2, 7))).shape == (230, 520, 3)  # mismatched lengths: no lines, no error
