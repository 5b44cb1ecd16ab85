"""Test helper: another process that holds a lock on a TuneX database, as a second program would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOCK_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
"""


class LockHolder:
    """Another process holding ``BEGIN EXCLUSIVE`` on a database until ``release``."""

    def __init__(self, path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
