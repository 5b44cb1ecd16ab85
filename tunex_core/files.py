"""Writing files so that a reader never sees half of one (one home for atomic writes)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


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
