"""Where the library's files are and how their paths are kept: paths as the file system's bytes, printable
paths, TuneX's own folder for a profile's uploaded songs (or a visitor's temporary one), and the media type a
browser plays a file as.

Kept apart from the store (``library``) so that everything touching files on disk is in one place: the store
only ever deletes files through ``delete_upload`` and ``delete_profile_files``, which stay inside the TuneX
home's ``library/`` folder or a store's private uploads folder.

A guest of a shared TuneX has a private in-memory store (``storage.private_memory_database``); its uploads
go to a temporary folder of that store's own (``keep_uploads_private``), never under a host profile, and the
folder is deleted when the store is garbage-collected (the visitor's session ended) or at the latest when
the process exits. How much a guest may keep there is bounded (``upload_budget``); uploads are saved a
batch at a time, all or nothing (``save_uploads``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import unicodedata
import weakref
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from tunex_core.paths import user_data_dir

LIBRARY_DIR_NAME = "library"
MAX_UPLOAD_NAME_LENGTH = 120
PRIVATE_UPLOADS_PREFIX = "tunex-guest-uploads-"
# st.audio's player and the browser need a media type; by the file's suffix.
AUDIO_MEDIA_TYPES = {
    ".mp3": "audio/mpeg", ".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav", ".wave": "audio/wav",
    ".aif": "audio/aiff", ".aiff": "audio/aiff", ".webm": "audio/webm", ".wma": "audio/x-ms-wma",
}

class LibraryError(ValueError):
    """A folder or file that cannot be added or removed; the message says why (one line)."""


def path_bytes(path: str | os.PathLike) -> bytes:
    """The file system's bytes for ``path`` (what the database keeps)."""
    return os.fsencode(os.fspath(path))


def path_from_bytes(data: bytes) -> Path:
    """The ``Path`` for stored bytes (names that are not UTF-8 come back as they were)."""
    return Path(os.fsdecode(bytes(data)))


def display_path(path: str | os.PathLike | bytes) -> str:
    """Printable text for a path: bytes that are not UTF-8 become U+FFFD, control characters ``?``."""
    data = path if isinstance(path, bytes) else path_bytes(path)
    text = data.decode("utf-8", errors="replace")
    return "".join("?" if unicodedata.category(character) == "Cc" else character for character in text)


def media_type(path: str | os.PathLike) -> str:
    """The audio media type for ``st.audio`` by the file's suffix (``audio/mpeg`` when unknown)."""
    return AUDIO_MEDIA_TYPES.get(Path(path).suffix.lower(), "audio/mpeg")


def profile_files_dir(profile_id: int) -> Path:
    """The folder of files TuneX keeps for ``profile_id``'s music (under the TuneX home)."""
    return user_data_dir() / LIBRARY_DIR_NAME / f"profile-{int(profile_id)}"


def uploads_dir(profile_id: int) -> Path:
    """Where files uploaded in the browser are kept for ``profile_id`` (under the TuneX home)."""
    return profile_files_dir(profile_id) / "uploads"


# Stores (``storage.Database``) whose uploads live in a temporary folder of their own, by the store (held
# weakly: the entry goes when the store does).
_private_uploads_lock = threading.Lock()
_private_uploads: weakref.WeakKeyDictionary[object, Path] = weakref.WeakKeyDictionary()


_abandoned_swept = False


def remove_abandoned_guest_folders(temporary: Path | None = None) -> list[Path]:
    """Delete guest upload folders left in the temporary folder by a TuneX process that no longer runs (killed
    before it could clean up: out of memory, SIGKILL, power loss) and return them. A folder's name carries its
    process id (``tunex-guest-uploads-<pid>-…``); folders of running processes, and names without a pid, stay."""
    temporary = Path(temporary) if temporary is not None else Path(tempfile.gettempdir())
    removed = []
    with suppress(OSError):
        for folder in temporary.glob(f"{PRIVATE_UPLOADS_PREFIX}*"):
            pid_text = folder.name[len(PRIVATE_UPLOADS_PREFIX):].split("-", 1)[0]
            if pid_text.isdigit() and folder.is_dir() and not folder.is_symlink() and not _process_runs(int(pid_text)):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _process_runs(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts as running)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


def keep_uploads_private(database: object) -> Path:
    """Give ``database`` (a visitor's private store) its own temporary uploads folder, made now (mode 0700,
    outside the TuneX home) and deleted with everything in it when ``database`` is garbage-collected or the
    process exits; the same folder when it already has one. The first call of a process also deletes the folders
    that crashed TuneX processes left (``remove_abandoned_guest_folders``)."""
    global _abandoned_swept
    with _private_uploads_lock:
        if not _abandoned_swept:
            _abandoned_swept = True
            remove_abandoned_guest_folders()
        folder = _private_uploads.get(database)
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_UPLOADS_PREFIX}{os.getpid()}-"))
            weakref.finalize(database, shutil.rmtree, folder, ignore_errors=True)
            _private_uploads[database] = folder
        return folder


def private_uploads_dir(database: object) -> Path | None:
    """The temporary uploads folder of ``database`` (see ``keep_uploads_private``), or None."""
    with _private_uploads_lock:
        return _private_uploads.get(database)


def private_upload_folders() -> list[Path]:
    """Every temporary uploads folder of a store still alive in this process (all guests' uploads)."""
    with _private_uploads_lock:
        return list(_private_uploads.values())


def store_uploads_dir(database: object, profile_id: int) -> Path:
    """Where uploads into ``database`` for ``profile_id`` are kept: the store's temporary folder when it has
    one, else the profile's folder under the TuneX home."""
    return private_uploads_dir(database) or uploads_dir(profile_id)


def delete_profile_files(profile_id: int) -> None:
    """Delete TuneX's copies of the profile's uploaded songs (when the profile itself is deleted)."""
    shutil.rmtree(profile_files_dir(profile_id), ignore_errors=True)


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` lies inside ``folder`` (by their bytes, no file system access)."""
    folder_bytes = path_bytes(folder).rstrip(b"/") + b"/"
    return path_bytes(path).startswith(folder_bytes)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def safe_upload_name(name: str) -> str:
    """A file name for an upload: the last part of ``name``, without separators or control characters."""
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip().lstrip(".") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:MAX_UPLOAD_NAME_LENGTH] or "upload"
    return f"{stem}.{suffix[:10]}" if suffix else stem


def save_upload(profile_id: int, name: str, data: bytes, folder: Path | None = None) -> Path:
    """Keep an uploaded file in ``folder`` (default: the profile's uploads folder) under a free name
    ("song (2).mp3" beside "song.mp3") and return its path. Raises ``LibraryError`` when it cannot be written."""
    folder = folder if folder is not None else uploads_dir(profile_id)
    file_name = safe_upload_name(name)
    stem, suffix = os.path.splitext(file_name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(1, 10_000):
            target = folder / (file_name if number == 1 else f"{stem} ({number}){suffix}")
            try:
                with open(target, "xb") as handle:
                    handle.write(data)
                return target
            except FileExistsError:
                continue
    except OSError as error:
        raise LibraryError(f"{file_name} could not be saved: {error.strerror or error}") from None
    raise LibraryError(f"{file_name} could not be saved: too many files with that name")


def save_uploads(profile_id: int, uploads: Iterable[tuple[str, bytes]], folder: Path | None = None) -> list[Path]:
    """``save_upload`` for each (name, bytes) of a batch, all or nothing: when one cannot be written, those
    already written are deleted again and the ``LibraryError`` is raised."""
    saved: list[Path] = []
    try:
        for name, data in uploads:
            saved.append(save_upload(profile_id, name, data, folder))
    except LibraryError:
        for path in saved:
            with suppress(OSError):
                path.unlink(missing_ok=True)
        raise
    return saved


def delete_upload(path: Path, profile_id: int, folder: Path | None = None) -> None:
    """Delete TuneX's copy of an uploaded file (only inside ``folder``, default the profile's uploads folder)."""
    if is_inside(path, folder if folder is not None else uploads_dir(profile_id)):
        with suppress(OSError):  # forgotten in TuneX either way; a stray copy is harmless
            path.unlink(missing_ok=True)
