"""TuneX's Spotify client against the local fake Spotify (real HTTP, no mocks of spotipy)."""

from __future__ import annotations

import base64
import logging
import socket
import time

import pytest
import requests

from tests.spotify_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    RATE_LIMITED,
    SERVER_ERROR,
    SLOW,
    FixtureTrack,
    fixture_track_id,
)
from tunex_core.music import spotify
from tunex_core.music.spotify import (
    SpotifyCache,
    SpotifyClient,
    SpotifyConfigurationError,
    SpotifyCredentials,
    SpotifyEndpoints,
    SpotifyService,
    SpotifyStatus,
    SpotifyUnavailableError,
    TrackMatch,
)

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


def test_client_refuses_limits_above_ten_before_sending(spotify_environment):
    client = SpotifyClient(SpotifyCredentials(CLIENT_ID, CLIENT_SECRET),
                           SpotifyEndpoints(spotify_environment.api_url, spotify_environment.token_url))
    with pytest.raises(ValueError, match="limit"):
        client.search_tracks("track:Hello", limit=11)
    assert spotify_environment.searches() == []


def test_fake_server_rejects_limits_above_ten_like_development_mode(service, spotify_environment):
    service.check_connection()
    token = next(iter(spotify_environment.issued_tokens))
    response = requests.get(spotify_environment.api_url + "search", timeout=5,
                            params={"q": "Hello", "type": "track", "limit": 20},
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid limit"


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


def test_cached_hit_makes_no_second_request(service, spotify_environment):
    first = service.resolve("Hello", "Adele")
    requests_after_first = len(spotify_environment.requests)

    second = service.resolve("Hello", "Adele")
    restarted = SpotifyService.from_environment().resolve("hello", "ADELE")

    assert second.cached and restarted.cached
    assert second.track == first.track == restarted.track
    assert len(spotify_environment.requests) == requests_after_first


def test_misses_are_cached_and_expire(spotify_environment, isolated_home):
    now = [1_000_000.0]
    cache = SpotifyCache(clock=lambda: now[0])
    service = SpotifyService.from_environment()
    service.cache = cache

    first = service.resolve("A Song Nobody Wrote", "Nobody At All")
    searches_after_first = search_count(spotify_environment)
    now[0] += (spotify.MISS_EXPIRY_DAYS - 1) * 86400
    second = service.resolve("A Song Nobody Wrote", "Nobody At All")

    assert first.track is None and not first.cached
    assert second.track is None and second.cached
    assert search_count(spotify_environment) == searches_after_first

    now[0] += 2 * 86400
    third = service.resolve("A Song Nobody Wrote", "Nobody At All")
    assert not third.cached
    assert search_count(spotify_environment) > searches_after_first


def test_failures_are_not_cached(service, spotify_environment):
    spotify_environment.mode = SERVER_ERROR
    assert service.resolve("Hello", "Adele").status is SpotifyStatus.OFFLINE

    spotify_environment.mode = "normal"
    service.reset()
    resolution = service.resolve("Hello", "Adele")
    assert resolution.track is not None and not resolution.cached


def test_the_cache_lives_in_the_tunex_database(service, spotify_environment, isolated_home):
    service.resolve("Hello", "Adele")

    from tunex_core import storage

    connection = storage.connect()
    try:
        rows = connection.execute("SELECT title, artist, track_id FROM spotify_resolutions").fetchall()
    finally:
        connection.close()
    assert (isolated_home / "tunex.sqlite3").is_file()
    assert [tuple(row) for row in rows] == [
        ("Hello", "Adele", track_named(spotify_environment, "Hello", "Adele").id)
    ]


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


def test_wrong_secret_gives_a_bad_credentials_message(spotify_environment, monkeypatch):
    monkeypatch.setenv(spotify.CLIENT_SECRET_VARIABLE, "not-the-right-secret-at-all")
    service = SpotifyService.from_environment()

    resolution = service.resolve("Hello", "Adele")

    assert resolution.track is None
    assert resolution.status is SpotifyStatus.BAD_CREDENTIALS
    assert "client_secret" in resolution.reason and ".streamlit/secrets.toml" in resolution.reason
    assert "SPOTIPY_CLIENT_SECRET" in resolution.reason
    assert "not-the-right-secret-at-all" not in resolution.reason
    assert service.state.status is SpotifyStatus.BAD_CREDENTIALS
    # Spotify's token endpoint said invalid_client; nothing reached the API.
    assert spotify_environment.searches() == []


def test_expired_token_is_refreshed_once(service, spotify_environment):
    service.check_connection()
    spotify_environment.issued_tokens.clear()  # the API now answers 401 to the old token

    resolution = service.resolve("Hello", "Adele")

    assert resolution.track is not None
    assert spotify_environment.paths().count("/api/token") == 2


def test_rate_limit_is_waited_out_within_the_bound(service, spotify_environment):
    service.check_connection()
    spotify_environment.mode = RATE_LIMITED
    spotify_environment.rate_limited_answers = 2
    spotify_environment.retry_after = "1"

    started = time.monotonic()
    resolution = service.resolve("Hello", "Adele")
    elapsed = time.monotonic() - started

    assert resolution.track is not None
    assert 2.0 <= elapsed < spotify.MAX_RATE_LIMIT_WAIT_SECONDS
    assert search_count(spotify_environment) == 3


def test_endless_rate_limit_stops_at_the_bound(service, spotify_environment):
    service.check_connection()
    spotify_environment.mode = RATE_LIMITED
    spotify_environment.retry_after = "2"

    started = time.monotonic()
    resolution = service.resolve("Hello", "Adele")
    elapsed = time.monotonic() - started

    assert resolution.status is SpotifyStatus.RATE_LIMITED
    assert "rate-limiting" in resolution.reason
    # Waits 2 s + 2 s; a third 2 s wait would pass the 5 s budget, so it stops there.
    assert 4.0 <= elapsed <= spotify.MAX_RATE_LIMIT_WAIT_SECONDS + 0.5
    assert search_count(spotify_environment) == 3


def test_long_retry_after_is_not_waited_for(service, spotify_environment):
    service.check_connection()
    spotify_environment.mode = RATE_LIMITED
    spotify_environment.retry_after = "3600"

    started = time.monotonic()
    resolutions = service.resolve_many([_Song("Hello", "Adele"), _Song("Happy", "Pharrell Williams")])
    elapsed = time.monotonic() - started

    assert [resolution.status for resolution in resolutions] == [SpotifyStatus.RATE_LIMITED] * 2
    assert elapsed < 1.0
    assert search_count(spotify_environment) == 1  # the second song is answered from the status
    assert service.state.status is SpotifyStatus.RATE_LIMITED


def test_resolve_many_shares_one_wait_budget(service, spotify_environment):
    service.check_connection()
    spotify_environment.mode = RATE_LIMITED
    spotify_environment.retry_after = "1"

    started = time.monotonic()
    songs = [_Song("Hello", "Adele"), _Song("Happy", "Pharrell Williams"), _Song("Mad World", "Gary Jules")]
    resolutions = service.resolve_many(songs)
    elapsed = time.monotonic() - started

    assert all(resolution.status is SpotifyStatus.RATE_LIMITED for resolution in resolutions)
    assert elapsed <= spotify.MAX_RATE_LIMIT_WAIT_SECONDS + 0.5


def test_server_error_falls_back_to_offline_quickly(service, spotify_environment):
    spotify_environment.mode = SERVER_ERROR

    started = time.monotonic()
    resolution = service.resolve("Hello", "Adele")
    elapsed = time.monotonic() - started

    assert resolution.status is SpotifyStatus.OFFLINE
    assert "500" in resolution.reason
    assert elapsed < 2.0
    assert search_count(spotify_environment) == 1  # no retries of a 500


def test_slow_server_falls_back_to_offline_after_the_timeout(service, spotify_environment):
    service.check_connection()
    spotify_environment.mode = SLOW

    started = time.monotonic()
    resolution = service.resolve("Hello", "Adele")
    elapsed = time.monotonic() - started

    assert resolution.status is SpotifyStatus.OFFLINE
    assert "did not answer" in resolution.reason
    assert spotify.REQUEST_TIMEOUT_SECONDS <= elapsed < spotify.REQUEST_TIMEOUT_SECONDS + 2.0


def test_closed_port_falls_back_to_offline_quickly(isolated_home, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv(spotify.CLIENT_ID_VARIABLE, CLIENT_ID)
    monkeypatch.setenv(spotify.CLIENT_SECRET_VARIABLE, CLIENT_SECRET)
    monkeypatch.setenv(spotify.API_URL_VARIABLE, f"http://127.0.0.1:{port}/v1/")
    monkeypatch.setenv(spotify.TOKEN_URL_VARIABLE, f"http://127.0.0.1:{port}/api/token")
    service = SpotifyService.from_environment()

    started = time.monotonic()
    resolution = service.resolve("Hello", "Adele")
    state = service.check_connection()
    elapsed = time.monotonic() - started

    assert resolution.status is SpotifyStatus.OFFLINE
    assert "could not be reached" in resolution.reason
    assert state.status is SpotifyStatus.OFFLINE
    assert elapsed < 2.0


def test_after_a_failure_further_calls_do_not_touch_the_network(service, spotify_environment):
    spotify_environment.mode = SLOW
    service.resolve("Hello", "Adele")
    requests_after_failure = len(spotify_environment.requests)

    started = time.monotonic()
    resolutions = [service.resolve("Happy", "Pharrell Williams"), service.resolve("Mad World", "Gary Jules")]
    elapsed = time.monotonic() - started

    assert all(resolution.status is SpotifyStatus.OFFLINE for resolution in resolutions)
    assert elapsed < 0.5
    assert len(spotify_environment.requests) == requests_after_failure


def test_token_endpoint_outage_is_offline(service, spotify_environment):
    spotify_environment.modes_affect_token = True
    spotify_environment.mode = SERVER_ERROR

    assert service.check_connection().status is SpotifyStatus.OFFLINE
    assert service.resolve("Hello", "Adele").status is SpotifyStatus.OFFLINE


def test_unreadable_token_answer_is_offline_not_a_crash(service, spotify_environment):
    spotify_environment.token_answer = {"access_token": "x"}  # no expires_in

    resolution = service.resolve("Hello", "Adele")

    assert resolution.status is SpotifyStatus.OFFLINE
    assert "cannot read" in resolution.reason


# --- secrets --------------------------------------------------------------------------------


def test_secrets_never_reach_logs_or_exception_text(spotify_environment, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    texts = []
    service = SpotifyService.from_environment()
    texts.append(service.resolve("Hello", "Adele").reason)
    texts.append(repr(service.client))
    texts.append(repr(spotify.load_credentials()))
    for mode in (RATE_LIMITED, SERVER_ERROR):
        spotify_environment.mode = mode
        spotify_environment.retry_after = "3600"
        service.reset()
        texts.append(service.resolve("Happy", "Pharrell Williams").reason)
    spotify_environment.mode = "normal"
    monkeypatch.setenv(spotify.CLIENT_SECRET_VARIABLE, CLIENT_SECRET + "x")
    wrong = SpotifyService.from_environment()
    texts.append(wrong.resolve("Mad World", "Gary Jules").reason)
    with pytest.raises(SpotifyUnavailableError) as raised:
        wrong.client.search_tracks("track:Hello")
    texts.extend([str(raised.value), repr(raised.value)])

    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert "Sending POST request" in logged  # spotipy's debug logging ran and was captured
    for secret in (CLIENT_SECRET, basic, *spotify_environment.issued_tokens):
        assert secret not in logged
        assert all(secret not in text for text in texts)
    assert "<redacted>" in logged


def test_no_token_cache_file_is_written(service, spotify_environment, tmp_path):
    service.resolve("Hello", "Adele")
    service.discover(["pop"], [], count=3)

    assert spotify_environment.paths().count("/api/token") == 1
    assert not list(tmp_path.rglob(".cache*"))


# --- configuration --------------------------------------------------------------------------


def test_credentials_from_the_secrets_file_win_over_the_environment(tmp_path, monkeypatch):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text('[spotify]\nclient_id = "file-id"\nclient_secret = "file-secret"\n')
    environ = {spotify.CLIENT_ID_VARIABLE: "env-id", spotify.CLIENT_SECRET_VARIABLE: "env-secret"}

    credentials = spotify.load_credentials(secrets_file, environ)

    assert credentials == SpotifyCredentials("file-id", "file-secret")
    assert "file-secret" not in repr(credentials)
    assert spotify.load_credentials(tmp_path / "missing.toml", environ) == SpotifyCredentials(
        "env-id", "env-secret")
    assert spotify.load_credentials(tmp_path / "missing.toml", {}) is None


@pytest.mark.parametrize("content", [
    '[spotify]\nclient_id = "only-id"\n',
    '[spotify]\nclient_secret = "sekret-value"\n',
    '[spotify\nclient_secret = "sekret-value"\n',
])
def test_unusable_secrets_files_are_reported_without_their_values(tmp_path, content):
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(content)

    with pytest.raises(SpotifyConfigurationError) as raised:
        spotify.load_credentials(secrets_file, {})
    assert "sekret-value" not in str(raised.value)

    service = SpotifyService.from_environment(secrets_path=secrets_file, environ={})
    assert service.state.status is SpotifyStatus.NOT_CONFIGURED
    assert "sekret-value" not in service.state.message


def test_endpoint_overrides_must_be_http_urls():
    with pytest.raises(SpotifyConfigurationError, match=spotify.API_URL_VARIABLE):
        SpotifyEndpoints.from_environment({spotify.API_URL_VARIABLE: "file:///etc/passwd"})
    endpoints = SpotifyEndpoints.from_environment({spotify.API_URL_VARIABLE: "http://127.0.0.1:9/v1"})
    assert endpoints.api_url == "http://127.0.0.1:9/v1/"
    assert endpoints.token_url == spotify.DEFAULT_TOKEN_URL


def test_without_credentials_the_service_is_not_configured_and_silent(isolated_home):
    service = SpotifyService.from_environment()

    resolution = service.resolve("Hello", "Adele")

    assert not service.configured
    assert resolution.status is SpotifyStatus.NOT_CONFIGURED
    assert "secrets.toml" in resolution.reason
    assert service.check_connection().status is SpotifyStatus.NOT_CONFIGURED


# --- track IDs ------------------------------------------------------------------------------


@pytest.mark.parametrize("track_id", ["4uLU6hMCjMI75M1A2tKUQC", "0TuneXFixtureTrack0001", "a" * 22])
def test_valid_track_ids(track_id):
    assert spotify.is_valid_track_id(track_id)
    assert spotify.embed_url(track_id).endswith("/embed/track/" + track_id)


@pytest.mark.parametrize("track_id", [
    "", "a" * 21, "a" * 23, "4uLU6hMCjMI75M1A2tKUQ!", "../../../account/delete",
    "4uLU6hMCjMI75M1A2tKUQ\n", "4uLU6hMCjMI75M1A2tKUQé", None, 12345,
    "4uLU6hMCjMI75M1A2tKUQC?autoplay=1",
])
def test_invalid_track_ids_never_make_urls(track_id):
    assert not spotify.is_valid_track_id(track_id)
    with pytest.raises(ValueError):
        spotify.embed_url(track_id)
    with pytest.raises(ValueError):
        TrackMatch(id=track_id, title="t", artist="a")


def test_search_links_encode_title_and_artist():
    url = spotify.search_url("Rock & Roll / Part 2?", "AC/DC #1")
    assert url == "https://open.spotify.com/search/Rock%20%26%20Roll%20%2F%20Part%202%3F%20AC%2FDC%20%231"


class _Song:
    def __init__(self, title: str, artist: str):
        self.title = title
        self.artist = artist
