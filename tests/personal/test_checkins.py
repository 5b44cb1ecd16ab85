"""Tests for ``tunex_core.personal.checkins``: the before and after check-ins of one profile's iso playlists."""

from __future__ import annotations

import pytest

from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.mood import Mood
from tunex_core.personal.checkins import CheckinStore
from tunex_core.personal.profiles import ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID, WriteOutcome, open_database

NEUTRAL = (EMOTION_BY_NAME["neutral"].valence, EMOTION_BY_NAME["neutral"].arousal)


def test_a_check_in_is_started_then_finished_and_read_back(home):
    with open_database() as database:
        store = CheckinStore(database, DEFAULT_PROFILE_ID)
        assert store.start("s1", Mood.from_emotion("sad"), "neutral", NEUTRAL, at=100.0) is WriteOutcome.SAVED
        (started,) = store.checkins()
        assert (started.session_key, started.before_label, started.target_label) == ("s1", "sad", "neutral")
        assert not started.complete and started.progress is None
        assert store.finish("s1", Mood.from_emotion("neutral"), at=200.0) is WriteOutcome.SAVED
        (finished,) = store.checkins()
    assert finished.complete and finished.after_label == "neutral" and finished.after_at == 200.0
    assert finished.distance_after == pytest.approx(0.0)
    assert finished.progress == pytest.approx(finished.distance_before) and finished.progress > 0


def test_a_mood_further_from_the_target_is_negative_progress(home):
    with open_database() as database:
        store = CheckinStore(database, DEFAULT_PROFILE_ID)
        store.start("s1", Mood.from_emotion("sad"), "neutral", NEUTRAL, at=100.0)
        store.finish("s1", Mood.from_emotion("angry"), at=200.0)
        (checkin,) = store.checkins()
    assert checkin.distance_after > checkin.distance_before and checkin.progress < 0


def test_check_ins_belong_to_one_profile_and_are_read_oldest_first_from_a_time(home):
    with ProfileStore() as profiles:
        other = profiles.create("Other")
    with open_database() as database:
        mine, theirs = CheckinStore(database, DEFAULT_PROFILE_ID), CheckinStore(database, other.id)
        mine.start("late", Mood.from_emotion("sad"), "neutral", NEUTRAL, at=300.0)
        mine.start("early", Mood.from_emotion("angry"), "neutral", NEUTRAL, at=100.0)
        theirs.start("other", Mood.from_emotion("fear"), "neutral", NEUTRAL, at=200.0)
        theirs.finish("early", Mood.from_emotion("happy"), at=400.0)  # another profile's finish changes nothing
        assert [checkin.session_key for checkin in mine.checkins()] == ["early", "late"]
        assert [checkin.session_key for checkin in mine.checkins(since=200.0)] == ["late"]
        assert [checkin.session_key for checkin in theirs.checkins()] == ["other"]
        assert not mine.checkins()[0].complete


def test_starting_a_session_again_replaces_its_check_in(home):
    with open_database() as database:
        store = CheckinStore(database, DEFAULT_PROFILE_ID)
        store.start("s1", Mood.from_emotion("sad"), "neutral", NEUTRAL, at=100.0)
        store.start("s1", Mood.from_emotion("angry"), "happy", (0.8, 0.7), at=150.0)
        (checkin,) = store.checkins()
    assert (checkin.before_label, checkin.target_label, checkin.before_at) == ("angry", "happy", 150.0)
