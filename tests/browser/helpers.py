"""Helpers for driving TuneX in a real Chromium: start Streamlit, wait for reruns, screenshots.

Used by ``tests/browser/conftest.py``; page tests may import the waiting and
navigation helpers directly (``from tests.browser.helpers import open_from_sidebar``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS_DIR = PROJECT_ROOT / "artifacts" / "screenshots"
SAMPLE_METRICS_FILE = PROJECT_ROOT / "tests" / "fixtures" / "metrics_sample.json"
REAL_METRICS_FILE = PROJECT_ROOT / "models" / "metrics.json"
FACE_PHOTO = PROJECT_ROOT / "tests" / "fixtures" / "face.jpg"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
)
SERVER_START_SECONDS = 120.0
RERUN_SECONDS = 90.0


@dataclass(frozen=True)
class StreamlitServer:
    """A running ``streamlit run app.py`` on loopback."""

    url: str
    port: int
    home: Path
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, characters: int = 4000) -> str:
        """The end of the server's combined stdout/stderr, for failure messages."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]
        except OSError:
            return "(no server log)"


def find_chromium() -> str | None:
    """``$TUNEX_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else a Chromium on ``PATH``."""
    override = os.environ.get("TUNEX_CHROMIUM")
    if override:
        return override if Path(override).exists() else shutil.which(override)
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_absolute():
            if Path(candidate).exists():
                return candidate
        elif found := shutil.which(candidate):
            return found
    return None


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def metrics_file_for_server() -> Path:
    """``$TUNEX_METRICS_FILE`` if set, else the real ``models/metrics.json``, else the sample fixture."""
    override = os.environ.get("TUNEX_METRICS_FILE")
    if override:
        return Path(override)
    return REAL_METRICS_FILE if REAL_METRICS_FILE.exists() else SAMPLE_METRICS_FILE


def start_streamlit(home: Path, log_path: Path, port: int | None = None) -> StreamlitServer:
    """Start ``streamlit run app.py`` headless on 127.0.0.1 and wait for ``/_stcore/health``.

    ``TUNEX_HOME`` points at ``home`` so no user state is read or written. Raises
    ``RuntimeError`` with the server's log when it exits or is not healthy in time.
    """
    port = port or free_loopback_port()
    environment = dict(os.environ)
    environment.update({
        "TUNEX_HOME": str(home),
        "TUNEX_METRICS_FILE": str(metrics_file_for_server()),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        # No Spotify account in the browser tests: the offline playlist is what they check.
        "TUNEX_SPOTIFY_SECRETS": str(home / "no-spotify-secrets.toml"),
    })
    for variable in ("TUNEX_DB", "SPOTIPY_CLIENT_ID", "SPOTIPY_CLIENT_SECRET"):
        environment.pop(variable, None)
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
    ]
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    server = StreamlitServer(f"http://127.0.0.1:{port}", port, home, log_path, process)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    stop_streamlit(server)
    raise RuntimeError(f"streamlit was not healthy after {SERVER_START_SECONDS:.0f} s:\n{server.log_tail()}")


def stop_streamlit(server: StreamlitServer) -> None:
    """Stop the server's process group (SIGTERM, then SIGKILL after 10 s)."""
    if server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


# ---------------------------------------------------------------- in the page (Playwright sync API)

IDLE_SCRIPT = """
(path) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const onPath = path === null || window.location.pathname.replace(/\\/+$/, '') === path;
  return onPath
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && document.querySelector('[data-stale="true"]') === null;
}
"""


def wait_for_app_idle(page, url_path: str | None = None, timeout_seconds: float = RERUN_SECONDS) -> None:
    """Wait until Streamlit finished its script run (and, if given, shows ``/url_path``)."""
    expected = None if url_path is None else "/" + url_path.strip("/") if url_path.strip("/") else ""
    page.wait_for_function(IDLE_SCRIPT, arg=expected, timeout=timeout_seconds * 1000, polling=250)
    # A rerun can start a moment after a click; let any queued run begin, then settle again.
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE_SCRIPT, arg=expected, timeout=timeout_seconds * 1000, polling=250)


def open_app(page, server: StreamlitServer, url_path: str = "") -> None:
    """Load the app (optionally at a page's ``url_path``) and wait for its first run to finish."""
    page.goto(f"{server.url}/{url_path}", wait_until="domcontentloaded")
    wait_for_app_idle(page, url_path)


def open_from_sidebar(page, title: str, url_path: str) -> None:
    """Click the sidebar navigation link called ``title`` and wait until ``/url_path`` has rendered."""
    link = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]').filter(
        has_text=re.compile(rf"^\W*{re.escape(title)}\s*$"))
    link.first.click()
    wait_for_app_idle(page, url_path)


def exception_count(page) -> int:
    """How many Streamlit exception boxes (uncaught errors in a page script) are shown."""
    return page.locator('[data-testid="stException"]').count()


def screenshot_path(name: str) -> Path:
    """``artifacts/screenshots/<name>.png`` with ``name`` made file-system safe."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.]+", "-", name).strip("-") or "screenshot"
    return SCREENSHOTS_DIR / f"{safe}.png"


def save_screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` under ``artifacts/screenshots/`` and return its path."""
    path = screenshot_path(name)
    page.screenshot(path=str(path), full_page=full_page)
    return path


MAIN_HEIGHT_SCRIPT = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight);
}
"""


def save_tall_screenshot(page, name: str, max_height: int = 5000) -> Path:
    """Screenshot the whole page: Streamlit scrolls inside ``stMain``, so the viewport is
    stretched to the content's height first (then restored)."""
    original = page.viewport_size
    height = min(max(int(page.evaluate(MAIN_HEIGHT_SCRIPT)) + 120, original["height"]), max_height)
    page.set_viewport_size({"width": original["width"], "height": height})
    page.wait_for_timeout(800)  # let charts re-layout to the new size
    try:
        return save_screenshot(page, name, full_page=False)
    finally:
        page.set_viewport_size(original)
