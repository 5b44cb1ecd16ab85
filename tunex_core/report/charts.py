"""Plotly figure of one face's emotion probabilities (the Live page's snapshot and upload readings).

The live video's own charts are drawn into images by ``tunex_core.live.charts`` instead: a Plotly
figure per frame would be far too slow there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from tunex_core.emotions import DISPLAY_NAMES, EMOTIONS


def probability_bars(probabilities: Sequence[float], height: int = 260) -> go.Figure:
    """Horizontal bars of the seven probabilities in FER order and emotion colours, each labelled with its percentage."""
    values = np.asarray(probabilities, dtype=float)
    if values.shape != (len(EMOTIONS),):
        raise ValueError(f"expected {len(EMOTIONS)} probabilities, got shape {values.shape}")
    figure = go.Figure(go.Bar(
        x=values, y=list(DISPLAY_NAMES), orientation="h", name="probability",
        marker_color=[emotion.colour for emotion in EMOTIONS],
        text=[f"{value:.0%}" for value in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    figure.update_layout(
        height=height, margin={"l": 10, "r": 30, "t": 10, "b": 10},
        xaxis={"range": [0, 1.05], "tickformat": ".0%"}, yaxis={"autorange": "reversed"}, showlegend=False)
    return figure
