"""Writing files so that a reader never sees half of one (one home for atomic writes)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
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
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_stream`."""
    with atomic_stream(path) as stream:
        stream.write(text)


def write_json_atomically(path: Path, value: object) -> None:
    """Write ``value`` as indented JSON (non-ASCII kept as is, newline at the end) through :func:`atomic_stream`."""
    write_text_atomically(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
