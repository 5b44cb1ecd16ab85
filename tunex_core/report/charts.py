"""Plotly figures for emotion probabilities (shared by the Live page and others)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from tunex_core.emotions import DISPLAY_NAMES, EMOTIONS


def probability_bars(probabilities, title: str = "", height: int = 260,
                     compare: Sequence[float] | None = None, compare_name: str = "this frame") -> go.Figure:
    """Horizontal bars of the 7 probabilities in emotion colours (optionally a second, hollow series)."""
    values = np.asarray(probabilities, dtype=float)
    figure = go.Figure(go.Bar(
        x=values, y=list(DISPLAY_NAMES), orientation="h", name="smoothed" if compare is not None else "probability",
        marker_color=[emotion.colour for emotion in EMOTIONS],
        text=[f"{value:.0%}" for value in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    if compare is not None:
        figure.add_trace(go.Scatter(
            x=np.asarray(compare, dtype=float), y=list(DISPLAY_NAMES), mode="markers", name=compare_name,
            marker={"symbol": "line-ns", "size": 18, "line": {"width": 3, "color": "#222"}},
            hovertemplate="%{y} (" + compare_name + "): %{x:.1%}<extra></extra>"))
    figure.update_layout(
        title=title or None, height=height, margin={"l": 10, "r": 30, "t": 40 if title else 10, "b": 10},
        xaxis={"range": [0, 1.05], "tickformat": ".0%"}, yaxis={"autorange": "reversed"},
        showlegend=compare is not None, legend={"orientation": "h", "y": -0.2})
    return figure


def probability_timeline(times: Sequence[float], probabilities: np.ndarray, window_seconds: float = 30.0,
                         height: int = 280) -> go.Figure:
    """Lines of each emotion's probability over the last ``window_seconds`` (x = seconds ago)."""
    figure = go.Figure()
    if len(times):
        seconds_ago = np.asarray(times, dtype=float) - float(times[-1])
        values = np.asarray(probabilities, dtype=float)
        for index, emotion in enumerate(EMOTIONS):
            figure.add_trace(go.Scatter(
                x=seconds_ago, y=values[:, index], mode="lines", name=emotion.display_name,
                line={"color": emotion.colour, "width": 2},
                hovertemplate=emotion.display_name + ": %{y:.0%} at %{x:.1f}s<extra></extra>"))
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"range": [-window_seconds, 0], "title": "seconds ago"},
        yaxis={"range": [0, 1], "tickformat": ".0%"}, legend={"orientation": "h", "y": -0.25})
    return figure
