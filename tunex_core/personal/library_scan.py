"""Finding the audio files in a folder: bounded, and never stopped by a bad entry.

``scan_folder`` walks a folder with ``os.scandir`` (no recursion limit of Python's to hit) and keeps
regular files whose suffix is an audio one. It looks at names first, so a folder of 10,000 text files
costs one directory listing, not 10,000 ``stat`` calls. Every problem becomes a line in
``ScanResult.problems`` and the walk goes on:

* a folder or file that vanishes while it is walked, or that this process may not read;
* symbolic links that loop (each folder is entered once, by its device and inode);
* pipes, devices and sockets with an audio suffix (opening a pipe would wait forever);
* names that are not UTF-8 (kept as the file system's bytes, see ``library.path_bytes``).

Bounds: ``MAX_ENTRIES`` names looked at, ``MAX_DEPTH`` folders deep, ``MAX_SONGS`` files kept; reaching
one stops the walk with ``truncated`` set and a line saying so.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tunex_core.personal.library import FileState
from tunex_core.personal.library_files import display_path

MAX_ENTRIES = 1_000_000
MAX_DEPTH = 64
MAX_SONGS = 100_000
MAX_PROBLEMS_KEPT = 200


@dataclass(frozen=True)
class ScanResult:
    """What a scan found: the audio files, how many other files it passed over, and its problems."""

    files: tuple[FileState, ...]
    other_files: int
    problems: tuple[str, ...]
    problem_count: int
    truncated: bool


def audio_suffixes() -> frozenset[str]:
    """The suffixes the song analysis reads (``.mp3``, ``.flac``, …), lower case with the dot."""
    from tunex_core.music.audio.analysis import AUDIO_SUFFIXES

    return frozenset(suffix.lower() for suffix in AUDIO_SUFFIXES)


def _reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "it disappeared while being read"
    if isinstance(error, PermissionError):
        return "permission denied"
    if error.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return error.strerror or str(error)


class _Walk:
    def __init__(self, suffixes: frozenset[str], should_stop: Callable[[], bool] | None,
                 max_entries: int, max_songs: int) -> None:
        self.suffixes = suffixes
        self.should_stop = should_stop or (lambda: False)
        self.max_entries, self.max_songs = max_entries, max_songs
        self.files: list[FileState] = []
        self.other_files = 0
        self.entries = 0
        self.problems: list[str] = []
        self.problem_count = 0
        self.truncated = False
        self.visited: set[tuple[int, int]] = set()

    def problem(self, path: str, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"{display_path(path)}: {text}")

    def stop(self, text: str) -> None:
        self.truncated = True
        self.problems.append(text)

    def file(self, path: str, status: os.stat_result) -> None:
        if not stat.S_ISREG(status.st_mode):
            self.problem(path, "not a regular file (a pipe, device or socket); skipped")
            return
        self.files.append(FileState(Path(path), int(status.st_size), int(status.st_mtime_ns)))

    def walk(self, root: str) -> None:
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            if self.should_stop():
                self.stop("the scan was stopped")
                return
            folder, depth = stack.pop()
            try:
                status = os.stat(folder)
                key = (status.st_dev, status.st_ino)
                if key in self.visited:
                    continue  # a symbolic link back to a folder already walked
                self.visited.add(key)
                with os.scandir(folder) as entries:
                    listed = list(entries)
            except OSError as error:
                self.problem(folder, f"folder skipped ({_reason(error)})")
                continue
            subfolders = []
            for entry in sorted(listed, key=lambda item: item.name):
                self.entries += 1
                if self.entries > self.max_entries:
                    self.stop(f"stopped after {self.max_entries:,} names: the folder is too large to scan at once")
                    return
                try:
                    if entry.is_dir():  # follows symbolic links; loops end at ``visited``
                        if depth + 1 > MAX_DEPTH:
                            self.problem(entry.path, f"more than {MAX_DEPTH} folders deep; skipped")
                        else:
                            subfolders.append(entry.path)
                        continue
                    if os.path.splitext(entry.name)[1].lower() not in self.suffixes:
                        self.other_files += 1
                        continue
                    self.file(entry.path, entry.stat())
                except OSError as error:
                    self.problem(entry.path, _reason(error))
                    continue
                if len(self.files) >= self.max_songs:
                    self.stop(f"stopped at {self.max_songs:,} songs; add the subfolders one by one")
                    return
            stack.extend((path, depth + 1) for path in reversed(subfolders))


def scan_folder(folder: str | os.PathLike, suffixes: Iterable[str] | None = None, *,
                should_stop: Callable[[], bool] | None = None, max_entries: int = MAX_ENTRIES,
                max_songs: int = MAX_SONGS) -> ScanResult:
    """The audio files under ``folder`` (see the module docstring); never raises for the folder's content.

    ``suffixes``: lower-case suffixes with the dot (default: those the song analysis reads);
    ``should_stop``: polled between folders, to cancel a long scan.
    """
    walk = _Walk(frozenset(suffixes) if suffixes is not None else audio_suffixes(), should_stop, max_entries,
                 max_songs)
    walk.walk(os.fspath(folder))
    return ScanResult(tuple(walk.files), walk.other_files, tuple(walk.problems), walk.problem_count, walk.truncated)


def scan_paths(paths: Iterable[str | os.PathLike], suffixes: Iterable[str] | None = None) -> ScanResult:
    """Files and folders named on a command line: a file is taken whatever its suffix (the analysis says
    what is wrong with it), a folder is scanned; a missing path is a problem line."""
    files: list[FileState] = []
    problems: list[str] = []
    other_files, problem_count, truncated = 0, 0, False
    for path in paths:
        text = os.fspath(path)
        try:
            status = os.stat(text)
        except OSError:
            files.append(FileState(Path(text), -1, -1))  # the analysis says what is wrong, in order
            continue
        if stat.S_ISDIR(status.st_mode):
            result = scan_folder(text, suffixes)
            files.extend(result.files)
            problems.extend(result.problems)
            other_files += result.other_files
            problem_count += result.problem_count
            truncated = truncated or result.truncated
        else:
            files.append(FileState(Path(text), int(status.st_size), int(status.st_mtime_ns)))
    return ScanResult(tuple(files), other_files, tuple(problems), problem_count, truncated)
