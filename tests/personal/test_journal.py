"""Tests for ``tunex_core.personal.journal``: days, weeks, songs per mood, ratings and iso outcomes from a known history."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.personal.mood_history import HISTORY, UTC, at, mood
from tunex_core.emotions import EMOTION_BY_NAME, EMOTION_NAMES
from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, SKIP, FeedbackStore
from tunex_core.personal.checkins import CheckinStore, IsoCheckin
from tunex_core.personal.journal import (
    FeedbackEntry,
    PlayEntry,
    daily_summaries,
    describe_age,
    feedback_counts,
    iso_summary,
    load_history,
    period_start,
    songs_by_mood,
    weekly_summaries,
)
from tunex_core.personal.journal_charts import iso_figure
from tunex_core.storage import DEFAULT_PROFILE_ID, open_database


def test_days_group_moods_by_calendar_day_with_means_and_counts():
    days = daily_summaries(HISTORY, tz=UTC)

    assert [day.start for day in days] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 7)]
    monday = days[0]
    assert monday.count == 3 and monday.dominant == "sad"
    assert monday.emotion_counts[EMOTION_NAMES.index("sad")] == 2
    assert monday.emotion_counts[EMOTION_NAMES.index("happy")] == 1
    assert sum(monday.emotion_counts) == 3
    sad, happy = EMOTION_BY_NAME["sad"], EMOTION_BY_NAME["happy"]
    assert monday.mean_valence == pytest.approx((2 * sad.valence + happy.valence) / 3)
    assert monday.mean_arousal == pytest.approx((2 * sad.arousal + happy.arousal) / 3)
    assert days[1].dominant == "neutral" and days[2].dominant == "angry"


def test_the_day_depends_on_the_time_zone():
    late_evening = (mood("happy", at(30, 23, 11)),)
    assert daily_summaries(late_evening, tz=UTC)[0].start == date(2026, 11, 30)
    assert daily_summaries(late_evening, tz=timezone(timedelta(hours=2)))[0].start == date(2026, 12, 1)


def test_the_last_days_are_whole_calendar_days_with_today():
    now = at(6, 15)  # Sunday 6 Dec, 15:00
    assert period_start(1, now, tz=UTC) == at(6, 0)
    assert period_start(7, now, tz=UTC) == at(30, 0, 11)  # Monday 30 Nov 00:00: seven days, no partial eighth
    assert period_start(7, now, tz=timezone(timedelta(hours=-10))) == datetime(
        2026, 11, 30, tzinfo=timezone(timedelta(hours=-10))).timestamp()  # 05:00 there: still 6 Dec
    moods = (mood("sad", at(29, 23, 11)), mood("happy", at(30, 0, 11)), mood("angry", at(6, 14)))
    kept = [entry for entry in moods if entry.recorded_at >= period_start(7, now, tz=UTC)]
    assert [day.start for day in daily_summaries(kept, tz=UTC)] == [date(2026, 11, 30), date(2026, 12, 6)]
    with pytest.raises(ValueError):
        period_start(0, now)


def test_a_period_across_a_clock_change_starts_at_local_midnight():
    berlin = ZoneInfo("Europe/Berlin")  # clocks went back on Sunday 25 Oct 2026
    now = datetime(2026, 10, 27, 12, tzinfo=berlin).timestamp()
    start = period_start(7, now, tz=berlin)
    assert datetime.fromtimestamp(start, berlin) == datetime(2026, 10, 21, tzinfo=berlin)
    assert now - start == (6 * 24 + 12 + 1) * 3600  # the day the clocks went back had 25 hours


def test_weeks_start_on_monday():
    weeks = weekly_summaries(HISTORY, tz=UTC)
    assert [(week.start, week.count) for week in weeks] == [(date(2026, 11, 30), 4), (date(2026, 12, 7), 1)]


def test_songs_by_mood_and_ratings():
    plays = (PlayEntry(1.0, 10, "sad"), PlayEntry(2.0, 10, "sad"), PlayEntry(3.0, 11, "sad"),
             PlayEntry(4.0, 12, "happy"), PlayEntry(5.0, 13, None))
    by_mood = songs_by_mood(plays)
    assert list(by_mood) == ["happy", "sad"]  # emotion order
    assert [(song.music_id, song.plays) for song in by_mood["sad"]] == [(10, 2), (11, 1)]

    ratings = feedback_counts((FeedbackEntry(1.0, 10, "like"), FeedbackEntry(5.0, 10, "like"),
                               FeedbackEntry(3.0, 11, "skip"), FeedbackEntry(4.0, 10, "skip")))
    assert [(rating.music_id, rating.likes, rating.skips, rating.last_at) for rating in ratings] == [
        (10, 2, 1, 5.0), (11, 0, 1, 3.0)]


def checkin(before: str, after: str | None, target: str = "neutral") -> IsoCheckin:
    start, goal = EMOTION_BY_NAME[before], EMOTION_BY_NAME[target]
    end = EMOTION_BY_NAME[after] if after else None
    return IsoCheckin("k", target, goal.valence, goal.arousal, before, start.valence, start.arousal, 0.0,
                      after, end.valence if end else None, end.arousal if end else None, 1.0 if end else None)


def test_iso_summary_says_whether_the_playlists_moved_the_mood():
    reached = checkin("sad", "neutral")
    worse = checkin("sad", "angry")
    unfinished = checkin("happy", None)

    summary = iso_summary([reached, worse, unfinished])

    assert reached.progress == pytest.approx(reached.distance_before) and reached.distance_after == 0
    assert worse.progress < 0 and unfinished.progress is None
    assert (summary.sessions, summary.moved_closer, summary.moved_away) == (2, 1, 1)
    assert summary.mean_progress == pytest.approx((reached.progress + worse.progress) / 2)
    assert "1 of 2 iso sessions (50%)" in summary.verdict
    assert iso_summary([unfinished]).sessions == 0 and "No finished check-ins" in iso_summary([]).verdict
    assert len(iso_figure([reached, worse, unfinished]).data) == 2


def test_load_history_reads_one_profile_from_a_date(home):
    with FeedbackStore() as store:
        store.record_mood(Mood.from_emotion("sad"), at=at(1, 9))
        store.record_mood(Mood.from_emotion("happy"), at=at(3, 9))
        store.record_play(10, Mood.from_emotion("happy"), at=at(3, 10))
        store.record_feedback(10, LIKE, at=at(3, 11))
        store.record_feedback(11, SKIP, at=at(1, 11))
    with FeedbackStore(profile_id=99) as other:
        other.record_mood(Mood.from_emotion("angry"), at=at(3, 9))
    with open_database() as database:
        CheckinStore(database, DEFAULT_PROFILE_ID).start("s1", Mood.from_emotion("sad"), "neutral", (0.47, 0.18),
                                                         at=at(3, 12))
        CheckinStore(database, DEFAULT_PROFILE_ID).finish("s1", Mood.from_emotion("neutral"), at=at(3, 13))
        history = load_history(database, DEFAULT_PROFILE_ID, since=at(2, 0))
        everything = load_history(database, DEFAULT_PROFILE_ID)

    assert [entry.label for entry in history.moods] == ["happy"]
    assert [(play.music_id, play.mood_label) for play in history.plays] == [(10, "happy")]
    assert [(entry.music_id, entry.action) for entry in history.feedback] == [(10, "like")]
    assert len(history.checkins) == 1 and history.checkins[0].after_label == "neutral"
    assert [entry.label for entry in everything.moods] == ["sad", "happy"] and len(everything.feedback) == 2


@pytest.mark.parametrize(("seconds", "words"), [
    (-5, "just now"), (0, "just now"), (59, "just now"), (60, "1 min ago"), (3599, "59 min ago"),
    (3600, "1 h ago"), (86_399, "23 h ago"), (86_400, "yesterday"), (2 * 86_400 + 5, "2 days ago"),
])
def test_describe_age(seconds, words):
    assert describe_age(seconds) == words
