"""Tests for ``tunex_core.music.spotify.records``: links built from a song's words."""

from __future__ import annotations

from tunex_core.music import spotify


def test_search_links_encode_title_and_artist():
    url = spotify.search_url("Rock & Roll / Part 2?", "AC/DC #1")
    assert url == "https://open.spotify.com/search/Rock%20%26%20Roll%20%2F%20Part%202%3F%20AC%2FDC%20%231"
