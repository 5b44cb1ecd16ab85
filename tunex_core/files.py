"""Reading and writing files safely: bounded reads of what a user names, atomic writes (one home for both)."""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class FileReadError(ValueError):
    """A file the user named cannot be read (missing, a folder or device, no permission, too large); says why."""


def regular_file_status(path: str | Path, what: str = "a file") -> os.stat_result:
    """The ``os.stat`` of the regular file at ``path``; ``FileReadError`` with a one-line reason for a missing
    file, no permission, a folder, a device, pipe or socket (``what`` names the expected kind of file)."""
    try:
        status = os.stat(path)
    except FileNotFoundError as error:
        raise FileReadError("the file does not exist") from error
    except PermissionError as error:
        raise FileReadError("permission denied") from error
    except OSError as error:
        raise FileReadError(f"the file could not be opened: {error.strerror or error}") from error
    if stat.S_ISDIR(status.st_mode):
        raise FileReadError(f"this is a folder, not {what}")
    if not stat.S_ISREG(status.st_mode):
        raise FileReadError(f"this is not a regular file (a device, pipe or socket); give {what}")
    return status


def read_limited(path: str | Path, max_bytes: int, what: str = "a file") -> bytes:
    """The bytes of the regular file at ``path``, refusing anything else or anything over ``max_bytes``.

    The size is checked before reading, and at most ``max_bytes + 1`` bytes are read, so devices
    (``/dev/zero``), pipes, folders and files that grow while being read are refused without filling
    memory. Raises ``FileReadError`` with a one-line reason; ``what`` names the expected kind of file.
    """
    path = Path(path)
    status = regular_file_status(path, what)
    if status.st_size > max_bytes:
        raise FileReadError(f"the file is {status.st_size / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError as error:
        raise FileReadError("permission denied") from error
    except OSError as error:
        raise FileReadError(f"the file could not be read: {error.strerror or error}") from error
    if len(data) > max_bytes:
        raise FileReadError(f"the file is over the limit of {max_bytes / 1_048_576:.0f} MB")
    return data


@contextmanager
def atomic_stream(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` (``mode`` "w" for UTF-8 text, "wb" for bytes); when the block
    ends without an error, flush it to disk and rename it over ``path``.

    A reader sees either the old file or the new one whole; if the write fails (disk full, interrupted), the
    old file is kept as it was and no temporary file is left behind."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode {mode!r}: choose 'w' (text) or 'wb' (bytes)")
    path = Path(path)
    temporary = _temporary_beside(path)
    # Mode 0o666 lets the kernel apply the umask (a new file gets the usual permissions) without
    # reading the process-wide umask, which would race with other threads.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        _move_into_place(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` produce a file at a temporary path beside ``path`` (same suffix, e.g. ``model.save``),
    then flush it to disk and rename it over ``path``: an interrupted ``write`` keeps the old file whole."""
    path = Path(path)
    temporary = _temporary_beside(path)
    try:
        write(temporary)
        with open(temporary, "rb") as stream:
            os.fsync(stream.fileno())
        _move_into_place(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary_beside(path: Path) -> Path:
    """A hidden, unused name in ``path``'s folder that keeps its suffix (Keras insists on ``.keras``)."""
    return path.parent / f".{path.stem}.{secrets.token_hex(8)}.tmp{path.suffix}"


def _move_into_place(temporary: Path, path: Path) -> None:
    """Give ``temporary`` the permissions of the file it replaces, if any, and rename it to ``path``."""
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_stream`."""
    with atomic_stream(path) as stream:
        stream.write(text)


def write_json_atomically(path: Path, value: object) -> None:
    """Write ``value`` as indented JSON (non-ASCII kept as is, newline at the end) through :func:`atomic_stream`."""
    write_text_atomically(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
