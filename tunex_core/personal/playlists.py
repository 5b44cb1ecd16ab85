"""Saved playlists of a profile, and their exports (M3U with Spotify links, CSV, plain text).

A saved playlist keeps each song's id, title, artist and Spotify track id (when it was
found), so it still opens and exports after the catalog changes. Saving under a name the
profile already uses replaces that playlist.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tunex_core.emotions import EMOTION_BY_NAME, emotion_label
from tunex_core.music.spotify import is_valid_track_id, open_url, search_url
from tunex_core.personal.profiles import MAX_NAME_LENGTH, ProfileError, validated_name
from tunex_core.storage import Database, WriteOutcome

MAX_SONGS = 500
# kind -> (MIME type, file extension). ".m3u8" says UTF-8 to music players (many read a ".m3u" in the system's
# legacy code page, so "Céline Dion" came out as "CÃ©line Dion").
EXPORT_FORMATS = {"m3u": ("audio/x-mpegurl", "m3u8"), "csv": ("text/csv", "csv"), "text": ("text/plain", "txt")}
# Excel reads a CSV without this mark in the system's legacy code page; LibreOffice, Numbers, Google
# Sheets and Python's "utf-8-sig" take it as the UTF-8 signature it is.
UTF8_SIGNATURE = "\ufeff"


@dataclass(frozen=True)
class SavedSong:
    """One song of a saved playlist."""

    music_id: int
    title: str
    artist: str
    spotify_id: str | None = None

    @property
    def listen_url(self) -> str:
        """The track on open.spotify.com when its id is known, else a Spotify search for it."""
        if self.spotify_id and is_valid_track_id(self.spotify_id):
            return open_url(self.spotify_id)
        return search_url(self.title, self.artist)


@dataclass(frozen=True)
class SavedPlaylist:
    """A named playlist with the mood (and iso target) it was made for."""

    id: int
    name: str
    mode: str
    mood_label: str | None
    mood_valence: float | None
    mood_arousal: float | None
    target_label: str | None
    created_at: float
    songs: tuple[SavedSong, ...]

    @property
    def description(self) -> str:
        """"Match 😢 Sad, 10 songs" or "Iso 😢 Sad → 😐 Neutral, 10 songs"."""
        def label(name: str | None) -> str:
            return emotion_label(name, default=name or "?")

        mood = label(self.mood_label)
        if self.mode == "iso":
            mood += f" → {label(self.target_label)}"
        return f"{self.mode.capitalize()} {mood}, {len(self.songs)} songs"


def default_playlist_name(mode: str, mood_label: str | None, target_label: str | None, at: float | None = None) -> str:
    """A name to offer, e.g. "Sad → Neutral, 1 Dec 09:10"."""
    def display(name: str | None) -> str:
        emotion = EMOTION_BY_NAME.get(name or "")
        return emotion.display_name if emotion else "Mood"

    moment = datetime.fromtimestamp(time.time() if at is None else at)
    stem = display(mood_label) + (f" → {display(target_label)}" if mode == "iso" else "")
    return f"{stem}, {moment.day} {moment:%b %H:%M}"[:MAX_NAME_LENGTH]


class SavedPlaylistStore:
    """Save, list, open and delete one profile's playlists (on an open ``storage.Database``)."""

    def __init__(self, database: Database, profile_id: int) -> None:
        self.database = database
        self.profile_id = int(profile_id)

    def save(self, name: str, songs: Sequence[SavedSong], *, mode: str, mood_label: str | None = None,
             mood_valence: float | None = None, mood_arousal: float | None = None,
             target_label: str | None = None, at: float | None = None) -> WriteOutcome:
        """Save ``songs`` under ``name`` (replacing the profile's playlist of that name) in one transaction."""
        tidy = validated_name(name)
        if not songs:
            raise ProfileError("an empty playlist cannot be saved")
        if len(songs) > MAX_SONGS:
            raise ProfileError(f"a saved playlist can have at most {MAX_SONGS} songs")
        owner_and_name = (self.profile_id, tidy)
        playlist_id = "(SELECT id FROM saved_playlists WHERE profile_id = ? AND name = ?)"
        statements = [
            ("DELETE FROM saved_playlists WHERE profile_id = ? AND name = ?", owner_and_name),
            ("INSERT INTO saved_playlists (profile_id, name, mode, mood_label, mood_valence, mood_arousal, "
             "target_label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             (*owner_and_name, mode, mood_label, mood_valence, mood_arousal, target_label,
              time.time() if at is None else float(at))),
        ]
        statements.extend((
            "INSERT INTO saved_playlist_songs (playlist_id, position, music_id, title, artist, spotify_id) "
            f"VALUES ({playlist_id}, ?, ?, ?, ?, ?)",
            (*owner_and_name, position, int(song.music_id), song.title, song.artist,
             song.spotify_id if song.spotify_id and is_valid_track_id(song.spotify_id) else None))
            for position, song in enumerate(songs, start=1))
        return self.database.write(statements)

    def names(self) -> set[str]:
        """The names already used (lower case), to warn before replacing one."""
        return {row["name"].lower() for row in self.database.query(
            "SELECT name FROM saved_playlists WHERE profile_id = ?", (self.profile_id,))}

    def playlists(self) -> tuple[SavedPlaylist, ...]:
        """Every saved playlist of the profile with its songs, newest first."""
        heads = self.database.query(
            "SELECT id, name, mode, mood_label, mood_valence, mood_arousal, target_label, created_at "
            "FROM saved_playlists WHERE profile_id = ? ORDER BY created_at DESC, id DESC", (self.profile_id,))
        songs: dict[int, list[SavedSong]] = {int(head["id"]): [] for head in heads}
        for row in self.database.query(
                "SELECT s.playlist_id, s.music_id, s.title, s.artist, s.spotify_id FROM saved_playlist_songs s "
                "JOIN saved_playlists p ON p.id = s.playlist_id WHERE p.profile_id = ? "
                "ORDER BY s.playlist_id, s.position", (self.profile_id,)):
            songs[int(row["playlist_id"])].append(SavedSong(int(row["music_id"]), row["title"], row["artist"],
                                                            row["spotify_id"]))
        return tuple(SavedPlaylist(int(head["id"]), head["name"], head["mode"], head["mood_label"],
                                   head["mood_valence"], head["mood_arousal"], head["target_label"],
                                   float(head["created_at"]), tuple(songs[int(head["id"])])) for head in heads)

    def delete(self, playlist_id: int) -> WriteOutcome:
        """Delete one of the profile's playlists (its songs go with it)."""
        return self.database.write([("DELETE FROM saved_playlists WHERE id = ? AND profile_id = ?",
                                     (int(playlist_id), self.profile_id))])


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def to_m3u(playlist: SavedPlaylist) -> str:
    """Extended M3U: one ``#EXTINF`` line and one Spotify URL (track, else search) per song."""
    lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(playlist.name)}"]
    for song in playlist.songs:
        lines.append(f"#EXTINF:-1,{_one_line(song.artist)} - {_one_line(song.title)}")
        lines.append(song.listen_url)
    return "\n".join(lines) + "\n"


def to_csv(playlist: SavedPlaylist) -> str:
    """CSV with a header: position, title, artist, music_id, spotify_id, url."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["position", "title", "artist", "music_id", "spotify_id", "url"])
    for position, song in enumerate(playlist.songs, start=1):
        writer.writerow([position, song.title, song.artist, song.music_id, song.spotify_id or "", song.listen_url])
    return buffer.getvalue()


def to_text(playlist: SavedPlaylist) -> str:
    """Plain text: the name and description, then "1. Title — Artist" per song with its link."""
    lines = [_one_line(playlist.name), playlist.description, ""]
    for position, song in enumerate(playlist.songs, start=1):
        lines.append(f"{position}. {_one_line(song.title)} — {_one_line(song.artist)}")
        lines.append(f"   {song.listen_url}")
    return "\n".join(lines) + "\n"


def export_bytes(playlist: SavedPlaylist, kind: str) -> bytes:
    """The download of ``playlist`` as ``kind`` (a key of ``EXPORT_FORMATS``), encoded in UTF-8; the CSV starts
    with the UTF-8 signature so that spreadsheet programs read titles such as "Céline Dion" right."""
    renderers = {"m3u": to_m3u, "csv": lambda playlist: UTF8_SIGNATURE + to_csv(playlist), "text": to_text}
    return renderers[kind](playlist).encode("utf-8")


def export_file_name(playlist: SavedPlaylist, extension: str) -> str:
    """A safe file name for a download, e.g. ``Sad-Neutral-1-Dec-09-10.m3u8``."""
    stem = "".join(character if character.isalnum() else "-" for character in playlist.name)
    stem = "-".join(part for part in stem.split("-") if part) or "playlist"
    return f"{stem[:60]}.{extension}"
