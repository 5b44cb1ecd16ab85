"""AppTest of the Home page and the router."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tunex_core.paths import PROJECT_ROOT
from tunex_core.report.model_report import load_model_report, metrics_file_path


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
    # the shipped model's headline figures, as metrics.json gives them, and no "no evaluation" box
    report = load_model_report(metrics_file_path())
    headline = report.headline_key()
    evaluation = report.evaluation(headline)
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics[f"Accuracy ({headline.display_name})"] == f"{evaluation.accuracy:.1%}"
    assert metrics["Calibration error (ECE)"] == f"{evaluation.ece:.3f}"
    assert not app.info


def test_home_without_metrics_says_so_instead_of_figures(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(tmp_path / "absent.json"))
    app = home()
    assert not app.exception
    assert [box.value for box in app.info] == ["No evaluation of the shipped model is available in this checkout."]
    assert not [metric for metric in app.metric if metric.label.startswith("Accuracy")]


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
    pages = [str(path.relative_to(PROJECT_ROOT)) for path in sorted((PROJECT_ROOT / "pages").glob("*.py"))
             if f'"{path.relative_to(PROJECT_ROOT)}"' in (PROJECT_ROOT / "app.py").read_text(encoding="utf-8")]
    assert {"pages/journal.py", "pages/my_music.py", "pages/live.py"} <= set(pages)  # every page of the router
    for page in pages:
        app.switch_page(page)
        app.run()
        assert not app.exception, page
