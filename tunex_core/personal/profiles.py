"""Named local profiles: each listener's likes, skips, plays, moods, saved playlists and settings.

Profiles live in the ``profiles`` table of the shared database (``tunex_core.storage``);
every personal row carries a ``profile_id``. Profile ``DEFAULT_PROFILE_ID`` ("Default")
always exists, for people who never choose one: it can be renamed and emptied, not deleted.
``settings`` is a free JSON object per profile (face calibration will live there).
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tunex_core.personal.checkins import CHECKIN_COLUMNS
from tunex_core.personal.library_files import delete_profile_files
from tunex_core.storage import (
    DEFAULT_PROFILE_ID,
    PROFILE_TABLES,
    Database,
    DatabaseStore,
    WriteOutcome,
    open_database,
)

MAX_NAME_LENGTH = 40
EXPORT_FORMAT = "tunex-profile-export"
EXPORT_VERSION = 1


class ProfileError(ValueError):
    """A profile name or operation that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Profile:
    """A named local profile."""

    id: int
    name: str
    created_at: float
    settings: Mapping[str, object] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        """Whether this is the profile that cannot be deleted."""
        return self.id == DEFAULT_PROFILE_ID


def validated_name(name: object) -> str:
    """``name`` with its spaces tidied; raises ``ProfileError`` when empty, too long or with control characters."""
    if not isinstance(name, str):
        raise ProfileError("a profile name must be text")
    tidy = " ".join(name.split())
    if not tidy:
        raise ProfileError("a profile name cannot be empty")
    if len(tidy) > MAX_NAME_LENGTH:
        raise ProfileError(f"a profile name can have at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(character).startswith("C") for character in tidy):
        raise ProfileError("a profile name cannot contain control characters")
    return tidy


def _profile(row) -> Profile:
    try:
        settings = json.loads(row["settings"])
    except (TypeError, ValueError):
        settings = {}
    return Profile(int(row["id"]), row["name"], float(row["created_at"]),
                   settings if isinstance(settings, dict) else {})


class ProfileStore(DatabaseStore):
    """List, create, rename, empty and delete profiles (one database connection per store)."""

    def __init__(self, path: str | Path | None = None, *, database: Database | None = None) -> None:
        self.database = database if database is not None else open_database(path)

    def profiles(self) -> tuple[Profile, ...]:
        """Every profile: the default one first, then by name."""
        rows = self.database.query("SELECT id, name, created_at, settings FROM profiles "
                                   f"ORDER BY id != {DEFAULT_PROFILE_ID}, name COLLATE NOCASE")
        return tuple(_profile(row) for row in rows)

    def get(self, profile_id: int) -> Profile | None:
        """The profile with ``profile_id``, or None."""
        rows = self.database.query("SELECT id, name, created_at, settings FROM profiles WHERE id = ?",
                                   (int(profile_id),))
        return _profile(rows[0]) if rows else None

    def by_name(self, name: str) -> Profile | None:
        """The profile called ``name`` (the database's case-insensitive match), or None."""
        rows = self.database.query("SELECT id, name, created_at, settings FROM profiles WHERE name = ? COLLATE NOCASE",
                                   (" ".join(str(name).split()),))
        return _profile(rows[0]) if rows else None

    def find(self, name_or_id: str) -> Profile | None:
        """The profile called ``name_or_id`` (any case), else the one with that id, else None."""
        tidy = " ".join(str(name_or_id).split())
        if (profile := self.by_name(tidy)) is not None:
            return profile
        return self.get(int(tidy)) if tidy.isdecimal() and tidy.isascii() and len(tidy) < 19 else None

    def counts(self, profile_id: int) -> dict[str, int]:
        """How many moods, plays, likes and skips, saved playlists and iso check-ins the profile holds."""
        owner = (int(profile_id),)
        return {key: int(self.database.query(f"SELECT COUNT(*) FROM {table} WHERE profile_id = ?", owner)[0][0])
                for key, table in (("moods", "mood_history"), ("plays", "recommend_plays"),
                                   ("feedback", "recommend_feedback"), ("saved_playlists", "saved_playlists"),
                                   ("iso_checkins", "iso_checkins"))}

    def _require_free(self, name: str, except_id: int | None = None) -> None:
        existing = self.by_name(name)
        if existing is not None and existing.id != except_id:
            raise ProfileError(f"there is already a profile called {name!r}")

    def free_name(self, name: str) -> str:
        """``name`` tidied if no profile uses it, else the first free "name (2)", "name (3)", …"""
        tidy = validated_name(name)
        taken = {profile.name.lower() for profile in self.profiles()}
        candidate, number = tidy, 1
        while candidate.lower() in taken:
            number += 1
            suffix = f" ({number})"
            candidate = tidy[:MAX_NAME_LENGTH - len(suffix)].rstrip() + suffix
        return candidate

    def create(self, name: str, at: float | None = None) -> Profile | None:
        """Add a profile; returns it, or None when the write had to be queued (database locked)."""
        tidy = validated_name(name)
        self._require_free(tidy)
        outcome = self.database.write([("INSERT INTO profiles (name, created_at, settings) VALUES (?, ?, '{}')",
                                        (tidy, time.time() if at is None else float(at)))])
        if outcome is not WriteOutcome.SAVED:
            return None
        return self.by_name(tidy)

    def rename(self, profile_id: int, name: str) -> WriteOutcome:
        """Give a profile a new name."""
        tidy = validated_name(name)
        self._require_free(tidy, except_id=int(profile_id))
        return self.database.write([("UPDATE profiles SET name = ? WHERE id = ?", (tidy, int(profile_id)))])

    def update_settings(self, profile_id: int, values: Mapping[str, object]) -> WriteOutcome:
        """Merge ``values`` into the profile's JSON settings (e.g. ``{"face_calibration": {...}}``)."""
        profile = self.get(profile_id)
        if profile is None:
            raise ProfileError("that profile no longer exists")
        merged = {**profile.settings, **values}
        return self.database.write([("UPDATE profiles SET settings = ? WHERE id = ?",
                                     (json.dumps(merged), int(profile_id)))])

    def clear(self, profile_id: int) -> WriteOutcome:
        """Delete everything the profile recorded (moods, plays, likes, skips, playlists, check-ins); keep it."""
        return self.database.write([(f"DELETE FROM {table} WHERE profile_id = ?", (int(profile_id),))
                                    for table in PROFILE_TABLES])

    def delete(self, profile_id: int) -> WriteOutcome:
        """Delete a profile and everything it recorded; the default profile can only be emptied."""
        if int(profile_id) == DEFAULT_PROFILE_ID:
            raise ProfileError("the default profile cannot be deleted; empty it instead")
        outcome = self.database.write([*((f"DELETE FROM {table} WHERE profile_id = ?", (int(profile_id),))
                                         for table in PROFILE_TABLES),
                                       ("DELETE FROM profiles WHERE id = ?", (int(profile_id),))])
        if outcome is WriteOutcome.SAVED:  # its music library went with it (cascade); so do TuneX's upload copies
            delete_profile_files(profile_id)
        return outcome

    def export(self, profile_id: int, now: float | None = None) -> dict[str, object]:
        """Everything the profile holds, as a JSON-ready dict (``export_json`` gives the text)."""
        profile = self.get(profile_id)
        if profile is None:
            raise ProfileError("that profile no longer exists")
        owner = (int(profile_id),)

        def rows(sql: str) -> list[dict[str, object]]:
            return [dict(row) for row in self.database.query(sql, owner)]

        moods = rows("SELECT recorded_at, label, valence, arousal, probabilities, source FROM mood_history "
                     "WHERE profile_id = ? ORDER BY recorded_at, id")
        for mood in moods:
            with suppress(ValueError):
                mood["probabilities"] = json.loads(str(mood["probabilities"]))
        playlists = rows("SELECT id, name, mode, mood_label, mood_valence, mood_arousal, target_label, created_at "
                         "FROM saved_playlists WHERE profile_id = ? ORDER BY created_at, id")
        for playlist in playlists:
            playlist["songs"] = [dict(row) for row in self.database.query(
                "SELECT position, music_id, title, artist, spotify_id FROM saved_playlist_songs "
                "WHERE playlist_id = ? ORDER BY position", (playlist.pop("id"),))]
        exported_at = time.time() if now is None else float(now)
        return {
            "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "exported_at": datetime.fromtimestamp(exported_at, timezone.utc).isoformat(timespec="seconds"),
            "profile": {"name": profile.name, "created_at": profile.created_at, "settings": dict(profile.settings)},
            "moods": moods,
            "plays": rows("SELECT played_at, music_id, mood_label, valence, arousal FROM recommend_plays "
                          "WHERE profile_id = ? ORDER BY played_at, id"),
            "feedback": rows("SELECT created_at, music_id, action FROM recommend_feedback "
                             "WHERE profile_id = ? ORDER BY created_at, id"),
            "saved_playlists": playlists,
            "iso_checkins": rows(f"SELECT {', '.join(CHECKIN_COLUMNS)} FROM iso_checkins WHERE profile_id = ? "
                                 "ORDER BY before_at, id"),
        }

    def export_json(self, profile_id: int, now: float | None = None) -> str:
        """``export`` as indented JSON text (UTF-8 safe, for a download)."""
        return json.dumps(self.export(profile_id, now), indent=2, ensure_ascii=False)
