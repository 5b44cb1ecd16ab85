"""How many live sessions are analysed at once on this machine, and the analyses per second they share."""

from __future__ import annotations

import os
import threading

# Analyses per second for all sessions together (one cost ~14 ms of CPU with boxes held, ~26 ms with a
# detection, before the int8 model file): with 3 viewers each gets 6, leaving the cores to the video.
# 30 a second with the int8 file cost the viewers video frames (bench/live_bench.py, docs/performance.md).
TOTAL_ANALYSES_PER_SECOND = 18.0
# Live sessions analysed at once (TUNEX_MAX_LIVE_SESSIONS). They share TOTAL_ANALYSES_PER_SECOND, so
# more sessions mean fewer analyses each; beyond 4 on a 2-core machine the video itself suffers
# (bench/live_bench.py). Viewers beyond the limit get their video back without analysis.
DEFAULT_MAX_LIVE_SESSIONS = 4


class AnalysisSlots:
    """How many live sessions may be analysed at once on this machine (shared by all sessions).

    More sessions than slots still get their video back, without analysis, and a message saying why.
    """

    def __init__(self, limit: int, total_analyses_per_second: float | None = TOTAL_ANALYSES_PER_SECOND):
        """``total_analyses_per_second``: shared by the sessions being analysed (each gets its part)."""
        if limit < 1:
            raise ValueError(f"at least one live session must be allowed, got {limit}")
        self.limit = limit
        self.total_analyses_per_second = total_analyses_per_second
        self._holders: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self, holder: object) -> bool:
        """Take a slot for ``holder`` (idempotent); False when all are taken."""
        with self._lock:
            if id(holder) in self._holders:
                return True
            if len(self._holders) >= self.limit:
                return False
            self._holders.add(id(holder))
            return True

    def release(self, holder: object) -> None:
        """Give ``holder``'s slot back (no-op when it has none)."""
        with self._lock:
            self._holders.discard(id(holder))

    @property
    def in_use(self) -> int:
        """Slots taken right now."""
        with self._lock:
            return len(self._holders)

    def minimum_interval(self) -> float:
        """Seconds each analysed session waits between analyses so that all together stay in budget."""
        if not self.total_analyses_per_second:
            return 0.0
        return max(1, self.in_use) / self.total_analyses_per_second


def max_live_sessions_from_environment(environ: dict | None = None) -> int:
    """``TUNEX_MAX_LIVE_SESSIONS`` (a positive whole number), else ``DEFAULT_MAX_LIVE_SESSIONS``."""
    raw = (environ if environ is not None else os.environ).get("TUNEX_MAX_LIVE_SESSIONS", "").strip()
    if not raw:
        return DEFAULT_MAX_LIVE_SESSIONS
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"TUNEX_MAX_LIVE_SESSIONS must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"TUNEX_MAX_LIVE_SESSIONS must be at least 1, got {value}")
    return value


def busy_message(limit: int) -> str:
    """What a viewer is told when every analysis slot is taken."""
    viewers = "viewer" if limit == 1 else "viewers"
    return (f"This computer is already analysing {limit} live {viewers}, its limit (TUNEX_MAX_LIVE_SESSIONS). "
            "Your video keeps playing; analysis starts as soon as someone stops their camera.")
