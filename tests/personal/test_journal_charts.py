"""Tests for ``tunex_core.personal.journal_charts``: the calendar, the timeline and the stacked bars from known days."""

from __future__ import annotations

import pytest

from tests.personal.mood_history import HISTORY, UTC
from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.personal.journal import daily_summaries
from tunex_core.personal.journal_charts import calendar_figure, emotions_per_day_figure, timeline_figure


def test_calendar_puts_each_day_in_its_weekday_row_and_week_column():
    days = daily_summaries(HISTORY, tz=UTC)
    heatmap = calendar_figure(days).data[0]

    assert list(heatmap.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert len(heatmap.x) == 8  # short histories still get a calendar of eight weeks
    assert list(heatmap.x[-2:]) == ["2026-11-30", "2026-12-07"]
    assert heatmap.z[0][-2] == pytest.approx(days[0].mean_valence)  # Monday, first week
    assert heatmap.z[1][-2] == pytest.approx(EMOTION_BY_NAME["neutral"].valence)  # Tuesday, first week
    assert heatmap.z[0][-1] == pytest.approx(EMOTION_BY_NAME["angry"].valence)  # Monday, second week
    filled = sum(value is not None for row in heatmap.z for value in row)
    assert filled == 3
    assert "3 moods, mostly 😢 sad" in heatmap.text[0][-2]


def test_timeline_and_stacked_bars_follow_the_summaries():
    days = daily_summaries(HISTORY, tz=UTC)
    timeline = timeline_figure(days)
    assert [trace.name for trace in timeline.data] == ["valence (pleasant)", "arousal (energetic)"]
    assert list(timeline.data[0].y) == pytest.approx([day.mean_valence for day in days])
    bars = emotions_per_day_figure(days)
    assert {trace.name for trace in bars.data} == {"😠 Angry", "😄 Happy", "😢 Sad", "😐 Neutral"}
    sad_trace = next(trace for trace in bars.data if trace.name == "😢 Sad")
    assert list(sad_trace.y) == [2, 0, 0]


def test_legends_grow_the_margin_above_the_plot_instead_of_covering_it():
    """Seven emotions wrap onto four legend rows on a phone; hung from the top they covered the bars."""
    days = daily_summaries(HISTORY, tz=UTC)
    for figure in (timeline_figure(days), emotions_per_day_figure(days)):
        assert figure.layout.legend.yanchor == "bottom" and figure.layout.legend.y >= 1
