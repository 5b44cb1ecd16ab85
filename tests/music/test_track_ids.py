"""Tests for ``tunex_core.music.track_ids``: only well-formed Spotify track ids make URLs."""

from __future__ import annotations

import pytest

from tunex_core.music import spotify
from tunex_core.music.spotify import TrackMatch


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
