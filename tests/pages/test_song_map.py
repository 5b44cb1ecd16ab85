"""AppTest tests for the Song map page (``pages/song_map.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pages.common import MOOD_KEY
from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.feedback import FeedbackStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGE = str(PROJECT_ROOT / "pages" / "song_map.py")
TIMEOUT_SECONDS = 60


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    return tmp_path


def run_page(mood: Mood | None = None) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=TIMEOUT_SECONDS)
    if mood is not None:
        app.session_state[MOOD_KEY] = mood
    return app.run()


def map_spec(app: AppTest) -> dict:
    return json.loads(app.get("plotly_chart")[0].proto.spec)


def trace_names(spec: dict) -> list[str]:
    return [trace.get("name", "") for trace in spec["data"]]


def test_without_a_mood_the_user_explores_an_emotion():
    app = run_page()
    assert not app.exception
    assert app.title[0].value == "🗺️ Song map"
    explore = app.selectbox[0]
    assert explore.label == "Explore an emotion" and explore.value == "happy"
    spec = map_spec(app)
    names = trace_names(spec)
    assert any(name.startswith("Surprise (") for name in names) and "Your mood" in names
    assert len(app.dataframe[0].value) == 10
    assert len(app.get("plotly_chart")) == 1 + 4  # the map and four clip curves
    assert len(app.get("audio")) == 4

    explore.set_value("sad").run()
    assert not app.exception
    mood_trace = next(trace for trace in map_spec(app)["data"] if trace["name"] == "Your mood")
    assert mood_trace["text"] == ["you: sad"]


def test_the_session_mood_is_mapped_and_recorded():
    mood = Mood.from_probabilities([0, 0, 0, 0, 0.6, 0, 0.4], source="camera")
    app = run_page(mood)
    assert not app.exception
    assert all(box.label != "Explore an emotion" for box in app.selectbox)
    mood_trace = next(trace for trace in map_spec(app)["data"] if trace["name"] == "Your mood")
    assert mood_trace["x"] == [pytest.approx(mood.valence)]
    assert mood_trace["y"] == [pytest.approx(mood.arousal)]
    with FeedbackStore() as store:
        assert [record.label for record in store.recent_moods()] == ["sad"]
    app.run()
    with FeedbackStore() as store:
        assert len(store.recent_moods()) == 1  # recorded once per mood, not on every rerun


def test_iso_mode_draws_the_path_toward_the_chosen_target():
    app = run_page(Mood.from_emotion("angry"))
    app.radio[0].set_value("iso").run()
    assert not app.exception
    target_box = next(box for box in app.selectbox if box.label == "Move toward")
    assert target_box.value == "neutral"
    names = trace_names(map_spec(app))
    assert "Iso path" in names and "Iso playlist" in names
    assert app.subheader[0].value == "Iso playlist"


def test_search_and_region_filters_narrow_the_map():
    app = run_page()
    total = len(load_catalog())
    app.text_input[0].set_value("Brenda Lee").run()
    app.checkbox(key="song_map_rated").check().run()
    assert not app.exception
    assert any(caption.value.startswith(f"Showing 1 of {total:,} songs.") for caption in app.caption)
    assert app.dataframe[-1].value["artist"].tolist() == ["Brenda Lee"]
    app.checkbox(key="song_map_rated").uncheck().run()
    assert len(app.dataframe[-1].value) > 1  # her Spotify tracks too
    app.text_input[0].set_value("").run()
    app.multiselect[0].set_value(["sad"]).run()
    counts = {name.split(" (")[0]: name for name in trace_names(map_spec(app))}
    assert counts["Happy"] == "Happy (0)" and not counts["Sad"].endswith("(0)")


def test_genre_decade_and_popularity_filters_apply_to_map_playlist_and_list():
    catalog = load_catalog()
    app = run_page(Mood.from_emotion("happy"))
    app.multiselect(key="song_map_genres").set_value(["rock"]).run()
    app.multiselect(key="song_map_decades").set_value([2010]).run()
    app.slider(key="song_map_popularity").set_value(50).run()
    assert not app.exception
    allowed = catalog.filter_mask(CatalogFilter(genres=frozenset({"rock"}), decades=frozenset({2010}),
                                                min_popularity=50))
    spec = map_spec(app)
    drawn = sum(len(trace.get("text", [])) for trace in spec["data"][:7])
    assert drawn == allowed.sum() > 0
    playlist = app.dataframe[0].value
    assert len(playlist) == 10
    rows = [catalog.index_of(catalog_id) for catalog_id in
            (next(int(catalog.music_ids[index]) for index in np.flatnonzero(allowed)
                  if catalog.titles[index] == title and catalog.artists[index] == artist)
             for title, artist in zip(playlist["title"], playlist["artist"], strict=True))]
    assert all(allowed[rows])
    assert all(link.startswith("https://open.spotify.com/track/") for link in playlist["spotify"])
    listed = app.dataframe[-1].value
    assert set(listed["genre"]) == {"rock"} and listed["year"].between(2010, 2019).all()
    assert any("popularity ≥ 50" in caption.value for caption in app.caption)


def test_like_skip_and_play_buttons_store_feedback():
    app = run_page(Mood.from_emotion("sad"))
    first_song = app.dataframe[0].value["title"].iloc[0]
    buttons = {button.label: button for button in app.button}
    buttons["👍 Like"].click().run()
    assert not app.exception
    {button.label: button for button in app.button}["▶️ Played"].click().run()
    with FeedbackStore() as store:
        assert len(store.adjustments().songs) == 1
        assert len(store.recent_plays()) == 1
    assert first_song not in app.dataframe[0].value["title"].tolist()  # just played: left out


def test_the_router_reaches_the_page():
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT_SECONDS).run()
    app.switch_page("pages/song_map.py").run()
    assert not app.exception
    assert app.title[0].value == "🗺️ Song map"


def test_the_whole_catalog_is_a_density_by_default_and_points_on_request():
    app = run_page(Mood.from_emotion("fear"))
    total = len(load_catalog())
    spec = map_spec(app)
    assert spec["data"][0]["type"] == "heatmap"
    assert sum(int(re.search(r"\((\d+)\)", name)[1]) for name in trace_names(spec)[1:8]) == total
    assert "Your mood" in trace_names(spec)
    app.radio(key="song_map_draw").set_value("points").run()
    assert not app.exception
    points = map_spec(app)
    assert [trace["type"] for trace in points["data"][:7]] == ["scattergl"] * 7
    assert sum(len(trace["text"]) for trace in points["data"][:7]) == total
