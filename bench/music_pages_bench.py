"""Benchmark: time to interactive of the Playlist and Song map pages in a real browser.

Run from the project root (it is a script, not a test; needs Chromium, see ``scripts/test.sh``)::

    python bench/music_pages_bench.py              # 5 runs of each page
    python bench/music_pages_bench.py --runs 3

It starts ``streamlit run app.py`` with no Spotify credentials and a temporary ``TUNEX_HOME``,
then for each run opens a fresh browser tab on Home, chooses the happy mood there ("Use this
mood"), and measures from the click on the page's sidebar link:

* ``playlist`` — until the playlist shows its ten Spotify players (iframes attached; there is no
  network here, so they are not waited on to play);
* ``song map`` — until the map of the whole catalog has drawn (the default draws 66,000 songs
  as a density layer: heatmap + legend);
* ``song map points`` — then, from choosing "Every song (WebGL)", until the WebGL scatter of
  every song has drawn and the script run has finished.

The first run of each page after the server starts is reported separately ("cold": it includes
loading the catalog into the server's cache). It also times ``load_catalog()`` in this process.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests.browser.helpers import (
    CHROMIUM_FLAGS,
    find_chromium,
    open_app,
    start_streamlit,
    stop_streamlit,
    wait_for_app_idle,
)
from tunex_core.music.catalog_io import load_catalog

VIEWPORT = {"width": 1280, "height": 900}
PLAYER_SELECTOR = 'iframe[src^="https://open.spotify.com/embed/track/"]'
TIMEOUT_MS = 120_000


def choose_happy_on_home(page, server) -> None:
    """Open Home and make "Happy" the session mood."""
    open_app(page, server)
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stRadio"]').get_by_text("Happy", exact=False).click()
    wait_for_app_idle(page)
    main.get_by_role("button", name="Use this mood").click()
    wait_for_app_idle(page)


def click_sidebar(page, title: str) -> float:
    """Click the sidebar link ``title``; the monotonic time of the click."""
    link = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"^\W*{re.escape(title)}\s*$"))
    started = time.monotonic()
    link.first.click()
    return started


def time_playlist(page, server) -> float:
    """Seconds from the sidebar click to the playlist's ten Spotify players."""
    choose_happy_on_home(page, server)
    started = click_sidebar(page, "Playlist")
    page.locator(f'[data-testid="stMain"] {PLAYER_SELECTOR}').nth(9).wait_for(state="attached", timeout=TIMEOUT_MS)
    elapsed = time.monotonic() - started
    wait_for_app_idle(page, "playlist")
    return elapsed


def time_song_map(page, server) -> tuple[float, float]:
    """Seconds from the sidebar click to the drawn density map of the whole catalog, and from choosing
    "Every song (WebGL)" to the drawn scatter."""
    choose_happy_on_home(page, server)
    started = click_sidebar(page, "Song map")
    chart = page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"]').first
    chart.locator(".hm").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    chart.locator(".legendtext").first.wait_for(timeout=TIMEOUT_MS)
    density = time.monotonic() - started
    wait_for_app_idle(page, "song_map")
    started = time.monotonic()
    page.locator('[data-testid="stMain"] [data-testid="stRadio"]').get_by_text("Every song (WebGL)").click()
    chart.locator("canvas").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    wait_for_app_idle(page, "song_map", timeout_seconds=TIMEOUT_MS / 1000)
    return density, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per page (default 5)")
    arguments = parser.parse_args(argv)

    loads = []
    for _ in range(5):
        started = time.perf_counter()
        catalog = load_catalog()
        loads.append(time.perf_counter() - started)
    print(f"load_catalog(): {len(catalog):,} songs, median {statistics.median(loads):.2f} s "
          f"(min {min(loads):.2f}, max {max(loads):.2f}) over 5 loads")

    home = Path(tempfile.mkdtemp(prefix="tunex-bench-"))
    server = start_streamlit(home, home / "streamlit.log")
    timings: dict[str, list[float]] = {"playlist": [], "song map": [], "song map points": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                                 args=list(CHROMIUM_FLAGS))
            for _ in range(arguments.runs):
                context = browser.new_context(viewport=VIEWPORT)
                try:
                    timings["playlist"].append(time_playlist(context.new_page(), server))
                finally:
                    context.close()
                context = browser.new_context(viewport=VIEWPORT)
                try:
                    density, points = time_song_map(context.new_page(), server)
                    timings["song map"].append(density)
                    timings["song map points"].append(points)
                finally:
                    context.close()
            browser.close()
    finally:
        stop_streamlit(server)
    print(f"\n{'page':<15} | {'cold s':>6} | {'warm median s':>13} | {'warm min s':>10} | {'warm max s':>10}")
    print("-" * 66)
    for name, values in timings.items():
        warm = values[1:] or values
        print(f"{name:<15} | {values[0]:>6.2f} | {statistics.median(warm):>13.2f} | {min(warm):>10.2f} | "
              f"{max(warm):>10.2f}")
    print("\ncold = first visit after the server started (includes loading the catalog); "
          "target: first Playlist render <= 3 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
