"""The Playlist page's own-data panels (AppTest): save and export the playlist, iso check-ins before and after."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.test_playlist_page import expected_playlist, publish_on_fake_spotify
from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogFilter
from tunex_core.music.feedback import FeedbackStore
from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal.checkins import CheckinStore
from tunex_core.personal.playlists import SavedPlaylistStore
from tunex_core.storage import DEFAULT_PROFILE_ID, open_database

PAGE = str(PROJECT_ROOT / "pages" / "playlist.py")


def playlist_page(emotion: str) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=60)
    app.session_state["mood"] = Mood.from_emotion(emotion)
    return app


def saved() -> tuple:
    with open_database() as database:
        return SavedPlaylistStore(database, DEFAULT_PROFILE_ID).playlists()


def test_saving_the_playlist_keeps_its_songs_and_mood(isolated_home):
    app = playlist_page("sad").run()
    assert not app.exception
    assert {"⬇️ M3U (Spotify links)", "⬇️ CSV", "⬇️ Plain text"} <= {
        element.proto.label for element in app.get("download_button")}

    app.text_input(key="playlist_save_name").set_value("Rainy day")
    app.button(key="playlist_save").click().run()

    assert not app.exception
    assert "Saved “Rainy day”" in app.success[0].value
    (playlist,) = saved()
    songs = expected_playlist(Mood.from_emotion("sad")).songs
    assert (playlist.name, playlist.mode, playlist.mood_label) == ("Rainy day", "match", "sad")
    assert [(song.music_id, song.title, song.artist) for song in playlist.songs] == [
        (song.music_id, song.title, song.artist) for song in songs]
    # No Spotify account here: the catalog's own ids (every song of the default playlist has one).
    assert [song.spotify_id for song in playlist.songs] == [song.spotify_id for song in songs]
    assert all(song.spotify_id for song in playlist.songs)

    app.button(key="playlist_save").click().run()  # same name again: replaced, not duplicated
    assert "Replaced “Rainy day”" in app.success[0].value
    assert len(saved()) == 1


def test_an_unnamed_playlist_gets_the_offered_name(isolated_home):
    app = playlist_page("happy").run()
    app.button(key="playlist_save").click().run()
    assert not app.exception
    assert saved()[0].name.startswith("Happy, ")


def test_saved_songs_carry_the_spotify_ids_found(spotify_environment):
    mood = Mood.from_emotion("sad")
    rated = CatalogFilter(rated_only=True)
    songs = expected_playlist(mood, count=20, song_filter=rated).songs
    missing = [song for song in songs if song.spotify_id is None]
    assert missing, "the rated songs near 'sad' should include some without a catalog id"
    track_ids = publish_on_fake_spotify(spotify_environment, missing)

    app = playlist_page("sad")
    app.session_state["playlist_rated"] = True
    app.session_state["playlist_count"] = 20
    app.run()
    app.button(key="playlist_save").click().run()

    assert not app.exception
    (playlist,) = saved()
    assert {song.music_id: song.spotify_id for song in playlist.songs} == {
        song.music_id: song.spotify_id or track_ids[song.music_id] for song in songs}


def test_iso_check_ins_before_and_after_are_recorded(isolated_home):
    app = playlist_page("sad").run()
    app.radio(key="playlist_mode").set_value("iso").run()
    assert "Before you listen" in " ".join(element.value for element in app.markdown)

    app.button(key="checkin_before_sad").click().run()
    assert not app.exception
    assert "After listening" in " ".join(element.value for element in app.markdown)
    app.button(key="checkin_after_neutral").click().run()

    assert not app.exception
    assert "closer to 😐 Neutral" in app.success[0].value.replace("\\", "")
    with open_database() as database:
        (checkin,) = CheckinStore(database, DEFAULT_PROFILE_ID).checkins()
    assert (checkin.before_label, checkin.after_label, checkin.target_label) == ("sad", "neutral", "neutral")
    assert checkin.progress > 0
    with FeedbackStore() as store:
        assert [mood.source for mood in store.recent_moods(2)] == [
            "check-in after an iso playlist", "check-in before an iso playlist"]


def test_no_check_in_panel_when_matching_the_mood(isolated_home):
    app = playlist_page("sad").run()
    assert not app.exception
    assert not any("how do you feel now" in element.value for element in app.markdown)


def test_a_playlist_render_opens_the_database_once(isolated_home, monkeypatch):
    from tunex_core import storage

    playlist_page("sad").run()  # the first run creates the file
    connections = [0]
    real_connection = storage._raw_connection

    def counting_connection(*arguments, **keywords):
        connections[0] += 1
        return real_connection(*arguments, **keywords)

    monkeypatch.setattr(storage, "_raw_connection", counting_connection)
    app = playlist_page("sad").run()

    assert not app.exception
    assert connections[0] == 1  # likes and skips; no Spotify cache without credentials, none per song
