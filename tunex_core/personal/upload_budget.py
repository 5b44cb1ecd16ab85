"""How much guests of a shared TuneX may keep on the host's disk: each guest's songs, and all guests' together.

A guest's uploads go to a temporary folder of the guest's store (``library_files.keep_uploads_private``).
Before a batch of uploads is written, ``check_upload_budget`` compares what the guest's folder already
holds plus the batch with the guest's budget (bytes and songs), and what every guest folder of this TuneX
process holds plus the batch with the cap for all guests. What counts is what is on disk: removing a
song deletes its copy, and so frees its share at once. A guest who left keeps their folder until Python
frees their store; ``check_guest_budget`` collects garbage before it refuses a batch for the cap, so stores
that Streamlit has let go of no longer count. The host's own uploads have no budget.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tunex_core.personal.library_files import LibraryError, private_upload_folders

MEGABYTE = 1_000_000
# One guest: 100 songs are an evening's listening and about a minute of one analysis worker (500 songs took
# 4.6 min on a 2-core machine, docs/my-music.md); 300 MB is 3 MB a song, a 3-minute MP3 at 128 kbit/s
# (2.9 MB), so richer files (a FLAC is 20-30 MB) fill it with fewer songs. All guests: their folders are in
# the system's temporary folder, on many Linux systems a RAM disk of half the memory (tmpfs): 2 GB fits
# an 8 GB laptop's and lets about seven guests use their whole budget at once. The cap is per TuneX
# process (each replica of the container has its own temporary folder and cap).
GUEST_MAX_BYTES = 300 * MEGABYTE
GUEST_MAX_SONGS = 100
ALL_GUESTS_MAX_BYTES = 2_000 * MEGABYTE

# Held from a guest batch's check until its files are written, so two guests uploading at the same moment
# cannot both pass the check for room that only one of them has.
guest_uploads_lock = threading.Lock()


class AllGuestsFullError(LibraryError):
    """The cap for all guests together would be passed (``LibraryError``'s one line says by how much)."""


@dataclass(frozen=True)
class UploadBudget:
    """The limits a guest's batch is checked against (the constants above, or smaller ones in tests)."""

    guest_max_bytes: int = GUEST_MAX_BYTES
    guest_max_songs: int = GUEST_MAX_SONGS
    all_guests_max_bytes: int = ALL_GUESTS_MAX_BYTES


GUEST_BUDGET = UploadBudget()


@dataclass(frozen=True)
class FolderUsage:
    """What an uploads folder holds: its files (one song each) and their bytes."""

    songs: int
    size_bytes: int


def folder_usage(folder: Path) -> FolderUsage:
    """The files directly in ``folder`` and their total size (nothing when it does not exist)."""
    songs = size = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        songs += 1
                        size += entry.stat(follow_symlinks=False).st_size
                except OSError:  # removed while counting
                    continue
    except FileNotFoundError:
        pass
    except OSError as error:
        raise LibraryError(f"the songs kept so far cannot be counted: {error.strerror or error}") from None
    return FolderUsage(songs, size)


def format_size(size_bytes: int) -> str:
    """"300 MB", "12.5 MB", or "1,000 bytes" below a tenth of a megabyte."""
    if size_bytes < MEGABYTE // 10:
        return f"{size_bytes:,} bytes"
    megabytes = size_bytes / MEGABYTE
    return f"{megabytes:,.0f} MB" if size_bytes % MEGABYTE == 0 else f"{megabytes:,.1f} MB"


def _batch(count: int) -> str:
    return "this song needs" if count == 1 else f"these {count} songs need"


def check_upload_budget(folder: Path, sizes: Sequence[int], guest_folders: Iterable[Path],
                        budget: UploadBudget | None = None) -> None:
    """Raise ``LibraryError`` (one line: the limit and what the batch needs) unless a guest may add files of
    ``sizes`` bytes to ``folder``: within the guest's songs and bytes, and, with what the other folders of
    ``guest_folders`` (every guest's, this one's may be among them) hold, within the cap for all guests
    (``AllGuestsFullError`` when that is passed); ``budget`` defaults to ``GUEST_BUDGET``."""
    budget = budget if budget is not None else GUEST_BUDGET
    batch_songs, batch_bytes = len(sizes), sum(int(size) for size in sizes)
    kept = folder_usage(folder)
    hint = "remove some to make room" if kept.songs else "pick fewer songs"
    if kept.songs + batch_songs > budget.guest_max_songs:
        raise LibraryError(f"a guest may keep at most {budget.guest_max_songs} songs on this computer: you keep "
                           f"{kept.songs} and these are {batch_songs} more ({hint})")
    if kept.size_bytes + batch_bytes > budget.guest_max_bytes:
        raise LibraryError(f"a guest may keep at most {format_size(budget.guest_max_bytes)} of songs on this "
                           f"computer: you keep {format_size(kept.size_bytes)} and {_batch(batch_songs)} "
                           f"{format_size(batch_bytes)} more ({hint})")
    others = {Path(other) for other in guest_folders} - {Path(folder)}
    in_use = kept.size_bytes + sum(folder_usage(other).size_bytes for other in others)
    if in_use + batch_bytes > budget.all_guests_max_bytes:
        raise AllGuestsFullError(
            f"all guests together may keep at most {format_size(budget.all_guests_max_bytes)} of songs on this "
            f"computer: {format_size(in_use)} is in use and {_batch(batch_songs)} {format_size(batch_bytes)} more "
            "(try again later, or ask the person sharing TuneX)")


def check_guest_budget(folder: Path, sizes: Sequence[int], budget: UploadBudget | None = None) -> None:
    """``check_upload_budget`` against every live guest folder; when the cap for all guests refuses, once more
    after a full garbage collection. A guest who left keeps their folder until their store is freed, and a
    Streamlit session's objects form reference cycles that only a full collection frees (measured on a
    --share server: a departed guest's folder stayed until ``gc.collect()``), so the cap would otherwise
    count guests who are gone."""
    try:
        check_upload_budget(folder, sizes, private_upload_folders(), budget)
    except AllGuestsFullError:
        gc.collect()  # runs the finalizers that delete departed guests' folders
        check_upload_budget(folder, sizes, private_upload_folders(), budget)
