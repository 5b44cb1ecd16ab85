"""End-to-end user journey: choose a mood on Home, see it on the Song map, get a playlist that plays
through Spotify embeds with no account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import exception_count, open_from_sidebar, save_tall_screenshot, wait_for_app_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_mood_from_home_drives_song_map_and_a_playable_playlist(app_page, streamlit_server):
    main = app_page.locator('[data-testid="stMain"]')
    sidebar = app_page.locator('[data-testid="stSidebar"]')
    main.locator('[data-testid="stRadio"]').get_by_text("Sad", exact=False).click()
    wait_for_app_idle(app_page)
    main.get_by_role("button", name="Use this mood").click()
    sidebar.get_by_text(re.compile("Sad")).first.wait_for(timeout=30_000)
    assert "your pick on Home" in sidebar.inner_text()
    save_tall_screenshot(app_page, "journey-home")

    open_from_sidebar(app_page, "Song map", "song_map")
    main.get_by_text("Songs for your mood").wait_for()
    main.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)  # plotly mounts lazily
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "journey-song_map")

    open_from_sidebar(app_page, "Playlist", "playlist")
    main.get_by_text(re.compile(r"For .*Sad \(valence")).wait_for(timeout=60_000)
    links = main.get_by_role("link", name="Open in Spotify")
    expect(links).to_have_count(10, timeout=60_000)  # the default playlist length
    hrefs = [links.nth(index).get_attribute("href") for index in range(links.count())]
    assert all(re.fullmatch(r"https://open\.spotify\.com/track/[0-9A-Za-z]{22}", href) for href in hrefs)
    players = main.locator('iframe[src^="https://open.spotify.com/embed/track/"]')
    expect(players).to_have_count(10, timeout=60_000)
    assert "no account needed" in main.inner_text()
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "journey-playlist")
