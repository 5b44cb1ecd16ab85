"""Benchmark: importing a music folder (issue 44 targets: 500 songs <= 10 min; a page switch <= 1 s meanwhile).

Run from the project root (a script, not a test)::

    python bench/my_music_bench.py import --songs 500        # the import alone, in this process
    python bench/my_music_bench.py pages --songs 150         # page switches in Chromium during an import

The songs are synthesised (tones, chords, noise; ``tests/personal/audio_fixtures.py``): ``--distinct``
different 3-minute songs in MP3, FLAC, OGG/Opus and M4A, copied under distinct names until there are
``--songs`` files (the analysis reads each file afresh; copies cost what originals cost).

``import`` runs the real background job (``ImportJob`` with ``analyze_song`` in its worker process) and
prints the wall time, songs per minute and the job's failures; then it imports the folder again (every
song unchanged: skipped) and prints that time too.

``pages`` starts ``streamlit run app.py`` with a temporary ``TUNEX_HOME``, adds the folder on My music in
a headless Chromium, and while the import runs clicks through Home, Song map, Playlist and My music,
timing each switch from the click to the new page's heading with its script run finished; then the same
switches once the import is over, for comparison.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.personal.audio_fixtures import write_tone_song

KINDS = ("bright", "calm", "noise")
SUFFIXES = (".mp3", ".flac", ".ogg", ".m4a")
SONG_SECONDS = 180.0
PAGES = (("Song map", "song_map", "Song map"), ("Playlist", "playlist", "Playlist"), ("Home", "", "TuneX"),
         ("My music", "my_music", "My music"))


def make_folder(folder: Path, songs: int, distinct: int) -> Path:
    """``songs`` files in ``folder`` (``distinct`` originals, the rest copies), in a few subfolders."""
    originals = []
    for index in range(distinct):
        suffix = SUFFIXES[index % len(SUFFIXES)]
        originals.append(write_tone_song(folder / "originals" / f"song{index:03d}{suffix}", KINDS[index % len(KINDS)],
                                         SONG_SECONDS, title=f"Synth {index}", artist="Bench", seed=index))
    for index in range(songs - distinct):
        original = originals[index % distinct]
        target = folder / f"album{index // 50:02d}" / f"copy{index:04d}{original.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
    return folder


def bench_import(arguments: argparse.Namespace) -> int:
    """Time one import of the folder, then a second one where nothing changed."""
    import os

    work = Path(tempfile.mkdtemp(prefix="tunex-import-bench-"))
    os.environ["TUNEX_HOME"] = str(work / "home")
    from tunex_core.personal.library import LibraryStore
    from tunex_core.personal.library_import import ImportJob
    from tunex_core.storage import DEFAULT_PROFILE_ID

    started = time.monotonic()
    folder = make_folder(work / "music", arguments.songs, arguments.distinct)
    print(f"made {arguments.songs} songs ({arguments.distinct} distinct, {SONG_SECONDS:.0f} s each) "
          f"in {time.monotonic() - started:.0f} s")
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        added = store.add_folder(folder)
    for label in ("first import", "again, nothing changed"):
        job = ImportJob(DEFAULT_PROFILE_ID)
        started = time.monotonic()
        job.add_folder(added.id, added.path)
        job.wait()
        seconds = time.monotonic() - started
        progress = job.progress()
        rate = progress.done / seconds * 60 if progress.done else 0.0
        print(f"{label}: {seconds:.1f} s; {progress.done} analysed ({progress.failed} failed), "
              f"{progress.unchanged} unchanged skipped; {rate:.0f} songs/min; state {progress.state}")
        for problem in progress.problems[:5]:
            print(f"    problem: {problem}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def switch(page, title: str, heading: str) -> float:
    """Click the sidebar link ``title``; seconds until the heading shows and the script run is over."""
    from tests.browser.helpers import IDLE_SCRIPT

    link = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"^\W*{re.escape(title)}\s*$"))
    started = time.monotonic()
    link.first.click()
    page.locator('[data-testid="stMain"] h1').filter(has_text=heading).first.wait_for(timeout=60_000)
    page.wait_for_function(IDLE_SCRIPT, arg=None, timeout=60_000, polling=50)
    return time.monotonic() - started


def bench_pages(arguments: argparse.Namespace) -> int:
    """Page switches during an import and after it."""
    from playwright.sync_api import sync_playwright

    from tests.browser.helpers import (
        CHROMIUM_FLAGS,
        find_chromium,
        open_app,
        start_streamlit,
        stop_streamlit,
        wait_for_app_idle,
    )

    work = Path(tempfile.mkdtemp(prefix="tunex-pages-bench-"))
    folder = make_folder(work / "music", arguments.songs, arguments.distinct)
    (work / "home").mkdir()
    server = start_streamlit(work / "home", work / "streamlit.log")
    during: list[tuple[str, float]] = []
    after: list[tuple[str, float]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_chromium(), headless=True,
                                                 args=list(CHROMIUM_FLAGS))
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            open_app(page, server)
            main = page.locator('[data-testid="stMain"]')
            main.locator('[data-testid="stRadio"]').get_by_text("Happy", exact=False).click()
            wait_for_app_idle(page)
            main.get_by_role("button", name="Use this mood").click()
            wait_for_app_idle(page)
            for title, _, heading in PAGES:  # each page once, so first visits are not timed
                switch(page, title, heading)
            main.get_by_placeholder("e.g. /home/sam/Music").fill(str(folder))
            main.get_by_role("button", name="Add and analyse").click()
            wait_for_app_idle(page)
            started = time.monotonic()
            finished = False
            while not finished and len(during) < arguments.switches:
                for title, _, heading in PAGES:
                    during.append((title, switch(page, title, heading)))
                finished = main.get_by_text(re.compile(r"Last import")).count() > 0  # My music was the last page
            print(f"{len(during)} switches timed during the import ({time.monotonic() - started:.0f} s)")
            main.get_by_text(re.compile(r"Last import")).wait_for(timeout=3_600_000)
            for _ in range(max(1, len(during) // len(PAGES))):
                for title, _, heading in PAGES:
                    after.append((title, switch(page, title, heading)))
            browser.close()
    finally:
        stop_streamlit(server)
        shutil.rmtree(work, ignore_errors=True)
    for label, timed in (("during the import", during), ("after the import", after)):
        values = [seconds for _, seconds in timed]
        print(f"page switch {label}: median {statistics.median(values):.2f} s, max {max(values):.2f} s, "
              f"{sum(value > 1.0 for value in values)} of {len(values)} over 1 s")
        for title, _, _ in PAGES:
            mine = [seconds for name, seconds in timed if name == title]
            if mine:
                print(f"    {title:<9} median {statistics.median(mine):.2f} s, max {max(mine):.2f} s ({len(mine)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and run one benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("import", "pages"))
    parser.add_argument("--songs", type=int, default=500)
    parser.add_argument("--distinct", type=int, default=12, help="different songs among them (default 12)")
    parser.add_argument("--switches", type=int, default=24, help="page switches timed during the import")
    arguments = parser.parse_args(argv)
    return bench_import(arguments) if arguments.what == "import" else bench_pages(arguments)


if __name__ == "__main__":
    raise SystemExit(main())
