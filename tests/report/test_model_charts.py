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
    figure = confusion_figure(evaluation.confusion, report.labels, "title")
    heatmap = figure.data[0]
    np.testing.assert_allclose(np.asarray(heatmap.z).sum(axis=1), np.ones(7))
    assert list(heatmap.y) == ["Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"]
    assert [list(row) for row in heatmap.customdata] == [list(row) for row in evaluation.confusion]
    assert figure.layout.yaxis.autorange == "reversed"


def test_per_class_figure_plots_precision_recall_f1(report):
    per_class = report.evaluation(report.shipped).per_class
    figure = per_class_figure(per_class, "title")
    assert [trace.name for trace in figure.data] == ["precision", "recall", "F1"]
    assert list(figure.data[1].y) == [scores.recall for scores in per_class.values()]


def test_reliability_figure_leaves_out_empty_bins_and_shows_the_ece(report):
    evaluation = report.evaluation(report.shipped)
    figure = reliability_figure(evaluation.reliability, evaluation.ece, "Reliability")
    bars = figure.data[0]
    assert len(bars.x) == sum(1 for count in evaluation.reliability.count if count > 0)
    assert bars.x[0] == pytest.approx(0.15)  # the 0.0-0.1 bin is empty in the sample
    assert "ECE 2.4%" in figure.layout.title.text
    assert "ECE" not in reliability_figure(evaluation.reliability, None, "Reliability").layout.title.text


def test_confidence_history_figure_has_one_line_per_face():
    samples = [ConfidenceSample(1_700_000_000.0, 0, "happy", 0.8),
               ConfidenceSample(1_700_000_001.0, 1, "sad", 0.5),
               ConfidenceSample(1_700_000_002.0, 0, "surprise", 0.7)]
    figure = confidence_history_figure(samples)
    assert [trace.name for trace in figure.data] == ["face 0", "face 1"]
    assert list(figure.data[0].y) == [0.8, 0.7]
    assert list(figure.data[0].customdata) == ["Happy", "Surprise"]
