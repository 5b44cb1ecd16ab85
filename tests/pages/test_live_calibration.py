"""AppTest of the Live page's "Calibrate to my resting face": from a photo, shown, applied, cleared."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tunex_core.paths import MODEL_FILE, PROJECT_ROOT, TESTS_FIXTURES_DIR
from tunex_core.vision.calibration import RestingFaceCalibration

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not MODEL_FILE.is_file(), reason="shipped model missing")]

FACE_JPEG = (TESTS_FIXTURES_DIR / "face.jpg").read_bytes()
RESTING_BUTTON = "🎯 This is my resting face — calibrate"


@pytest.fixture(autouse=True)
def _own_home(isolated_home):
    """Calibrations are saved with the profile: keep them in a temporary TuneX home."""
    return isolated_home


def live_page_with_upload() -> AppTest:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/live.py")
    app.run()
    app.file_uploader[0].upload("face.jpg", FACE_JPEG, "image/jpeg")
    app.run()
    assert not app.exception
    return app


def button(app: AppTest, label: str):
    return next(item for item in app.button if item.label == label)


def neutral_share(app: AppTest) -> float:
    mood = app.session_state["mood"]
    return mood.probabilities[-1]


def test_calibrate_from_a_photo_applies_and_clears():
    app = live_page_with_upload()
    assert any("calibrate to your resting face" in caption.value for caption in app.caption)
    assert button(app, "🎯 Calibrate to my resting face").disabled  # the camera is not running
    button(app, "🎵 Use this mood").click()
    app.run()
    before = neutral_share(app)

    button(app, RESTING_BUTTON).click()
    app.run()
    assert not app.exception
    calibration = app.session_state["resting_calibration"]
    assert isinstance(calibration, RestingFaceCalibration) and calibration.readings == 1
    restored = RestingFaceCalibration.from_json(calibration.to_json())  # storable with a profile
    assert restored.resting_probabilities == pytest.approx(calibration.resting_probabilities, abs=1e-6)
    assert any("Calibrated to your resting face" in message.value for message in app.success)
    # The fixture face smiles (happy 91%): not a resting face, and the page says so.
    expression_warnings = [message.value for message in app.warning if "If you were smiling" in message.value]
    assert expression_warnings == [calibration.expression_warning()]
    button(app, "🎵 Use this mood").click()
    app.run()
    after = neutral_share(app)
    assert after > before or before > 0.7  # the same face, corrected towards neutral, is what music gets

    button(app, "Clear calibration").click()
    app.run()
    assert app.session_state["resting_calibration"] is None
    assert not app.success and not any("If you were smiling" in message.value for message in app.warning)
    button(app, "🎵 Use this mood").click()
    app.run()
    assert neutral_share(app) == pytest.approx(before)


def test_calibration_is_saved_with_the_profile_and_comes_back_in_a_new_session():
    from tunex_core.personal.profiles import ProfileStore
    from tunex_core.storage import DEFAULT_PROFILE_ID

    app = live_page_with_upload()
    button(app, RESTING_BUTTON).click()
    app.run()
    calibration = app.session_state["resting_calibration"]
    with ProfileStore() as store:
        saved = store.get(DEFAULT_PROFILE_ID).settings["face_calibration"]
    assert RestingFaceCalibration.from_dict(saved).resting_probabilities == pytest.approx(
        calibration.resting_probabilities, abs=1e-6)

    later = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)  # another browser session
    later.run()
    later.switch_page("pages/live.py")
    later.run()
    assert not later.exception
    assert later.session_state["resting_calibration"].resting_probabilities == pytest.approx(
        calibration.resting_probabilities, abs=1e-6)
    button(later, "Clear calibration").click()
    later.run()
    with ProfileStore() as store:
        assert store.get(DEFAULT_PROFILE_ID).settings["face_calibration"] is None
