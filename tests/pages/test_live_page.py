"""AppTest of the Live mood page: loads, and the upload fallback labels a face."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.conftest import group_photo, paste_face
from tunex_core.emotions import DISPLAY_NAMES
from tunex_core.paths import MODEL_FILE, PROJECT_ROOT, TESTS_FIXTURES_DIR
from tunex_core.vision import images
from tunex_core.vision.pipeline import EmotionPipeline

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not MODEL_FILE.is_file(), reason="shipped model missing")]

FACE_JPEG = (TESTS_FIXTURES_DIR / "face.jpg").read_bytes()


def live_page() -> AppTest:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/live.py")
    app.run()
    return app


def test_live_page_loads_with_camera_and_fallbacks():
    app = live_page()
    assert not app.exception
    assert app.title[0].value == "🎥 Live mood"
    assert [tab.label for tab in app.tabs] == ["📹 Camera", "📸 Snapshot", "🖼️ Upload a photo"]
    assert app.file_uploader
    assert any("Start camera" in info.value for info in app.info)
    trouble = next(expander for expander in app.expander if expander.label == "The camera does not start?")
    advice = " ".join(markdown.value for markdown in trouble.markdown)
    assert all(name in advice for name in ("NotAllowedError", "NotFoundError", "NotReadableError"))


def test_snapshot_camera_opens_only_on_its_tab():
    app = live_page()
    assert not app.camera_input  # a mounted camera_input holds the camera open, even in a hidden tab
    app.session_state["live-tabs"] = "📸 Snapshot"
    app.run()
    assert not app.exception
    assert len(app.camera_input) == 1


def test_uploaded_face_gets_a_label_and_chart():
    app = live_page()
    app.file_uploader[0].upload("face.jpg", FACE_JPEG, "image/jpeg")
    app.run()
    assert not app.exception
    headings = [heading.value for heading in app.subheader]
    assert len(headings) == 1
    assert any(name in headings[0] for name in DISPLAY_NAMES)
    assert "%" in headings[0]
    assert not app.error
    alt = app.get("image")[0].proto.imgs[0].alt
    assert alt.startswith("The picture with one face boxed: ") and headings[0].split(" ", 1)[1].split(" ·")[0] in alt


def test_uploaded_group_photo_labels_every_face_and_the_group(face_bgr):
    photo, _ = group_photo(face_bgr, columns=3, rows=2, face_widths=70)  # 1200x800, faces 6% of its width
    buffer = io.BytesIO()
    Image.fromarray(photo[:, :, ::-1]).save(buffer, format="PNG")
    app = live_page()
    app.file_uploader[0].upload("group.png", buffer.getvalue(), "image/png")
    app.run()
    assert not app.exception and not app.error
    headings = [heading.value for heading in app.subheader]
    assert [heading.split(":")[0] for heading in headings[:6]] == [f"Face #{number}" for number in range(1, 7)]
    assert headings[6].startswith("Group mood:")
    assert len(headings) == 7
    alt = app.get("image")[0].proto.imgs[0].alt
    assert alt.startswith("The picture with 6 faces boxed and numbered, largest first: #1 ") and "#6 " in alt


def test_a_24_megapixel_phone_photo_is_analysed(face_bgr):
    photo = np.full((4284, 5712, 3), 120, np.uint8)
    paste_face(photo, face_bgr, 2600, 1500, 600)
    buffer = io.BytesIO()
    Image.fromarray(photo[:, :, ::-1]).save(buffer, format="JPEG", quality=90)
    app = live_page()
    assert any("megapixels" in text.value for text in app.markdown)
    app.file_uploader[0].upload("IMG_0001.jpg", buffer.getvalue(), "image/jpeg")
    app.run()
    assert not app.exception and not app.error
    assert len(app.subheader) == 1
    assert any(name in app.subheader[0].value for name in DISPLAY_NAMES)
    kept = app.session_state["photo_faces"]["upload"][1]  # kept across reruns: a display-size copy only
    assert max(kept.display.shape[:2]) == 1600 and kept.scale < 1


def test_a_picture_is_decoded_and_analysed_once_across_reruns(monkeypatch, face_bgr):
    calls, decodes = [], []
    analyse = EmotionPipeline.process_photo
    decode = images.decode_image

    def counted(pipeline, frame):
        calls.append(frame.shape)
        return analyse(pipeline, frame)

    def counted_decode(data, **options):
        decodes.append(len(data))
        return decode(data, **options)

    monkeypatch.setattr(EmotionPipeline, "process_photo", counted)
    monkeypatch.setattr(images, "decode_image", counted_decode)
    app = live_page()
    app.file_uploader[0].upload("face.jpg", FACE_JPEG, "image/jpeg")
    app.run()
    next(button for button in app.button if button.label == "🎵 Use this mood").click()
    app.run()
    assert app.session_state["mood"].source == "upload"
    assert len(app.subheader) == 1 and len(calls) == 1  # the click's reruns reused the faces
    assert len(decodes) == 1  # and the decoded picture
    mirrored = io.BytesIO()
    Image.fromarray(face_bgr[:, ::-1, ::-1]).save(mirrored, format="PNG")
    app.file_uploader[0].upload("mirrored.png", mirrored.getvalue(), "image/png")
    app.run()
    assert not app.exception and len(app.subheader) == 1
    assert len(calls) == 2 and len(decodes) == 2  # another picture is decoded and analysed


def test_use_this_mood_sets_the_session_mood():
    app = live_page()
    app.file_uploader[0].upload("face.jpg", FACE_JPEG, "image/jpeg")
    app.run()
    next(button for button in app.button if button.label == "🎵 Use this mood").click()
    app.run()
    mood = app.session_state["mood"]
    assert mood is not None and mood.source == "upload"
    assert abs(sum(mood.probabilities) - 1.0) < 1e-6


def test_a_thumbnail_of_a_face_is_read_and_a_speck_is_refused(face_bgr):
    """A face cut out to 40x40 px (under the live minimum of 48) is enlarged and read; 20x20 px is refused."""
    from tests.conftest import FACE_BOX

    x, y, width, height = FACE_BOX
    thumbnail = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(face_bgr[y: y + height, x: x + width, ::-1])).resize((40, 40)).save(
        thumbnail, format="PNG")
    app = live_page()
    app.file_uploader[0].upload("thumbnail.png", thumbnail.getvalue(), "image/png")
    app.run()
    assert not app.exception and not app.error
    assert len(app.subheader) == 1 and any(name in app.subheader[0].value for name in DISPLAY_NAMES)
    speck = io.BytesIO()
    Image.fromarray(np.full((20, 20, 3), 120, np.uint8)).save(speck, format="PNG")
    app.file_uploader[0].upload("speck.png", speck.getvalue(), "image/png")
    app.run()
    assert not app.exception
    assert any("can't be used" in error.value and "20x20 px" in error.value for error in app.error)


def test_corrupt_upload_gives_a_clear_error():
    app = live_page()
    app.file_uploader[0].upload("broken.jpg", FACE_JPEG[: len(FACE_JPEG) // 3], "image/jpeg")
    app.run()
    assert not app.exception
    assert any("can't be used" in error.value for error in app.error)


def test_text_file_named_like_an_image_is_refused():
    app = live_page()
    app.file_uploader[0].upload("notes.png", b"these are not pixels", "image/png")
    app.run()
    assert not app.exception
    assert any("not an image" in error.value for error in app.error)


def test_picture_without_a_face_gives_tips():
    buffer = io.BytesIO()
    Image.fromarray(np.full((240, 320, 3), 20, dtype=np.uint8)).save(buffer, format="PNG")
    app = live_page()
    app.file_uploader[0].upload("dark.png", buffer.getvalue(), "image/png")
    app.run()
    assert not app.exception
    warning = " ".join(item.value for item in app.warning)
    assert "No face found in this photo" in warning and "very dark" in warning
    assert "arm's length" not in warning  # webcam advice is for the camera, not for someone's photo
