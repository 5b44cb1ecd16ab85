"""A shared TuneX in AppTest: the access-code gate before any page, and guests kept off the host's data.

AppTest sessions have no network connection, so they count as visitors from another device.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import pages.sharing
from pages.library_source import GUEST_IMPORT_JOB_KEY
from tests.personal import library_fakes
from tests.personal.library_fakes import write_song
from tunex_core.mood import Mood
from tunex_core.music.feedback import FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal import library_import, library_scan, upload_budget
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_files import PRIVATE_UPLOADS_PREFIX, private_uploads_dir
from tunex_core.personal.library_import import ImportJob
from tunex_core.personal.profiles import ProfileStore
from tunex_core.personal.upload_budget import UploadBudget
from tunex_core.storage import DEFAULT_PROFILE_ID

CODE = "k7m2pq9x"
HOST_PROFILE = "Zebediah Host"


@pytest.fixture
def shared(isolated_home, monkeypatch):
    """A host with a profile and journal entries, sharing TuneX with ``CODE``; wrong codes wait no time here."""
    monkeypatch.setenv("TUNEX_SHARE", "1")
    monkeypatch.setenv("TUNEX_ACCESS_CODE", CODE)
    with ProfileStore() as store:
        host = store.create(HOST_PROFILE)
    for profile_id in (DEFAULT_PROFILE_ID, host.id):
        with FeedbackStore(profile_id=profile_id) as store:
            store.record_mood(Mood.from_emotion("surprise", source="host's own camera"))
    delays = []
    monkeypatch.setattr(pages.sharing, "sleep", delays.append)
    pages.sharing.access_gate.clear()
    pages.sharing.forget_shared_profile()
    return delays


def app_test() -> AppTest:
    return AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)


def page_text(app: AppTest) -> str:
    parts = [element.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                        "success", "error") for element in getattr(app, kind)]
    parts += [str(option) for box in app.selectbox for option in box.options]
    parts += [str(frame.value) for frame in app.dataframe]
    return "\n".join(str(part) for part in parts)


def test_without_the_code_only_the_gate_renders(shared):
    app = app_test().run()
    assert not app.exception
    assert [field.label for field in app.text_input] == ["Access code"]
    assert [title.value for title in app.title] == ["🎵 TuneX"]
    assert not app.metric and not app.selectbox and not app.radio  # no page, no sidebar
    assert HOST_PROFILE not in page_text(app)
    # Every address answers with the gate (so a page's link opens that page once the code is given), but no
    # page script is registered before the code is given.
    with pytest.raises(ValueError, match=r"Could not find a navigation page for .*journal\.py"):
        app.switch_page("pages/journal.py")


def test_a_wrong_code_is_refused_after_a_growing_delay(shared):
    app = app_test().run()
    for attempt in ("wrong123", "k7m2pq9"):
        app.text_input[0].set_value(attempt)
        app.button[0].click().run()
        assert "That is not the access code" in app.error[0].value
        assert "access_granted" not in app.session_state
    assert shared == [1.0, 2.0]


def test_the_code_in_the_link_opens_the_app_as_a_guest(shared):
    app = app_test()
    app.query_params["code"] = CODE.upper()
    app.run()
    assert not app.exception
    assert app.title[0].value.startswith("🎵 TuneX") and app.subheader  # Home
    assert "code" not in app.query_params  # taken out of the address
    assert "Guest" in page_text(app) and HOST_PROFILE not in page_text(app)
    assert not app.selectbox  # no profile selector


def test_a_guest_sees_none_of_the_hosts_profiles_or_journal_and_writes_only_in_memory(shared):
    app = app_test()
    app.query_params["code"] = CODE
    app.query_params["profile"] = "2"  # the host's profile's address does not open it
    app.run()
    app.switch_page("pages/journal.py").run()
    assert not app.exception
    text = page_text(app)
    assert HOST_PROFILE not in text and "host's own camera" not in text and "Surprise" not in text
    assert "/" not in "".join(code.value for code in app.code)  # no path of the host's disk
    app.switch_page("pages/home.py").run()
    app.radio[0].set_value("sad")
    next(button for button in app.button if button.label == "Use this mood").click().run()
    assert not app.exception and app.session_state["mood"].label == "sad"
    for profile_id in (DEFAULT_PROFILE_ID, 2):  # the host's journal did not get the guest's mood
        with FeedbackStore(profile_id=profile_id) as store:
            assert [mood.label for mood in store.recent_moods()] == ["surprise"]
    with ProfileStore() as store:
        assert [profile.name for profile in store.profiles()] == ["Default", HOST_PROFILE]
    app.switch_page("pages/journal.py").run()
    assert not app.exception and "Sad" in page_text(app)  # the guest's own journal, in memory


def test_without_sharing_nothing_changes(isolated_home, monkeypatch):
    monkeypatch.delenv("TUNEX_SHARE", raising=False)
    with ProfileStore() as store:
        store.create(HOST_PROFILE)
    app = app_test().run()
    assert not app.exception and not [field for field in app.text_input if field.label == "Access code"]
    assert HOST_PROFILE in app.sidebar.selectbox(key="profile_selector").options
    assert pages.sharing.may_touch_host_disk()


def test_a_shared_server_without_a_usable_code_lets_nobody_in(isolated_home, monkeypatch):
    monkeypatch.setenv("TUNEX_SHARE", "1")
    monkeypatch.setenv("TUNEX_ACCESS_CODE", "ab")
    app = app_test().run()
    assert not app.exception
    assert "access code cannot be used" in app.error[0].value and not app.text_input


@pytest.fixture
def fake_analysis(shared, monkeypatch):
    """The library tests' stand-in song analysis for imports started by the pages; fresh import jobs."""
    monkeypatch.setattr(library_import, "DEFAULT_ANALYSER", "tests.personal.library_fakes:analyze")
    monkeypatch.setattr(library_scan, "audio_suffixes", lambda: library_fakes.SUFFIXES)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield shared
    st.cache_resource.clear()
    st.cache_data.clear()


def guest_on(page: str) -> AppTest:
    app = app_test()
    app.query_params["code"] = CODE
    app.session_state["mood"] = Mood.from_emotion("happy")
    app.run()
    return app.switch_page(f"pages/{page}.py").run()


def upload_as_guest(app: AppTest, *songs: tuple[str, bytes]) -> AppTest:
    """Upload ``songs`` (name, bytes) on My music and wait for their analysis."""
    app.get("file_uploader")[0].set_value([(name, data, "audio/mpeg") for name, data in songs])
    app.run()
    app.button(key="my_music_upload_go").click().run()
    assert not app.exception
    job = app.session_state[GUEST_IMPORT_JOB_KEY]
    assert job.wait(30)
    return app.run()


def host_library_is_empty(home: Path) -> bool:
    with LibraryStore(DEFAULT_PROFILE_ID) as store:  # no page run here: the host's database file
        empty = not store.folders() and not store.songs()
    return empty and not (home / "library").exists()


def test_a_guest_uploads_songs_into_their_own_store_only(fake_analysis, isolated_home):
    app = guest_on("my_music")
    assert not app.exception
    assert not app.text_input, "no folder path field for guests"
    assert "No music yet. Upload songs" in page_text(app)
    app = upload_as_guest(app, ("sunny.mp3", b"FAKE 0.85 0.75 Guest sunshine"), ("bad.mp3", b"noise"))
    assert not app.exception and not app.text_input
    table = app.dataframe[0].value
    assert sorted(table["title"]) == ["Guest sunshine", "bad"]
    assert "1 of 2 songs placed" in page_text(app)
    assert not [button for button in app.button if button.label == "Rescan"]
    assert app.get("audio")  # the guest hears their song from the temporary copy
    job = app.session_state[GUEST_IMPORT_JOB_KEY]
    folder = private_uploads_dir(job.database)
    assert folder is not None and sorted(path.name for path in folder.iterdir()) == ["bad.mp3", "sunny.mp3"]
    assert not folder.is_relative_to(isolated_home) and folder.name.startswith(PRIVATE_UPLOADS_PREFIX)
    assert host_library_is_empty(isolated_home)
    with ProfileStore() as store:
        assert [profile.name for profile in store.profiles()] == ["Default", HOST_PROFILE]

    app.switch_page("pages/playlist.py").run()  # the guest's song plays like a host's own
    assert not app.exception and app.radio(key="playlist_source").value == "library"
    assert "Guest sunshine" in page_text(app) and len(app.get("audio")) == 1
    app.switch_page("pages/song_map.py").run()
    assert not app.exception
    names = [trace.get("name") for trace in json.loads(app.get("plotly_chart")[0].proto.spec)["data"]]
    assert "My music (1)" in names

    other = guest_on("playlist")  # another guest sees none of it
    assert not other.exception and "Guest sunshine" not in page_text(other)
    assert not [radio for radio in other.radio if radio.key == "playlist_source"]

    (remove,) = [button for button in app.switch_page("pages/my_music.py").run().button if button.label == "Remove"]
    remove.click().run()  # removing the uploads deletes the guest's copies at once
    assert not app.exception and list(folder.iterdir()) == []
    assert host_library_is_empty(isolated_home)


def test_a_guests_copies_are_deleted_when_the_session_ends(fake_analysis):
    app = upload_as_guest(guest_on("my_music"), ("sunny.mp3", b"FAKE 0.85 0.75 Guest sunshine"))
    job = app.session_state[GUEST_IMPORT_JOB_KEY]
    folder = private_uploads_dir(job.database)
    assert folder is not None and (folder / "sunny.mp3").exists()
    del app, job  # the session and its store go
    gc.collect()
    assert not folder.exists()


def test_a_guests_batch_over_their_budget_is_refused_and_nothing_is_written(fake_analysis, monkeypatch):
    monkeypatch.setattr(upload_budget, "GUEST_BUDGET", UploadBudget(guest_max_bytes=100, guest_max_songs=2,
                                                                    all_guests_max_bytes=10**9))
    app = guest_on("my_music")
    assert "up to 2 songs, 100 bytes in all" in page_text(app)
    app.get("file_uploader")[0].set_value([("a.mp3", b"FAKE 0.1 0.9 " + b"a" * 40, "audio/mpeg"),
                                           ("b.mp3", b"FAKE 0.2 0.8 " + b"b" * 40, "audio/mpeg")])  # 53 bytes each
    app.run()
    app.button(key="my_music_upload_go").click().run()
    assert not app.exception
    assert [error.value.replace("\\", "") for error in app.error] == [  # as shown: markdown escapes dropped
        "The songs were not kept: a guest may keep at most 100 bytes of songs on this computer: you keep 0 bytes "
        "and these 2 songs need 106 bytes more (pick fewer songs)."]
    folder = private_uploads_dir(app.session_state[pages.sharing.GUEST_DATABASE_KEY])
    assert folder is not None and list(folder.iterdir()) == []
    assert "No music yet. Upload songs" in page_text(app)  # not even an empty "Uploaded files"
    app = upload_as_guest(app, ("a.mp3", b"FAKE 0.1 0.9 " + b"a" * 37))  # 50 bytes: within the budget
    assert not app.error and [path.name for path in folder.iterdir()] == ["a.mp3"]


def test_a_guest_never_sees_the_hosts_own_songs(fake_analysis, tmp_path, monkeypatch):
    music = tmp_path / "Music"
    write_song(music / "host.mp3", 0.85, 0.75, "Host private song")
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(music)
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=library_fakes.analyze, suffixes=library_fakes.SUFFIXES)
    job.add_folder(folder.id, folder.path)
    assert job.wait(30)
    monkeypatch.delenv("TUNEX_SHARE")  # the host looks first: the caches hold the host's songs
    host = AppTest.from_file(str(PROJECT_ROOT / "pages" / "playlist.py"), default_timeout=120)
    host.session_state["mood"] = Mood.from_emotion("happy")
    host.run()
    assert not host.exception and "Host private song" in page_text(host)
    monkeypatch.setenv("TUNEX_SHARE", "1")
    for page in ("playlist", "song_map", "my_music"):
        app = guest_on(page)
        assert not app.exception and "Host private song" not in page_text(app), page
        assert "host.mp3" not in str(app.get("plotly_chart") and app.get("plotly_chart")[0].proto.spec)


def test_a_guest_of_a_lent_profile_adds_no_music(shared, monkeypatch):
    monkeypatch.setenv("TUNEX_SHARED_PROFILE", HOST_PROFILE)
    app = guest_on("my_music")
    assert not app.exception
    assert not app.text_input and not app.get("file_uploader")
    assert "guests cannot list it or add songs" in app.info[0].value


def test_a_guest_of_a_lent_profile_gets_none_of_its_songs(fake_analysis, tmp_path, monkeypatch):
    music = tmp_path / "Music"
    write_song(music / "host.mp3", 0.85, 0.75, "Host private song")
    with ProfileStore() as store:
        lent = store.by_name(HOST_PROFILE)
    with LibraryStore(lent.id) as store:
        folder = store.add_folder(music)
    job = ImportJob(lent.id, analyser=library_fakes.analyze, suffixes=library_fakes.SUFFIXES)
    job.add_folder(folder.id, folder.path)
    assert job.wait(30)
    monkeypatch.setenv("TUNEX_SHARED_PROFILE", HOST_PROFILE)
    for page in ("playlist", "song_map", "my_music"):
        app = guest_on(page)
        assert not app.exception and "Host private song" not in page_text(app), page
        assert "host.mp3" not in str(app.get("plotly_chart") and app.get("plotly_chart")[0].proto.spec), page
        assert not [radio for radio in app.radio if radio.key and radio.key.endswith("_source")], page


def test_a_guest_cannot_remove_a_lent_profiles_folder_drawn_as_their_own(fake_analysis, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_SHARED_PROFILE", "Party")  # not made yet: guests get their own store
    app = upload_as_guest(guest_on("my_music"), ("sunny.mp3", b"FAKE 0.85 0.75 Guest sunshine"))
    (remove,) = [button for button in app.button if button.label == "Remove"]
    with ProfileStore() as store:  # now the host makes the lent profile, with a folder of its own
        party = store.create("Party")
    music = tmp_path / "Music"
    write_song(music / "host.mp3", 0.85, 0.75, "Host private song")
    with LibraryStore(party.id) as store:
        host_folder = store.add_folder(music)
    assert host_folder.id == int(remove.key.rsplit("_", 1)[1])  # the same id as the guest's uploads
    pages.sharing.forget_shared_profile()
    remove.click().run()
    assert not app.exception
    assert "Nothing was removed: the music listed here changed" in page_text(app).replace("\\", "")
    with LibraryStore(party.id) as store:
        assert [folder.id for folder in store.folders()] == [host_folder.id]


def test_a_profile_the_host_lends_is_the_guests_and_no_other(shared, monkeypatch):
    monkeypatch.setenv("TUNEX_SHARED_PROFILE", "  zebediah   HOST ")
    with ProfileStore() as store:
        lent = store.by_name(HOST_PROFILE)
        private = store.create("Private Pat")
    app = app_test()
    app.query_params["code"] = CODE
    app.query_params["profile"] = str(private.id)
    app.run()
    assert not app.exception and app.session_state["profile_id"] == lent.id
    assert HOST_PROFILE in page_text(app) and "Private Pat" not in page_text(app)
    app.switch_page("pages/journal.py").run()
    assert not app.exception and "Surprise" in page_text(app)  # the lent profile's journal
    assert not [button for button in app.button if button.label in {"Delete this profile", "Rename"}]
    app.switch_page("pages/home.py").run()
    app.radio[0].set_value("sad")
    next(button for button in app.button if button.label == "Use this mood").click().run()
    with FeedbackStore(profile_id=lent.id) as store:
        assert [mood.label for mood in store.recent_moods()] == ["sad", "surprise"]
    with FeedbackStore(profile_id=DEFAULT_PROFILE_ID) as store:
        assert [mood.label for mood in store.recent_moods()] == ["surprise"]
    with ProfileStore() as store:  # the host stops lending it: the guest is back to a profile in memory
        store.delete(lent.id)
    pages.sharing.forget_shared_profile()  # instead of waiting SHARED_PROFILE_CHECK_SECONDS
    app.switch_page("pages/journal.py").run()
    assert not app.exception
    assert "Guest" in page_text(app) and "Surprise" not in page_text(app) and "Default" not in page_text(app)


def test_a_lent_profile_that_does_not_exist_gives_guests_their_own(shared, monkeypatch):
    monkeypatch.setenv("TUNEX_SHARED_PROFILE", "Nobody")
    app = app_test()
    app.query_params["code"] = CODE
    app.run()
    assert not app.exception and "Guest" in page_text(app) and HOST_PROFILE not in page_text(app)
