""""How do you feel now?" check-ins before and after an iso playlist ("guide me to a target mood").

One row per listening session: the target, the mood before, and (once given) the mood
after. ``IsoCheckin.progress`` is how much closer to the target the listener got, in
valence-arousal distance: positive means the playlist moved the mood toward the target.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

from tunex_core.mood import Mood
from tunex_core.storage import Database, WriteOutcome


@dataclass(frozen=True)
class IsoCheckin:
    """A before/after pair around one iso playlist (``after_*`` None until the second check-in)."""

    session_key: str
    target_label: str
    target_valence: float
    target_arousal: float
    before_label: str
    before_valence: float
    before_arousal: float
    before_at: float
    after_label: str | None = None
    after_valence: float | None = None
    after_arousal: float | None = None
    after_at: float | None = None

    @property
    def complete(self) -> bool:
        """Whether both check-ins were given."""
        return self.after_valence is not None and self.after_arousal is not None

    @property
    def distance_before(self) -> float:
        """Valence-arousal distance from the mood before to the target."""
        return math.dist((self.before_valence, self.before_arousal), (self.target_valence, self.target_arousal))

    @property
    def distance_after(self) -> float | None:
        """Distance from the mood after to the target (None before the second check-in)."""
        if not self.complete:
            return None
        return math.dist((self.after_valence, self.after_arousal), (self.target_valence, self.target_arousal))

    @property
    def progress(self) -> float | None:
        """``distance_before - distance_after``: positive when the mood moved toward the target."""
        after = self.distance_after
        return None if after is None else self.distance_before - after


# The ``iso_checkins`` columns a check-in is made of, in ``IsoCheckin``'s order.
CHECKIN_COLUMNS = tuple(column.name for column in fields(IsoCheckin))


def _checkin(row) -> IsoCheckin:
    return IsoCheckin(*(row[name] for name in CHECKIN_COLUMNS))


class CheckinStore:
    """Start and finish iso check-ins of one profile (on an open ``storage.Database``)."""

    def __init__(self, database: Database, profile_id: int) -> None:
        self.database = database
        self.profile_id = int(profile_id)

    def start(self, session_key: str, before: Mood, target_label: str, target_point: tuple[float, float],
              at: float | None = None) -> WriteOutcome:
        """Record the mood before listening to an iso playlist aimed at ``target_label``."""
        return self.database.write([(
            "INSERT OR REPLACE INTO iso_checkins (profile_id, session_key, target_label, target_valence, "
            "target_arousal, before_label, before_valence, before_arousal, before_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self.profile_id, session_key, target_label, float(target_point[0]), float(target_point[1]),
             before.label, before.valence, before.arousal, time.time() if at is None else float(at)))])

    def finish(self, session_key: str, after: Mood, at: float | None = None) -> WriteOutcome:
        """Record the mood after listening."""
        return self.database.write([(
            "UPDATE iso_checkins SET after_label = ?, after_valence = ?, after_arousal = ?, after_at = ? "
            "WHERE session_key = ? AND profile_id = ?",
            (after.label, after.valence, after.arousal, time.time() if at is None else float(at),
             session_key, self.profile_id))])

    def checkins(self, since: float | None = None) -> tuple[IsoCheckin, ...]:
        """The profile's check-ins, oldest first (from ``since``, a Unix time, when given)."""
        rows = self.database.query(
            "SELECT * FROM iso_checkins WHERE profile_id = ? AND before_at >= ? ORDER BY before_at, id",
            (self.profile_id, float("-inf") if since is None else float(since)))
        return tuple(_checkin(row) for row in rows)
