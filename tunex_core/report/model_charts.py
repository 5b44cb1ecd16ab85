"""Plotly figures for the Model page, built from ``tunex_core.report.model_report`` results.

Pure functions: each takes parsed results and returns a ``plotly.graph_objects.Figure``.
No Streamlit here; ``pages/model.py`` only places the figures.

The figures carry no title of their own: the page writes it above the chart (as the Journal
does). A Plotly title shares the top margin with the legend, and on a phone-wide page the
legend wraps onto several rows and covers it; the legend sits just above the plot area and
the margin grows with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime

import plotly.graph_objects as go

from tunex_core.emotions import COLOURS, EMOTION_BY_NAME
from tunex_core.report.metrics_schema import ClassMetrics, Reliability
from tunex_core.report.model_report import AccuracyBar, ConfidenceSample, normalised_confusion

KIND_COLOURS: dict[str, str] = {"tunex": "#e4572e", "baseline": "#8d99ae", "anchor": "#2b2d42"}
KIND_NAMES: dict[str, str] = {"tunex": "TuneX", "baseline": "replaced baseline", "anchor": "reference"}
SCORE_COLOURS: dict[str, str] = {"precision": "#4c78a8", "recall": "#f58518", "f1": "#54a24b"}
FALLBACK_COLOUR = "#7f7f7f"


def _display_name(label: str) -> str:
    emotion = EMOTION_BY_NAME.get(label)
    return emotion.display_name if emotion else label


ACCURACY_TITLE = "Accuracy beside its anchors"
CONFIDENCE_HISTORY_TITLE = "Live confidence per face, this session"


def _layout(figure: go.Figure, height: int = 380) -> go.Figure:
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return figure


def confusion_title(evaluation_name: str) -> str:
    """The heading for ``confusion_figure`` of one evaluation."""
    return f"Confusion matrix, {evaluation_name} (each row sums to 100%)"


def per_class_title(evaluation_name: str) -> str:
    """The heading for ``per_class_figure`` of one evaluation."""
    return f"Per-class scores, {evaluation_name}"


def reliability_title(evaluation_name: str, ece: float | None) -> str:
    """The heading for ``reliability_figure``, with the expected calibration error when known."""
    suffix = f" — ECE {ece:.1%}" if ece is not None else ""
    return f"Reliability, {evaluation_name}{suffix}"


def _wrapped_label(name: str) -> str:
    """A bar label broken after its first comma, so long labels leave the bars room on a phone."""
    head, separator, tail = name.partition(", ")
    return f"{head},<br>{tail}" if separator else name


def accuracy_figure(bars: Sequence[AccuracyBar]) -> go.Figure:
    """Horizontal bars: TuneX's accuracy beside the baseline and the published anchors."""
    figure = go.Figure()
    for kind in ("tunex", "baseline", "anchor"):
        chosen = [bar for bar in bars if bar.kind == kind]
        if not chosen:
            continue
        figure.add_trace(go.Bar(
            name=KIND_NAMES[kind], orientation="h",
            x=[bar.accuracy for bar in chosen], y=[bar.name for bar in chosen],
            marker_color=KIND_COLOURS[kind],
            text=[f"{bar.accuracy:.1%}" for bar in chosen], textposition="outside", cliponaxis=False,
            customdata=[bar.note for bar in chosen],
            hovertemplate="%{y}: %{x:.1%}<br>%{customdata}<extra></extra>",
        ))
    order = [bar.name for bar in sorted(bars, key=lambda bar: bar.accuracy)]
    figure.update_yaxes(categoryorder="array", categoryarray=order,
                        tickvals=order, ticktext=[_wrapped_label(name) for name in order])
    figure.update_xaxes(range=[0, 1], tickformat=".0%", title="accuracy (FER-2013 test)")
    return _layout(figure, height=80 + 45 * max(len(bars), 1))


def confusion_figure(confusion: Sequence[Sequence[int]], labels: Sequence[str]) -> go.Figure:
    """Row-normalised confusion heatmap (rows = true class, columns = predicted), counts on hover."""
    normalised = normalised_confusion(confusion)
    names = [_display_name(label) for label in labels]
    figure = go.Figure(go.Heatmap(
        z=normalised, x=names, y=names, zmin=0, zmax=1, colorscale="Blues",
        text=[[f"{value:.0%}" for value in row] for row in normalised], texttemplate="%{text}",
        customdata=[list(row) for row in confusion],
        hovertemplate="true %{y}, predicted %{x}<br>%{z:.1%} of the row (%{customdata} faces)<extra></extra>",
        colorbar={"tickformat": ".0%"},
    ))
    figure.update_yaxes(autorange="reversed", title="true")
    figure.update_xaxes(title="predicted", side="bottom")
    return _layout(figure, height=420)


def per_class_figure(per_class: Mapping[str, ClassMetrics]) -> go.Figure:
    """Grouped bars of precision, recall and F1 per class."""
    labels = list(per_class)
    names = [_display_name(label) for label in labels]
    figure = go.Figure()
    for score, colour in SCORE_COLOURS.items():
        values = [getattr(per_class[label], score) for label in labels]
        figure.add_trace(go.Bar(
            name=score if score != "f1" else "F1", x=names, y=values, marker_color=colour,
            customdata=[per_class[label].support for label in labels],
            hovertemplate=f"%{{x}} {score}: %{{y:.1%}} (support %{{customdata}})<extra></extra>",
        ))
    figure.update_layout(barmode="group")
    figure.update_yaxes(range=[0, 1], tickformat=".0%")
    return _layout(figure)


def reliability_figure(reliability: Reliability) -> go.Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration (heading: ``reliability_title``)."""
    centres = reliability.bin_centres
    widths = [high - low for low, high in itertools.pairwise(reliability.bin_edges)]
    filled = [position for position, count in enumerate(reliability.count)
              if count > 0 and reliability.accuracy[position] is not None]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        name="accuracy in bin", x=[centres[i] for i in filled], y=[reliability.accuracy[i] for i in filled],
        width=[widths[i] * 0.95 for i in filled], marker_color="#4c78a8",
        customdata=[reliability.count[i] for i in filled],
        hovertemplate="confidence %{x:.2f}: accuracy %{y:.1%} (%{customdata} faces)<extra></extra>",
    ))
    with_confidence = [i for i in filled if reliability.confidence[i] is not None]
    figure.add_trace(go.Scatter(
        name="mean confidence in bin", mode="markers",
        x=[centres[i] for i in with_confidence], y=[reliability.confidence[i] for i in with_confidence],
        marker={"color": "#e4572e", "size": 9, "symbol": "diamond"},
        hovertemplate="mean confidence %{y:.1%}<extra></extra>",
    ))
    low, high = reliability.bin_edges[0], reliability.bin_edges[-1]
    figure.add_trace(go.Scatter(name="perfect calibration", mode="lines", x=[low, high], y=[low, high],
                                line={"dash": "dash", "color": "#888888"}, hoverinfo="skip"))
    figure.update_xaxes(range=[low, high], title="confidence", tickformat=".0%")
    figure.update_yaxes(range=[0, 1], title="accuracy", tickformat=".0%")
    return _layout(figure, height=400)


def confidence_history_figure(samples: Sequence[ConfidenceSample]) -> go.Figure:
    """One line per tracked face over time; each marker coloured by the emotion read."""
    figure = go.Figure()
    for face in sorted({sample.face for sample in samples}):
        readings = [sample for sample in samples if sample.face == face]
        figure.add_trace(go.Scatter(
            name=f"face {face}", mode="lines+markers",
            x=[datetime.fromtimestamp(sample.time) for sample in readings],
            y=[sample.confidence for sample in readings],
            line={"width": 1.5},
            marker={"size": 8, "color": [COLOURS.get(sample.label, FALLBACK_COLOUR) for sample in readings]},
            customdata=[_display_name(sample.label) for sample in readings],
            hovertemplate=f"face {face}, %{{x|%H:%M:%S}}<br>%{{customdata}} %{{y:.0%}}<extra></extra>",
        ))
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%", title="confidence")
    figure.update_xaxes(title="time")
    return _layout(figure)
