"""Writing files so that a reader never sees half of one (one home for atomic writes)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder and a rename.

    A reader sees either the old file or the new one whole; if the write fails (disk full, interrupted), the
    old file is kept as it was and no temporary file is left behind."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
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


def write_json_atomically(path: Path, value: object) -> None:
    """Write ``value`` as indented JSON (non-ASCII kept as is, newline at the end) with
    :func:`write_text_atomically`."""
    write_text_atomically(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
