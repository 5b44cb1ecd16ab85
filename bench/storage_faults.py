"""Benchmark: how pages and the CLI behave when the TuneX database is damaged, unreachable or locked.

Run from the project root (a script, not a test)::

    python bench/storage_faults.py                          # every scenario, every page, the CLI
    python bench/storage_faults.py --scenarios corrupt locked-rollback --pages playlist
    python bench/storage_faults.py --root /tmp/tunex-before  # measure another checkout of TuneX

Scenarios (each gets a fresh ``TUNEX_HOME`` under a temporary folder):

* ``healthy`` — a database written by the pre-versioning code (``tests/fixtures/tunex_v0.sqlite3``);
* ``corrupt`` — ``tunex.sqlite3`` holds 64 KiB of random bytes;
* ``home-is-file`` — ``TUNEX_HOME`` names a regular file;
* ``home-under-file`` — ``TUNEX_HOME`` is a folder below a regular file (cannot be created);
* ``locked-rollback`` — the fixture database in rollback-journal mode, with another process holding
  ``BEGIN EXCLUSIVE`` since before TuneX opened it;
* ``locked-wal`` — the same in WAL mode;
* ``locked-wal-migrated`` — the fixture first opened (migrated) by the measured TuneX, then locked
  in WAL mode: the usual case of a TuneX database that another program writes to.

For every page it reports the AppTest render time (with a session mood of "sad"; by default the
app is started through ``app.py`` on Home, then the page is opened, so the sidebar's messages
count; ``--direct`` renders the page file alone), the number of exception boxes and the storage
messages shown; for the Playlist page also the time of one "Like" click. For the CLI it runs
``python -m tunex_core recommend --emotion sad -n 3`` and reports the exit status, the time and
whether a traceback was printed. Each measurement runs in its own process, so nothing is cached
between scenarios.

``--store-only`` measures just the store (this checkout's ``FeedbackStore``) in each scenario: the
first open + read + like of a process, and a second one, without Streamlit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "tunex_v0.sqlite3"
SCENARIOS = ("healthy", "corrupt", "home-is-file", "home-under-file", "locked-rollback", "locked-wal",
             "locked-wal-migrated")
PAGES = ("playlist", "song_map", "journal", "home")
PAGE_TIMEOUT_SECONDS = 300

LOCK_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(3600)
"""

MEASURE_PAGE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from streamlit.testing.v1 import AppTest
from tunex_core.mood import Mood

root, page, timeout, via_app = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "app"
app = AppTest.from_file(f"{root}/app.py" if via_app else f"{root}/pages/{page}.py", default_timeout=timeout)
app.session_state["mood"] = Mood.from_emotion("sad")
started = time.perf_counter()
app.run()
if via_app:
    home_render = time.perf_counter() - started
    # AppTest drops app.py's sidebar once a page from pages/ has run, so read the sidebar now.
    sidebar_messages = [element.value for element in [*app.sidebar.warning, *app.sidebar.info]]
    started = time.perf_counter()
    app.switch_page(f"pages/{page}.py").run()
render = time.perf_counter() - started
boxes = [*app.warning, *app.error, *app.info]
messages = list(dict.fromkeys(element.value for element in boxes if any(
    word in element.value.lower() for word in ("database", "saved", "history", "likes", "store"))))
result = {"render_s": round(render, 2), "exceptions": len(app.exception),
          "exception_text": [str(element.value)[:160] for element in app.exception][:2],
          "messages": [message[:160] for message in messages][:3]}
if via_app:
    result["app_first_run_s"] = round(home_render, 2)
    result["sidebar"] = [message[:120] for message in sidebar_messages][:2]
likes = [button for button in app.button if "Like" in (button.label or "")]
if page == "playlist" and likes and not app.exception:
    started = time.perf_counter()
    likes[0].click().run()
    result["like_s"] = round(time.perf_counter() - started, 2)
    result["like_exceptions"] = len(app.exception)
print("RESULT " + json.dumps(result))
"""


MIGRATE = """
import sys
sys.path.insert(0, sys.argv[1])
from tunex_core.music.feedback import FeedbackStore
FeedbackStore(sys.argv[2]).close()
"""


def prepare(scenario: str, folder: Path, root: Path) -> tuple[Path, subprocess.Popen | None]:
    """Make the scenario's ``TUNEX_HOME``; returns it and the lock-holding process, if any."""
    home = folder / "home"
    if scenario == "home-is-file":
        home.write_text("not a folder\n")
        return home, None
    if scenario == "home-under-file":
        (folder / "file").write_text("not a folder\n")
        return folder / "file" / "home", None
    home.mkdir()
    database = home / "tunex.sqlite3"
    if scenario == "corrupt":
        database.write_bytes(os.urandom(64 * 1024))
        return home, None
    shutil.copy(FIXTURE, database)
    if scenario == "healthy":
        return home, None
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA journal_mode=" + ("DELETE" if scenario == "locked-rollback" else "WAL"))
    if scenario == "locked-wal-migrated":
        subprocess.run([sys.executable, "-c", MIGRATE, str(root), str(database)], check=True, cwd=root,
                       env=environment(home, root))
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(database)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "locked"
    return home, holder


def environment(home: Path, root: Path) -> dict[str, str]:
    """The environment of a measured process: the scenario's home, no Spotify, no user state."""
    variables = dict(os.environ)
    variables.update({"TUNEX_HOME": str(home), "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "2",
                      "TUNEX_SPOTIFY_SECRETS": str(home.parent / "no-secrets.toml")})
    for name in ("TUNEX_DB", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        variables.pop(name, None)
    return variables


def measure_page(root: Path, page: str, home: Path, via_app: bool) -> dict:
    """Render ``page`` in a fresh process (through ``app.py`` and its sidebar, or alone) and measure it."""
    command = [sys.executable, "-c", MEASURE_PAGE, str(root), page, str(PAGE_TIMEOUT_SECONDS),
               "app" if via_app else "page"]
    completed = subprocess.run(command,
                               env=environment(home, root), cwd=root, capture_output=True, text=True,
                               timeout=PAGE_TIMEOUT_SECONDS * 3)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    return {"failed": completed.stderr.strip().splitlines()[-3:]}


def measure_cli(root: Path, home: Path) -> dict:
    """Run ``recommend`` and return exit status, time, traceback flag and its stderr lines."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "tunex_core", "recommend", "--emotion", "sad", "-n", "3"],
                               env=environment(home, root), cwd=root, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    return {"rc": completed.returncode, "seconds": round(elapsed, 2),
            "traceback": "Traceback" in completed.stderr,
            "stderr": [line[:200] for line in completed.stderr.strip().splitlines()][-2:],
            "songs": sum(1 for line in completed.stdout.splitlines() if line[:1].isdigit())}


STORE_ONLY = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tunex_core.music.feedback import FeedbackStore
from tunex_core.storage import DatabaseBusyError

def use(music_id):
    started = time.perf_counter()
    with FeedbackStore() as store:
        try:
            store.adjustments()
            read = "read ok"
        except DatabaseBusyError:
            read = "read busy"
        outcome = store.record_feedback(music_id, "like")
    return f"{(time.perf_counter() - started) * 1000:.0f} ms ({read}, like {outcome.value})"

print("RESULT first: " + use(1) + "; second: " + use(2))
"""


def measure_store(root: Path, home: Path) -> str:
    """Time the store alone (open, read, like) twice in a fresh process."""
    completed = subprocess.run([sys.executable, "-c", STORE_ONLY, str(root)], env=environment(home, root), cwd=root,
                               capture_output=True, text=True, timeout=120)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return line.removeprefix("RESULT ")
    return "failed: " + " | ".join(completed.stderr.strip().splitlines()[-2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--no-cli", action="store_true", help="skip the recommend command")
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the TuneX checkout to measure")
    parser.add_argument("--direct", action="store_true",
                        help="render the page file alone (no app.py, no sidebar), as the first measurements did")
    parser.add_argument("--store-only", action="store_true", help="time the store alone in each scenario")
    arguments = parser.parse_args()
    root = arguments.root.resolve()
    if arguments.store_only:
        for scenario in arguments.scenarios:
            with tempfile.TemporaryDirectory(prefix="tunex-faults-") as folder:
                home, holder = prepare(scenario, Path(folder), root)
                try:
                    print(f"{scenario:20s} {measure_store(root, home)}", flush=True)
                finally:
                    if holder is not None:
                        holder.kill()
                        holder.wait()
        return
    for scenario in arguments.scenarios:
        for target in [*arguments.pages, *([] if arguments.no_cli else ["cli"])]:
            if target != "cli" and not (root / "pages" / f"{target}.py").is_file():
                continue
            with tempfile.TemporaryDirectory(prefix="tunex-faults-") as folder:
                home, holder = prepare(scenario, Path(folder), root)
                try:
                    result = (measure_cli(root, home) if target == "cli"
                              else measure_page(root, target, home, via_app=not arguments.direct))
                finally:
                    if holder is not None:
                        holder.kill()
                        holder.wait()
                leftovers = sorted(path.name for path in home.iterdir()) if home.is_dir() else []
            print(f"{scenario:16s} {target:9s} {json.dumps(result)}  files: {leftovers}", flush=True)


if __name__ == "__main__":
    main()
