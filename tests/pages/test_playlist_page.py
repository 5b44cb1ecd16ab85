"""The Playlist page (AppTest) with the fake Spotify, with Spotify failing, and without credentials."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest
from streamlit.testing.v1 import AppTest

from tests.spotify_server import FixtureTrack, fixture_track_id
from tunex_core.markup import escape_markdown
from tunex_core.mood import Mood
from tunex_core.music.catalog import load_catalog
from tunex_core.music.feedback import FeedbackStore
from tunex_core.music.recommend import recommend_for_mood
from tunex_core.music.spotify import search_url
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


def expected_playlist(mood: Mood, count: int = 10, mode: str = "match", target=None):
    return recommend_for_mood(load_catalog(), mood, mode=mode, target=target, count=count)


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


def test_without_credentials_the_page_offers_offline_links(isolated_home):
    mood = Mood.from_emotion("happy")
    playlist = expected_playlist(mood)

    app = page_with_mood(mood).run()

    assert not app.exception
    assert "Spotify not configured" in " ".join(element.value for element in app.info)
    assert iframe_sources(app) == []
    urls = link_urls(app)
    assert len(urls) == len(playlist.items) == 10
    for url, item in zip(urls, playlist.items, strict=True):
        assert url.startswith("https://open.spotify.com/search/")
        assert unquote(url.removeprefix("https://open.spotify.com/search/")) == " ".join(
            f"{item.song.title} {item.song.artist}".split())
    assert len(app.get("expander")) == 10
    assert "valence" in app.text[0].value and "from your mood point" in app.text[0].value


def test_with_credentials_the_page_embeds_resolved_tracks(spotify_environment):
    mood = Mood.from_emotion("sad")
    playlist = expected_playlist(mood)
    track_ids = publish_on_fake_spotify(spotify_environment, playlist.songs)

    app = page_with_mood(mood).run()

    assert not app.exception
    assert "Spotify connected" in status_texts(app)
    expected = [f"https://open.spotify.com/embed/track/{track_ids[song.music_id]}" for song in playlist.songs]
    assert iframe_sources(app)[: len(expected)] == expected
    assert link_urls(app) == [f"https://open.spotify.com/track/{track_ids[song.music_id]}"
                              for song in playlist.songs]
    assert any("More on Spotify" in element.value for element in app.subheader)
    discovered = iframe_sources(app)[len(expected):]
    mad_world = track_named(spotify_environment, "Mad World")
    assert f"https://open.spotify.com/embed/track/{mad_world}" in discovered
    assert set(spotify_environment.paths()) <= {"/api/token", "/v1/search"}
    assert all(int(request.query["limit"][0]) <= 10 for request in spotify_environment.searches())

    searches_after_first_run = len(spotify_environment.searches())
    app.run()
    assert not app.exception
    assert len(spotify_environment.searches()) == searches_after_first_run  # all from the caches


def test_spotify_outage_keeps_the_page_usable_and_fast(spotify_environment):
    spotify_environment.mode = "server_error"
    mood = Mood.from_emotion("angry")

    started = time.monotonic()
    app = page_with_mood(mood).run()
    elapsed = time.monotonic() - started

    assert not app.exception
    assert "Spotify offline" in " ".join(element.value for element in app.warning)
    assert iframe_sources(app) == []
    assert all(url.startswith("https://open.spotify.com/search/") for url in link_urls(app))
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

    app.selectbox(key="playlist_emotion").select("sad").run()

    assert not app.exception
    assert app.session_state["mood"].label == "sad"
    assert len(link_urls(app)) == 10


def test_iso_mode_and_count(isolated_home):
    app = page_with_mood(Mood.from_emotion("angry")).run()
    app.radio(key="playlist_mode").set_value("iso").run()
    app.slider(key="playlist_count").set_value(5).run()

    assert not app.exception
    assert app.selectbox(key="playlist_target").value == "neutral"
    assert len(link_urls(app)) == 5
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
    after = recommend_for_mood(load_catalog(), mood, count=10, feedback=adjustments).items
    assert after[0].song.music_id != first.music_id
    # The rerun after the clicks shows the re-ranked playlist.
    assert link_urls(app) == [search_url(item.song.title, item.song.artist) for item in after]


def test_titles_are_escaped_in_markdown(isolated_home):
    mood = Mood.from_emotion("happy")
    app = page_with_mood(mood).run()

    headings = [element.value for element in app.markdown if element.value.startswith("**")]
    songs = expected_playlist(mood).songs
    assert headings == [f"**{position}. {escape_markdown(song.title)}** — {escape_markdown(song.artist)}"
                        for position, song in enumerate(songs, start=1)]
