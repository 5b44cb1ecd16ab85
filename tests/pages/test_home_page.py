"""AppTest of the Home page and the router."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tunex_core.paths import PROJECT_ROOT


def home() -> AppTest:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    app.run()
    return app


def test_home_renders_with_links_and_model_summary():
    app = home()
    assert not app.exception
    assert app.title[0].value.startswith("🎵 TuneX")
    assert [heading.value for heading in app.subheader][:3] == [
        "1 · Read a mood", "2 · See it among songs", "3 · Listen"]
    assert any(metric.label.startswith("Accuracy") for metric in app.metric) or app.info


def test_home_shows_the_time_the_app_spends_per_face(monkeypatch):
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(PROJECT_ROOT / "tests" / "fixtures" / "metrics_sample.json"))
    app = home()
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Time per face"] == "2.4 ms"  # the face and its mirror image, not one view (1.2 ms)
    helps = {metric.label: metric.help for metric in app.metric}
    assert "measured when the model was released" in helps["Time per face"]  # not this computer's time


def test_picking_a_mood_by_hand_sets_the_session_mood():
    app = home()
    app.radio[0].set_value("sad")
    next(button for button in app.button if button.label == "Use this mood").click()
    app.run()
    mood = app.session_state["mood"]
    assert mood.label == "sad" and mood.source == "your pick on Home"


def test_every_page_loads_without_exception():
    app = home()
    for page in ("pages/live.py", "pages/song_map.py", "pages/playlist.py", "pages/model.py", "pages/home.py"):
        app.switch_page(page)
        app.run()
        assert not app.exception, page
