"""Tests for ``tunex_core.music.build.merge``: stable ids for Spotify-only songs, and PMEmo songs matched to a credit."""

from __future__ import annotations

import math

from tunex_core.music.build.merge import SPOTIFY_ID_BASE, MergeReport, match_pmemo_songs, merge_by_id, spotify_music_id
from tunex_core.music.build.spotify_tables import FEATURES, SpotifyTableRow
from tunex_core.music.catalog import CatalogRow


def track_id(number: int) -> str:
    return f"Fixture{number:015d}"


def test_spotify_music_ids_are_stable_and_above_pmemo():
    assert spotify_music_id(track_id(1)) == spotify_music_id(track_id(1)) != spotify_music_id(track_id(2))
    assert SPOTIFY_ID_BASE <= spotify_music_id("4uLU6hMCjMI75M1A2tKUQC") < 2**53
    assert not math.isnan(spotify_music_id("0" * 22))


def table_row(spotify_id: str, title: str, artists: tuple[str, ...], table: str) -> SpotifyTableRow:
    return SpotifyTableRow(spotify_id=spotify_id, title=title, artist=", ".join(artists), artists=artists,
                           features=(0.5,) * len(FEATURES), table=table, line=2)


def test_a_song_credited_to_its_guest_matches_the_credit_of_any_table():
    """PMEmo credits some songs to a guest ("Me, Myself & I" by Bebe Rexha); the first table names only
    the lead artist (G-Eazy), another table (or the track's title) both: the song gets that track's id."""
    rows = [table_row(track_id(1), "Me, Myself & I", ("G-Eazy",), "tidytuesday"),
            table_row(track_id(1), "Me, Myself & I", ("G-Eazy x Bebe Rexha",), "hit_predictor"),
            table_row(track_id(2), "Too Much Sauce", ("DJ ESCO Featuring Future & Lil Uzi Vert",), "hit_predictor"),
            table_row(track_id(3), "Me, Myself and I", ("Beyoncé",), "tidytuesday"),
            table_row(track_id(4), "Running Back (feat. Lil Wayne)", ("Wale",), "tidytuesday")]
    tracks = merge_by_id(rows, MergeReport())
    assert [track.artists for track in tracks][:1] == [("G-Eazy",)]  # shown as the first table has it
    pmemo = [CatalogRow(1, "Me, Myself & I", "Bebe Rexha", 0.7, 0.8),
             CatalogRow(2, "Too Much Sauce", "Future", 0.4, 0.5),
             CatalogRow(3, "Me, Myself & I", "Jhaye", 0.5, 0.5),
             CatalogRow(4, "Running Back (feat. Lil Wayne)", "Lil Wayne", 0.5, 0.5)]

    matches = match_pmemo_songs(pmemo, tracks)

    assert {music_id: tracks[index].spotify_id for music_id, index in matches.items()} == {
        1: track_id(1), 2: track_id(2), 4: track_id(4)}
