"""Listening history and like/skip feedback of one profile, kept in the shared TuneX SQLite database.

Three tables live beside the other features' tables in ``tunex.sqlite3``
(defined, with their versions, in ``tunex_core.storage``); every row carries the
``profile_id`` of the listener it belongs to:

* ``recommend_feedback`` — one row per like or skip (music id, action, time);
* ``recommend_plays`` — one row per song played, with the mood it was played for;
* ``mood_history`` — one row per mood the listener used.

Writes return a ``storage.WriteOutcome``: when another program locks the file
they are queued and saved later rather than lost.

``FeedbackStore.adjustments()`` condenses the feedback into time-decayed weights
per song: each like counts ``0.5 ** (age / LIKE_HALF_LIFE_DAYS)``, each skip
``0.5 ** (age / SKIP_HALF_LIFE_DAYS)``, so a skip fades within weeks while a
like lasts for months. ``tunex_core.music.recommend`` turns the weights into ranking
offsets for the songs and their artists.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from tunex_core.mood import Mood
from tunex_core.storage import (
    BUSY_TIMEOUT_SECONDS,
    DEFAULT_PROFILE_ID,
    Database,
    DatabaseStore,
    WriteOutcome,
    open_database,
)

LIKE = "like"
SKIP = "skip"
FEEDBACK_ACTIONS = (LIKE, SKIP)
LIKE_HALF_LIFE_DAYS = 90.0
SKIP_HALF_LIFE_DAYS = 14.0
SECONDS_PER_DAY = 86_400.0

@dataclass(frozen=True)
class Play:
    """A song played, with the mood it was played for (None when unknown)."""

    music_id: int
    played_at: float
    mood_label: str | None
    valence: float | None
    arousal: float | None


@dataclass(frozen=True)
class MoodRecord:
    """A mood the listener used, as stored in the history."""

    label: str
    valence: float
    arousal: float
    probabilities: tuple[float, ...]
    source: str
    recorded_at: float

    def to_mood(self) -> Mood | None:
        """The recorded mood as it was used (its source and time kept); None when its probabilities are not
        seven numbers summing to one (a damaged row)."""
        try:
            rebuilt = Mood.from_probabilities(self.probabilities, source=self.source)
        except (TypeError, ValueError):
            return None
        return replace(rebuilt, created_at=float(self.recorded_at))


@dataclass(frozen=True)
class SongFeedback:
    """Time-decayed like and skip weights of one song (1.0 = one fresh like or skip)."""

    music_id: int
    likes: float = 0.0
    skips: float = 0.0


@dataclass(frozen=True)
class FeedbackAdjustments:
    """Decayed feedback weights per music id, as used by ``tunex_core.music.recommend.recommend``."""

    songs: dict[int, SongFeedback] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.songs)


def decay_weight(age_seconds: float, half_life_days: float) -> float:
    """The weight of feedback ``age_seconds`` old: 1 now, 0.5 after one half-life."""
    return 0.5 ** (max(age_seconds, 0.0) / (half_life_days * SECONDS_PER_DAY))


class FeedbackStore(DatabaseStore):
    """Likes, skips, plays and moods of one profile (``storage.open_database``; one connection per use).

    Opening never fails for a damaged or unwritable file (see ``tunex_core.storage``); reads raise
    ``DatabaseBusyError`` when another program holds a lock, and writes are then queued.
    """

    def __init__(self, path: str | Path | None = None, *, profile_id: int = DEFAULT_PROFILE_ID,
                 database: Database | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.database = database if database is not None else open_database(path, busy_timeout=busy_timeout)
        self.profile_id = int(profile_id)

    def record_feedback(self, music_id: int, action: str, at: float | None = None) -> WriteOutcome:
        """Store a ``"like"`` or ``"skip"`` of ``music_id`` (``at``: Unix time, default now)."""
        if action not in FEEDBACK_ACTIONS:
            raise ValueError(f"feedback action must be one of {', '.join(FEEDBACK_ACTIONS)}, not {action!r}")
        return self.database.write([(
            "INSERT INTO recommend_feedback (music_id, action, created_at, profile_id) VALUES (?, ?, ?, ?)",
            (int(music_id), action, time.time() if at is None else float(at), self.profile_id))])

    def record_play(self, music_id: int, mood: Mood | None = None, at: float | None = None) -> WriteOutcome:
        """Store that ``music_id`` was played, for ``mood`` if known."""
        return self.database.write([(
            "INSERT INTO recommend_plays (music_id, played_at, mood_label, valence, arousal, profile_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (int(music_id), time.time() if at is None else float(at),
             mood.label if mood else None, mood.valence if mood else None,
             mood.arousal if mood else None, self.profile_id))])

    def record_mood(self, mood: Mood, at: float | None = None) -> WriteOutcome:
        """Add ``mood`` to the profile's mood history."""
        return self.database.write([(
            "INSERT INTO mood_history (label, valence, arousal, probabilities, source, recorded_at, profile_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (mood.label, mood.valence, mood.arousal, json.dumps(list(mood.probabilities)), mood.source,
             mood.created_at if at is None else float(at), self.profile_id))])

    def recent_plays(self, limit: int = 20) -> tuple[Play, ...]:
        """The ``limit`` most recent plays, newest first."""
        rows = self.database.query(
            "SELECT music_id, played_at, mood_label, valence, arousal FROM recommend_plays WHERE profile_id = ? "
            "ORDER BY played_at DESC, id DESC LIMIT ?", (self.profile_id, int(limit)))
        return tuple(Play(row["music_id"], row["played_at"], row["mood_label"], row["valence"],
                          row["arousal"]) for row in rows)

    def recent_moods(self, limit: int = 20) -> tuple[MoodRecord, ...]:
        """The ``limit`` most recent moods, newest first."""
        rows = self.database.query(
            "SELECT label, valence, arousal, probabilities, source, recorded_at FROM mood_history "
            "WHERE profile_id = ? ORDER BY recorded_at DESC, id DESC LIMIT ?", (self.profile_id, int(limit)))
        return tuple(MoodRecord(row["label"], row["valence"], row["arousal"],
                                tuple(json.loads(row["probabilities"])), row["source"], row["recorded_at"])
                     for row in rows)

    def adjustments(self, now: float | None = None) -> FeedbackAdjustments:
        """Time-decayed like/skip weights per music id (see the module docstring)."""
        now = time.time() if now is None else float(now)
        likes: dict[int, float] = {}
        skips: dict[int, float] = {}
        for row in self.database.query("SELECT music_id, action, created_at FROM recommend_feedback "
                                       "WHERE profile_id = ?", (self.profile_id,)):
            age = now - row["created_at"]
            music_id = row["music_id"]
            if row["action"] == LIKE:
                likes[music_id] = likes.get(music_id, 0.0) + decay_weight(age, LIKE_HALF_LIFE_DAYS)
            else:
                skips[music_id] = skips.get(music_id, 0.0) + decay_weight(age, SKIP_HALF_LIFE_DAYS)
        return FeedbackAdjustments({
            music_id: SongFeedback(music_id, likes.get(music_id, 0.0), skips.get(music_id, 0.0))
            for music_id in sorted(likes.keys() | skips.keys())
        })
