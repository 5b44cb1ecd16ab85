"""The Playlist page (AppTest): Spotify players without credentials, search with the fake Spotify,
Spotify failing, filters and progressive player loading."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.spotify_server import FixtureTrack, fixture_track_id
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.feedback import FeedbackStore
from tunex_core.music.recommend import recommend_for_mood
from tunex_core.paths import PROJECT_ROOT

PAGE = str(PROJECT_ROOT / "pages" / "playlist.py")
RUN_TIMEOUT_SECONDS = 60


def page_with_mood(mood: Mood | None) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=RUN_TIMEOUT_SECONDS)
    if mood is not None:
        app.session_state["mood"] = mood
    return app


def iframe_sources(app: AppTest) -> list[str]:
    return [element.proto.src for element in app.get("iframe")]


def link_urls(app: AppTest) -> list[str]:
    return [button.proto.url for button in app.get("link_button")]


PLAYABLE = CatalogFilter(playable_only=True)  # the page's default without credentials
EMBED = "https://open.spotify.com/embed/track/"


def expected_playlist(mood: Mood, count: int = 10, mode: str = "match", target=None, song_filter=PLAYABLE):
    return recommend_for_mood(load_catalog(), mood, mode=mode, target=target, count=count, song_filter=song_filter)


def player_count(app: AppTest) -> int:
    """Players shown plus players waiting behind their "Load" button."""
    waiting = [button for button in app.button if button.label == "▶ Load the Spotify player"]
    return len(iframe_sources(app)) + len(waiting)


def publish_on_fake_spotify(fake, songs) -> dict[int, str]:
    """Give every song a track on the fake server; returns music id -> track id."""
    track_ids = {}
    for number, song in enumerate(songs, start=5000):
        track_id = fixture_track_id(number)
        fake.tracks.append(FixtureTrack(track_id, song.title, (song.artist,)))
        track_ids[song.music_id] = track_id
    return track_ids


def track_named(fake, name: str) -> str:
    return next(track.id for track in fake.tracks if track.name == name)


def status_texts(app: AppTest) -> str:
    return " ".join(element.value for element in [*app.caption, *app.info, *app.warning])


def test_without_credentials_every_song_plays_as_a_spotify_embed(isolated_home):
    mood = Mood.from_emotion("happy")
    playlist = expected_playlist(mood)

    app = page_with_mood(mood).run()

    assert not app.exception
    status = " ".join(element.value for element in app.info)
    assert "no account needed" in status and "10 of 10 songs play here" in status
    assert "Spotify search off" in status
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in playlist.songs]
    assert link_urls(app) == [f"https://open.spotify.com/track/{song.spotify_id}" for song in playlist.songs]
    assert app.checkbox(key="playlist_playable").value is True
    assert len(app.get("expander")) == 1 + 10  # the filters and one "why" per song
    assert "valence" in app.text[0].value and "from your mood point" in app.text[0].value


@pytest.mark.parametrize("emotion_name", EMOTION_NAMES)
def test_without_credentials_at_least_19_of_20_songs_play_for_every_emotion(isolated_home, emotion_name):
    app = page_with_mood(Mood.from_emotion(emotion_name)).run()
    app.slider(key="playlist_count").set_value(20).run()
    assert not app.exception
    assert player_count(app) >= 19
    assert len(iframe_sources(app)) == 10  # the first ten load at once, the rest on demand
    assert all(source.startswith(EMBED) for source in iframe_sources(app))
    # Without the default "only songs with a player" filter the nearest songs still mostly play.
    app.checkbox(key="playlist_playable").uncheck().run()
    assert not app.exception and player_count(app) >= 15


def test_players_beyond_the_first_ten_load_on_demand(isolated_home):
    mood = Mood.from_emotion("sad")
    playlist = expected_playlist(mood, count=20)
    app = page_with_mood(mood).run()
    app.slider(key="playlist_count").set_value(20).run()
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in playlist.songs[:10]]

    app.button(key=f"player_{playlist.songs[14].music_id}").click().run()
    assert iframe_sources(app)[10:] == [EMBED + playlist.songs[14].spotify_id]

    app.button(key="load_all_players").click().run()
    assert not app.exception
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in playlist.songs]
    assert not [button for button in app.button if button.label.startswith("▶ Load")]


def test_filters_shape_the_playlist(isolated_home):
    mood = Mood.from_emotion("angry")
    app = page_with_mood(mood).run()
    app.multiselect(key="playlist_genres").set_value(["rock"]).run()
    app.multiselect(key="playlist_decades").set_value([2010]).run()
    assert not app.exception
    song_filter = CatalogFilter(genres=frozenset({"rock"}), decades=frozenset({2010}), playable_only=True)
    playlist = expected_playlist(mood, song_filter=song_filter)
    assert all(song.genre == "rock" and 2010 <= song.year < 2020 for song in playlist.songs)
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in playlist.songs]
    assert any("filters: rock · 2010s" in caption.value for caption in app.caption)

    app.checkbox(key="playlist_rated").check().run()
    app.multiselect(key="playlist_genres").set_value(["edm"]).run()
    app.slider(key="playlist_popularity").set_value(100).run()
    assert not app.exception
    assert "No songs match these filters" in " ".join(element.value for element in app.warning)
    assert iframe_sources(app) == []


def test_with_credentials_songs_without_an_id_are_found_by_search(spotify_environment):
    mood = Mood.from_emotion("sad")
    rated = CatalogFilter(rated_only=True)
    playlist = expected_playlist(mood, count=20, song_filter=rated)
    missing = [song for song in playlist.songs if song.spotify_id is None]
    assert missing, "the rated songs near 'sad' should include some without a catalog id"
    track_ids = publish_on_fake_spotify(spotify_environment, missing)

    app = page_with_mood(mood).run()
    assert app.checkbox(key="playlist_playable").value is False  # with credentials nothing is hidden
    app.checkbox(key="playlist_rated").check().run()
    app.slider(key="playlist_count").set_value(20).run()

    assert not app.exception
    assert "Spotify players + search" in status_texts(app) and "20 of 20 songs play here" in status_texts(app)
    expected = [song.spotify_id or track_ids[song.music_id] for song in playlist.songs]
    assert link_urls(app) == [f"https://open.spotify.com/track/{track_id}" for track_id in expected]
    assert iframe_sources(app)[:10] == [EMBED + track_id for track_id in expected[:10]]
    assert any("More on Spotify" in element.value for element in app.subheader)
    discovered = iframe_sources(app)[10:]
    mad_world = track_named(spotify_environment, "Mad World")
    assert f"{EMBED}{mad_world}" in discovered
    assert set(spotify_environment.paths()) <= {"/api/token", "/v1/search"}
    assert all(int(request.query["limit"][0]) <= 10 for request in spotify_environment.searches())
    searched = " ".join(request.query["q"][0] for request in spotify_environment.searches())
    assert all(song.title.split(" (")[0] not in searched for song in playlist.songs if song.spotify_id)

    searches_after_first_run = len(spotify_environment.searches())
    app.run()
    assert not app.exception
    assert len(spotify_environment.searches()) == searches_after_first_run  # all from the caches


def test_spotify_outage_keeps_the_page_usable_and_fast(spotify_environment):
    spotify_environment.mode = "server_error"
    mood = Mood.from_emotion("angry")
    rated = CatalogFilter(rated_only=True)
    playlist = expected_playlist(mood, song_filter=rated)

    app = page_with_mood(mood)
    app.session_state["playlist_rated"] = True
    started = time.monotonic()
    app.run()
    elapsed = time.monotonic() - started

    assert not app.exception
    assert "Spotify search offline" in " ".join(element.value for element in app.warning)
    # Catalog ids still play; only songs without one fall back to search links.
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in playlist.songs if song.spotify_id]
    assert [url.startswith("https://open.spotify.com/search/") for url in link_urls(app)] == [
        song.spotify_id is None for song in playlist.songs]
    assert len(spotify_environment.searches()) == 1  # the first failure stops further lookups
    assert elapsed < 15  # page run including catalog load; the Spotify part fails in well under a second
    assert [button.label for button in app.button if button.label == "Try Spotify again"]


def test_wrong_secret_tells_how_to_fix_the_secrets(spotify_environment, monkeypatch):
    monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", "definitely-wrong-secret")

    app = page_with_mood(Mood.from_emotion("neutral")).run()

    warning = " ".join(element.value for element in app.warning)
    assert not app.exception
    assert "credentials rejected" in warning and "`.streamlit/secrets.toml`" in warning
    assert "definitely-wrong-secret" not in str(app._tree)


def test_without_a_mood_the_user_picks_one(isolated_home):
    app = page_with_mood(None).run()

    assert not app.exception
    assert "Live mood" in app.info[0].value
    assert link_urls(app) == []

    app.selectbox(key="playlist_emotion-none").select("sad").run()

    assert not app.exception
    assert app.session_state["mood"].label == "sad"
    assert len(link_urls(app)) == 10 and len(iframe_sources(app)) == 10


def test_the_mood_selector_follows_a_mood_set_while_the_page_is_open(isolated_home):
    app = page_with_mood(None).run()
    assert app.selectbox(key="playlist_emotion-none").value is None
    resumed = Mood.from_emotion("sad", source="live camera")  # e.g. the sidebar's "Use my last mood"
    app.session_state["mood"] = resumed
    app.run()
    assert not app.exception and not app.warning
    assert app.selectbox(key="playlist_emotion-sad").value == "sad"
    assert app.session_state["mood"] is resumed  # followed, not replaced by a "picked on Playlist" mood
    assert len(link_urls(app)) == 10


def test_iso_mode_and_count(isolated_home):
    app = page_with_mood(Mood.from_emotion("angry")).run()
    app.radio(key="playlist_mode").set_value("iso").run()
    app.slider(key="playlist_count").set_value(5).run()

    assert not app.exception
    assert app.selectbox(key="playlist_target").value == "neutral"
    assert len(link_urls(app)) == 5 and len(iframe_sources(app)) == 5
    assert "step 5's target" in app.text[4].value


def test_like_and_skip_feed_the_recommender(isolated_home):
    mood = Mood.from_emotion("happy")
    before = expected_playlist(mood).items
    first, third = before[0].song, before[2].song
    app = page_with_mood(mood).run()

    app.button(key=f"skip_{first.music_id}").click().run()
    app.button(key=f"like_{third.music_id}").click().run()

    assert not app.exception
    with FeedbackStore() as store:
        adjustments = store.adjustments()
    assert adjustments.songs[first.music_id].skips == pytest.approx(1.0, abs=0.01)
    assert adjustments.songs[third.music_id].likes == pytest.approx(1.0, abs=0.01)
    after = recommend_for_mood(load_catalog(), mood, count=10, feedback=adjustments, song_filter=PLAYABLE).items
    assert after[0].song.music_id != first.music_id
    # The rerun after the clicks shows the re-ranked playlist.
    assert link_urls(app) == [f"https://open.spotify.com/track/{item.song.spotify_id}" for item in after]


def test_titles_are_escaped_in_markdown(isolated_home):
    mood = Mood.from_emotion("happy")
    app = page_with_mood(mood).run()

    headings = [element.value for element in app.markdown if element.value.startswith("**")]
    songs = expected_playlist(mood).songs
    assert headings == [f"**{position}. {escape_markdown(song.title)}** — {escape_markdown(song.artist)}"
                        for position, song in enumerate(songs, start=1)]


def test_recently_played_songs_are_left_out(isolated_home):
    mood = Mood.from_emotion("neutral")
    first = expected_playlist(mood).songs[0]
    with FeedbackStore() as store:
        store.record_play(first.music_id)

    app = page_with_mood(mood).run()

    assert not app.exception
    expected = recommend_for_mood(load_catalog(), mood, count=10, recent_ids=[first.music_id],
                                  song_filter=PLAYABLE)
    assert iframe_sources(app) == [EMBED + song.spotify_id for song in expected.songs]
    assert EMBED + first.spotify_id not in iframe_sources(app)
