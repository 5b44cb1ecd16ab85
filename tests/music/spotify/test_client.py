"""Tests for ``tunex_core.music.spotify.client`` against the local fake Spotify: limits, tokens, 429 waits, timeouts
and the cool-down after a failure (real HTTP, no mocks of spotipy)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.spotify_server import CLIENT_ID, CLIENT_SECRET, RATE_LIMITED, SERVER_ERROR, SLOW
from tunex_core.music import spotify
from tunex_core.music.spotify import SpotifyClient, SpotifyCredentials, SpotifyEndpoints, SpotifyService, SpotifyStatus


def search_count(fake) -> int:
    return len(fake.searches())

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


def test_no_token_cache_file_is_written(service, spotify_environment, tmp_path):
    service.resolve("Hello", "Adele")
    service.discover(["pop"], [], count=3)

    assert spotify_environment.paths().count("/api/token") == 1
    assert not list(tmp_path.rglob(".cache*"))


class _Song:
    def __init__(self, title: str, artist: str):
        self.title = title
        self.artist = artist
