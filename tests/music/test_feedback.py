"""Tests for ``tunex_core.music.feedback``: likes, skips, plays and moods in the shared SQLite file."""

from __future__ import annotations

import pytest

from tunex_core.mood import Mood
from tunex_core.music.feedback import (
    LIKE,
    LIKE_HALF_LIFE_DAYS,
    SECONDS_PER_DAY,
    SKIP,
    SKIP_HALF_LIFE_DAYS,
    FeedbackStore,
    MoodRecord,
    decay_weight,
)
from tunex_core.storage import connect


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    return tmp_path


def test_the_store_lives_in_the_shared_database_beside_other_tables(home):
    with connect() as other_feature:
        other_feature.execute("CREATE TABLE spotify_cache (key TEXT PRIMARY KEY, value TEXT)")
    with FeedbackStore() as store:
        store.record_feedback(5, LIKE)
    assert (home / "tunex.sqlite3").is_file()
    tables = {row[0] for row in connect().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"spotify_cache", "recommend_feedback", "recommend_plays", "mood_history"} <= tables


def test_plays_come_back_newest_first_with_their_mood(home):
    mood = Mood.from_emotion("sad")
    with FeedbackStore() as store:
        store.record_play(1, mood, at=100.0)
        store.record_play(2, None, at=300.0)
        store.record_play(3, mood, at=200.0)
        plays = store.recent_plays(2)
    assert [play.music_id for play in plays] == [2, 3]
    assert (plays[0].mood_label, plays[0].valence) == (None, None)
    assert (plays[1].mood_label, plays[1].valence, plays[1].arousal) == ("sad", mood.valence, mood.arousal)


def test_moods_are_kept_as_history(home):
    with FeedbackStore() as store:
        store.record_mood(Mood.from_probabilities([0, 0, 0, 0.5, 0, 0, 0.5], source="camera"), at=10.0)
        store.record_mood(Mood.from_emotion("angry"), at=20.0)
    with FeedbackStore() as reopened:
        moods = reopened.recent_moods()
    assert [mood.label for mood in moods] == ["angry", "happy"]
    assert moods[1].probabilities == (0, 0, 0, 0.5, 0, 0, 0.5) and moods[1].source == "camera"


def test_a_recorded_mood_comes_back_as_the_mood_it_was(home):
    used = Mood.from_probabilities([0.1, 0, 0, 0.2, 0.6, 0, 0.1], source="live camera")
    with FeedbackStore() as store:
        store.record_mood(used, at=123.0)
        record = store.recent_moods(limit=1)[0]
    mood = record.to_mood()
    assert (mood.label, mood.source, mood.created_at) == ("sad", "live camera", 123.0)
    assert mood.probabilities == pytest.approx(used.probabilities)
    assert (mood.valence, mood.arousal) == pytest.approx((used.valence, used.arousal))
    damaged = MoodRecord("sad", 0.2, 0.3, (0.5, 0.5), "live camera", 123.0)
    assert damaged.to_mood() is None


def test_adjustments_decay_likes_slowly_and_skips_fast(home):
    now = 1_000_000_000.0
    with FeedbackStore() as store:
        store.record_feedback(7, LIKE, at=now)
        store.record_feedback(7, LIKE, at=now - LIKE_HALF_LIFE_DAYS * SECONDS_PER_DAY)
        store.record_feedback(8, SKIP, at=now - SKIP_HALF_LIFE_DAYS * SECONDS_PER_DAY)
        adjustments = store.adjustments(now=now)
    assert adjustments.songs[7].likes == pytest.approx(1.5)
    assert adjustments.songs[7].skips == 0
    assert adjustments.songs[8].skips == pytest.approx(0.5)
    assert decay_weight(2 * SKIP_HALF_LIFE_DAYS * SECONDS_PER_DAY, SKIP_HALF_LIFE_DAYS) == pytest.approx(0.25)
    assert not FeedbackStore().adjustments().songs.keys() - {7, 8}


def test_unknown_actions_are_rejected(home):
    with FeedbackStore() as store, pytest.raises(ValueError, match="like, skip"):
        store.record_feedback(1, "love")
