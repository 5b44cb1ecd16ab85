"""Tests for ``tunex_core.live.slots``: the shared analysis budget and the live-session limit's setting."""

from __future__ import annotations

import pytest

from tunex_core.live.slots import DEFAULT_MAX_LIVE_SESSIONS, AnalysisSlots, max_live_sessions_from_environment


def test_sessions_share_the_analysis_budget():
    slots = AnalysisSlots(4, total_analyses_per_second=24.0)
    assert slots.minimum_interval() == pytest.approx(1 / 24)
    holders = [object() for _ in range(3)]
    for holder in holders:
        assert slots.acquire(holder)
    assert slots.minimum_interval() == pytest.approx(3 / 24)
    assert AnalysisSlots(2, total_analyses_per_second=None).minimum_interval() == 0.0


@pytest.mark.parametrize(("value", "expected"), [("", DEFAULT_MAX_LIVE_SESSIONS), ("2", 2), (" 7 ", 7)])
def test_max_live_sessions_setting(value, expected):
    assert max_live_sessions_from_environment({"TUNEX_MAX_LIVE_SESSIONS": value}) == expected


@pytest.mark.parametrize("value", ["many", "0", "-3", "1.5"])
def test_bad_max_live_sessions_setting_is_explained(value):
    with pytest.raises(ValueError, match="TUNEX_MAX_LIVE_SESSIONS"):
        max_live_sessions_from_environment({"TUNEX_MAX_LIVE_SESSIONS": value})
