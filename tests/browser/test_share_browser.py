"""``start.sh --share`` end to end: the server it starts serves HTTPS, shows nothing without the access code,
keeps guests off the host's data, streams the Live page through HTTPS in Chromium with the fake camera,
and never writes the code to its log.

The server is ``python -m tunex_core share`` (what ``start.sh --share`` runs once its venv is ready),
with ``TUNEX_SHARE_GUESTS_ONLY=1`` so that this machine's own Chromium counts as a visitor from
another device. It listens on every interface, as sharing does; the tests only connect to 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509

from tests.browser.conftest import VIEWPORT, _unavailable
from tests.browser.helpers import (
    CHROMIUM_FLAGS,
    PROJECT_ROOT,
    exception_count,
    find_chromium,
    free_loopback_port,
    metrics_file_for_server,
    open_from_sidebar,
    save_screenshot,
    wait_for_app_idle,
)
from tests.browser.test_live_browser import assert_annotated_video_comes_back, start_camera
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.personal.profiles import ProfileStore
from tunex_core.sharing.certificate import certificate_names

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOST_PROFILE = "Zebediah Host"
HOST_MOOD_SOURCE = "the host's secret diary"
START_SECONDS = 120
STREAMLIT_STARTED = "You can now view your Streamlit app"


@dataclass(frozen=True)
class SharedServer:
    url: str
    code: str
    home: Path
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def server_log(self) -> str:
        """What Streamlit wrote after the launcher's banner (the banner prints the code for the host)."""
        text = self.log()
        return text[text.index(STREAMLIT_STARTED):] if STREAMLIT_STARTED in text else text


def unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=unverified()) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    yield from run_shared_server(tmp_path_factory.mktemp("shared"), guests_only=True)


def run_shared_server(folder: Path, guests_only: bool):
    """Start ``python -m tunex_core share`` with a host profile and mood in its home; yield it, then stop it."""
    home = folder / "home"
    home.mkdir()
    environment = {**os.environ, "TUNEX_HOME": str(home), "TUNEX_METRICS_FILE": str(metrics_file_for_server()),
                   "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
                   "TUNEX_SPOTIFY_SECRETS": str(home / "no-spotify-secrets.toml")}
    if guests_only:
        environment["TUNEX_SHARE_GUESTS_ONLY"] = "1"
    for variable in ("TUNEX_DB", "TUNEX_ACCESS_CODE", "TUNEX_SHARE", "TUNEX_SHARED_PROFILE", "SPOTIPY_CLIENT_ID",
                     "SPOTIPY_CLIENT_SECRET") + (() if guests_only else ("TUNEX_SHARE_GUESTS_ONLY",)):
        environment.pop(variable, None)
    previous = os.environ.get("TUNEX_HOME")
    os.environ["TUNEX_HOME"] = str(home)  # the host's own data, before the server starts
    try:
        with ProfileStore() as store:
            host = store.create(HOST_PROFILE)
        for profile_id in (1, host.id):
            with FeedbackStore(profile_id=profile_id) as store:
                store.record_mood(Mood.from_emotion("surprise", source=HOST_MOOD_SOURCE))
    finally:
        os.environ.pop("TUNEX_HOME") if previous is None else os.environ.__setitem__("TUNEX_HOME", previous)
    port = free_loopback_port()
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tunex_core", "share", "--", "--server.port", str(port),
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            text = log_path.read_text(errors="replace")
            if "cannot share:" in text:
                pytest.skip(f"this machine cannot share: {text.splitlines()[0]}")
            if process.poll() is not None:
                pytest.fail(f"the share command exited with {process.returncode}:\n{text[-3000:]}")
            code = re.search(r"access code: (\w+)", text)
            if code:
                try:
                    if fetch(f"https://127.0.0.1:{port}/_stcore/health")[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.5)
        else:
            pytest.fail(f"the shared server was not healthy after {START_SECONDS} s:\n{log_path.read_text()[-3000:]}")
        yield SharedServer(f"https://127.0.0.1:{port}", code.group(1), home, log_path, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def https_browser(playwright_driver, fake_camera_video):
    """Chromium with the fake camera that accepts TuneX's self-signed certificate (as a user does once)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        browser = playwright_driver.chromium.launch(
            executable_path=find_chromium(), headless=True, timeout=60_000,
            args=[*CHROMIUM_FLAGS, "--ignore-certificate-errors", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={fake_camera_video}"])
    except PlaywrightError as error:
        _unavailable(f"Chromium could not be launched: {str(error).splitlines()[0]}")
    yield browser
    browser.close()


@pytest.fixture
def guest_page(https_browser):
    context = https_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page
    context.close()


def test_the_server_speaks_https_with_the_shared_certificate(shared_server):
    status, body = fetch(f"{shared_server.url}/_stcore/health")
    assert status == 200 and body == "ok"
    pem = ssl.get_server_certificate(("127.0.0.1", int(shared_server.url.rsplit(":", 1)[1])))
    names = certificate_names(x509.load_pem_x509_certificate(pem.encode()))
    assert {"localhost", "127.0.0.1"} <= set(names) and len(names) > 3  # and this machine's names
    assert (shared_server.home / "share" / "tunex-share-certificate.pem").exists()
    http = urllib.request.Request(shared_server.url.replace("https://", "http://") + "/_stcore/health")
    with pytest.raises(OSError):  # no plain http beside it
        urllib.request.urlopen(http, timeout=5)


def test_without_the_code_no_page_and_no_data_is_served(shared_server, guest_page):
    for path in ("/", "/journal", "/live", "/_stcore/host-config"):
        status, body = fetch(shared_server.url + path)
        assert status in (200, 404), (path, status)
        assert HOST_PROFILE not in body and HOST_MOOD_SOURCE not in body, path
    guest_page.goto(f"{shared_server.url}/journal", wait_until="domcontentloaded")
    wait_for_app_idle(guest_page)
    main = guest_page.locator('[data-testid="stMain"]')
    main.get_by_label("Access code", exact=True).wait_for()
    text = guest_page.locator("body").inner_text()
    assert HOST_PROFILE not in text and "Surprise" not in text and "Journal" not in text
    assert guest_page.locator('[data-testid="stSidebarNavLink"]').count() == 0
    main.get_by_label("Access code", exact=True).fill("not-the-code")
    main.get_by_role("button", name="Open TuneX").click()
    main.get_by_text("That is not the access code").wait_for()
    assert HOST_PROFILE not in guest_page.locator("body").inner_text()
    save_screenshot(guest_page, "share-access-code-refused")


def test_a_guest_with_the_link_sees_no_host_profile_or_journal(shared_server, guest_page):
    guest_page.goto(f"{shared_server.url}/?code={shared_server.code}", wait_until="domcontentloaded")
    wait_for_app_idle(guest_page)
    assert "code=" not in guest_page.url  # taken out of the address bar
    sidebar = guest_page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Guest").first.wait_for()
    open_from_sidebar(guest_page, "Journal", "journal")
    text = guest_page.locator("body").inner_text()
    assert HOST_PROFILE not in text and HOST_MOOD_SOURCE not in text and "Surprise" not in text
    assert exception_count(guest_page) == 0
    save_screenshot(guest_page, "share-guest-journal")


def test_the_live_page_streams_through_https(shared_server, guest_page, fake_camera_image):
    # A link to a page opens that page once the code is accepted (not "page not found" and Home).
    guest_page.goto(f"{shared_server.url}/live?code={shared_server.code}", wait_until="domcontentloaded")
    wait_for_app_idle(guest_page, "live")
    assert guest_page.locator('[role="dialog"]').count() == 0
    assert guest_page.evaluate("window.isSecureContext")
    start_camera(guest_page)
    assert_annotated_video_comes_back(guest_page, fake_camera_image)
    assert exception_count(guest_page) == 0
    save_screenshot(guest_page, "share-live-https")


def test_the_access_code_is_not_in_the_server_log(shared_server):
    fetch(f"{shared_server.url}/no-such-page?code={shared_server.code}")
    fetch(f"{shared_server.url}/_stcore/nothing?code={shared_server.code}")
    time.sleep(1)
    log = shared_server.log()
    assert f"access code: {shared_server.code}" in log  # the banner, for the host
    assert STREAMLIT_STARTED in log
    assert shared_server.code not in shared_server.server_log()


def test_the_container_health_check_path_answers_in_a_normal_run(streamlit_server):
    from tests.test_container_files import instructions

    check = next(arguments for instruction, arguments in instructions() if instruction == "HEALTHCHECK")
    path = re.search(r"127\.0\.0\.1:\d+(/[\w/]+)", check).group(1)
    with urllib.request.urlopen(streamlit_server.url + path, timeout=10) as response:
        assert response.status == 200 and response.read() == b"ok"


def test_the_hosts_own_browser_on_this_computer_keeps_its_profiles(tmp_path, https_browser):
    """Without TUNEX_SHARE_GUESTS_ONLY a browser connecting over loopback is the host (read from the
    connection's own address, which Streamlit's private client context gives)."""
    server_runner = run_shared_server(tmp_path, guests_only=False)
    server = next(server_runner)
    context = https_browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?code={server.code}", wait_until="domcontentloaded")
        wait_for_app_idle(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Profile", exact=True).wait_for(timeout=60_000)  # the host's profile selector
        sidebar.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name=HOST_PROFILE).wait_for()
    finally:
        context.close()
        next(server_runner, None)
