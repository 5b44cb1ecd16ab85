"""The profile selector in every page's sidebar, and the store's messages there (AppTest).

``show_mood_sidebar`` (what ``app.py`` draws before every page) runs in a small script with a
"Use sad" button standing in for Home's mood picker: AppTest drops ``app.py``'s sidebar on reruns
of some pages, so the selector is exercised without the router (the browser journey uses it).
"""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal.profiles import ProfileStore
from tunex_core.storage import DEFAULT_PROFILE_ID

APP = str(PROJECT_ROOT / "app.py")


def sidebar_script() -> None:
    import streamlit as st

    from pages.common import init_session_state, set_session_mood, show_mood_sidebar
    from tunex_core.mood import Mood

    init_session_state()
    show_mood_sidebar()
    if st.button("Use sad", key="use_sad"):
        set_session_mood(Mood.from_emotion("sad", source="test"))


def start_app() -> AppTest:
    return AppTest.from_function(sidebar_script, default_timeout=60).run()


def test_a_new_profile_is_created_selected_and_gets_its_own_moods(isolated_home):
    app = start_app()
    assert not app.exception
    selector = app.sidebar.selectbox(key="profile_selector")
    assert selector.options == ["Default"]

    app.sidebar.text_input(key="new_profile_name").set_value("Sam")
    app.sidebar.button(key="create_profile").click().run()
    assert not app.exception
    sam = next(profile for profile in ProfileStore().profiles() if profile.name == "Sam")
    assert app.session_state["profile_id"] == sam.id

    app.button(key="use_sad").click().run()
    assert not app.exception
    with FeedbackStore(profile_id=sam.id) as store:
        assert [mood.label for mood in store.recent_moods()] == ["sad"]
    with FeedbackStore() as store:
        assert store.recent_moods() == ()


def test_switching_back_to_the_default_profile(isolated_home):
    with ProfileStore() as store:
        store.create("Sam")
    app = start_app()
    app.sidebar.selectbox(key="profile_selector").select_index(1).run()  # "Sam" (default first)
    assert app.session_state["profile_id"] != DEFAULT_PROFILE_ID
    assert app.sidebar.selectbox(key="profile_selector").value == "Sam"
    app.sidebar.selectbox(key="profile_selector").select_index(0).run()
    assert app.session_state["profile_id"] == DEFAULT_PROFILE_ID


def test_a_duplicate_name_is_refused_with_a_message(isolated_home):
    app = start_app()
    app.sidebar.text_input(key="new_profile_name").set_value("default")
    app.sidebar.button(key="create_profile").click().run()
    assert not app.exception
    assert "already a profile" in " ".join(element.value for element in app.sidebar.warning)


def test_a_deleted_profile_falls_back_to_the_default(isolated_home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    app = AppTest.from_function(sidebar_script, default_timeout=60)
    app.session_state["profile_id"] = sam.id
    ProfileStore().delete(sam.id)  # e.g. from another tab
    app.run()
    assert not app.exception
    assert app.session_state["profile_id"] == DEFAULT_PROFILE_ID


def test_the_app_starts_with_the_selector(isolated_home):
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception
    assert app.sidebar.selectbox(key="profile_selector").options == ["Default"]


def test_the_sidebar_says_when_nothing_will_be_saved(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("TUNEX_HOME", str(blocker))
    monkeypatch.setenv("TUNEX_SPOTIFY_SECRETS", os.devnull)
    monkeypatch.delenv("TUNEX_DB", raising=False)
    app = start_app()
    assert not app.exception
    assert "nothing you do now will be saved" in " ".join(element.value for element in app.sidebar.warning)


def test_the_sidebar_says_when_a_damaged_database_was_replaced(isolated_home):
    isolated_home.mkdir()
    (isolated_home / "tunex.sqlite3").write_bytes(b"not a database at all" * 100)
    app = start_app()
    assert not app.exception
    warning = " ".join(element.value for element in app.sidebar.warning).replace("\\", "")
    assert "was damaged" in warning and "tunex.sqlite3.damaged-" in warning


def test_the_profile_is_kept_in_the_address_so_a_reload_keeps_it(isolated_home):
    app = start_app()
    assert "profile" not in app.query_params  # the default profile leaves the address alone
    app.sidebar.text_input(key="new_profile_name").set_value("Sam")
    app.sidebar.button(key="create_profile").click().run()
    sam = next(profile for profile in ProfileStore().profiles() if profile.name == "Sam")
    assert app.query_params["profile"] == str(sam.id)

    reloaded = AppTest.from_function(sidebar_script, default_timeout=60)  # a new session at that address
    reloaded.query_params["profile"] = str(sam.id)
    reloaded.run()
    assert not reloaded.exception
    assert reloaded.session_state["profile_id"] == sam.id
    assert reloaded.sidebar.selectbox(key="profile_selector").value == "Sam"

    reloaded.sidebar.selectbox(key="profile_selector").set_value("Default").run()
    assert "profile" not in reloaded.query_params


def test_an_unknown_or_malformed_profile_in_the_address_falls_back_to_default(isolated_home):
    for value in ("999", "abc", "-1", "²", ""):
        app = AppTest.from_function(sidebar_script, default_timeout=60)
        app.query_params["profile"] = value
        app.run()
        assert not app.exception, value
        assert app.session_state["profile_id"] == DEFAULT_PROFILE_ID, value
        assert app.sidebar.selectbox(key="profile_selector").value == "Default", value
        assert "profile" not in app.query_params, value


def resume_button(app: AppTest):
    return [button for button in app.sidebar.button if button.key == "resume_last_mood"]


def test_the_last_mood_of_the_profile_can_be_used_again_after_a_reload(isolated_home):
    app = start_app()
    assert not resume_button(app)  # no history yet
    app.button(key="use_sad").click().run()
    assert not resume_button(app)  # a session mood is set: nothing to resume

    reloaded = start_app()  # a new session: the session mood is gone, the journal has it
    assert reloaded.session_state["mood"] is None
    [button] = resume_button(reloaded)
    assert button.label.startswith("↩️ Use my last mood: 😢 Sad (") and button.label.endswith("just now)")
    button.click().run()
    assert not reloaded.exception
    mood = reloaded.session_state["mood"]
    assert (mood.label, mood.source) == ("sad", "test")
    assert not resume_button(reloaded)
    with FeedbackStore() as store:
        assert len(store.recent_moods()) == 1  # resumed, not recorded a second time


def test_the_last_mood_is_the_current_profiles(isolated_home):
    with ProfileStore() as store:
        sam = store.create("Sam")
    with FeedbackStore(profile_id=sam.id) as store:
        store.record_mood(Mood.from_emotion("happy", source="test"))
    app = start_app()
    assert not resume_button(app)  # Default has no history
    app.sidebar.selectbox(key="profile_selector").set_value("Sam").run()
    [button] = resume_button(app)
    assert "Happy" in button.label
