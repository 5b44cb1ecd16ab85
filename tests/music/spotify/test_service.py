"""Tests for ``tunex_core.music.spotify.service`` against the local fake Spotify: resolution, discovery, the
endpoints Spotify retired, no credentials (real HTTP, no mocks of spotipy)."""

from __future__ import annotations

import pytest
import requests

from tests.spotify_server import FixtureTrack, fixture_track_id
from tunex_core.music import spotify
from tunex_core.music.spotify import SpotifyService, SpotifyStatus

FORBIDDEN_PATH_PARTS = ("recommendations", "audio-features", "top-tracks")


def search_count(fake) -> int:
    return len(fake.searches())


def track_named(fake, name: str, artist: str) -> FixtureTrack:
    return next(track for track in fake.tracks if track.name == name and artist in track.artists)


# --- resolution -----------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "artist", "expected_name", "expected_artist"), [
    ("Hello", "Adele", "Hello", "Adele"),
    ("Crazy in Love (feat. Jay-Z)", "Beyoncé feat. JAY-Z", "Crazy In Love (feat. JAY-Z)", "Beyoncé"),
    ("Hallelujah (The Voice Performance)", "Jeff Buckley", "Hallelujah", "Jeff Buckley"),
    ("Café del Mar", "Energy 52", "Cafe Del Mar", "Energy 52"),
    ("Cafe del Mar (Energy 52 Remix)", "Energy 52", "Café del Mar - Energy 52 Remix", "Energy 52"),
    ("WALKING ON SUNSHINE!", "Katrina and the Waves", "Walking on Sunshine", "Katrina & The Waves"),
])
def test_resolution_picks_the_right_track_among_near_misses(service, spotify_environment, title, artist,
                                                             expected_name, expected_artist):
    resolution = service.resolve(title, artist)

    expected = track_named(spotify_environment, expected_name, expected_artist)
    assert resolution.status is SpotifyStatus.CONNECTED
    assert resolution.track is not None, resolution.reason
    assert resolution.track.id == expected.id
    assert resolution.track.embed_url == f"https://open.spotify.com/embed/track/{expected.id}"
    assert resolution.track.uri == f"spotify:track:{expected.id}"
    assert not resolution.cached


def test_live_version_is_only_taken_when_it_is_the_only_candidate(service, spotify_environment):
    spotify_environment.tracks = [track for track in spotify_environment.tracks
                                  if not (track.name == "Hello" and track.artists == ("Adele",))]

    resolution = service.resolve("Hello", "Adele")

    assert resolution.track is not None
    assert resolution.track.title == "Hello - Live at Wembley"
    assert resolution.track.score < 1.0


def test_title_only_near_miss_is_rejected(service, spotify_environment):
    resolution = service.resolve("Hello", "The Beatles")  # only "Hello Goodbye" by them exists

    assert resolution.track is None
    assert resolution.status is SpotifyStatus.CONNECTED
    assert "no Spotify track matches" in resolution.reason
    # No filtered candidate matched, so one unfiltered search was tried as well.
    assert [request.query["q"][0] for request in spotify_environment.searches()] == [
        'track:"Hello" artist:"The Beatles"', "Hello The Beatles"]


def test_search_pages_with_offset_and_never_asks_for_more_than_ten(service, spotify_environment):
    resolution = service.resolve("Yesterday", "The Beatles")

    assert resolution.track is not None
    assert resolution.track.title == "Yesterday - Remastered 2009"
    searches = spotify_environment.searches()
    assert [request.query["offset"] for request in searches] == [["0"], ["10"]]
    assert all(1 <= int(request.query["limit"][0]) <= 10 for request in searches)
    query = searches[0].query["q"][0]
    assert 'track:"Yesterday"' in query and 'artist:"The Beatles"' in query


def test_paging_is_bounded(service, spotify_environment):
    spotify_environment.tracks = [
        FixtureTrack(fixture_track_id(9000 + number), f"Echo - Live {number}", ("Echo Band",))
        for number in range(60)
    ]

    resolution = service.resolve("Echo", "Echo Band")

    assert resolution.track is not None  # a live take, as nothing better exists
    assert search_count(spotify_environment) == spotify.MAX_SEARCH_PAGES


def test_songs_missing_from_spotify_are_misses(service, spotify_environment):
    resolution = service.resolve("A Song Nobody Wrote", "Nobody At All")

    assert resolution.track is None
    assert resolution.status is SpotifyStatus.CONNECTED
    # The filtered search found nothing, so one unfiltered search was tried as well.
    assert search_count(spotify_environment) == 2


def test_invalid_track_ids_from_the_server_are_skipped(service, spotify_environment):
    genuine = track_named(spotify_environment, "Happy", "Pharrell Williams")
    spotify_environment.tracks.insert(0, FixtureTrack("../../evil?x=1", "Happy", ("Pharrell Williams",)))

    resolution = service.resolve("Happy", "Pharrell Williams")

    assert resolution.track is not None
    assert resolution.track.id == genuine.id


# --- cache ----------------------------------------------------------------------------------


# --- discovery ------------------------------------------------------------------------------


def test_discovery_uses_genre_and_keyword_searches_and_is_cached(service, spotify_environment):
    excluded = track_named(spotify_environment, "Calm Waters", "Ambient Collective").id

    discovery = service.discover(["ambient"], ["sunshine"], count=5, exclude_ids=[excluded])
    searches = search_count(spotify_environment)
    again = service.discover(["ambient"], ["sunshine"], count=5, exclude_ids=[excluded])

    titles = {track.title for track in discovery.tracks}
    assert titles == {"Quiet Morning", "Walking on Sunshine"}
    assert discovery.state.status is SpotifyStatus.CONNECTED
    assert again.tracks == discovery.tracks
    assert search_count(spotify_environment) == searches
    queries = [request.query["q"][0] for request in spotify_environment.searches()]
    assert queries == ['genre:"ambient"', "sunshine"]


def test_discovery_without_credentials_is_empty_and_says_not_configured(isolated_home):
    discovery = SpotifyService.from_environment().discover(["pop"], ["happy"])
    assert discovery.tracks == ()
    assert discovery.state.status is SpotifyStatus.NOT_CONFIGURED


# --- endpoints Spotify retired ----------------------------------------------------------------


def test_no_retired_endpoint_is_ever_called(service, spotify_environment):
    service.resolve("Hello", "Adele")
    service.resolve("Yesterday", "The Beatles")
    service.resolve("A Song Nobody Wrote", "Nobody At All")
    service.discover(["pop", "rock"], ["happy", "love"], count=10)

    paths = spotify_environment.paths()
    assert "/v1/search" in paths and "/api/token" in paths
    assert not [path for path in paths if any(part in path for part in FORBIDDEN_PATH_PARTS)]
    assert set(paths) <= {"/v1/search", "/api/token"}


def test_fake_server_refuses_retired_endpoints(spotify_environment):
    base = spotify_environment.base_url
    assert requests.get(f"{base}/v1/recommendations?seed_genres=pop", timeout=5).status_code == 404
    assert requests.get(f"{base}/v1/audio-features/{fixture_track_id(1)}", timeout=5).status_code == 403
    assert requests.get(f"{base}/v1/artists/someone/top-tracks", timeout=5).status_code == 403


# --- errors ---------------------------------------------------------------------------------


# --- secrets --------------------------------------------------------------------------------


# --- configuration --------------------------------------------------------------------------


def test_without_credentials_the_service_is_not_configured_and_silent(isolated_home):
    service = SpotifyService.from_environment()

    resolution = service.resolve("Hello", "Adele")

    assert not service.configured
    assert resolution.status is SpotifyStatus.NOT_CONFIGURED
    assert "secrets.toml" in resolution.reason
    assert service.check_connection().status is SpotifyStatus.NOT_CONFIGURED


# --- track IDs ------------------------------------------------------------------------------


