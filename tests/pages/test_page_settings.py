"""A page's settings (mode, filters, search, period, smoothing) outlast a visit to another page (AppTest
through the router, as in the browser: Streamlit forgets an undrawn widget's value unless it is kept)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pages.common import MOOD_KEY
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.paths import PROJECT_ROOT

TIMEOUT_SECONDS = 90

pytestmark = pytest.mark.usefixtures("isolated_home")


def app_on(page: str, mood: Mood | None = None) -> AppTest:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT_SECONDS).run()
    if mood is not None:
        app.session_state[MOOD_KEY] = mood
    app.switch_page(page).run()
    assert not app.exception
    return app


def visit_home_and_return(app: AppTest, page: str) -> None:
    app.switch_page("pages/home.py").run()
    app.switch_page(page).run()
    assert not app.exception


def test_playlist_mode_target_length_and_filters_are_kept():
    page = "pages/playlist.py"
    app = app_on(page, Mood.from_emotion("happy"))
    app.radio(key="playlist_mode").set_value("iso").run()
    app.selectbox(key="playlist_target").set_value("sad").run()
    app.slider(key="playlist_count").set_value(20).run()
    app.multiselect(key="playlist_decades").select(1980).run()
    app.checkbox(key="playlist_rated").check().run()
    app.checkbox(key="playlist_playable").uncheck().run()
    app.slider(key="playlist_popularity").set_value(40).run()

    visit_home_and_return(app, page)

    assert app.radio(key="playlist_mode").value == "iso"
    assert app.selectbox(key="playlist_target").value == "sad"
    assert app.slider(key="playlist_count").value == 20
    assert app.multiselect(key="playlist_decades").value == [1980]
    assert app.checkbox(key="playlist_rated").value is True
    assert app.checkbox(key="playlist_playable").value is False
    assert app.slider(key="playlist_popularity").value == 40


def test_the_iso_target_is_kept_while_match_mode_hides_it():
    page = "pages/playlist.py"
    app = app_on(page, Mood.from_emotion("angry"))
    app.radio(key="playlist_mode").set_value("iso").run()
    app.selectbox(key="playlist_target").set_value("happy").run()
    app.radio(key="playlist_mode").set_value("match").run()
    assert not [box for box in app.selectbox if box.key == "playlist_target"]
    app.radio(key="playlist_mode").set_value("iso").run()
    assert app.selectbox(key="playlist_target").value == "happy"


def test_song_map_search_regions_mode_and_drawing_are_kept():
    page = "pages/song_map.py"
    app = app_on(page, Mood.from_emotion("sad"))
    app.text_input(key="song_map_search").input("Adele").run()
    app.multiselect(key="song_map_regions").unselect("angry").run()
    app.radio(key="song_map_mode").set_value("iso").run()
    app.selectbox(key="song_map_target").set_value("happy").run()
    app.number_input(key="song_map_count").set_value(15).run()
    app.radio(key="song_map_draw").set_value("points").run()
    app.checkbox(key="song_map_rated").check().run()

    visit_home_and_return(app, page)

    assert app.text_input(key="song_map_search").value == "Adele"
    assert "angry" not in app.multiselect(key="song_map_regions").value
    assert app.radio(key="song_map_mode").value == "iso"
    assert app.selectbox(key="song_map_target").value == "happy"
    assert app.number_input(key="song_map_count").value == 15
    assert app.radio(key="song_map_draw").value == "points"
    assert app.checkbox(key="song_map_rated").value is True


def test_the_song_map_and_playlist_filters_stay_apart():
    app = app_on("pages/playlist.py", Mood.from_emotion("happy"))
    app.checkbox(key="playlist_rated").check().run()
    app.switch_page("pages/song_map.py").run()
    assert app.checkbox(key="song_map_rated").value is False
    app.switch_page("pages/playlist.py").run()
    assert app.checkbox(key="playlist_rated").value is True


def test_journal_period_and_grouping_are_kept():
    with FeedbackStore() as store:
        store.record_mood(Mood.from_emotion("sad"))
    page = "pages/journal.py"
    app = app_on(page)
    app.radio(key="journal_period").set_value("Everything").run()
    app.radio(key="journal_grouping").set_value("week").run()

    visit_home_and_return(app, page)

    assert app.radio(key="journal_period").value == "Everything"
    assert app.radio(key="journal_grouping").value == "week"


def test_live_smoothing_settings_are_kept():
    page = "pages/live.py"
    app = app_on(page)
    app.slider(key="live_half_life").set_value(2.0).run()
    app.slider(key="live_switch_after").set_value(3.0).run()

    visit_home_and_return(app, page)

    assert app.slider(key="live_half_life").value == pytest.approx(2.0)
    assert app.slider(key="live_switch_after").value == pytest.approx(3.0)


def test_the_model_pages_chosen_evaluation_is_kept():
    page = "pages/model.py"
    app = app_on(page)
    options = app.selectbox(key="model_evaluation").options
    assert len(options) > 1
    app.selectbox(key="model_evaluation").select_index(len(options) - 1).run()
    chosen = app.selectbox(key="model_evaluation").value

    visit_home_and_return(app, page)

    assert app.selectbox(key="model_evaluation").value == chosen
    assert app.selectbox(key="model_evaluation").index == len(options) - 1


def test_the_language_choice_and_any_language_are_kept():
    page = "pages/playlist.py"
    app = app_on(page, Mood.from_emotion("happy"))
    assert app.multiselect(key="playlist_languages").value == []  # AppTest sends no browser locale
    app.multiselect(key="playlist_languages").set_value(["es"]).run()
    assert not app.exception
    visit_home_and_return(app, page)
    assert app.multiselect(key="playlist_languages").value == ["es"]
    app.button(key="playlist_languages_any").click().run()
    assert app.multiselect(key="playlist_languages").value == []
    assert not app.exception and not app.warning
