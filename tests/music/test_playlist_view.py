"""Tests for ``tunex_core.music.playlist_view``: playlist entries (Spotify track or offline link, local clip, why)."""

from __future__ import annotations

from tests.spotify_server import FixtureTrack, fixture_track_id
from tunex_core.music.catalog import Catalog, CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.playlist_view import explain, playback_status, playlist_entries, shipped_clip_paths
from tunex_core.music.recommend import recommend
from tunex_core.music.spotify import SpotifyService, SpotifyStatus

EMBED = "https://open.spotify.com/embed/track/"


def test_shipped_clips_are_attached_to_their_songs(isolated_home):
    clips = shipped_clip_paths()
    catalog = load_catalog()
    assert clips, "data/clips should ship chorus clips"
    for music_id, path in clips.items():
        song = catalog.song(music_id)
        playlist = recommend(catalog, song.valence, song.arousal, count=1)

        [entry] = playlist_entries(playlist, SpotifyService.from_environment(), clips)

        assert entry.recommendation.song.canonical_id == song.canonical_id
        assert entry.clip_path == path and path.suffix == ".mp3"
        if entry.recommendation.song.spotify_id is None:
            assert entry.embed_url is None and entry.resolution.status is SpotifyStatus.NOT_CONFIGURED
            assert entry.listen_url.startswith("https://open.spotify.com/search/")
        else:
            assert entry.resolution is None and entry.from_catalog
            assert entry.embed_url == EMBED + entry.recommendation.song.spotify_id


def test_catalog_ids_play_without_credentials_or_searches(isolated_home):
    catalog = load_catalog()
    playlist = recommend(catalog, 0.7, 0.6, count=10, song_filter=CatalogFilter(playable_only=True))
    service = SpotifyService.from_environment()

    entries = playlist_entries(playlist, service, {})

    assert [entry.spotify_id for entry in entries] == [song.spotify_id for song in playlist.songs]
    assert all(entry.resolution is None for entry in entries)
    assert [entry.embed_url for entry in entries] == [EMBED + song.spotify_id for song in playlist.songs]
    assert [entry.listen_url for entry in entries] == [f"https://open.spotify.com/track/{song.spotify_id}"
                                                       for song in playlist.songs]
    status = playback_status(service, entries)
    assert status.level == "info" and (status.playable, status.songs) == (10, 10)
    assert "no account needed" in status.text and "10 of 10 songs play here" in status.text
    assert "secrets.toml" not in status.text  # nothing to look up, so no set-up advice


def test_resolved_entries_link_to_the_track(service, spotify_environment):
    catalog = load_catalog()
    rated_without_id = [index for index in range(len(catalog)) if catalog.rated[index] and
                        catalog.spotify_ids[index] is None]
    song = catalog[rated_without_id[0]]
    playlist = recommend(catalog, song.valence, song.arousal, count=3, song_filter=CatalogFilter(rated_only=True))
    assert playlist.songs[0].music_id == song.music_id or playlist.songs[0].canonical_id == song.canonical_id
    song = playlist.songs[0]
    spotify_environment.tracks.append(FixtureTrack(fixture_track_id(7777), song.title, (song.artist,)))

    entries = playlist_entries(playlist, service, {})

    assert entries[0].embed_url == f"{EMBED}{fixture_track_id(7777)}" and not entries[0].from_catalog
    assert entries[0].listen_url == f"https://open.spotify.com/track/{fixture_track_id(7777)}"
    for entry in entries[1:]:
        assert entry.resolution is None or entry.resolution.track is None
        assert (entry.listen_url.startswith("https://open.spotify.com/search/")
                == (entry.recommendation.song.spotify_id is None))
    searched = [request.query["q"][0] for request in spotify_environment.searches()]
    assert all(entry.title.split(" (")[0] not in " ".join(searched) for entry in entries if entry.from_catalog)
    status = playback_status(service, entries)
    assert status.level == "ok" and "Spotify players + search" in status.text


def test_own_songs_play_from_their_files_and_are_never_searched(service, spotify_environment, tmp_path):
    """With Spotify search connected, the listener's own songs (in ``local_files``) still get no search."""
    catalog = Catalog([-3, -2, -1], ["My morning", "My evening", "My night"], ["Me", "Me", "Me"],
                      [0.8, 0.5, 0.2], [0.6, 0.4, 0.2])
    files = {-3: tmp_path / "a.mp3", -2: tmp_path / "b.flac", -1: tmp_path / "c.ogg"}
    playlist = recommend(catalog, 0.7, 0.6, count=3)

    entries = playlist_entries(playlist, service, {}, files)

    assert [entry.local_path for entry in entries] == [files[song.music_id] for song in playlist.songs]
    assert all(entry.resolution is None and entry.embed_url is None for entry in entries)
    assert spotify_environment.searches() == []
    status = playback_status(service, entries)
    assert status.playable == 3 and "Your own songs, played from this computer" in status.text


def test_an_invalid_catalog_id_never_reaches_a_url(isolated_home):
    catalog = Catalog([1, 2], ["Bad", "Good"], ["A", "B"], [0.5, 0.6], [0.5, 0.6],
                      spotify_ids=["javascript:alert(1)//aaaaaaa", "4uLU6hMCjMI75M1A2tKUQC"])
    assert catalog.invalid_spotify_ids == 1
    entries = playlist_entries(recommend(catalog, 0.5, 0.5, count=2), SpotifyService.from_environment(), {})
    bad, good = entries
    assert bad.spotify_id is None and bad.embed_url is None
    assert bad.listen_url.startswith("https://open.spotify.com/search/")
    assert good.embed_url == EMBED + "4uLU6hMCjMI75M1A2tKUQC"
    status = playback_status(SpotifyService.from_environment(), entries)
    assert "1 of 2 songs play here" in status.text and "secrets.toml" in status.text


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


def test_explanations_say_where_the_point_comes_from():
    catalog = load_catalog()
    rated = recommend(catalog, 0.8, 0.7, count=1, song_filter=CatalogFilter(rated_only=True)).items[0]
    estimated = next(item for item in recommend(catalog, 0.8, 0.7, count=20).items
                     if item.song.va_source == "estimated")

    assert "mean rating of the PMEmo study's listeners" in explain(rated, "match")
    assert "an estimate, not a rating" in explain(estimated, "match")
    own = explain(estimated, "match", own_file=True)
    assert "your file's sound" in own and "Spotify" not in own

