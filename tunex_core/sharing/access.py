"""Who may use a shared TuneX: the access code, and the sharing settings read from the environment.

``bash scripts/start.sh --share`` (and the container) start the server with ``TUNEX_SHARE=1`` and
the code in ``TUNEX_ACCESS_CODE`` (random unless the host set one). Every visitor must give the code
before any page renders; a wrong code is answered only after a delay that grows with the wrong codes
of the last minutes, from every visitor together. The code is never written to a log.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

SHARE_VARIABLE = "TUNEX_SHARE"
ACCESS_CODE_VARIABLE = "TUNEX_ACCESS_CODE"
# Every browser is a guest, this computer's own too (the container; a host previewing what guests see).
GUESTS_ONLY_VARIABLE = "TUNEX_SHARE_GUESTS_ONLY"
# A host profile the host lends to every guest (its name); unset: each guest has an in-memory profile.
SHARED_PROFILE_VARIABLE = "TUNEX_SHARED_PROFILE"
ACCESS_CODE_PARAMETER = "code"  # the QR link: https://host:8501/?code=…
# No 0/o, 1/l/i: read off a terminal and typed on a phone. 8 of 32 characters: 40 bits.
ACCESS_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
ACCESS_CODE_LENGTH = 8
MIN_HOST_CODE_LENGTH = 6
MAX_CODE_LENGTH = 64
# A wrong code waits FIRST_DELAY seconds, doubled for each other wrong code of the last WINDOW seconds.
FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 8.0
FAILURE_WINDOW_SECONDS = 300.0


class SharingError(ValueError):
    """A sharing setting that cannot be used; the message says which and why (never the code itself)."""


def new_access_code() -> str:
    """A random access code of ``ACCESS_CODE_LENGTH`` easy-to-read characters."""
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def normalized_code(code: object) -> str:
    """``code`` as compared: lower case, without spaces and dashes (people type "ABCD-2345")."""
    return "".join(str(code).split()).replace("-", "").lower()[:MAX_CODE_LENGTH]


def checked_host_code(code: str) -> str:
    """A code the host chose (``TUNEX_ACCESS_CODE``), normalized; ``SharingError`` when it is too short or odd."""
    tidy = normalized_code(code)
    if len(tidy) < MIN_HOST_CODE_LENGTH:
        raise SharingError(f"{ACCESS_CODE_VARIABLE} must have at least {MIN_HOST_CODE_LENGTH} letters or digits")
    if not tidy.isascii() or not tidy.isalnum():
        raise SharingError(f"{ACCESS_CODE_VARIABLE} may contain only letters, digits, spaces and dashes")
    return tidy


@dataclass(frozen=True)
class SharingSettings:
    """Whether this server is shared, its access code (None: shared but no usable code: nobody gets in), and
    whether browsers on this computer are guests too."""

    enabled: bool
    access_code: str | None = None
    problem: str | None = None  # why there is no usable code
    guests_only: bool = False
    shared_profile: str | None = None  # the name of the host profile guests use, if the host lends one


def sharing_from_environment(environ: Mapping[str, str] | None = None) -> SharingSettings:
    """``TUNEX_SHARE`` (1/true/yes: shared), ``TUNEX_ACCESS_CODE``, ``TUNEX_SHARE_GUESTS_ONLY`` and
    ``TUNEX_SHARED_PROFILE``."""
    environ = os.environ if environ is None else environ
    if not _is_on(environ.get(SHARE_VARIABLE)):
        return SharingSettings(enabled=False)
    guests_only = _is_on(environ.get(GUESTS_ONLY_VARIABLE))
    shared_profile = " ".join(environ.get(SHARED_PROFILE_VARIABLE, "").split()) or None
    raw = environ.get(ACCESS_CODE_VARIABLE, "")
    if not raw.strip():
        return SharingSettings(True, None, f"{ACCESS_CODE_VARIABLE} is not set", guests_only, shared_profile)
    try:
        return SharingSettings(True, checked_host_code(raw), None, guests_only, shared_profile)
    except SharingError as error:
        return SharingSettings(True, None, str(error), guests_only, shared_profile)


def _is_on(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class AccessGate:
    """Checks offered codes against the server's; thread-safe (one per server, shared by every session)."""

    def __init__(self, access_code: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._expected = normalized_code(access_code).encode()
        self._clock = clock
        self._failures: deque[float] = deque()
        self._lock = threading.Lock()

    def check(self, offered: object) -> bool:
        """Whether ``offered`` is the code (compared in constant time); a wrong one is counted."""
        right = hmac.compare_digest(normalized_code(offered).encode(), self._expected)
        if not right:
            with self._lock:
                self._failures.append(self._clock())
        return right

    def recent_failures(self) -> int:
        """Wrong codes in the last ``FAILURE_WINDOW_SECONDS``, from every visitor."""
        with self._lock:
            horizon = self._clock() - FAILURE_WINDOW_SECONDS
            while self._failures and self._failures[0] < horizon:
                self._failures.popleft()
            return len(self._failures)

    def delay_after_failure(self) -> float:
        """Seconds to wait before answering a wrong code: 1 s, doubled per other recent wrong code, at most 8 s."""
        others = max(0, self.recent_failures() - 1)
        return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** min(others, 8))
