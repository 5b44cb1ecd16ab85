"""The My music page and the listener's songs on the Playlist, Song map and Journal pages (AppTest).

The import runs with the library tests' stand-in analysis (``tests.personal.library_fakes``, in the worker
process like the real one); ``tests/browser/test_my_music_browser.py`` uses the real song analysis.
"""

from __future__ import annotations

import json
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.personal import library_fakes
from tests.personal.library_fakes import write_song
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.feedback import LIKE, FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal import library_import, library_scan
from tunex_core.personal.library import LibraryStore
from tunex_core.personal.library_import import ImportJob
from tunex_core.storage import DEFAULT_PROFILE_ID

PAGES = PROJECT_ROOT / "pages"
RUN_TIMEOUT_SECONDS = 60


@pytest.fixture
def fake_analysis(isolated_home, monkeypatch):
    """The stand-in analysis for imports started by the pages, and fresh import jobs for the test."""
    monkeypatch.setattr(library_import, "DEFAULT_ANALYSER", "tests.personal.library_fakes:analyze")
    monkeypatch.setattr(library_scan, "audio_suffixes", lambda: library_fakes.SUFFIXES)
    st.cache_resource.clear()
    yield isolated_home
    from pages.library_source import cached_import_jobs

    for job in cached_import_jobs()._jobs.values():
        job.stop()
        job.wait(30)
    st.cache_resource.clear()


def page(name: str, mood: Mood | None = None) -> AppTest:
    app = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=RUN_TIMEOUT_SECONDS)
    if mood is not None:
        app.session_state["mood"] = mood
    return app


def library_with_songs(tmp_path, count: int = 3):
    """A folder of ``count`` fake songs imported into the default profile; returns the folder's path."""
    music = tmp_path / "Music"
    for index in range(count):
        write_song(music / f"song{index}.mp3", 0.85, 0.75, f"Bright song {index}")
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        folder = store.add_folder(music)
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=library_fakes.analyze, suffixes=library_fakes.SUFFIXES)
    job.add_folder(folder.id, folder.path)
    assert job.wait(30)
    return music


def wait_for_import(app: AppTest, seconds: float = 30) -> AppTest:
    from pages.library_source import cached_import_jobs

    deadline = time.monotonic() + seconds
    job = cached_import_jobs().existing(DEFAULT_PROFILE_ID)
    assert job is not None
    assert job.wait(max(0.0, deadline - time.monotonic()))
    return app.run()


def texts(app: AppTest) -> str:
    return " ".join(str(element.value) for element in [*app.markdown, *app.caption, *app.info, *app.success,
                                                       *app.error, *app.warning])


def test_an_empty_library_invites_to_add_music(fake_analysis):
    app = page("my_music").run()
    assert not app.exception
    assert "No music yet" in texts(app)


def test_adding_a_folder_analyses_it_in_the_background_and_lists_the_songs(fake_analysis, tmp_path):
    music = tmp_path / "Music"
    write_song(music / "a.mp3", 0.8, 0.7, "Sunny")
    write_song(music / "b.flac", 0.2, 0.2)
    (music / "bad.mp3").write_bytes(b"noise")
    app = page("my_music").run()
    app.text_input(key="my_music_folder").set_value(str(music))
    app.button(key="my_music_add").click().run()
    assert not app.exception and "Looking for songs" in texts(app)
    app = wait_for_import(app)
    assert not app.exception
    table = app.dataframe[0].value
    assert sorted(table["title"]) == ["Sunny", "b", "bad"]
    assert table.set_index("title").loc["bad", "problem"] == "not an audio file"
    assert "2 of 3 songs placed" in texts(app)
    assert r"3 of 3 songs analysed \(1 could not be\)" in texts(app)
    assert app.get("audio")  # a player for one of the songs


def test_a_folder_that_cannot_be_added_says_why_in_one_line(fake_analysis, tmp_path):
    app = page("my_music").run()
    app.text_input(key="my_music_folder").set_value(str(tmp_path / "nowhere"))
    app.button(key="my_music_add").click().run()
    assert not app.exception
    assert [element.value for element in app.error] == [escape_markdown(
        f"The folder was not added: {tmp_path / 'nowhere'} does not exist.")]


def test_removing_a_folder_forgets_the_songs_and_keeps_the_files(fake_analysis, tmp_path):
    music = library_with_songs(tmp_path)
    app = page("my_music").run()
    (remove,) = [button for button in app.button if button.label == "Remove"]
    remove.click().run()
    assert not app.exception
    assert "3 songs are no longer in TuneX" in texts(app) and "No music yet" in texts(app)
    assert len(list(music.iterdir())) == 3


def test_the_playlist_plays_own_songs_from_disk_and_never_asks_spotify(fake_analysis, tmp_path):
    music = library_with_songs(tmp_path)
    app = page("playlist", Mood.from_emotion("happy")).run()
    assert not app.exception
    assert app.radio(key="playlist_source").value == "library"  # own songs first: they play with no network
    titles = [element.value for element in app.markdown if "Bright song" in element.value]
    assert len(titles) == 3
    assert len(app.get("audio")) == 3
    assert not [button for button in app.get("link_button") if "Open in Spotify" in str(button.proto.label)]
    assert not app.get("iframe")
    assert "Your own songs, played from this computer with no network — 3 of 3 play here" in texts(app)
    reasons = [element.value for element in app.text if "Chosen because" in element.value]
    assert len(reasons) == 3 and all("your file's sound" in reason for reason in reasons)
    like = next(button for button in app.button if button.label == "👍 Like")
    like.click().run()
    with FeedbackStore(profile_id=DEFAULT_PROFILE_ID) as store:
        (liked,) = store.adjustments().songs
    assert liked < 0
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        assert store.song_by_music_id(liked).path.parent == music
    app.radio(key="playlist_source").set_value("both").run()
    assert not app.exception and app.get("iframe")  # the catalog's songs play through Spotify


def test_the_catalog_alone_is_the_default_without_own_songs(fake_analysis):
    app = page("playlist", Mood.from_emotion("happy")).run()
    assert not app.exception
    assert not [radio for radio in app.radio if radio.key == "playlist_source"]


def test_the_song_map_marks_own_songs(fake_analysis, tmp_path):
    library_with_songs(tmp_path)
    app = page("song_map", Mood.from_emotion("happy")).run()
    assert not app.exception
    traces = {trace.get("name"): trace for trace in json.loads(app.get("plotly_chart")[0].proto.spec)["data"]}
    assert traces["My music (3)"]["marker"]["symbol"] == "diamond-open"
    app.radio(key="song_map_source").set_value("library").run()
    assert not app.exception and "Bright song" in app.get("plotly_chart")[0].proto.spec
    assert len(app.get("audio")) == 5  # the chosen song plays from disk, beside the four chorus clips


def test_the_journal_names_own_songs(fake_analysis, tmp_path):
    library_with_songs(tmp_path, count=1)
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        (song,) = store.songs()
    with FeedbackStore(profile_id=DEFAULT_PROFILE_ID) as store:
        store.record_feedback(song.music_id, LIKE)
        store.record_play(song.music_id, Mood.from_emotion("happy"))
    app = page("journal").run()
    assert not app.exception
    shown = " ".join(frame.value.to_string() for frame in app.dataframe)
    assert "Bright song 0" in shown and "song #" not in shown


def test_an_import_goes_on_while_another_page_is_open(fake_analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(library_import, "DEFAULT_ANALYSER", "tests.personal.library_fakes:slow_analyze")
    music = tmp_path / "Music"
    for index in range(12):
        write_song(music / f"{index:02}.mp3", 0.6, 0.6)
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=RUN_TIMEOUT_SECONDS)
    app.session_state["mood"] = Mood.from_emotion("happy")
    app.run()
    app.switch_page("pages/my_music.py").run()
    app.text_input(key="my_music_folder").set_value(str(music))
    app.button(key="my_music_add").click().run()
    assert app.get("progress"), "a progress bar while the import runs"
    app.switch_page("pages/home.py").run()
    assert not app.exception
    app = wait_for_import(app.switch_page("pages/my_music.py"))
    assert not app.exception
    assert "12 of 12 songs placed" in texts(app)


def test_a_song_whose_name_is_not_utf8_lists_and_plays(fake_analysis, tmp_path):
    import os

    folder = os.fsencode(tmp_path / "Music")
    os.makedirs(folder)
    with open(folder + b"/caf\xe9.mp3", "wb") as handle:
        handle.write(b"FAKE 0.85 0.75")
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        added = store.add_folder(tmp_path / "Music")
    job = ImportJob(DEFAULT_PROFILE_ID, analyser=library_fakes.analyze, suffixes=library_fakes.SUFFIXES)
    job.add_folder(added.id, added.path)
    assert job.wait(30)
    app = page("my_music").run()
    assert not app.exception and app.dataframe[0].value["title"].tolist() == ["caf\ufffd"]
    assert app.get("audio")
    app = page("playlist", Mood.from_emotion("happy")).run()
    assert not app.exception and len(app.get("audio")) == 1


def test_the_language_filter_keeps_own_songs_and_survives_a_source_switch(fake_analysis, tmp_path):
    library_with_songs(tmp_path)
    app = page("playlist", Mood.from_emotion("happy"))
    app.session_state["playlist_languages"] = ["en"]  # as the browser's language sets it on a first visit
    app.session_state["playlist_source"] = "both"
    app.run()
    assert not app.exception
    app.radio(key="playlist_source").set_value("library").run()  # a catalog whose only language is unknown
    assert not app.exception
    assert len(app.get("audio")) == 3
    app = page("song_map", Mood.from_emotion("happy"))
    app.session_state["song_map_languages"] = ["en"]
    app.run()
    assert not app.exception
    names = [trace.get("name") for trace in json.loads(app.get("plotly_chart")[0].proto.spec)["data"]]
    assert "My music (3)" in names


def test_a_hosts_upload_is_kept_in_the_profiles_folder_of_the_tunex_home(fake_analysis):
    from tunex_core.personal.library_files import uploads_dir

    app = page("my_music").run()
    app.get("file_uploader")[0].set_value([("sunny.mp3", b"FAKE 0.85 0.75 Host upload", "audio/mpeg")])
    app.run()
    app.button(key="my_music_upload_go").click().run()
    assert not app.exception and "Analysing 1 uploaded songs" in texts(app)
    app = wait_for_import(app)
    assert not app.exception and app.dataframe[0].value["title"].tolist() == ["Host upload"]
    assert app.text_input(key="my_music_folder")  # the host still adds folders too
    with LibraryStore(DEFAULT_PROFILE_ID) as store:
        (song,) = store.songs()
    assert song.path == uploads_dir(DEFAULT_PROFILE_ID) / "sunny.mp3" and song.path.exists()
    assert "guest_import_job" not in app.session_state
