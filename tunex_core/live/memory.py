"""The server's memory around live video: frames go back to the system once freed.

No heavy imports here: ``app.py`` calls ``tune_allocator_for_video`` before the WebRTC stack
and the model load.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

MEMORY_RELEASE_DELAYS = (10.0, 30.0, 60.0)  # seconds after a stream ends when freed memory is handed back again
# Blocks at least this big get their own memory mapping, returned to the system when freed. A 640x480
# frame is 0.9 MB; glibc would otherwise raise this threshold after the first frame and keep every
# later frame in per-thread arenas, where freed frames stay resident (bench/live_bench.py --memory-rounds).
FRAME_MAPPING_THRESHOLD_BYTES = 128 * 1024
# Each stream's threads (decoder, encoder, analysis) would get their own allocator arenas, up to 8 per
# core, each keeping some freed memory: RSS after each 3-viewer visit crept up by ~5 MB (7 visits:
# +36 -> +67 MB); with 2 arenas it stays flat (+29 -> +38 MB) (bench/live_bench.py --memory-rounds 7).
ALLOCATOR_ARENAS = 2
_MALLOPT_MMAP_THRESHOLD = -3  # M_MMAP_THRESHOLD in glibc's malloc.h
_MALLOPT_ARENA_MAX = -8  # M_ARENA_MAX


def tune_allocator_for_video(threshold_bytes: int = FRAME_MAPPING_THRESHOLD_BYTES,
                             arenas: int = ALLOCATOR_ARENAS) -> bool:
    """Make the C allocator hand memory back to the system after video streams end.

    Fixes glibc's mmap threshold (which otherwise grows to the largest block freed so far), so that
    frames decoded and drawn by many threads are unmapped when freed, and caps its arenas so that
    each new stream's threads do not leave freed memory behind in arenas of their own. Call once,
    early, in the server process (the arena cap only holds if few threads have allocated yet);
    False where the allocator is not glibc's.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mapped = libc.mallopt(_MALLOPT_MMAP_THRESHOLD, int(threshold_bytes))
        capped = libc.mallopt(_MALLOPT_ARENA_MAX, int(arenas))
        return bool(mapped and capped)
    except (OSError, AttributeError, TypeError):  # not glibc
        return False


def release_free_memory() -> bool:
    """Ask the C allocator to hand freed memory back to the system; False where that is not possible.

    A stream's decoded frames are allocated by many threads (decoder, encoder, analysis): glibc keeps
    what they free in per-thread arenas, so the server's RSS stayed ~200 MB up after 3 viewers left.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError, TypeError):  # not glibc
        return False


def schedule_memory_release(delays_seconds: tuple[float, ...] = MEMORY_RELEASE_DELAYS) -> None:
    """``release_free_memory`` now and after each delay (the WebRTC connection lets go of its frames later)."""
    release_free_memory()
    for delay in delays_seconds:
        timer = threading.Timer(delay, release_free_memory)
        timer.daemon = True
        timer.start()
