"""Saved playlists: save, replace, reopen, delete, and the M3U, CSV and text exports."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest

from tunex_core.personal.playlists import (
    EXPORT_FORMATS,
    SavedPlaylist,
    SavedPlaylistStore,
    SavedSong,
    default_playlist_name,
    export_bytes,
    export_file_name,
    to_csv,
    to_m3u,
    to_text,
)
from tunex_core.personal.profiles import ProfileError
from tunex_core.storage import DEFAULT_PROFILE_ID, open_database

TRACK_ID = "4sPmO7WMQUAf45kwMOtONw"
SONGS = [SavedSong(11, "Hello", "Adele", TRACK_ID), SavedSong(12, 'Say "Hi", Now', "Ann, Bo", None)]


def playlist(songs=SONGS, name="Calm down") -> SavedPlaylist:
    return SavedPlaylist(1, name, "iso", "sad", 0.2, 0.3, "neutral", 0.0, tuple(songs))


def test_a_saved_playlist_reopens_with_its_songs_and_mood(home):
    with open_database() as database:
        store = SavedPlaylistStore(database, DEFAULT_PROFILE_ID)
        store.save("Calm down", SONGS, mode="iso", mood_label="sad", mood_valence=0.2, mood_arousal=0.3,
                   target_label="neutral", at=100.0)
        store.save("Later", SONGS[:1], mode="match", mood_label="happy", at=200.0)
    with open_database() as database:
        saved = SavedPlaylistStore(database, DEFAULT_PROFILE_ID).playlists()

    assert [item.name for item in saved] == ["Later", "Calm down"]
    calm = saved[1]
    assert calm.songs == tuple(SONGS)
    assert (calm.mode, calm.mood_label, calm.target_label, calm.mood_valence) == ("iso", "sad", "neutral", 0.2)
    assert calm.description == "Iso 😢 Sad → 😐 Neutral, 2 songs"


def test_saving_under_a_used_name_replaces_and_delete_removes(home):
    with open_database() as database:
        store = SavedPlaylistStore(database, DEFAULT_PROFILE_ID)
        store.save("Mine", SONGS, mode="match")
        store.save("mine", SONGS[:1], mode="match")
        assert [(item.name, len(item.songs)) for item in store.playlists()] == [("mine", 1)]
        assert store.names() == {"mine"}
        store.delete(store.playlists()[0].id)
        assert store.playlists() == ()
        assert database.query("SELECT count(*) FROM saved_playlist_songs")[0][0] == 0


def test_bad_playlists_are_refused(home):
    with open_database() as database:
        store = SavedPlaylistStore(database, DEFAULT_PROFILE_ID)
        with pytest.raises(ProfileError, match="empty"):
            store.save("Nothing", [], mode="match")
        with pytest.raises(ProfileError):
            store.save("   ", SONGS, mode="match")


def test_m3u_uses_spotify_track_links_or_search_links():
    lines = to_m3u(playlist()).splitlines()
    assert lines[:4] == ["#EXTM3U", "#PLAYLIST:Calm down", "#EXTINF:-1,Adele - Hello",
                         f"https://open.spotify.com/track/{TRACK_ID}"]
    assert lines[4] == '#EXTINF:-1,Ann, Bo - Say "Hi", Now'
    assert lines[5].startswith("https://open.spotify.com/search/")
    assert unquote(lines[5].removeprefix("https://open.spotify.com/search/")) == 'Say "Hi", Now Ann, Bo'
    assert len(lines) == 6


def test_csv_round_trips_titles_with_commas_and_quotes():
    rows = list(csv.DictReader(io.StringIO(to_csv(playlist()))))
    assert [row["title"] for row in rows] == ["Hello", 'Say "Hi", Now']
    assert rows[0]["spotify_id"] == TRACK_ID and rows[1]["spotify_id"] == ""
    assert rows[0]["url"] == f"https://open.spotify.com/track/{TRACK_ID}"
    assert [row["position"] for row in rows] == ["1", "2"]


def test_plain_text_lists_every_song_with_its_link():
    text = to_text(playlist())
    assert text.splitlines()[:3] == ["Calm down", "Iso 😢 Sad → 😐 Neutral, 2 songs", ""]
    assert "1. Hello — Adele" in text and "2. Say \"Hi\", Now — Ann, Bo" in text
    assert f"https://open.spotify.com/track/{TRACK_ID}" in text


def test_downloads_keep_accents_for_spreadsheets_and_music_players():
    accented = playlist([SavedSong(13, "Pour que tu m'aimes encore", "Céline Dion", TRACK_ID),
                         SavedSong(14, "Jingle Bell Rock", "韩国群星", None)], name="Noël")
    table = export_bytes(accented, "csv")
    assert table.startswith(b"\xef\xbb\xbf")  # the UTF-8 signature Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(table.decode("utf-8-sig"))))
    assert [row["artist"] for row in rows] == ["Céline Dion", "韩国群星"]
    assert export_bytes(accented, "m3u").decode("utf-8").splitlines()[:3] == [
        "#EXTM3U", "#PLAYLIST:Noël", "#EXTINF:-1,Céline Dion - Pour que tu m'aimes encore"]
    assert "Céline Dion" in export_bytes(accented, "text").decode("utf-8")
    assert export_file_name(accented, EXPORT_FORMATS["m3u"][1]) == "Noël.m3u8"  # .m3u8: UTF-8 for players
    assert {kind: export_file_name(accented, extension) for kind, (_, extension) in EXPORT_FORMATS.items()} == {
        "m3u": "Noël.m3u8", "csv": "Noël.csv", "text": "Noël.txt"}


def test_names_for_files_and_defaults():
    assert export_file_name(playlist(name="Sad → Calm, 1 Dec 09:10"), "m3u") == "Sad-Calm-1-Dec-09-10.m3u"
    assert export_file_name(playlist(name="???"), "csv") == "playlist.csv"
    assert default_playlist_name("iso", "sad", "neutral", at=0.0).startswith("Sad → Neutral, ")
    assert default_playlist_name("match", "happy", None, at=0.0).startswith("Happy, ")
