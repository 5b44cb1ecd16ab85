"""Tests for ``tunex_core.report.model_charts``: the figures carry the report's numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunex_core.report.model_charts import (
    accuracy_figure,
    confidence_history_figure,
    confusion_figure,
    per_class_figure,
    reliability_figure,
    reliability_title,
)
from tunex_core.report.model_report import ConfidenceSample, accuracy_bars, load_model_report

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics_sample.json"


@pytest.fixture(scope="module")
def report():
    return load_model_report(SAMPLE_FILE)


def test_accuracy_figure_has_one_trace_per_kind_with_every_bar(report):
    bars = accuracy_bars(report)
    figure = accuracy_figure(bars)
    assert [trace.name for trace in figure.data] == ["TuneX", "replaced baseline", "reference"]
    plotted = {name: value for trace in figure.data for name, value in zip(trace.y, trace.x, strict=True)}
    assert plotted == {bar.name: bar.accuracy for bar in bars}
    assert list(figure.layout.yaxis.categoryarray)[-1] == bars[0].name  # best bar on top


def test_confusion_figure_is_row_normalised_with_counts_on_hover(report):
    evaluation = report.evaluation(report.shipped)
    figure = confusion_figure(evaluation.confusion, report.labels)
    heatmap = figure.data[0]
    np.testing.assert_allclose(np.asarray(heatmap.z).sum(axis=1), np.ones(7))
    assert list(heatmap.y) == ["Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"]
    assert [list(row) for row in heatmap.customdata] == [list(row) for row in evaluation.confusion]
    assert figure.layout.yaxis.autorange == "reversed"


def test_per_class_figure_plots_precision_recall_f1(report):
    per_class = report.evaluation(report.shipped).per_class
    figure = per_class_figure(per_class)
    assert [trace.name for trace in figure.data] == ["precision", "recall", "F1"]
    assert list(figure.data[1].y) == [scores.recall for scores in per_class.values()]


def test_reliability_figure_leaves_out_empty_bins_and_shows_the_ece(report):
    evaluation = report.evaluation(report.shipped)
    figure = reliability_figure(evaluation.reliability)
    bars = figure.data[0]
    assert len(bars.x) == sum(1 for count in evaluation.reliability.count if count > 0)
    assert bars.x[0] == pytest.approx(0.15)  # the 0.0-0.1 bin is empty in the sample
    assert reliability_title("PrivateTest · flip TTA", evaluation.ece) == "Reliability, PrivateTest · flip TTA — ECE 2.4%"
    assert reliability_title("PrivateTest · flip TTA", None) == "Reliability, PrivateTest · flip TTA"


def test_long_accuracy_labels_break_after_their_first_comma(report):
    bars = accuracy_bars(report)
    axis = accuracy_figure(bars).layout.yaxis
    assert list(axis.tickvals) == list(axis.categoryarray)  # every bar keeps its label
    labels = dict(zip(axis.tickvals, axis.ticktext, strict=True))
    assert labels["TuneX, PrivateTest · flip TTA (shipped)"] == "TuneX,<br>PrivateTest · flip TTA (shipped)"
    assert labels["best published single models"] == "best published single models"


def test_legends_sit_above_the_plot_and_no_figure_has_a_title_to_cover(report):
    """On a phone-wide page a legend wraps onto several rows: anchored by its bottom above the plot,
    it grows the margin upwards instead of covering the bars or a title."""
    evaluation = report.evaluation(report.shipped)
    samples = [ConfidenceSample(1_700_000_000.0, 0, "happy", 0.8)]
    figures = [accuracy_figure(accuracy_bars(report)), confusion_figure(evaluation.confusion, report.labels),
               per_class_figure(evaluation.per_class), reliability_figure(evaluation.reliability),
               confidence_history_figure(samples)]
    for figure in figures:
        assert figure.layout.title.text is None
        assert figure.layout.legend.yanchor == "bottom" and figure.layout.legend.y >= 1


def test_confidence_history_figure_has_one_line_per_face():
    samples = [ConfidenceSample(1_700_000_000.0, 0, "happy", 0.8),
               ConfidenceSample(1_700_000_001.0, 1, "sad", 0.5),
               ConfidenceSample(1_700_000_002.0, 0, "surprise", 0.7)]
    figure = confidence_history_figure(samples)
    assert [trace.name for trace in figure.data] == ["face 0", "face 1"]
    assert list(figure.data[0].y) == [0.8, 0.7]
    assert list(figure.data[0].customdata) == ["Happy", "Surprise"]
