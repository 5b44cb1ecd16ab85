"""Fixtures for end-to-end tests in a real (headless) Chromium against ``streamlit run app.py``.

Mark browser tests with ``pytestmark = [pytest.mark.browser, pytest.mark.slow]``.
Fixtures (all usable from any test module under ``tests/browser/``):

``streamlit_server`` (session)
    A ``helpers.StreamlitServer``: ``streamlit run app.py`` headless on a free
    127.0.0.1 port, ``TUNEX_HOME`` set to a temporary folder (no user state is
    touched), ``TUNEX_METRICS_FILE`` set to the real ``models/metrics.json`` or,
    when there is none, ``tests/fixtures/metrics_sample.json``. Attributes:
    ``url``, ``port``, ``home``, ``log_path``; ``log_tail()`` for messages.
``fake_camera_video`` (session)
    Path of the ``.y4m`` that Chromium plays as its webcam: 640x480, 2 s at
    10 fps, made from ``tests/fixtures/face.jpg`` when present, else from a
    drawn face (``y4m.synthetic_face``). ``fake_camera_image`` (session) is the
    RGB array that was encoded, fitted to 640x480.
``chromium_browser`` (session)
    A Playwright ``Browser`` (sync API) running Debian's Chromium with the
    flags in ``helpers.CHROMIUM_FLAGS`` plus a fake camera/microphone
    (``--use-fake-ui-for-media-stream``, ``--use-fake-device-for-media-stream``,
    ``--use-file-for-fake-video-capture=<fake_camera_video>``). Tests are skipped
    with a reason when no Chromium can be launched (``TUNEX_REQUIRE_BROWSER=1``
    turns that skip into a failure).
``app_page`` (function)
    A fresh Playwright ``Page`` (1280x900, its own context) already showing the
    app's Home page with its first script run finished. A screenshot is saved
    after every test to ``artifacts/screenshots/<test name>.png``, and on failure
    as ``<test name>-FAILED.png``.

Helpers in ``tests/browser/helpers.py``: ``open_app(page, server, url_path)``,
``open_from_sidebar(page, title, url_path)``, ``wait_for_app_idle(page, url_path)``,
``exception_count(page)``, ``save_screenshot(page, name)``, ``save_tall_screenshot(page, name)``
(whole page, for the README's ``docs/screenshots``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.helpers import (
    CHROMIUM_FLAGS,
    FACE_PHOTO,
    find_chromium,
    open_app,
    save_screenshot,
    start_streamlit,
    stop_streamlit,
)
from tests.browser.y4m import fit_image, image_to_y4m, load_rgb, synthetic_face

VIEWPORT = {"width": 1280, "height": 900}
CAMERA_SIZE = (640, 480)


def _unavailable(reason: str):
    """Skip (or, with ``TUNEX_REQUIRE_BROWSER=1``, fail) because the browser cannot run."""
    if os.environ.get("TUNEX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required but unavailable: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item so fixtures can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def fake_camera_image() -> np.ndarray:
    """The RGB frame (640x480) the fake camera shows."""
    rgb = load_rgb(FACE_PHOTO) if FACE_PHOTO.exists() else synthetic_face()
    return fit_image(rgb, *CAMERA_SIZE)


@pytest.fixture(scope="session")
def fake_camera_video(tmp_path_factory, fake_camera_image) -> Path:
    """A 2-second, 10 fps ``.y4m`` of ``fake_camera_image`` for Chromium's fake webcam."""
    folder = tmp_path_factory.mktemp("camera")
    image_path = folder / "camera.png"
    Image.fromarray(fake_camera_image).save(image_path)
    return image_to_y4m(image_path, folder / "camera.y4m", width=CAMERA_SIZE[0], height=CAMERA_SIZE[1],
                        seconds=2.0, frames_per_second=10)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: its sync API refuses a second one started in the same thread,
    so every browser the tests launch (``chromium_browser``, the share tests' HTTPS one) comes from it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"the playwright package is not installed ({error})")
    playwright = sync_playwright().start()
    yield playwright
    playwright.stop()


@pytest.fixture(scope="session")
def chromium_browser(playwright_driver, fake_camera_video):
    """Headless Chromium driven by Playwright (sync API), with the fake camera."""
    from playwright.sync_api import Error as PlaywrightError

    executable = find_chromium()
    arguments = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-video-capture={fake_camera_video}"]
    try:
        browser = playwright_driver.chromium.launch(executable_path=executable, headless=True, args=arguments,
                                                    timeout=60_000)
    except PlaywrightError as error:
        where = executable or "Playwright's own Chromium"
        _unavailable(f"Chromium could not be launched ({where}); install Debian's 'chromium' "
                     f"package or set TUNEX_CHROMIUM. {str(error).splitlines()[0]}")
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """``streamlit run app.py`` on a free loopback port, with ``TUNEX_HOME`` in a temporary folder."""
    folder = tmp_path_factory.mktemp("streamlit")
    home = folder / "home"
    home.mkdir()
    try:
        server = start_streamlit(home, folder / "streamlit.log")
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    stop_streamlit(server)


@pytest.fixture
def app_page(request, chromium_browser, streamlit_server):
    """A new page showing the app's Home page; screenshot saved after the test (and on failure)."""
    context = chromium_browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    name = request.node.name
    try:
        open_app(page, streamlit_server)
    except Exception:
        _screenshot_quietly(page, f"{name}-FAILED")
        context.close()
        raise
    yield page
    call = getattr(request.node, "report_call", None)
    _screenshot_quietly(page, f"{name}-FAILED" if call is not None and call.failed else name)
    context.close()


def _screenshot_quietly(page, name: str) -> None:
    """Save a screenshot; a crashed page must not hide the test's own failure."""
    try:
        save_screenshot(page, name)
    except Exception as error:
        print(f"screenshot {name} could not be saved: {error}")
