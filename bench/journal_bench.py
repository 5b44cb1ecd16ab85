"""Benchmark: how long the Journal page takes with a year of history (20 moods a day by default).

Run from the project root (a script, not a test)::

    python bench/journal_bench.py                     # 365 days x 20 moods, plus plays, likes, check-ins
    python bench/journal_bench.py --days 365 --moods-per-day 20 --repeats 3

It fills a temporary ``TUNEX_HOME`` (per day: the moods, random emotions leaning happy for half the
year and sad for the other half; 2 plays; 1 like or skip; every third day an iso check-in), renders
``pages/journal.py`` with AppTest: the first run (which also loads the catalog for song
titles) and warm reruns, for the "Last 12 months" and "Everything" periods, reporting the
median. The target is 2 s.

``--browser`` also serves the app (``streamlit run app.py`` on 127.0.0.1, Debian's Chromium through
Playwright, as the browser tests do) and times, in the browser, opening the Journal until its
script run is over and every chart is drawn, then switching to each longer period; it saves
``artifacts/screenshots/journal-year.png`` (the README's Journal picture).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECONDS_PER_DAY = 86_400


def fill(days: int, moods_per_day: int, seed: int = 0) -> None:
    """Write the synthetic history into the current ``TUNEX_HOME``."""
    from tunex_core.emotions import EMOTION_NAMES
    from tunex_core.mood import Mood
    from tunex_core.music.catalog_io import load_catalog
    from tunex_core.music.feedback import LIKE, SKIP
    from tunex_core.personal.checkins import CheckinStore
    from tunex_core.storage import DEFAULT_PROFILE_ID, open_database

    generator = random.Random(seed)
    music_ids = [int(music_id) for music_id in load_catalog().music_ids[:200]]
    now = time.time()
    statements = []
    for day in range(days):
        start = now - (day + 1) * SECONDS_PER_DAY
        for number in range(moods_per_day):
            probabilities = [generator.random() for _ in EMOTION_NAMES]
            season = 0.4 * math.sin(2 * math.pi * day / 365)  # a brighter and a darker half of the year
            probabilities[EMOTION_NAMES.index("happy")] += max(season, 0.0)
            probabilities[EMOTION_NAMES.index("sad")] += max(-season, 0.0)
            mood = Mood.from_probabilities(probabilities, source="benchmark")
            statements.append((
                "INSERT INTO mood_history (label, valence, arousal, probabilities, source, recorded_at, profile_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (mood.label, mood.valence, mood.arousal, "[]", mood.source,
                 start + number * SECONDS_PER_DAY / moods_per_day, DEFAULT_PROFILE_ID)))
        for number in range(2):
            statements.append(("INSERT INTO recommend_plays (music_id, played_at, mood_label, profile_id) "
                               "VALUES (?, ?, ?, ?)",
                               (generator.choice(music_ids), start + number, generator.choice(EMOTION_NAMES),
                                DEFAULT_PROFILE_ID)))
        statements.append(("INSERT INTO recommend_feedback (music_id, action, created_at, profile_id) "
                           "VALUES (?, ?, ?, ?)",
                           (generator.choice(music_ids), generator.choice((LIKE, SKIP)), start + 5,
                            DEFAULT_PROFILE_ID)))
    with open_database() as database:
        database.write(statements)
        checkins = CheckinStore(database, DEFAULT_PROFILE_ID)
        for day in range(0, days, 3):
            start = now - (day + 1) * SECONDS_PER_DAY
            checkins.start(f"day-{day}", Mood.from_emotion(generator.choice(EMOTION_NAMES)), "neutral",
                           (0.469, 0.184), at=start)
            checkins.finish(f"day-{day}", Mood.from_emotion(generator.choice(EMOTION_NAMES)), at=start + 1800)


def measure_in_browser(home: Path, repeats: int) -> None:
    """Open /journal in headless Chromium and time it until idle with all charts drawn."""
    from playwright.sync_api import sync_playwright

    from tests.browser.helpers import (
        CHROMIUM_FLAGS,
        find_chromium,
        open_from_sidebar,
        save_tall_screenshot,
        start_streamlit,
        stop_streamlit,
        wait_for_app_idle,
    )

    charts_drawn = ("() => document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= 3")
    server = start_streamlit(home, home.parent / "streamlit.log")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                                 args=list(CHROMIUM_FLAGS))
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url, wait_until="domcontentloaded")  # warm the server: the app's imports
            wait_for_app_idle(page)
            for attempt in range(repeats):
                started = time.perf_counter()
                page.goto(f"{server.url}/journal", wait_until="domcontentloaded")
                wait_for_app_idle(page, "journal")
                page.wait_for_function(charts_drawn, timeout=60_000)
                print(f"browser, load /journal in a new page (Last 30 days), run {attempt + 1}: "
                      f"{time.perf_counter() - started:.2f} s")
            for attempt in range(repeats):
                open_from_sidebar(page, "Home", "")
                started = time.perf_counter()
                open_from_sidebar(page, "Journal", "journal")
                page.wait_for_function(charts_drawn, timeout=60_000)
                print(f"browser, Home → Journal from the sidebar, run {attempt + 1}: "
                      f"{time.perf_counter() - started:.2f} s (includes the helper's 0.3 s settle wait)")
            for period in ("Last 12 months", "Everything"):
                started = time.perf_counter()
                page.locator('[data-testid="stMain"]').get_by_text(period, exact=True).click()
                wait_for_app_idle(page, "journal")
                page.wait_for_function(charts_drawn, timeout=60_000)
                print(f"browser, switch to {period}: {time.perf_counter() - started:.2f} s "
                      "(includes the helper's 0.3 s settle wait)")
            print(f"screenshot: {save_tall_screenshot(page, 'journal-year')}")
            browser.close()
    finally:
        stop_streamlit(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--moods-per-day", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tunex-journal-") as folder:
        os.environ["TUNEX_HOME"] = folder
        os.environ.pop("TUNEX_DB", None)
        started = time.perf_counter()
        fill(arguments.days, arguments.moods_per_day)
        print(f"history: {arguments.days} days x {arguments.moods_per_day} moods "
              f"({arguments.days * arguments.moods_per_day:,} moods), written in {time.perf_counter() - started:.1f} s")

        from streamlit.testing.v1 import AppTest

        from tunex_core.paths import PROJECT_ROOT

        app = AppTest.from_file(str(PROJECT_ROOT / "pages" / "journal.py"), default_timeout=120)
        started = time.perf_counter()
        app.run()
        first = time.perf_counter() - started
        assert not app.exception, [element.value for element in app.exception]
        print(f"first run (Last 30 days, catalog load included): {first:.2f} s")
        for period in ("Last 12 months", "Everything"):
            app.radio(key="journal_period").set_value(period)
            timings = []
            for _ in range(arguments.repeats):
                started = time.perf_counter()
                app.run()
                timings.append(time.perf_counter() - started)
                assert not app.exception, [element.value for element in app.exception]
            moods = next(metric.value for metric in app.metric if metric.label == "Moods recorded")
            print(f"{period}: {moods} moods shown, median {statistics.median(timings):.2f} s "
                  f"(runs: {', '.join(f'{timing:.2f}' for timing in timings)})")
        app.radio(key="journal_grouping").set_value("week")
        started = time.perf_counter()
        app.run()
        print(f"Everything, grouped by week: {time.perf_counter() - started:.2f} s")
        if arguments.browser:
            measure_in_browser(Path(folder), arguments.repeats)


if __name__ == "__main__":
    main()
