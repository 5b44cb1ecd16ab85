"""Tests for ``tunex_core.music.spotify.redaction``: no secret reaches a log line, a reason or an exception's text."""

from __future__ import annotations

import base64
import logging

import pytest

from tests.spotify_server import CLIENT_ID, CLIENT_SECRET, RATE_LIMITED, SERVER_ERROR
from tunex_core.music import spotify
from tunex_core.music.spotify import SpotifyService, SpotifyUnavailableError


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
