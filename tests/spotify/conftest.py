"""Fixtures for the Spotify tests: an isolated TuneX home and the local fake Spotify server."""

from __future__ import annotations

import pytest

from tests.spotify_server import CLIENT_ID, CLIENT_SECRET, FakeSpotify, FakeSpotifyServer
from tunex_core import spotify


@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """Temp TuneX home and working directory; no Spotify settings from the developer's machine."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUNEX_HOME", str(home))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    monkeypatch.setenv(spotify.SECRETS_PATH_VARIABLE, str(tmp_path / "no-secrets.toml"))
    for variable in (spotify.CLIENT_ID_VARIABLE, spotify.CLIENT_SECRET_VARIABLE,
                     spotify.API_URL_VARIABLE, spotify.TOKEN_URL_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def fake_spotify(isolated_home):
    """A running fake Spotify on 127.0.0.1; yields its ``FakeSpotify`` state."""
    with FakeSpotifyServer(FakeSpotify()) as fake:
        yield fake


@pytest.fixture
def spotify_environment(fake_spotify, monkeypatch):
    """Credentials and endpoint variables pointing at the fake server."""
    monkeypatch.setenv(spotify.CLIENT_ID_VARIABLE, CLIENT_ID)
    monkeypatch.setenv(spotify.CLIENT_SECRET_VARIABLE, CLIENT_SECRET)
    monkeypatch.setenv(spotify.API_URL_VARIABLE, fake_spotify.api_url)
    monkeypatch.setenv(spotify.TOKEN_URL_VARIABLE, fake_spotify.token_url)
    return fake_spotify


@pytest.fixture
def service(spotify_environment):
    """A ``SpotifyService`` configured from the environment (fake server, temp database)."""
    return spotify.SpotifyService.from_environment()
