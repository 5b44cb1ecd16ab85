"""AppTest tests for the Model insight page (``pages/model.py``)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pages.common import CONFIDENCE_HISTORY_KEY

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "model.py")
SAMPLE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics_sample.json"
TIMEOUT_SECONDS = 60


@pytest.fixture
def sample_metrics(monkeypatch):
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(SAMPLE_FILE))


@pytest.fixture
def fixture_faces(monkeypatch, tmp_path):
    """A stand-in for tests/fixtures/fer_faces.npz with 50 distinct faces."""
    faces = (np.arange(50, dtype=np.uint8)[:, None, None] * 5 + np.zeros((50, 48, 48), dtype=np.uint8))
    path = tmp_path / "fer_faces.npz"
    np.savez(path, faces=faces, labels=np.zeros(50, dtype=np.int64))
    monkeypatch.setenv("TUNEX_FIXTURE_FACES_FILE", str(path))
    return faces


def run_page(history=None) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT_SECONDS)
    if history is not None:
        app.session_state[CONFIDENCE_HISTORY_KEY] = history
    return app.run()


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_page_renders_every_section_from_the_sample_metrics(sample_metrics, fixture_faces):
    app = run_page()
    assert not app.exception
    assert [title.value for title in app.title] == ["📊 Model insight"]
    assert [header.value for header in app.header] == [
        "Accuracy in context", "Where it gets confused", "Can you trust its confidence?",
        "Confident mistakes", "This session, live"]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Accuracy"] == "71.1%"
    assert app.metric[0].delta == "+7.2 pts vs baseline"
    assert "scores on PrivateTest · flip TTA, 3,589 faces" in texts(app.caption)
    assert metrics["Macro F1"] == "0.693"
    assert metrics["Calibration error (ECE)"] == "2.4%"
    assert metrics["Time per face (median)"] == "2.4 ms"  # the face and its mirror image, as the app runs it
    caption = texts(app.caption)
    assert "95th-percentile time 2.9 ms per face" in caption
    assert "the Keras model's label on 99.7% of PublicTest and 99.6% of PrivateTest faces" in caption
    time_per_face = next(metric for metric in app.metric if metric.label == "Time per face (median)")
    assert time_per_face.help == ("what the app runs for each face: the face and its mirror image; measured when the "
                                  "model was released, on that 2-core CPU (faster processors take less)")
    assert len(app.get("plotly_chart")) == 4  # accuracy, confusion, per-class, reliability
    gallery = app.get("image")
    assert len(gallery) == 4  # the four fixture mistakes in the sample
    for image in gallery:  # screen readers read what each face is, not its URL
        assert re.fullmatch(r"A test face labelled \w+, read as \w+ with \d+% confidence", image.proto.imgs[0].alt)
    assert "No live readings yet" in texts(app.info)
    assert not app.error and not app.warning


def in_page_order(node) -> list:
    """Every element under ``node``, depth first, in the order the page shows them."""
    children = getattr(node, "children", None)
    if not children:
        return [node]
    return [element for key in sorted(children) for element in in_page_order(children[key])]


def chart_titles(app: AppTest) -> list[str]:
    """The bold heading written just above each chart (the figures carry no title of their own)."""
    elements = in_page_order(app.main)
    titles = []
    for position, element in enumerate(elements):
        if element.type == "plotly_chart":
            heading = elements[position - 1]
            assert heading.type == "markdown" and heading.value.startswith("**"), heading
            titles.append(heading.value.strip("*").replace("\\", ""))
            assert "text" not in json.loads(element.proto.spec)["layout"].get("title", {})
    return titles


def test_choosing_another_evaluation_redraws_its_charts(sample_metrics, fixture_faces):
    app = run_page()
    select = app.selectbox[0]
    assert select.label == "Evaluation"
    assert select.options == ["PrivateTest · flip TTA", "PrivateTest · plain",
                              "PublicTest · flip TTA", "PublicTest · plain"]
    assert "Confusion matrix, PrivateTest · flip TTA" in chart_titles(app)[1]
    app = select.select_index(3).run()
    assert not app.exception
    titles = chart_titles(app)
    assert titles[0] == "Accuracy beside its anchors"
    assert titles[1].startswith("Confusion matrix, PublicTest · plain")
    assert titles[2] == "Per-class scores, PublicTest · plain"
    assert titles[3] == "Reliability, PublicTest · plain — ECE 3.1%"


def test_missing_metrics_file_shows_a_clear_message(monkeypatch, tmp_path):
    missing = tmp_path / "metrics.json"
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(missing))
    app = run_page()
    assert not app.exception
    warning = texts(app.warning)
    assert "No model metrics yet" in warning and str(missing) in warning
    assert len(app.get("plotly_chart")) == 0
    assert [header.value for header in app.header] == ["This session, live"]


def test_malformed_metrics_file_shows_the_bad_key(monkeypatch, tmp_path):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    data["evaluations"]["private_test"]["tta"]["confusion"] = [[1, 2]]
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception
    assert "evaluations.private_test.tta.confusion must have 7 rows" in texts(app.error)


def test_partial_metrics_render_what_is_there(monkeypatch, tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"evaluations": {"private_test": {"plain": {"accuracy": 0.68}}}}),
                    encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception and not app.error
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics == {"Accuracy": "68.0%"}
    assert "scores on PrivateTest · plain" in texts(app.caption)
    assert len(app.get("plotly_chart")) == 1  # only the accuracy chart
    captions = texts(app.caption)
    assert "No confusion matrix" in captions and "No reliability diagram" in captions
    assert "lists no confident mistakes" in captions


def test_missing_face_fixture_leaves_the_gallery_empty_with_a_note(sample_metrics, monkeypatch, tmp_path):
    monkeypatch.setenv("TUNEX_FIXTURE_FACES_FILE", str(tmp_path / "absent.npz"))
    app = run_page()
    assert not app.exception
    assert len(app.get("image")) == 0
    assert "are not in this checkout" in texts(app.caption)


def test_confidence_history_is_plotted_and_summarised(sample_metrics, fixture_faces):
    now = time.time()
    history = [{"time": now - 2, "face": 0, "label": "happy", "confidence": 0.9},
               {"time": now - 1, "face": 1, "label": "sad", "confidence": 0.5},
               {"time": now, "face": 0, "label": "surprise", "confidence": 0.7}]
    app = run_page(history)
    assert not app.exception
    assert "No live readings yet" not in texts(app.info)
    assert len(app.get("plotly_chart")) == 5
    summary = app.dataframe[-1].value
    assert list(summary["face"]) == [0, 1]
    assert list(summary["readings"]) == [2, 1]
    assert list(summary["latest emotion"]) == ["surprise", "sad"]


def test_confidence_history_without_metrics_still_shows(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(tmp_path / "absent.json"))
    app = run_page([{"time": time.time(), "face": 0, "label": "fear", "confidence": 0.6}])
    assert not app.exception
    assert len(app.get("plotly_chart")) == 1


def experiment(name: str, members: int, public: float, private: float | None = None) -> dict:
    return {"name": name, "members": [f"runs/m{index}" for index in range(members)], "parameters": 1961639 * members,
            "training_minutes": 90.0 * members, "recipe": "seed 2027",
            "public_test": {"plain": public - 0.01, "tta": public, "macro_f1": 0.64, "ece": 0.03,
                            "recall": {label: 0.6 for label in
                                       ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}},
            "robustness": {"rotate": public - 0.08, "dark": public - 0.05},
            "private_test": None if private is None else {"plain": private - 0.01, "tta": private}}


def test_experiments_are_shown_side_by_side(monkeypatch, tmp_path, fixture_faces):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    data["experiments"] = [experiment("shipped", 1, 0.688), experiment("FER+ votes", 1, 0.695),
                           experiment("ensemble of 2", 2, 0.71, private=0.72)]
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception and not app.error
    assert "Experiments: what each recipe changed" in [header.value for header in app.header]
    table, recall = app.dataframe[-2].value, app.dataframe[-1].value
    assert list(table["experiment"]) == ["shipped", "FER+ votes", "ensemble of 2"]
    assert table["PublicTest"].tolist() == pytest.approx([0.688, 0.695, 0.71])
    assert table["rotate"].tolist() == pytest.approx([0.608, 0.615, 0.63])
    assert table["PrivateTest"].isna().tolist() == [True, True, False]
    assert "PublicTest, FER+ majority" not in table.columns  # no experiment was scored against the crowd
    assert list(recall.columns)[:2] == ["experiment", "angry"]


def test_crowd_scores_get_columns_of_their_own(monkeypatch, tmp_path):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    scored = {**experiment("FER+ votes", 1, 0.654), "crowd": {"public_test": 0.811, "private_test": 0.803}}
    data["experiments"] = [experiment("shipped", 1, 0.699), scored]
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception and not app.error
    table = app.dataframe[-2].value
    assert table["PublicTest, FER+ majority"].isna().tolist() == [True, False]
    assert table["PrivateTest, FER+ majority"].tolist()[1] == pytest.approx(0.803)
    assert any("10 annotators" in caption.value for caption in app.caption)
    scored["crowd"]["public_test"] = "high"
    path.write_text(json.dumps(data), encoding="utf-8")
    app = run_page()
    assert not app.exception
    assert "experiments[1].crowd.public_test" in texts(app.error)


def test_a_malformed_experiment_names_its_key(monkeypatch, tmp_path):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    broken = experiment("FER+ votes", 1, 0.695)
    broken["public_test"]["tta"] = 1.7
    data["experiments"] = [broken]
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception
    assert "experiments[0].public_test.tta" in texts(app.error)


def test_the_resting_face_study_gets_its_own_table(monkeypatch, tmp_path):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    data["resting_calibration"] = json.loads(SAMPLE_FILE.with_name("resting_calibration_sample.json").read_text())
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception and not app.error
    assert "Calibrating to your resting face" in [header.value for header in app.header]
    table = next(frame.value for frame in app.dataframe if "personal bias" in frame.value.columns)
    assert list(table["personal bias"]) == ["trait + light + camera (trait 0.3)",
                                            "trait + light + camera (trait 0.4)", "none (no personal bias)"]
    assert list(table["seeds"]) == [2, 1, 2]
    assert list(table["TuneX (shipped code): gain"]) == ["+2.5 (+2.4 to +2.6)", "+2.8 (+2.8 to +2.8)",
                                                         "-0.5 (-0.5 to -0.5)"]
    assert table["divide (naive prior shift): resting face reads neutral"].tolist() == [0.04, 0.04, 0.0]
    assert "50 per scenario and seed" in texts(app.caption)
    data["resting_calibration"][0]["persons"] = "fifty"
    path.write_text(json.dumps(data), encoding="utf-8")
    app = run_page()
    assert not app.exception
    assert "resting_calibration[0].persons" in texts(app.error)


def test_crowd_and_real_photo_figures_stand_beside_fer_2013s(monkeypatch, tmp_path, fixture_faces):
    path = tmp_path / "metrics.json"
    data = json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))
    per_class = {label: {"photos": 10, "found": 8, "right": 5, "recall": 0.5, "recall_of_found": 0.625}
                 for label in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}
    data["crowd"] = {"votes": "ferplus_votes.npz", "tta": "flip", "command": "python -m tunex_core release …",
                     "public_test": {"accuracy": 0.8123, "n": 3553, "dropped": 36, "ties": 134, "recall": {}},
                     "private_test": {"accuracy": 0.8034, "n": 3545, "dropped": 44, "ties": 150, "recall": {}}}
    data["real_photos"] = {"set": "faces_dev", "command": "python -m tunex_core release --photos …",
                           "backend": "litert", "photos": 70, "found": 56, "right": 35, "accuracy": 0.5,
                           "accuracy_of_found": 0.625, "per_class": per_class, "contempt": "disgust",
                           "contempt_photos": 0}
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("TUNEX_METRICS_FILE", str(path))
    app = run_page()
    assert not app.exception and not app.error
    assert "Three ways to score it" in [header.value for header in app.header]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["PrivateTest, FER-2013 labels"] == "71.1%"
    assert metrics["PrivateTest, FER+ crowd"] == "80.3%"
    assert metrics["Real photos (faces_dev)"] == "50.0%"
    captions = texts(app.caption)
    assert "PublicTest against the crowd: 81.2% of 3,553 faces" in captions
    assert "a face found in 56 of 70 photos; 62.5% of the faces found read right" in captions
    recall = next(frame.value for frame in app.dataframe if "recall" in frame.value.columns)
    assert recall["photos"].sum() == 70 and recall["recall"].tolist() == [0.5] * 7
    data["real_photos"]["found"] = 80  # more faces found than photos: refused, naming the section
    path.write_text(json.dumps(data), encoding="utf-8")
    app = run_page()
    assert not app.exception and "real_photos" in texts(app.error)
