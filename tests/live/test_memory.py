"""The allocator settings for live video: freed frames leave the process."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tunex_core.live.memory import release_free_memory, tune_allocator_for_video

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# 300 frames of 640x480x3 made and freed by a thread, with a small block kept after each (as a
# stream's buffers, packets and Python objects do): without the setting the frames' memory stays
# resident between the kept blocks.
FRAGMENTING_WORKLOAD = textwrap.dedent("""
    import sys, threading
    from tunex_core.live.memory import tune_allocator_for_video
    if sys.argv[1] == "mapped":
        assert tune_allocator_for_video()

    def anonymous_megabytes():
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

    kept = []
    def stream():
        first = bytearray(640 * 480 * 3)
        del first
        frames = []
        for index in range(300):
            frames.append(bytearray(640 * 480 * 3))
            kept.append(bytearray(2000))
            if len(frames) > 100:
                frames.pop(0)
        frames.clear()

    before = anonymous_megabytes()
    worker = threading.Thread(target=stream)
    worker.start()
    worker.join()
    print(anonymous_megabytes() - before)
""")


def resident_growth(mode: str) -> float:
    result = subprocess.run([sys.executable, "-c", FRAGMENTING_WORKLOAD, mode], capture_output=True, text=True,
                            timeout=60, check=True)
    return float(result.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="the setting is glibc's")
def test_freed_frames_leave_the_process_with_the_setting():
    kept_plain = resident_growth("plain")
    kept_mapped = resident_growth("mapped")
    assert kept_mapped < 10, f"{kept_mapped:.0f} MB of freed frames stayed resident"
    assert kept_plain > kept_mapped + 30, (kept_plain, kept_mapped)


def test_the_settings_say_whether_they_applied():
    assert tune_allocator_for_video() is GLIBC
    big = [np.ones((1000, 1000)) for _ in range(20)]  # 160 MB, then freed
    del big
    handed_back = release_free_memory()  # True only if there was something left to hand back
    assert isinstance(handed_back, bool)
    assert handed_back is False or GLIBC


# 12 threads alive at once, each allocating: glibc gives new threads arenas of their own (up to 8
# per core); the number of arenas is in malloc_stats' report ("Arena N:").
ARENA_WORKLOAD = textwrap.dedent("""
    import ctypes, sys, threading
    from tunex_core.live.memory import tune_allocator_for_video
    if sys.argv[1] == "tuned":
        assert tune_allocator_for_video()
    barrier = threading.Barrier(12)
    def work():
        blocks = [bytearray(5000) for _ in range(50)]
        barrier.wait()
    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ctypes.CDLL("libc.so.6").malloc_stats()
""")


def arenas(mode: str) -> int:
    result = subprocess.run([sys.executable, "-c", ARENA_WORKLOAD, mode], capture_output=True, text=True,
                            timeout=60, check=True)
    return sum(1 for line in result.stderr.splitlines() if line.startswith("Arena "))


@pytest.mark.skipif(not GLIBC, reason="the setting is glibc's")
def test_stream_threads_share_two_arenas():
    assert arenas("tuned") <= 2
    assert arenas("plain") > 2
