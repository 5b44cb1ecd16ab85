"""Plotly figures of the mood journal (drawing only; the numbers come from ``journal``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import plotly.graph_objects as go

from tunex_core.emotions import EMOTION_BY_NAME, EMOTIONS
from tunex_core.personal.checkins import IsoCheckin
from tunex_core.personal.journal import PeriodSummary, week_start

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
VALENCE_COLOUR = "#2a9d8f"
AROUSAL_COLOUR = "#e76f51"
MIN_VISIBLE_DAYS = 7
MIN_CALENDAR_WEEKS = 8
MILLISECONDS_PER_DAY = 86_400_000


def _date_axis(summaries: Sequence[PeriodSummary], period: str = "day") -> dict:
    """A date x-axis that shows at least ``MIN_VISIBLE_DAYS`` days, so a few points do not zoom into hours."""
    if not summaries:
        return {"type": "date"}
    first, last = (datetime.combine(summary.start, datetime.min.time()) for summary in (summaries[0], summaries[-1]))
    half = timedelta(days=3.5 if period == "week" else 0.5)
    if (last - first).days < MIN_VISIBLE_DAYS:
        first = last - timedelta(days=MIN_VISIBLE_DAYS - 1)
    return {"type": "date", "range": [first - half, last + half], "tickformat": "%d %b\n%Y"}


def _layout(figure: go.Figure, height: int, **extra) -> go.Figure:
    # Anchored by its bottom just above the plot, a legend that wraps onto more rows (a phone-wide
    # page) grows the top margin instead of hanging down over the bars.
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                         legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0}, **extra)
    return figure


def timeline_figure(summaries: Sequence[PeriodSummary], period: str = "day", height: int = 300) -> go.Figure:
    """Mean valence and arousal per day (or week) on 0..1, with the number of moods in the hover."""
    dates = [summary.start for summary in summaries]
    counts = [summary.count for summary in summaries]
    figure = go.Figure()
    for name, values, colour in (("valence (pleasant)", [s.mean_valence for s in summaries], VALENCE_COLOUR),
                                 ("arousal (energetic)", [s.mean_arousal for s in summaries], AROUSAL_COLOUR)):
        figure.add_trace(go.Scatter(
            x=dates, y=values, mode="lines+markers" if len(dates) <= 60 else "lines", name=name,
            line={"color": colour}, customdata=counts,
            hovertemplate=f"%{{x|%a %d %b %Y}}<br>{name}: %{{y:.2f}}<br>%{{customdata}} moods<extra></extra>"))
    return _layout(figure, height, yaxis={"range": [0, 1], "title": f"mean per {period}"},
                   xaxis=_date_axis(summaries, period))


def emotions_per_day_figure(summaries: Sequence[PeriodSummary], period: str = "day", height: int = 300) -> go.Figure:
    """Stacked bars: how many times each emotion was recorded per day (or week)."""
    dates = [summary.start for summary in summaries]
    bar_width = 0.8 * (7 if period == "week" else 1) * MILLISECONDS_PER_DAY  # a date axis counts milliseconds
    figure = go.Figure()
    for emotion in EMOTIONS:
        counts = [summary.emotion_counts[emotion.index] for summary in summaries]
        if any(counts):
            figure.add_trace(go.Bar(x=dates, y=counts, name=emotion.display_label,
                                    marker_color=emotion.colour, width=bar_width,
                                    hovertemplate=f"%{{x|%d %b}}: %{{y}} {emotion.display_name.lower()}<extra></extra>"))
    return _layout(figure, height, barmode="stack", bargap=0.1, yaxis={"title": "moods"},
                   xaxis=_date_axis(summaries, period))


def calendar_figure(summaries: Sequence[PeriodSummary], height: int = 260) -> go.Figure:
    """A calendar heat map: one column per week (at least ``MIN_CALENDAR_WEEKS``), one row per weekday,
    coloured by mean valence.

    The hover names the day, its number of moods and its dominant emotion; days without moods stay blank.
    """
    if not summaries:
        return _layout(go.Figure(), height)
    last = week_start(summaries[-1].start)
    first = min(week_start(summaries[0].start), last - timedelta(weeks=MIN_CALENDAR_WEEKS - 1))
    weeks = [first + timedelta(weeks=number) for number in range((last - first).days // 7 + 1)]
    column = {week: index for index, week in enumerate(weeks)}
    values: list[list[float | None]] = [[None] * len(weeks) for _ in WEEKDAYS]
    hover: list[list[str]] = [[""] * len(weeks) for _ in WEEKDAYS]
    for summary in summaries:
        row, col = summary.start.weekday(), column[week_start(summary.start)]
        emotion = EMOTION_BY_NAME[summary.dominant]
        values[row][col] = summary.mean_valence
        hover[row][col] = (f"{summary.start:%a %d %b %Y}<br>{summary.count} moods, mostly {emotion.emoji} "
                           f"{emotion.display_name.lower()}<br>valence {summary.mean_valence:.2f}, "
                           f"arousal {summary.mean_arousal:.2f}")
    figure = go.Figure(go.Heatmap(
        z=values, x=[week.isoformat() for week in weeks], y=list(WEEKDAYS), text=hover, hoverinfo="text", hoverongaps=False,
        zmin=0, zmax=1, colorscale="RdYlGn", xgap=2, ygap=2,
        colorbar={"title": "valence", "thickness": 12, "len": 0.9}))
    return _layout(figure, height, yaxis={"autorange": "reversed"},
                   xaxis={"title": "week of", "type": "category", "nticks": 13})


def iso_figure(checkins: Sequence[IsoCheckin], height: int = 280) -> go.Figure:
    """Distance to the target before and after each finished iso session (lower after = it helped)."""
    done = [checkin for checkin in checkins if checkin.complete]
    figure = go.Figure()
    for number, checkin in enumerate(done, start=1):
        helped = (checkin.progress or 0.0) > 0
        figure.add_trace(go.Scatter(
            x=["before", "after"], y=[checkin.distance_before, checkin.distance_after], mode="lines+markers",
            line={"color": "#2a9d8f" if helped else "#e63946"}, showlegend=False,
            hovertemplate=(f"session {number}: {checkin.before_label} → {checkin.after_label} "
                           f"(target {checkin.target_label})<br>distance %{{y:.2f}}<extra></extra>")))
    return _layout(figure, height, yaxis={"title": "distance to target", "rangemode": "tozero"})
