"""End-to-end: every page opens from the sidebar in a real Chromium without an exception."""

from __future__ import annotations

import pytest

from tests.browser.helpers import exception_count, open_from_sidebar, save_tall_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# (sidebar title, URL path) in the order of app.py's st.navigation.
PAGES = [
    ("Home", ""),
    ("Live mood", "live"),
    ("Song map", "song_map"),
    ("Playlist", "playlist"),
    ("My music", "my_music"),
    ("Journal", "journal"),
    ("Model", "model"),
]


@pytest.mark.parametrize(("title", "url_path"), PAGES, ids=[title for title, _ in PAGES])
def test_sidebar_opens_page_without_exception(app_page, title, url_path):
    if url_path == "":
        # The app opens on Home; leave it first so that Home, too, is reached by a click.
        open_from_sidebar(app_page, "Model", "model")
    open_from_sidebar(app_page, title, url_path)
    main = app_page.locator('[data-testid="stMain"]')
    heading = main.locator("h1, h2, h3").first
    assert heading.is_visible(), f"no heading on {title}"
    assert heading.inner_text().strip(), f"empty heading on {title}"
    assert exception_count(app_page) == 0, f"{title} shows a Streamlit exception"
    active = app_page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    assert active.count() == 1 and title in active.inner_text()
    save_tall_screenshot(app_page, f"page-{url_path or 'home'}")


def test_model_page_draws_its_charts(app_page):
    open_from_sidebar(app_page, "Model", "model")
    main = app_page.locator('[data-testid="stMain"]')
    assert main.locator("h1").first.inner_text().strip().endswith("Model insight")
    charts = main.locator('[data-testid="stPlotlyChart"]')
    charts.first.wait_for(state="visible")
    assert charts.count() >= 1
    # plotly draws into SVG once its bundle has loaded in the browser
    main.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(state="attached")
    assert exception_count(app_page) == 0


CAMERA_SCRIPT = """
async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: false});
  const track = stream.getVideoTracks()[0];
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  await new Promise(resolve => setTimeout(resolve, 700));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let red = 0, green = 0, blue = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    red += pixels[i];
    green += pixels[i + 1];
    blue += pixels[i + 2];
  }
  const count = pixels.length / 4;
  track.stop();
  return {width: canvas.width, height: canvas.height, label: track.label,
          mean: [red / count, green / count, blue / count]};
}
"""


def test_fake_camera_plays_the_fixture_video(app_page, fake_camera_image):
    """The harness's webcam is the .y4m: same size, same average colour as the encoded image."""
    frame = app_page.evaluate(CAMERA_SCRIPT)
    assert (frame["width"], frame["height"]) == (fake_camera_image.shape[1], fake_camera_image.shape[0])
    expected = fake_camera_image.reshape(-1, 3).mean(axis=0)
    difference = [abs(seen - wanted) for seen, wanted in zip(frame["mean"], expected, strict=True)]
    assert max(difference) < 12, f"camera mean colour {frame['mean']} vs image {expected.tolist()}"
