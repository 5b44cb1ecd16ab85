"""Restoring a profile from its JSON export (``ProfileStore.export_json``): on another computer, or after a delete.

``read_profile_export`` checks the whole file before anything is written and says what is wrong
with it (``ProfileImportError``, with the place in the file); ``import_profile`` then adds it as a
new profile in one transaction, so an import is saved whole or not at all. Every value is checked
the way the app would have written it (emotion names, valence and arousal on the 0–1 plane, times
that a date can show, Spotify ids), because the journal and the playlists read these rows back
without checking them again.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.mood import validated_probabilities
from tunex_core.music.feedback import FEEDBACK_ACTIONS
from tunex_core.music.spotify import is_valid_track_id
from tunex_core.personal.checkins import CHECKIN_COLUMNS
from tunex_core.personal.playlists import MAX_SONGS, SavedPlaylist, SavedSong
from tunex_core.personal.profiles import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    Profile,
    ProfileError,
    ProfileStore,
    validated_name,
)
from tunex_core.storage import WriteOutcome

MAX_IMPORT_BYTES = 32 * 1024 * 1024  # a year of 20 moods a day exports to 1.7 MB; parsing takes ~3.5x the file
MAX_TEXT_LENGTH = 500  # song titles, artists, mood sources
PLAYLIST_MODES = ("match", "iso")
# Times are Unix seconds; up to a year ahead is accepted (a computer whose clock was wrong), so that every
# time still makes a date the journal can show.
MAX_SECONDS_AHEAD = 366 * 86_400

Item = TypeVar("Item")


class ProfileImportError(ProfileError):
    """The file is not a TuneX profile export this version can read; the message says what and where."""


@dataclass(frozen=True)
class ProfileImport:
    """A checked profile export, ready to be added as a new profile (rows as the database stores them)."""

    name: str
    created_at: float
    settings: Mapping[str, object]
    exported_at: datetime | None  # when the file was made, if it says so
    moods: tuple[tuple[object, ...], ...]  # recorded_at, label, valence, arousal, probabilities JSON, source
    plays: tuple[tuple[object, ...], ...]  # played_at, music_id, mood_label, valence, arousal
    feedback: tuple[tuple[object, ...], ...]  # created_at, music_id, action
    saved_playlists: tuple[SavedPlaylist, ...]  # ids 0: they get theirs when imported
    iso_checkins: tuple[tuple[object, ...], ...]  # the columns of ``CHECKIN_COLUMNS`` after session_key

    @property
    def summary(self) -> str:
        """What the file holds, e.g. "120 moods, 45 songs played, 2 saved playlists" (what it lacks is left out)."""
        counts = ((len(self.moods), "mood", "moods"), (len(self.plays), "song played", "songs played"),
                  (len(self.feedback), "like or skip", "likes and skips"),
                  (len(self.saved_playlists), "saved playlist", "saved playlists"),
                  (len(self.iso_checkins), "iso check-in", "iso check-ins"))
        parts = [f"{number:,} {one if number == 1 else many}" for number, one, many in counts if number]
        if self.settings.get("face_calibration"):
            parts.append("a resting-face calibration")
        return ", ".join(parts) or "no moods, songs, likes, playlists or check-ins yet"


def read_profile_export(data: bytes, now: float | None = None) -> ProfileImport:
    """Parse and check an export made by "Download everything (JSON)"; raises ``ProfileImportError``."""
    if not data:
        raise ProfileImportError("the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise ProfileImportError(f"the file is {len(data) / 1_048_576:.1f} MB; "
                                 f"the limit is {MAX_IMPORT_BYTES / 1_048_576:.0f} MB")
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise ProfileImportError("the file is not text (a TuneX export is a JSON file)") from error
    except (ValueError, RecursionError) as error:
        raise ProfileImportError(f"the file is not valid JSON ({_first_line(error)})") from error
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise ProfileImportError("this is not a TuneX profile export (made by “Download everything (JSON)” "
                                 "on the Journal page)")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProfileImportError(f"the export's version is {_shown(version)}; expected a whole number")
    if version > EXPORT_VERSION:
        raise ProfileImportError(f"the export was made by a newer TuneX (format version {version}; "
                                 f"this one reads up to {EXPORT_VERSION}): update TuneX first")
    latest = (time.time() if now is None else float(now)) + MAX_SECONDS_AHEAD
    reader = _Reader(latest)
    profile = reader.mapping(document.get("profile"), "profile")
    try:
        name = validated_name(profile.get("name"))
    except ProfileError as error:
        raise ProfileImportError(f"profile.name: {error}") from error
    settings = profile.get("settings", {})
    if not isinstance(settings, dict):
        raise ProfileImportError("profile.settings must be an object")
    try:
        exported_at = datetime.fromisoformat(document["exported_at"])
    except (KeyError, TypeError, ValueError):
        exported_at = None
    return ProfileImport(
        name=name,
        created_at=reader.time(profile.get("created_at"), "profile.created_at"),
        settings=settings,
        exported_at=exported_at,
        moods=reader.rows(document, "moods", reader.mood),
        plays=reader.rows(document, "plays", reader.play),
        feedback=reader.rows(document, "feedback", reader.feedback),
        saved_playlists=_unique_names(reader.rows(document, "saved_playlists", reader.playlist)),
        iso_checkins=reader.rows(document, "iso_checkins", reader.checkin),
    )


def import_profile(store: ProfileStore, export: ProfileImport, name: str | None = None) -> Profile | None:
    """Add ``export`` as a new profile called ``name`` (default: its own name, or the first free "Name (2)").

    Everything is written in one transaction. Returns the new profile, or None when the database
    is locked and the import was queued. Raises ``ProfileError`` when the name is invalid or taken.
    """
    chosen = validated_name(name) if name is not None else store.free_name(export.name)
    if store.by_name(chosen) is not None:
        raise ProfileError(f"there is already a profile called {chosen!r}")
    owner = "(SELECT id FROM profiles WHERE name = ?)"
    statements: list[tuple[str, tuple[object, ...]]] = [
        ("INSERT INTO profiles (name, created_at, settings) VALUES (?, ?, ?)",
         (chosen, export.created_at, json.dumps(dict(export.settings)))),
    ]
    statements += [("INSERT INTO mood_history (recorded_at, label, valence, arousal, probabilities, source, "
                    f"profile_id) VALUES (?, ?, ?, ?, ?, ?, {owner})", (*row, chosen)) for row in export.moods]
    statements += [("INSERT INTO recommend_plays (played_at, music_id, mood_label, valence, arousal, profile_id) "
                    f"VALUES (?, ?, ?, ?, ?, {owner})", (*row, chosen)) for row in export.plays]
    statements += [("INSERT INTO recommend_feedback (created_at, music_id, action, profile_id) "
                    f"VALUES (?, ?, ?, {owner})", (*row, chosen)) for row in export.feedback]
    for playlist in export.saved_playlists:
        statements.append((
            "INSERT INTO saved_playlists (profile_id, name, mode, mood_label, mood_valence, mood_arousal, "
            f"target_label, created_at) VALUES ({owner}, ?, ?, ?, ?, ?, ?, ?)",
            (chosen, playlist.name, playlist.mode, playlist.mood_label, playlist.mood_valence, playlist.mood_arousal,
             playlist.target_label, playlist.created_at)))
        playlist_id = f"(SELECT id FROM saved_playlists WHERE profile_id = {owner} AND name = ?)"
        statements += [("INSERT INTO saved_playlist_songs (playlist_id, position, music_id, title, artist, "
                        f"spotify_id) VALUES ({playlist_id}, ?, ?, ?, ?, ?)",
                        (chosen, playlist.name, position, song.music_id, song.title, song.artist, song.spotify_id))
                       for position, song in enumerate(playlist.songs, start=1)]
    # Session keys are unique across profiles, so an export imported twice gets fresh ones.
    statements += [(f"INSERT INTO iso_checkins (profile_id, {', '.join(CHECKIN_COLUMNS)}) "
                    f"VALUES ({owner}, {', '.join('?' * len(CHECKIN_COLUMNS))})",
                    (chosen, f"imported-{uuid.uuid4().hex}", *row)) for row in export.iso_checkins]
    try:
        outcome = store.database.write(statements)
    except sqlite3.IntegrityError as error:  # the name was taken since the check above
        raise ProfileError(f"there is already a profile called {chosen!r}") from error
    if outcome is not WriteOutcome.SAVED:
        return None
    return store.by_name(chosen)


class _Reader:
    """Checks the export's rows one by one; each problem names its place (``moods[3].valence``)."""

    def __init__(self, latest: float) -> None:
        self.latest = latest

    def rows(self, container: Mapping[str, object], key: str, read: Callable[[Mapping[str, object], str], Item],
             within: str = "") -> tuple[Item, ...]:
        items = container.get(key, [])
        if not isinstance(items, list):
            raise ProfileImportError(f"{within}{key} must be a list")
        places = (f"{within}{key}[{index}]" for index in range(len(items)))
        return tuple(read(self.mapping(item, place), place) for item, place in zip(items, places, strict=True))

    @staticmethod
    def mapping(value: object, where: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise ProfileImportError(f"{where} must be an object")
        return value

    def time(self, value: object, where: str) -> float:
        number = self.number(value, where)
        if not 0 <= number <= self.latest:
            raise ProfileImportError(f"{where} must be a time in Unix seconds, not {_shown(value)}")
        return number

    @staticmethod
    def number(value: object, where: str) -> float:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
            return float(value)
        if isinstance(value, float) and math.isfinite(value):
            return value
        raise ProfileImportError(f"{where} must be a number, not {_shown(value)}")

    def plane(self, value: object, where: str, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        number = self.number(value, where)
        if not 0 <= number <= 1:
            raise ProfileImportError(f"{where} must be between 0 and 1 (the valence–arousal plane), not {_shown(value)}")
        return number

    @staticmethod
    def emotion(value: object, where: str, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if value not in EMOTION_NAMES:
            raise ProfileImportError(f"{where} must be one of {', '.join(EMOTION_NAMES)}, not {_shown(value)}")
        return str(value)

    @staticmethod
    def music_id(value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
            raise ProfileImportError(f"{where} must be a song number, not {_shown(value)}")
        return value

    @staticmethod
    def text(value: object, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ProfileImportError(f"{where} must be non-empty text")
        if len(value) > MAX_TEXT_LENGTH:
            raise ProfileImportError(f"{where} is longer than {MAX_TEXT_LENGTH} characters")
        return value

    def mood(self, row: Mapping[str, object], where: str) -> tuple[object, ...]:
        # The journal reads a mood's label and point; its probabilities only rebuild the mood for "Use my last
        # mood", which skips a row without them, as it did before the export.
        try:
            probabilities = json.dumps([float(value) for value in validated_probabilities(row.get("probabilities"))])
        except (TypeError, ValueError):
            probabilities = "[]"
        return (self.time(row.get("recorded_at"), f"{where}.recorded_at"), self.emotion(row.get("label"), f"{where}.label"),
                self.plane(row.get("valence"), f"{where}.valence"), self.plane(row.get("arousal"), f"{where}.arousal"),
                probabilities, " ".join(self.text(row.get("source"), f"{where}.source").split()))

    def play(self, row: Mapping[str, object], where: str) -> tuple[object, ...]:
        return (self.time(row.get("played_at"), f"{where}.played_at"), self.music_id(row.get("music_id"), f"{where}.music_id"),
                self.emotion(row.get("mood_label"), f"{where}.mood_label", optional=True),
                self.plane(row.get("valence"), f"{where}.valence", optional=True),
                self.plane(row.get("arousal"), f"{where}.arousal", optional=True))

    def feedback(self, row: Mapping[str, object], where: str) -> tuple[object, ...]:
        action = row.get("action")
        if action not in FEEDBACK_ACTIONS:
            raise ProfileImportError(f"{where}.action must be one of {', '.join(FEEDBACK_ACTIONS)}, not {_shown(action)}")
        return (self.time(row.get("created_at"), f"{where}.created_at"), self.music_id(row.get("music_id"),
                                                                                       f"{where}.music_id"), action)

    def playlist(self, row: Mapping[str, object], where: str) -> SavedPlaylist:
        try:
            name = validated_name(row.get("name"))
        except ProfileError as error:
            raise ProfileImportError(f"{where}.name: {error}") from error
        mode = row.get("mode")
        if mode not in PLAYLIST_MODES:
            raise ProfileImportError(f"{where}.mode must be one of {', '.join(PLAYLIST_MODES)}, not {_shown(mode)}")
        songs = self.rows(row, "songs", self.song, within=f"{where}.") if isinstance(row.get("songs"), list) else None
        if not songs or len(songs) > MAX_SONGS:
            raise ProfileImportError(f"{where}.songs must list 1 to {MAX_SONGS} songs")
        return SavedPlaylist(0, name, str(mode), self.emotion(row.get("mood_label"), f"{where}.mood_label", optional=True),
                                self.plane(row.get("mood_valence"), f"{where}.mood_valence", optional=True),
                                self.plane(row.get("mood_arousal"), f"{where}.mood_arousal", optional=True),
                                self.emotion(row.get("target_label"), f"{where}.target_label", optional=True),
                                self.time(row.get("created_at"), f"{where}.created_at"), songs)

    def song(self, row: Mapping[str, object], where: str) -> SavedSong:
        spotify_id = row.get("spotify_id")
        if spotify_id is not None and not (isinstance(spotify_id, str) and is_valid_track_id(spotify_id)):
            raise ProfileImportError(f"{where}.spotify_id must be a Spotify track id (22 letters and digits) or null")
        return SavedSong(self.music_id(row.get("music_id"), f"{where}.music_id"), self.text(row.get("title"), f"{where}.title"),
                         self.text(row.get("artist"), f"{where}.artist"), spotify_id)

    def checkin(self, row: Mapping[str, object], where: str) -> tuple[object, ...]:
        before = (self.emotion(row.get("target_label"), f"{where}.target_label"),
                  self.plane(row.get("target_valence"), f"{where}.target_valence"),
                  self.plane(row.get("target_arousal"), f"{where}.target_arousal"),
                  self.emotion(row.get("before_label"), f"{where}.before_label"),
                  self.plane(row.get("before_valence"), f"{where}.before_valence"),
                  self.plane(row.get("before_arousal"), f"{where}.before_arousal"),
                  self.time(row.get("before_at"), f"{where}.before_at"))
        after_values = [row.get(key) for key in ("after_label", "after_valence", "after_arousal", "after_at")]
        if all(value is None for value in after_values):
            return (*before, None, None, None, None)
        if any(value is None for value in after_values):
            raise ProfileImportError(f"{where}: the mood after listening is incomplete")
        return (*before, self.emotion(row.get("after_label"), f"{where}.after_label"),
                self.plane(row.get("after_valence"), f"{where}.after_valence"),
                self.plane(row.get("after_arousal"), f"{where}.after_arousal"),
                self.time(row.get("after_at"), f"{where}.after_at"))


def _unique_names(playlists: Sequence[SavedPlaylist]) -> tuple[SavedPlaylist, ...]:
    seen: set[str] = set()
    for index, playlist in enumerate(playlists):
        if playlist.name.lower() in seen:
            raise ProfileImportError(f"saved_playlists[{index}]: two saved playlists are called {playlist.name!r}")
        seen.add(playlist.name.lower())
    return tuple(playlists)


def _shown(value: object) -> str:
    """``value`` for a message, cut short (a file may hold a 10,000-digit number or a long text)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _first_line(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
