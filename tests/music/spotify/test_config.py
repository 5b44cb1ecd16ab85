"""Tests for ``tunex_core.music.spotify.config``: where the credentials come from, unusable secrets, endpoints."""

from __future__ import annotations

import pytest

from tunex_core.music import spotify
from tunex_core.music.spotify import (
    SpotifyConfigurationError,
    SpotifyCredentials,
    SpotifyEndpoints,
    SpotifyService,
    SpotifyStatus,
)


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
