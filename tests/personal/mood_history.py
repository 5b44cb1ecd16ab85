"""A short mood history shared by the journal's tests: moods at known UTC times."""

from __future__ import annotations

from datetime import datetime, timezone

from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.personal.journal import MoodEntry

UTC = timezone.utc


def at(day: int, hour: int, month: int = 12) -> float:
    """Unix time of 2026-<month>-<day> <hour>:00 UTC."""
    return datetime(2026, month, day, hour, tzinfo=UTC).timestamp()


def mood(label: str, when: float) -> MoodEntry:
    emotion = EMOTION_BY_NAME[label]
    return MoodEntry(when, label, emotion.valence, emotion.arousal, "test")


# Monday 30 Nov: sad, sad, happy; Tuesday 1 Dec: neutral; Monday 7 Dec: angry.
HISTORY = (mood("sad", at(30, 8, 11)), mood("sad", at(30, 12, 11)), mood("happy", at(30, 23, 11)),
           mood("neutral", at(1, 0)), mood("angry", at(7, 9)))
