"""A page URL as a fresh server's very first request shows the app's own navigation and sidebar.

Streamlit's old multipage mode (a ``pages/`` folder beside ``app.py``) used to take over until
someone opened ``/``: the sidebar listed raw files (app, common, home, live, …) and the
Session-mood panel was missing. Each test starts its own server so that its request is the first.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import (
    exception_count,
    open_app,
    save_screenshot,
    start_streamlit,
    stop_streamlit,
    wait_for_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP_PAGES = ["Home", "Live mood", "Song map", "Playlist", "My music", "Journal", "Model"]


@pytest.fixture
def fresh_server(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    try:
        server = start_streamlit(home, tmp_path / "streamlit.log")
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    stop_streamlit(server)


def sidebar_titles(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
    return [text.strip() for text in links.all_inner_texts()]


@pytest.mark.parametrize(("url_path", "title", "heading"), [
    ("live", "Live mood", "Live mood"),
    ("playlist", "Playlist", "Playlist"),
])
def test_deep_link_as_first_request_shows_the_app_navigation(chromium_browser, fresh_server, url_path, title,
                                                             heading):
    context = chromium_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, fresh_server, url_path)
        page.locator('[data-testid="stSidebar"]').get_by_text("Session mood").wait_for()
        titles = sidebar_titles(page)
        save_screenshot(page, f"deep-link-first-{url_path}")
        assert [next((name for name in APP_PAGES if name in text), text) for text in titles] == APP_PAGES, titles
        assert not any(text.lower() in {"app", "common"} for text in titles)
        active = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
        assert active.count() == 1 and title in active.inner_text()
        assert heading in page.locator('[data-testid="stMain"] h1').first.inner_text()
        assert exception_count(page) == 0
        # A file of pages/ that is not a page is not served as one.
        page.goto(f"{fresh_server.url}/common", wait_until="domcontentloaded")
        wait_for_app_idle(page)
        assert "common" not in [text.lower() for text in sidebar_titles(page)]
        assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip()
    finally:
        context.close()
