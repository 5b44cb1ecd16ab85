"""Playlist entries (Spotify track or offline link, local clip, why) and markdown escaping."""

from __future__ import annotations

import pytest

from tests.spotify_server import FixtureTrack, fixture_track_id
from tunex_core.markup import escape_markdown
from tunex_core.music.catalog import load_catalog
from tunex_core.music.playlist_view import explain, playlist_entries, shipped_clip_paths
from tunex_core.music.recommend import recommend
from tunex_core.music.spotify import SpotifyService, SpotifyStatus


def test_shipped_clips_are_attached_to_their_songs(isolated_home):
    clips = shipped_clip_paths()
    catalog = load_catalog()
    assert clips, "data/clips should ship chorus clips"
    for music_id, path in clips.items():
        song = catalog.song_by_id(music_id)
        playlist = recommend(catalog, song.valence, song.arousal, count=1)

        [entry] = playlist_entries(playlist, SpotifyService.from_environment(), clips)

        assert entry.recommendation.song.canonical_id == song.canonical_id
        assert entry.clip_path == path and path.suffix == ".mp3"
        assert entry.embed_url is None
        assert entry.resolution.status is SpotifyStatus.NOT_CONFIGURED
        assert entry.listen_url.startswith("https://open.spotify.com/search/")


def test_resolved_entries_link_to_the_track(service, spotify_environment):
    catalog = load_catalog()
    playlist = recommend(catalog, 0.5, 0.5, count=3)
    song = playlist.items[0].song
    spotify_environment.tracks.append(FixtureTrack(fixture_track_id(7777), song.title, (song.artist,)))

    entries = playlist_entries(playlist, service, {})

    assert entries[0].embed_url == f"https://open.spotify.com/embed/track/{fixture_track_id(7777)}"
    assert entries[0].listen_url == f"https://open.spotify.com/track/{fixture_track_id(7777)}"
    assert [entry.resolution.track for entry in entries[1:]] == [None, None]
    assert all(entry.listen_url.startswith("https://open.spotify.com/search/") for entry in entries[1:])


def test_explanations_give_point_target_and_distance():
    catalog = load_catalog()
    match = recommend(catalog, 0.8, 0.7, count=1).items[0]
    iso = recommend(catalog, 0.2, 0.8, mode="iso", target="neutral", count=4).items[3]

    match_text = explain(match, "match")
    iso_text = explain(iso, "iso")

    assert f"valence {match.song.valence:.2f}, arousal {match.song.arousal:.2f}" in match_text
    assert f"{match.distance:.2f} from your mood point" in match_text
    assert f"{iso.distance:.2f} from step 4's target" in iso_text
    assert f"valence {iso.target_valence:.2f}, arousal {iso.target_arousal:.2f}" in iso_text


@pytest.mark.parametrize(("text", "escaped"), [
    ("<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
    ("*bold* _it_ [x](javascript:1)", "\\*bold\\* \\_it\\_ \\[x\\]\\(javascript\\:1\\)"),
    ("$x^2$ :red[hi] ~~s~~", "\\$x^2\\$ \\:red\\[hi\\] \\~\\~s\\~\\~"),
    ("# Heading\n> quote", "\\# Heading &gt; quote"),
    ("AC/DC & Co.", "AC/DC &amp; Co\\."),
    ("back\\slash `code`", "back\\\\slash \\`code\\`"),
])
def test_escape_markdown(text, escaped):
    assert escape_markdown(text) == escaped
