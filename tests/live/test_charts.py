"""The Live page's chart images: sizes, emotion colours where the values say, bad input tolerated."""

from __future__ import annotations

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, EMOTIONS
from tunex_core.live.charts import (
    DARK,
    LIGHT,
    bars_description,
    draw_probability_bars,
    draw_timeline,
    palette_for_theme,
    probabilities_text,
    timeline_description,
)


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


def test_the_now_label_ends_under_the_plots_right_edge():
    image = draw_timeline([], np.zeros((0, 7)), palette=LIGHT)
    label_band = image[-42 + 4: -42 + 18]  # the row of time labels under the plot
    ink = (np.abs(label_band.astype(int) - 255) > 60).any(axis=2)
    columns_with_ink = np.flatnonzero(ink.any(axis=0))
    plot_right_edge = image.shape[1] - 10
    assert plot_right_edge - 4 <= columns_with_ink.max() <= plot_right_edge + 1, (
        "the 'now' label should end under the plot's right edge, not at the image's")


def test_dark_palette_draws_light_text_on_a_dark_background():
    assert palette_for_theme("dark") is DARK
    assert palette_for_theme("light") is LIGHT and palette_for_theme(None) is LIGHT
    probabilities = np.full(7, 1 / 7)
    for draw in (lambda palette: draw_probability_bars(probabilities, np.full(7, 0.5), palette=palette),
                 lambda palette: draw_timeline([0.0, 1.0], np.tile(probabilities, (2, 1)), palette=palette)):
        light, dark = draw(LIGHT), draw(DARK)
        assert tuple(light[0, 0]) == (255, 255, 255)
        assert tuple(dark[0, 0]) == DARK.background[::-1]  # the image is RGB, palettes are BGR
        assert (dark.max(axis=2) > 180).sum() > 200  # light labels
        assert (light.min(axis=2) < 100).sum() > 200  # dark labels


def test_the_compare_tick_shows_against_the_dark_track():
    plain = draw_probability_bars(np.zeros(7), palette=DARK)
    marked = draw_probability_bars(np.zeros(7), compare=np.full(7, 0.5), palette=DARK)
    changed = (marked != plain).any(axis=2)
    assert changed.sum() > 7 * 3 * 10
    assert marked[changed].min(axis=1).mean() > 200  # the ticks are near white


def test_alt_texts_list_the_emotions_most_likely_first():
    probabilities = np.zeros(7)
    probabilities[EMOTION_NAMES.index("happy")] = 0.91
    probabilities[EMOTION_NAMES.index("neutral")] = 0.06
    probabilities[EMOTION_NAMES.index("sad")] = 0.03
    text = probabilities_text(probabilities)
    assert text.startswith("Happy 91%, Neutral 6%, Sad 3%, ") and text.count("%") == 7
    assert bars_description(probabilities) == f"Bar chart of the emotions now: {text}."
    history = np.tile(np.full(7, 1 / 7), (3, 1))
    history[-1] = probabilities
    assert timeline_description(history) == f"Line chart of each emotion over the last 30 seconds; now: {text}."
    assert timeline_description(np.zeros((0, 7))).endswith("no readings yet.")
