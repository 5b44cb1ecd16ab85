"""End-to-end: "Calibrate to my resting face" from the live (fake) camera in a real Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import exception_count, open_from_sidebar, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_calibrate_from_the_live_camera_then_clear(app_page, fake_camera_image):
    open_from_sidebar(app_page, "Live mood", "live")
    component = app_page.frame_locator('iframe[title*="webrtc"]')
    component.get_by_role("button", name="Start camera").click(timeout=60_000)
    main = app_page.locator('[data-testid="stMain"]')
    faces_metric = main.locator('[data-testid="stMetric"]').filter(has_text="Faces")
    faces_metric.locator('[data-testid="stMetricValue"]').filter(has_text=re.compile(r"^\s*1\s*$")).wait_for(
        timeout=90_000)
    calibrate = main.get_by_role("button", name=re.compile("Calibrate to my resting face"))
    calibrate.wait_for(state="visible", timeout=30_000)
    assert calibrate.is_enabled()
    calibrate.click()
    status = main.locator('[data-testid="stAlert"]').filter(has_text="Calibrated to your resting face")
    status.wait_for(state="visible", timeout=60_000)
    assert re.search(r"over \d+ reading", status.inner_text())
    save_screenshot(app_page, "live-calibrated")
    main.get_by_role("button", name="Clear calibration").click()
    status.wait_for(state="detached", timeout=30_000)
    assert exception_count(app_page) == 0
