"""The Live page's two charts drawn as small images: the probabilities now, and their last 30 s.

The page refreshes them every couple of seconds while the video plays. As Plotly figures each
refresh re-plotted them in the browser: long tasks of 0.2-1.8 s on the page's main thread (4.2 s
in 10 s with one viewer), which held back the video's painting. An image costs the browser a
small decode, and drawing it here ~2 ms. Interactive Plotly charts stay on the other pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from tunex_core.emotions import EMOTIONS, colour_bgr

FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True)
class ChartPalette:
    """The colours (BGR) of a chart image, other than the emotions' own."""

    background: tuple[int, int, int]
    grid: tuple[int, int, int]
    ink: tuple[int, int, int]
    tick: tuple[int, int, int]
    tick_name: str  # the tick's colour in words, for the chart's caption


LIGHT = ChartPalette(background=(255, 255, 255), grid=(225, 225, 225), ink=(60, 60, 60), tick=(34, 34, 34),
                     tick_name="black")
# Streamlit's dark theme: the page behind the image is near-black, so the image is too, with light text.
DARK = ChartPalette(background=(20, 22, 23), grid=(62, 62, 62), ink=(215, 215, 215), tick=(240, 240, 240),
                    tick_name="white")


def palette_for_theme(theme_type: str | None) -> ChartPalette:
    """``DARK`` for a browser showing Streamlit's dark theme (``st.context.theme.type == "dark"``), else ``LIGHT``."""
    return DARK if theme_type == "dark" else LIGHT


def probabilities_text(probabilities: Sequence[float]) -> str:
    """The 7 probabilities in words, most likely first, e.g. "Happy 91%, Neutral 3%, …" (a chart's alt text)."""
    values = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    order = np.argsort(-values, kind="stable")
    return ", ".join(f"{EMOTIONS[index].display_name} {values[index]:.0%}" for index in order)


def bars_description(probabilities: Sequence[float]) -> str:
    """Alt text for ``draw_probability_bars``: what its bars show."""
    return f"Bar chart of the emotions now: {probabilities_text(probabilities)}."


def timeline_description(probabilities: np.ndarray, window_seconds: float = 30.0) -> str:
    """Alt text for ``draw_timeline``: what it covers and where each emotion ended, now."""
    values = np.asarray(probabilities, dtype=float)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] != len(EMOTIONS):
        return f"Line chart of each emotion over the last {window_seconds:.0f} seconds: no readings yet."
    return (f"Line chart of each emotion over the last {window_seconds:.0f} seconds; "
            f"now: {probabilities_text(values[-1])}.")


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], colour, scale: float = 0.45,
          thickness: int = 1) -> None:
    cv2.putText(canvas, text, origin, FONT, scale, colour, thickness, cv2.LINE_AA)


def _text_width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def draw_probability_bars(probabilities: Sequence[float], compare: Sequence[float] | None = None,
                          width: int = 520, height: int = 230, palette: ChartPalette = LIGHT) -> np.ndarray:
    """Horizontal bars of the 7 probabilities in emotion colours, as an RGB image.

    ``compare`` (e.g. this frame's raw probabilities) is marked by a tick on each bar, in the palette's
    ``tick`` colour.
    """
    values = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    canvas = np.full((height, width, 3), palette.background, np.uint8)
    label_width, value_width, top = 110, 48, 8
    row = (height - 2 * top) / len(EMOTIONS)
    bar_width = width - label_width - value_width - 10
    for index, emotion in enumerate(EMOTIONS):
        y = round(top + index * row)
        middle = round(y + row / 2)
        _text(canvas, emotion.display_name, (6, middle + 5), palette.ink)
        cv2.rectangle(canvas, (label_width, y + 4), (label_width + bar_width, round(y + row) - 4), palette.grid, -1)
        end = label_width + round(bar_width * values[index])
        if end > label_width:
            cv2.rectangle(canvas, (label_width, y + 4), (end, round(y + row) - 4), colour_bgr(emotion.name), -1)
        if compare is not None:
            mark = label_width + round(bar_width * float(np.clip(compare[index], 0.0, 1.0)))
            cv2.line(canvas, (mark, y + 1), (mark, round(y + row) - 1), palette.tick, 3)
        _text(canvas, f"{values[index]:.0%}", (label_width + bar_width + 6, middle + 5), palette.ink)
    return cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)


def draw_timeline(times: Sequence[float], probabilities: np.ndarray, window_seconds: float = 30.0,
                  width: int = 520, height: int = 230, palette: ChartPalette = LIGHT) -> np.ndarray:
    """Each emotion's probability over the last ``window_seconds`` (now at the right), as an RGB image."""
    canvas = np.full((height, width, 3), palette.background, np.uint8)
    left, right, top, bottom = 40, width - 10, 10, height - 42
    tick_scale = 0.35
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = round(bottom - fraction * (bottom - top))
        cv2.line(canvas, (left, y), (right, y), palette.grid, 1)
        _text(canvas, f"{fraction:.0%}", (2, y + 4), palette.ink, scale=tick_scale)
    for seconds in range(0, int(window_seconds) + 1, 10):
        x = round(right - seconds / window_seconds * (right - left))
        cv2.line(canvas, (x, top), (x, bottom), palette.grid, 1)
        label = "now" if seconds == 0 else f"-{seconds}s"
        # Centred under its grid line; "now" ends where the plot ends instead of running into the image's edge.
        label_width = _text_width(label, tick_scale)
        label_x = min(x - label_width // 2, right - label_width)
        _text(canvas, label, (label_x, bottom + 14), palette.ink, scale=tick_scale)
    values = np.asarray(probabilities, dtype=float)
    if len(times) and values.ndim == 2 and values.shape[0] == len(times):
        seconds_ago = float(times[-1]) - np.asarray(times, dtype=float)
        xs = right - np.clip(seconds_ago / window_seconds, 0.0, 1.0) * (right - left)
        for index, emotion in enumerate(EMOTIONS):
            ys = bottom - np.clip(values[:, index], 0.0, 1.0) * (bottom - top)
            points = np.round(np.stack([xs, ys], axis=1)).astype(np.int32)
            cv2.polylines(canvas, [points], False, colour_bgr(emotion.name), 2, cv2.LINE_AA)
    x = left
    for emotion in EMOTIONS:
        _text(canvas, emotion.display_name, (x, height - 8), colour_bgr(emotion.name), scale=0.38)
        x += _text_width(emotion.display_name, 0.38) + 10
    return cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
