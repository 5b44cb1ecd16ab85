"""The mood journal: a profile's moods by day and week, songs per mood, likes and skips, iso outcomes.

``load_history`` reads everything the journal shows with one connection; the other
functions are pure computations on that history, so they can be tested from a known
history. Days are calendar days in ``tz`` (the computer's local time zone by default).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.personal.checkins import CheckinStore, IsoCheckin
from tunex_core.storage import Database


@dataclass(frozen=True)
class MoodEntry:
    """One mood of the history."""

    recorded_at: float
    label: str
    valence: float
    arousal: float
    source: str


@dataclass(frozen=True)
class PlayEntry:
    """One song played, with the mood it was played for (None when unknown)."""

    played_at: float
    music_id: int
    mood_label: str | None


@dataclass(frozen=True)
class FeedbackEntry:
    """One like or skip."""

    created_at: float
    music_id: int
    action: str


@dataclass(frozen=True)
class JournalHistory:
    """Everything the journal shows for one profile, oldest first."""

    moods: tuple[MoodEntry, ...]
    plays: tuple[PlayEntry, ...]
    feedback: tuple[FeedbackEntry, ...]
    checkins: tuple[IsoCheckin, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing at all was recorded."""
        return not (self.moods or self.plays or self.feedback or self.checkins)


@dataclass(frozen=True)
class PeriodSummary:
    """Moods of one day (or week, starting on Monday): count, mean point, count per emotion."""

    start: date
    count: int
    mean_valence: float
    mean_arousal: float
    emotion_counts: tuple[int, ...]  # in ``EMOTION_NAMES`` order

    @property
    def dominant(self) -> str:
        """The emotion recorded most often (the first in label order on a tie)."""
        return EMOTION_NAMES[max(range(NUM_EMOTIONS), key=lambda index: (self.emotion_counts[index], -index))]


@dataclass(frozen=True)
class SongInMood:
    """How often a song was played for a mood."""

    mood_label: str
    music_id: int
    plays: int


@dataclass(frozen=True)
class SongFeedbackCount:
    """Likes and skips of one song."""

    music_id: int
    likes: int
    skips: int
    last_at: float


@dataclass(frozen=True)
class IsoSummary:
    """Did iso playlists move the mood toward their target? (from completed check-ins)."""

    sessions: int
    moved_closer: int
    moved_away: int
    mean_progress: float | None  # mean of ``IsoCheckin.progress``; positive = closer to the target
    mean_distance_before: float | None
    mean_distance_after: float | None

    @property
    def verdict(self) -> str:
        """One sentence for people."""
        if not self.sessions:
            return ("No finished check-ins yet: on the Playlist page, guide yourself to a target mood and answer "
                    "“how do you feel now?” before and after listening.")
        share = self.moved_closer / self.sessions
        direction = "closer to" if (self.mean_progress or 0.0) > 0 else "no closer to"
        return (f"In {self.moved_closer} of {self.sessions} iso sessions ({share:.0%}) your mood moved toward the "
                f"target; on average you ended {abs(self.mean_progress or 0.0):.2f} {direction} it "
                "(valence-arousal distance).")


def load_history(database: Database, profile_id: int, since: float | None = None) -> JournalHistory:
    """The profile's moods, plays, likes/skips and iso check-ins (from ``since``, a Unix time, when given)."""
    owner_since = (int(profile_id), float("-inf") if since is None else float(since))
    moods = tuple(MoodEntry(row["recorded_at"], row["label"], row["valence"], row["arousal"], row["source"])
                  for row in database.query(
                      "SELECT recorded_at, label, valence, arousal, source FROM mood_history "
                      "WHERE profile_id = ? AND recorded_at >= ? ORDER BY recorded_at, id", owner_since))
    plays = tuple(PlayEntry(row["played_at"], int(row["music_id"]), row["mood_label"])
                  for row in database.query(
                      "SELECT played_at, music_id, mood_label FROM recommend_plays "
                      "WHERE profile_id = ? AND played_at >= ? ORDER BY played_at, id", owner_since))
    feedback = tuple(FeedbackEntry(row["created_at"], int(row["music_id"]), row["action"])
                     for row in database.query(
                         "SELECT created_at, music_id, action FROM recommend_feedback "
                         "WHERE profile_id = ? AND created_at >= ? ORDER BY created_at, id", owner_since))
    checkins = CheckinStore(database, profile_id).checkins(since)
    return JournalHistory(moods, plays, feedback, checkins)


def describe_age(seconds: float) -> str:
    """How long ago something happened, in words: "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago"."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86_400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86_400)
    return "yesterday" if days == 1 else f"{days} days ago"


def local_day(timestamp: float, tz: tzinfo | None = None) -> date:
    """The calendar day of a Unix time in ``tz`` (local time when None)."""
    return datetime.fromtimestamp(timestamp, tz).date()


def period_start(days: int, now: float, tz: tzinfo | None = None) -> float:
    """The Unix time at which "the last ``days`` days" begin: midnight of the calendar day ``days - 1``
    days before ``now``'s, in ``tz`` (local time when None). The period then holds ``days`` whole
    calendar days, today included, rather than a partial extra day at its start."""
    if days < 1:
        raise ValueError(f"a period needs at least one day, not {days}")
    first_day = local_day(now, tz) - timedelta(days=days - 1)
    return datetime.combine(first_day, datetime.min.time(), tzinfo=tz).timestamp()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _summaries(groups: dict[date, list[MoodEntry]]) -> tuple[PeriodSummary, ...]:
    summaries = []
    for start in sorted(groups):
        entries = groups[start]
        counts = Counter(entry.label for entry in entries)
        summaries.append(PeriodSummary(
            start=start, count=len(entries),
            mean_valence=math.fsum(entry.valence for entry in entries) / len(entries),
            mean_arousal=math.fsum(entry.arousal for entry in entries) / len(entries),
            emotion_counts=tuple(counts.get(name, 0) for name in EMOTION_NAMES)))
    return tuple(summaries)


def daily_summaries(moods: Iterable[MoodEntry], tz: tzinfo | None = None) -> tuple[PeriodSummary, ...]:
    """One summary per calendar day that has moods, oldest first."""
    groups: dict[date, list[MoodEntry]] = defaultdict(list)
    for entry in moods:
        groups[local_day(entry.recorded_at, tz)].append(entry)
    return _summaries(groups)


def weekly_summaries(moods: Iterable[MoodEntry], tz: tzinfo | None = None) -> tuple[PeriodSummary, ...]:
    """One summary per week (Monday to Sunday) that has moods, oldest first."""
    groups: dict[date, list[MoodEntry]] = defaultdict(list)
    for entry in moods:
        groups[week_start(local_day(entry.recorded_at, tz))].append(entry)
    return _summaries(groups)


def songs_by_mood(plays: Iterable[PlayEntry], per_mood: int = 5) -> dict[str, tuple[SongInMood, ...]]:
    """The most played songs for each mood (emotion order; plays without a mood are left out)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for play in plays:
        if play.mood_label in EMOTION_NAMES:
            counts[play.mood_label][play.music_id] += 1
    return {label: tuple(SongInMood(label, music_id, number)
                         for music_id, number in sorted(counts[label].items(), key=lambda item: (-item[1], item[0]))
                         [:per_mood])
            for label in EMOTION_NAMES if label in counts}


def feedback_counts(feedback: Iterable[FeedbackEntry]) -> tuple[SongFeedbackCount, ...]:
    """Likes and skips per song, most recently rated first."""
    likes: Counter = Counter()
    skips: Counter = Counter()
    last: dict[int, float] = {}
    for entry in feedback:
        (likes if entry.action == "like" else skips)[entry.music_id] += 1
        last[entry.music_id] = max(last.get(entry.music_id, entry.created_at), entry.created_at)
    return tuple(SongFeedbackCount(music_id, likes[music_id], skips[music_id], last[music_id])
                 for music_id in sorted(last, key=lambda music_id: (-last[music_id], music_id)))


def iso_summary(checkins: Sequence[IsoCheckin]) -> IsoSummary:
    """How the completed iso check-ins moved the mood relative to their targets."""
    done = [checkin for checkin in checkins if checkin.complete]
    if not done:
        return IsoSummary(0, 0, 0, None, None, None)
    progress = [checkin.progress for checkin in done]
    return IsoSummary(
        sessions=len(done), moved_closer=sum(value > 0 for value in progress),
        moved_away=sum(value < 0 for value in progress), mean_progress=math.fsum(progress) / len(done),
        mean_distance_before=math.fsum(checkin.distance_before for checkin in done) / len(done),
        mean_distance_after=math.fsum(checkin.distance_after for checkin in done) / len(done))

