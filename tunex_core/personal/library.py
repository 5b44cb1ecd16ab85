"""A profile's own music: the folders it added, the files it uploaded, and each song's figures.

Two tables of the shared database (``tunex_core.storage``, migration 3) hold it:

* ``library_folders`` — a folder on this computer that the listener added (``kind='folder'``), or the
  profile's uploads folder under the TuneX home (``kind='uploads'``; a guest's private store has a
  temporary one instead, see ``library_files.keep_uploads_private``);
* ``library_songs`` — one row per audio file found: its path, size and modification time (together
  they tell whether a file changed since it was analysed), the title and artist from its tags, its
  duration, its valence and arousal on the catalog's 0..1 plane, or the reason it could not be analysed.

Paths and figures only, never audio. A path is kept as the file system's bytes (``os.fsencode``), so
names that are not UTF-8 survive; ``library_files.display_path`` makes printable text of one.

Song ids: an own song's ``music_id`` is negative (catalog ids are never negative, so the two never
collide) and derived from its path, so likes, skips and plays find the song again after its folder is
removed and added back. Removing a folder forgets its songs in TuneX and never touches the files.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tunex_core.personal.library_files import (
    LibraryError,
    delete_upload,
    display_path,
    is_inside,
    path_bytes,
    path_from_bytes,
    store_uploads_dir,
)
from tunex_core.storage import Database, DatabaseBusyError, DatabaseStore, Statement, WriteOutcome, open_database

FOLDER, UPLOADS = "folder", "uploads"
SONG_COLUMNS = ("id, folder_id, music_id, path, size, modified_ns, title, artist, duration_seconds, valence, "
                "arousal, error, analysed_at")


def library_music_id(path: str | os.PathLike | bytes) -> int:
    """The song id of an own file: negative, stable for its path (catalog ids are never negative)."""
    data = path if isinstance(path, bytes) else path_bytes(path)
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return -(1 + (int.from_bytes(digest, "big") >> 2))


def is_library_id(music_id: int) -> bool:
    """Whether ``music_id`` names one of the listener's own songs (rather than a catalog song)."""
    return int(music_id) < 0


@dataclass(frozen=True)
class LibraryFolder:
    """A folder of the profile's library (a folder the listener added, or its uploads)."""

    id: int
    path: Path
    kind: str
    added_at: float
    songs: int = 0
    analysed: int = 0  # songs with a valence-arousal point (the others have an error)

    @property
    def label(self) -> str:
        """Printable path, or "Uploaded files"."""
        return "Uploaded files" if self.kind == UPLOADS else display_path(self.path)


@dataclass(frozen=True)
class LibrarySong:
    """One file of the library with its figures (``valence``/``arousal`` None and ``error`` set when it
    could not be analysed)."""

    id: int
    folder_id: int
    music_id: int
    path: Path
    size: int
    modified_ns: int
    title: str | None
    artist: str | None
    duration_seconds: float | None
    valence: float | None
    arousal: float | None
    error: str | None
    analysed_at: float

    @property
    def placed(self) -> bool:
        """Whether the song has a point on the valence-arousal plane."""
        return self.valence is not None and self.arousal is not None and self.error is None

    @property
    def display_title(self) -> str:
        """The title from the tags, else the file name without its suffix."""
        return self.title or display_path(self.path.stem) or display_path(self.path.name)

    @property
    def display_artist(self) -> str:
        """The artist from the tags, else "Unknown artist"."""
        return self.artist or "Unknown artist"


@dataclass(frozen=True)
class FileState:
    """A file's identity for "already analysed?": its path, size and modification time (nanoseconds)."""

    path: Path
    size: int
    modified_ns: int


def _folder(row) -> LibraryFolder:
    return LibraryFolder(int(row["id"]), path_from_bytes(row["path"]), row["kind"], float(row["added_at"]),
                         int(row["songs"]), int(row["analysed"]))


def _song(row) -> LibrarySong:
    return LibrarySong(int(row["id"]), int(row["folder_id"]), int(row["music_id"]), path_from_bytes(row["path"]),
                       int(row["size"]), int(row["modified_ns"]), row["title"], row["artist"],
                       row["duration_seconds"], row["valence"], row["arousal"], row["error"],
                       float(row["analysed_at"]))


class LibraryStore(DatabaseStore):
    """Folders and songs of one profile (one database connection per store; use it in a ``with`` block)."""

    def __init__(self, profile_id: int, path: str | Path | None = None, *, database: Database | None = None) -> None:
        self.database = database if database is not None else open_database(path)
        self.profile_id = int(profile_id)

    # --- folders ---------------------------------------------------------------------------------

    def folders(self) -> tuple[LibraryFolder, ...]:
        """The profile's folders (the uploads last), with their song counts."""
        rows = self.database.query(
            "SELECT f.id, f.path, f.kind, f.added_at, COUNT(s.id) AS songs, COUNT(s.valence) AS analysed "
            "FROM library_folders f LEFT JOIN library_songs s ON s.folder_id = f.id "
            "WHERE f.profile_id = ? GROUP BY f.id ORDER BY f.kind = 'uploads', f.added_at, f.id", (self.profile_id,))
        return tuple(_folder(row) for row in rows)

    def folder(self, folder_id: int) -> LibraryFolder | None:
        """The profile's folder with ``folder_id``, or None."""
        return next((folder for folder in self.folders() if folder.id == int(folder_id)), None)

    def folder_by_path(self, path: Path) -> LibraryFolder | None:
        """The profile's folder at ``path`` (as given, made absolute), or None."""
        wanted = Path(os.path.abspath(path))
        return next((folder for folder in self.folders() if folder.path == wanted), None)

    def add_folder(self, path: str | os.PathLike, kind: str = FOLDER) -> LibraryFolder:
        """Remember ``path`` (made absolute) as one of the profile's folders; the existing one when it is
        already there. Raises ``LibraryError`` when it is not a readable folder."""
        folder_path = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
        if kind == FOLDER:
            check_folder(folder_path)
        existing = self.folder_by_path(folder_path)
        if existing is not None:
            return existing
        outcome = self._save([(
            "INSERT OR IGNORE INTO library_folders (profile_id, path, kind, added_at) VALUES (?, ?, ?, ?)",
            (self.profile_id, path_bytes(folder_path), kind, time.time()))])
        if outcome is not WriteOutcome.SAVED:
            raise LibraryError("the database is locked by another program; add the folder again in a moment")
        added = self.folder_by_path(folder_path)
        if added is None:  # the profile was deleted meanwhile
            raise LibraryError("that profile no longer exists")
        return added

    @property
    def uploads_dir(self) -> Path:
        """Where this store keeps the profile's uploaded files (``library_files.store_uploads_dir``)."""
        return store_uploads_dir(self.database, self.profile_id)

    def uploads_folder(self) -> LibraryFolder:
        """The profile's uploads folder (made on first use)."""
        folder = self.uploads_dir
        folder.mkdir(parents=True, exist_ok=True)
        return self.add_folder(folder, kind=UPLOADS)

    def remove_folder(self, folder_id: int) -> int:
        """Forget a folder and its songs (the files stay on disk; TuneX's own copies of uploads are
        deleted). A song that also lies inside another of the profile's folders moves to that one.
        Returns how many songs were forgotten."""
        folder = self.folder(folder_id)
        if folder is None:
            raise LibraryError("that folder is not in this profile's music")
        songs = self.songs(folder_id=folder.id)
        others = [other for other in self.folders() if other.id != folder.id and other.kind == FOLDER]
        statements: list[Statement] = []
        forgotten = []
        for song in songs:
            home = next((other for other in others if is_inside(song.path, other.path)), None)
            if home is not None:
                statements.append(("UPDATE library_songs SET folder_id = ? WHERE id = ?", (home.id, song.id)))
            else:
                forgotten.append(song)
        statements.append(("DELETE FROM library_songs WHERE folder_id = ? AND profile_id = ?",
                           (folder.id, self.profile_id)))
        statements.append(("DELETE FROM library_folders WHERE id = ? AND profile_id = ?", (folder.id, self.profile_id)))
        self._write(statements, "the folder was not removed")
        if folder.kind == UPLOADS:
            for song in forgotten:
                delete_upload(song.path, self.profile_id, self.uploads_dir)
        return len(forgotten)

    def remove_song(self, song_id: int) -> None:
        """Forget one song (an uploaded one is deleted from TuneX's uploads folder too)."""
        song = next((song for song in self.songs() if song.id == int(song_id)), None)
        if song is None:
            raise LibraryError("that song is not in this profile's music")
        folder = self.folder(song.folder_id)
        self._write([("DELETE FROM library_songs WHERE id = ? AND profile_id = ?", (song.id, self.profile_id))],
                    "the song was not removed")
        if folder is not None and folder.kind == UPLOADS:
            delete_upload(song.path, self.profile_id, self.uploads_dir)

    # --- songs -----------------------------------------------------------------------------------

    def songs(self, folder_id: int | None = None, placed_only: bool = False) -> tuple[LibrarySong, ...]:
        """The profile's songs (of one folder when ``folder_id`` is given), by title."""
        sql = f"SELECT {SONG_COLUMNS} FROM library_songs WHERE profile_id = ?"
        parameters: list[object] = [self.profile_id]
        if folder_id is not None:
            sql += " AND folder_id = ?"
            parameters.append(int(folder_id))
        if placed_only:
            sql += " AND valence IS NOT NULL AND arousal IS NOT NULL AND error IS NULL"
        songs = [_song(row) for row in self.database.query(sql + " ORDER BY id", parameters)]
        return tuple(sorted(songs, key=lambda song: (song.display_title.casefold(), song.id)))

    def song_by_music_id(self, music_id: int) -> LibrarySong | None:
        """The profile's song with ``music_id``, or None."""
        rows = self.database.query(f"SELECT {SONG_COLUMNS} FROM library_songs WHERE profile_id = ? AND music_id = ?",
                                   (self.profile_id, int(music_id)))
        return _song(rows[0]) if rows else None

    def known_states(self) -> dict[bytes, tuple[int, int]]:
        """Every stored path's (size, modified_ns): what "already analysed" is checked against."""
        rows = self.database.query("SELECT path, size, modified_ns FROM library_songs WHERE profile_id = ?",
                                   (self.profile_id,))
        return {bytes(row["path"]): (int(row["size"]), int(row["modified_ns"])) for row in rows}

    def fingerprint(self) -> tuple[int, int, float, int]:
        """(songs, placed songs, latest analysis time, sum of row ids): changes whenever a song is added,
        re-analysed or removed (a cheap key for what is built from the songs)."""
        row = self.database.query(
            "SELECT COUNT(*), COUNT(CASE WHEN valence IS NOT NULL AND arousal IS NOT NULL AND error IS NULL "
            "THEN 1 END), COALESCE(MAX(analysed_at), 0), COALESCE(SUM(id), 0) FROM library_songs WHERE profile_id = ?",
            (self.profile_id,))[0]
        return int(row[0]), int(row[1]), float(row[2]), int(row[3])

    def save_analysis(self, folder_id: int, state: FileState, analysis) -> WriteOutcome:
        """Store (or replace) the figures of one file; ``analysis`` has the fields of ``SongAnalysis``."""
        data = path_bytes(state.path)
        return self._save([(
            "INSERT INTO library_songs (profile_id, folder_id, music_id, path, size, modified_ns, title, artist, "
            "duration_seconds, valence, arousal, error, analysed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (profile_id, path) DO UPDATE SET size = excluded.size, "
            "modified_ns = excluded.modified_ns, title = excluded.title, artist = excluded.artist, "
            "duration_seconds = excluded.duration_seconds, valence = excluded.valence, "
            "arousal = excluded.arousal, error = excluded.error, analysed_at = excluded.analysed_at",
            (self.profile_id, int(folder_id), library_music_id(data), data, int(state.size), int(state.modified_ns),
             _tag_text(analysis.title), _tag_text(analysis.artist), _finite(analysis.duration_seconds),
             _unit(analysis.valence), _unit(analysis.arousal),
             None if analysis.error is None else str(analysis.error)[:500], time.time()))])

    def forget_paths(self, paths: Iterable[bytes]) -> WriteOutcome:
        """Forget the songs at ``paths`` (files that are gone from disk)."""
        statements = [("DELETE FROM library_songs WHERE profile_id = ? AND path = ?", (self.profile_id, data))
                      for data in paths]
        return self._save(statements) if statements else WriteOutcome.SAVED

    def _save(self, statements: Sequence[Statement]) -> WriteOutcome:
        """Write, and count the change for ``library_version``."""
        try:
            return self.database.write(statements)
        finally:
            _count_change()

    def _write(self, statements: Sequence[Statement], what_failed: str) -> None:
        outcome = self._save(statements)
        if outcome is WriteOutcome.NOT_SAVED:
            raise LibraryError(f"{what_failed}: too many changes are waiting for the database")


_changes_lock = threading.Lock()
_changes = 0


def _count_change() -> None:
    global _changes
    with _changes_lock:
        _changes += 1


def library_version() -> int:
    """How many times this process changed a library (any profile): pages cache what they read from the
    library under it, so a change made here (an import, a removal) shows at once."""
    return _changes


def _tag_text(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())[:200]
    return "".join(character for character in text if unicodedata.category(character) != "Cc") or None


def _finite(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _unit(value: object) -> float | None:
    number = _finite(value)
    return None if number is None else min(1.0, max(0.0, number))


def check_folder(path: Path) -> None:
    """Raise ``LibraryError`` unless ``path`` is a folder this process may list."""
    try:
        if not path.is_dir():
            raise LibraryError(f"{display_path(path)} is not a folder" if path.exists()
                               else f"{display_path(path)} does not exist")
    except OSError as error:
        raise LibraryError(f"{display_path(path)} cannot be read: {error.strerror or error}") from None
    if not os.access(path, os.R_OK | os.X_OK):
        raise LibraryError(f"{display_path(path)} cannot be read: permission denied")


def library_song_names(profile_id: int, music_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Title and artist of the profile's own songs among ``music_ids`` (ids it no longer has are left out;
    nothing when the database is busy), for lists of likes and plays."""
    wanted = sorted({int(music_id) for music_id in music_ids if is_library_id(music_id)})
    if not wanted:
        return {}
    try:
        with LibraryStore(profile_id) as store:
            songs = [store.song_by_music_id(music_id) for music_id in wanted]
    except DatabaseBusyError:
        return {}
    return {song.music_id: (song.display_title, song.display_artist) for song in songs if song is not None}
