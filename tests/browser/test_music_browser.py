"""Music in a real browser with no Spotify credentials: the Playlist shows Spotify players (iframes
pointing at open.spotify.com/embed; there is no network here, so they are counted, not played) and
the Song map draws the whole catalog with WebGL. Timings are printed and saved to
``artifacts/music_page_timings.json`` (``bench/music_pages_bench.py`` measures them repeatedly)."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import exception_count, open_app, save_tall_screenshot, wait_for_app_idle
from tunex_core.paths import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAYER_SELECTOR = 'iframe[src^="https://open.spotify.com/embed/track/"]'
TIMINGS_FILE = PROJECT_ROOT / "artifacts" / "music_page_timings.json"


def record_timing(name: str, seconds: float) -> None:
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    timings = json.loads(TIMINGS_FILE.read_text(encoding="utf-8")) if TIMINGS_FILE.is_file() else {}
    timings[name] = round(seconds, 2)
    TIMINGS_FILE.write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    print(f"{name}: {seconds:.2f} s")


def test_playlist_plays_spotify_embeds_without_credentials(app_page, streamlit_server):
    main = app_page.locator('[data-testid="stMain"]')
    started = time.monotonic()
    open_app(app_page, streamlit_server, "playlist")
    main.locator('[data-testid="stSelectbox"]').first.click()
    app_page.get_by_role("option", name=re.compile("Happy")).click()
    players = main.locator(PLAYER_SELECTOR)
    expect(players).to_have_count(10, timeout=60_000)
    wait_for_app_idle(app_page, "playlist")
    record_timing("playlist_first_render_s", time.monotonic() - started)

    sources = [players.nth(index).get_attribute("src") for index in range(players.count())]
    assert all(re.fullmatch(r"https://open\.spotify\.com/embed/track/[0-9A-Za-z]{22}", src) for src in sources)
    assert len(set(sources)) == 10
    assert "no account needed" in main.inner_text() and "10 of 10 songs play here" in main.inner_text()
    assert exception_count(app_page) == 0

    # Thirty songs: ten players at once, the other twenty behind one button.
    slider = main.locator('[data-testid="stSlider"]').filter(has_text="Songs").get_by_role("slider")
    slider.focus()
    slider.press("End")  # the maximum, 30, in one change
    expect(main.get_by_role("link", name="Open in Spotify")).to_have_count(30, timeout=60_000)
    wait_for_app_idle(app_page, "playlist")
    assert players.count() == 10
    load_all = main.get_by_role("button", name=re.compile(r"Load the other 20 players"))
    load_all.scroll_into_view_if_needed()  # Streamlit scrolls inside stMain; click once it has settled
    app_page.wait_for_timeout(500)
    load_all.click()
    wait_for_app_idle(app_page, "playlist")
    expect(players).to_have_count(30, timeout=60_000)
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "music-playlist-players")


def test_after_a_reload_the_last_mood_brings_the_playlist_back(app_page, streamlit_server):
    main = app_page.locator('[data-testid="stMain"]')
    sidebar = app_page.locator('[data-testid="stSidebar"]')
    open_app(app_page, streamlit_server, "playlist")
    main.locator('[data-testid="stSelectbox"]').first.click()
    app_page.get_by_role("option", name=re.compile("Surprise")).click()
    expect(main.locator(PLAYER_SELECTOR)).to_have_count(10, timeout=60_000)

    app_page.reload(wait_until="domcontentloaded")  # a new session: no session mood, no playlist
    wait_for_app_idle(app_page, "playlist")
    expect(main.locator(PLAYER_SELECTOR)).to_have_count(0)
    sidebar.get_by_role("button", name=re.compile(r"Use my last mood: .*Surprise \(just now\)")).click()
    wait_for_app_idle(app_page, "playlist")
    expect(main.locator(PLAYER_SELECTOR)).to_have_count(10, timeout=60_000)
    # The page's own mood selector follows the resumed mood.
    expect(main.get_by_role("combobox", name="Mood")).to_have_value(re.compile("Surprise"))
    assert exception_count(app_page) == 0


def test_song_map_shows_the_whole_catalog_as_density_and_as_webgl_points(app_page, streamlit_server):
    main = app_page.locator('[data-testid="stMain"]')
    started = time.monotonic()
    open_app(app_page, streamlit_server, "song_map")
    chart = main.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".legendtext").first.wait_for(timeout=60_000)
    # The language filter starts at the browser's language (English here): the whole catalog needs "Any language".
    assert sum(legend_counts(chart)) < 60_000
    main.get_by_role("button", name="Any language").click()
    wait_for_app_idle(app_page, "song_map", timeout_seconds=120)
    chart.locator(".hm").first.wait_for(state="attached", timeout=60_000)  # the density heatmap layer
    record_timing("song_map_density_time_to_interactive_s", time.monotonic() - started)
    assert sum(legend_counts(chart)) > 60_000
    assert exception_count(app_page) == 0

    started = time.monotonic()
    main.locator('[data-testid="stRadio"]').get_by_text("Every song (WebGL)").click()
    app_page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] canvas').length > 0", timeout=120_000)
    wait_for_app_idle(app_page, "song_map", timeout_seconds=120)
    record_timing("song_map_points_redraw_s", time.monotonic() - started)
    assert sum(legend_counts(chart)) > 60_000
    assert exception_count(app_page) == 0

    main.get_by_label("Search title or artist").fill("Beyonce")
    main.get_by_label("Search title or artist").press("Enter")
    wait_for_app_idle(app_page, "song_map")
    assert re.search(r"Showing \d+ of [\d,]+ songs", main.inner_text())
    assert exception_count(app_page) == 0
    save_tall_screenshot(app_page, "music-song-map")


def legend_counts(chart) -> list[int]:
    """The song counts in the region legend entries, e.g. 1136 for "Angry (1136)"."""
    texts = chart.locator(".legendtext").all_text_contents()
    return [int(match[1]) for text in texts if (match := re.search(r"\((\d+)\)", text))][:7]
