"""End-to-end: the Live page's Snapshot tab takes one picture with the (fake) camera and reads its face."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import exception_count, open_from_sidebar, save_tall_screenshot, wait_for_app_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_snapshot_is_read_and_its_mood_used(app_page):
    open_from_sidebar(app_page, "Live mood", "live")
    main = app_page.locator('[data-testid="stMain"]')
    main.get_by_role("tab", name=re.compile("Snapshot")).click()
    wait_for_app_idle(app_page)
    main.get_by_role("button", name="Take Photo").click(timeout=60_000)
    wait_for_app_idle(app_page)
    use = main.get_by_role("button", name=re.compile("Use this mood"))
    use.wait_for(timeout=60_000)
    assert main.get_by_alt_text(re.compile(r"with one face boxed: ")).count() == 1
    use.click()
    wait_for_app_idle(app_page)
    sidebar = app_page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(re.compile("from snapshot")).wait_for(timeout=30_000)
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "live-snapshot")
