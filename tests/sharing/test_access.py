"""The access code: random codes, the host's own, comparison, and the growing delay after wrong ones."""

from __future__ import annotations

import threading

import pytest

from tunex_core.sharing.access import (
    ACCESS_CODE_ALPHABET,
    ACCESS_CODE_LENGTH,
    FAILURE_WINDOW_SECONDS,
    MAX_DELAY_SECONDS,
    AccessGate,
    SharingError,
    checked_host_code,
    new_access_code,
    sharing_from_environment,
)


def test_new_codes_are_random_and_easy_to_read():
    codes = {new_access_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == ACCESS_CODE_LENGTH and set(code) <= set(ACCESS_CODE_ALPHABET) for code in codes)
    assert not set("01lo") & set(ACCESS_CODE_ALPHABET)


def test_the_right_code_opens_typed_loosely_and_others_do_not():
    gate = AccessGate("k7m2-pq9x")
    assert gate.check("k7m2pq9x") and gate.check(" K7M2 PQ9X ") and gate.check("k7m2-pq9x")
    assert not gate.check("k7m2pq9") and not gate.check("") and not gate.check("k7m2pq9xx")
    assert gate.recent_failures() == 3


def test_wrong_codes_wait_longer_and_longer_then_the_window_forgets_them():
    now = [1000.0]
    gate = AccessGate("abcdef23", clock=lambda: now[0])
    delays = []
    for _ in range(6):
        assert not gate.check("wrong")
        delays.append(gate.delay_after_failure())
    assert delays == [1.0, 2.0, 4.0, 8.0, MAX_DELAY_SECONDS, MAX_DELAY_SECONDS]
    now[0] += FAILURE_WINDOW_SECONDS + 1
    assert gate.recent_failures() == 0
    assert not gate.check("wrong")
    assert gate.delay_after_failure() == 1.0


def test_wrong_codes_from_many_threads_are_all_counted():
    gate = AccessGate("abcdef23")
    threads = [threading.Thread(target=lambda: [gate.check("nope") for _ in range(50)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gate.recent_failures() == 400


@pytest.mark.parametrize("code", ["abc", "  ab-c ", "naïve-code", "semi;colon"])
def test_a_host_code_that_is_too_short_or_odd_is_refused_without_echoing_it(code):
    with pytest.raises(SharingError, match="TUNEX_ACCESS_CODE") as caught:
        checked_host_code(code)
    assert code.strip() not in str(caught.value)


@pytest.mark.parametrize(("environment", "enabled", "code", "problem"), [
    ({}, False, None, None),
    ({"TUNEX_SHARE": "0", "TUNEX_ACCESS_CODE": "abcdef"}, False, None, None),
    ({"TUNEX_SHARE": "1", "TUNEX_ACCESS_CODE": "Abc-Def-7"}, True, "abcdef7", None),
    ({"TUNEX_SHARE": "true"}, True, None, "TUNEX_ACCESS_CODE is not set"),
    ({"TUNEX_SHARE": "yes", "TUNEX_ACCESS_CODE": "ab"}, True, None, "at least"),
])
def test_sharing_settings_from_the_environment(environment, enabled, code, problem):
    settings = sharing_from_environment(environment)
    assert settings.enabled is enabled and settings.access_code == code
    assert (problem is None and settings.problem is None) or problem in settings.problem
    assert not settings.guests_only


def test_guests_only():
    assert sharing_from_environment({"TUNEX_SHARE": "1", "TUNEX_ACCESS_CODE": "abcdef",
                                     "TUNEX_SHARE_GUESTS_ONLY": "1"}).guests_only
