"""End-to-end on the Live page in a real Chromium: photo upload, the WebRTC stream from a fake camera,
two sessions streaming at once, and a tab closed without pressing Stop."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import FACE_PHOTO, exception_count, open_app, open_from_sidebar, save_screenshot
from tunex_core.emotions import DISPLAY_NAMES, EMOTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LABEL_PATTERN = re.compile("(" + "|".join(DISPLAY_NAMES) + r").*\d+%")
EMOTION_PATTERN = re.compile("(" + "|".join(DISPLAY_NAMES) + ")")
# Whether any text in the element is cut off (an ellipsis: its content is wider than its box).
TRUNCATED_SCRIPT = "element => Array.from(element.querySelectorAll('*')).some(node => node.scrollWidth > node.clientWidth + 1)"

# Counts the received video's pixels near each emotion colour (boxes and label tags are drawn in them).
COLOUR_COUNT_SCRIPT = """
(colours) => {
  const videos = [...document.querySelectorAll('video')].filter(v => v.videoWidth > 0);
  if (!videos.length) return null;
  const video = videos[videos.length - 1];
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth; canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = colours.map(() => 0);
  for (let i = 0; i < pixels.length; i += 4) {
    colours.forEach((c, k) => {
      const near = Math.abs(pixels[i] - c[0]) < 40 && Math.abs(pixels[i + 1] - c[1]) < 40;
      if (near && Math.abs(pixels[i + 2] - c[2]) < 40) counts[k]++;
    });
  }
  return {width: canvas.width, height: canvas.height, counts: counts};
}
"""


def rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour.lstrip("#")[index: index + 2], 16) for index in (0, 2, 4)]


def colour_counts(image: np.ndarray) -> list[int]:
    """The same count as COLOUR_COUNT_SCRIPT, on an RGB array."""
    image = image.astype(np.int32)
    return [int((np.abs(image - np.array(rgb(emotion.colour))) < 40).all(axis=2).sum()) for emotion in EMOTIONS]


def test_uploaded_photo_is_labelled(app_page):
    open_from_sidebar(app_page, "Live mood", "live")
    main = app_page.locator('[data-testid="stMain"]')
    main.get_by_role("tab", name=re.compile("Upload a photo")).click()
    main.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(FACE_PHOTO))
    heading = main.locator("h3").filter(has_text=LABEL_PATTERN).first
    heading.wait_for(state="visible", timeout=90_000)
    assert LABEL_PATTERN.search(heading.inner_text())
    main.locator('[data-testid="stImage"]').first.wait_for(timeout=30_000)  # mounts after its heading
    assert exception_count(app_page) == 0
    save_screenshot(app_page, "live-upload-labelled")


def test_fake_camera_stream_comes_back_with_a_box_and_label(app_page, fake_camera_image):
    open_from_sidebar(app_page, "Live mood", "live")
    start_camera(app_page)
    assert_annotated_video_comes_back(app_page, fake_camera_image)
    save_screenshot(app_page, "live-webrtc-stream")
    assert exception_count(app_page) == 0
    # On a phone the five metrics wrap into rows (not a column of five), and none is cut off.
    app_page.set_viewport_size({"width": 390, "height": 900})
    app_page.wait_for_timeout(1500)
    metrics = app_page.locator('[data-testid="stMain"] [data-testid="stMetric"]')
    rows = {round(metrics.nth(index).bounding_box()["y"]) for index in range(metrics.count())}
    assert metrics.count() == 5 and len(rows) <= 3, f"the metrics take {len(rows)} rows at 390 px"
    assert not any(metrics.nth(index).evaluate(TRUNCATED_SCRIPT) for index in range(5))
    app_page.set_viewport_size(VIEWPORT)


def test_two_sessions_stream_at_once_and_a_closed_tab_frees_its_analysis(
        app_page, chromium_browser, streamlit_server, fake_camera_image):
    # The second viewer's browser prefers a dark theme: its chart images follow it, the first's stay light.
    second_context = chromium_browser.new_context(viewport=VIEWPORT, color_scheme="dark")
    second_context.set_default_timeout(60_000)
    try:
        second_page = second_context.new_page()
        open_app(second_page, streamlit_server, "live")
        open_from_sidebar(app_page, "Live mood", "live")
        start_camera(app_page)
        start_camera(second_page)
        for page in (app_page, second_page):
            assert_annotated_video_comes_back(page, fake_camera_image)
        viewers = app_page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"analysed on this computer now"))
        viewers.filter(has_text=re.compile(r"now: 2 of")).wait_for(timeout=60_000)
        assert exception_count(app_page) == 0 and exception_count(second_page) == 0
        assert max(chart_corner_colour(app_page)) > 240
        assert max(chart_corner_colour(second_page)) < 40
        alt = app_page.locator('[data-testid="stMain"] [data-testid="stImage"] img').first.get_attribute("alt")
        assert alt.startswith("Bar chart of the emotions now: ") and alt.count("%") == 7
        save_screenshot(second_page, "live-webrtc-second-session")
    finally:
        second_context.close()  # the tab closes without pressing Stop
    # Its analysis thread ends when its frames stop; the first session keeps streaming.
    viewers.filter(has_text=re.compile(r"now: 1 of")).wait_for(timeout=60_000)
    assert_annotated_video_comes_back(app_page, fake_camera_image)


CORNER_PIXEL_SCRIPT = """
image => {
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return Array.from(context.getImageData(1, 1, 1, 1).data.slice(0, 3));
}
"""


def chart_corner_colour(page) -> list[int]:
    """The RGB colour in the corner of the Live page's probability-bars image (its background)."""
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text(re.compile(r"^Now \(smoothed\)")).first.wait_for(timeout=60_000)
    image = main.locator('[data-testid="stImage"] img').first
    image.wait_for()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=image.element_handle())
    return image.evaluate(CORNER_PIXEL_SCRIPT)


def start_camera(page) -> None:
    """Press the WebRTC component's Start button and wait until the page shows one analysed face."""
    component = page.frame_locator('iframe[title*="webrtc"]')
    component.get_by_role("button", name="Start camera").click(timeout=60_000)
    main = page.locator('[data-testid="stMain"]')
    faces_metric = main.locator('[data-testid="stMetric"]').filter(has_text="Faces")
    faces_metric.locator('[data-testid="stMetricValue"]').filter(has_text=re.compile(r"^\s*1\s*$")).wait_for(
        timeout=90_000)
    component.locator("video").last.wait_for(state="visible")


def assert_annotated_video_comes_back(page, fake_camera_image) -> None:
    """The returned video is 640x480 and carries a box in the colour of the emotion the page shows."""
    main = page.locator('[data-testid="stMain"]')
    mood = main.locator('[data-testid="stMetric"]').filter(has_text="Mood")
    mood_value = mood.locator('[data-testid="stMetricValue"]').inner_text()
    match = EMOTION_PATTERN.search(mood_value)
    assert match, f"no emotion in the Mood metric: {mood_value!r}"
    confidence = mood.locator('[data-testid="stMetricDelta"]').inner_text()
    assert re.fullmatch(r"\d+% sure", confidence.strip()), f"no confidence under the mood: {confidence!r}"
    assert not mood.evaluate(TRUNCATED_SCRIPT), f"the Mood metric is cut off: {mood_value!r}"
    colour_index = DISPLAY_NAMES.index(match.group(1))
    source = colour_counts(fake_camera_image)[colour_index]
    received = None
    for _ in range(40):
        received = _evaluate_in_component(page, [rgb(emotion.colour) for emotion in EMOTIONS])
        if received and received["counts"][colour_index] > source + 300:
            break
        page.wait_for_timeout(500)
    assert received is not None, "the returned video never played"
    assert (received["width"], received["height"]) == (640, 480)
    assert received["counts"][colour_index] > source + 300, (
        f"no {match.group(1)} box drawn on the returned video ({received['counts'][colour_index]} vs {source} px)")


def _evaluate_in_component(page, colours):
    """Run the colour count in whichever frame holds the returned video (the component's iframe)."""
    for frame in page.frames[1:]:
        result = frame.evaluate(COLOUR_COUNT_SCRIPT, colours)
        if result:
            return result
    return None
