"""Tests for ``tunex_core.music.catalog``: the shipped catalog's records, regions, lookups and validation."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES, EMOTIONS, VALENCE_AROUSAL
from tunex_core.music.catalog import (
    Catalog,
    CatalogError,
    CatalogFilter,
    Song,
    emotion_region,
    emotion_region_indices,
)
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.track_ids import is_valid_track_id


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_shipped_catalog_has_every_pmemo_song_and_the_spotify_tracks_with_valid_values(catalog):
    songs = len(catalog)
    assert len(set(catalog.canonical_ids.tolist())) >= 60_000  # distinct songs (PMEmo duplicates flagged)
    assert len(set(catalog.music_ids.tolist())) == songs
    assert catalog.points.shape == (songs, 2)
    assert catalog.points.min() >= 0 and catalog.points.max() <= 1
    assert all(title.strip() and artist.strip() for title, artist in zip(catalog.titles, catalog.artists,
                                                                           strict=True))
    assert sum(catalog.region_counts().values()) == songs
    rated = np.flatnonzero(catalog.rated)
    assert len(rated) == 767 and catalog.music_ids[rated].max() < 1_000_000  # PMEmo's own ids
    assert catalog.has_spotify_id.mean() >= 0.95
    assert catalog.has_spotify_id[rated].sum() >= 550
    assert all(is_valid_track_id(track_id) for track_id in catalog.spotify_ids if track_id is not None)
    assert catalog.invalid_spotify_ids == 0
    own_songs = np.flatnonzero((catalog.canonical_ids == catalog.music_ids) & catalog.has_spotify_id)
    track_ids = [catalog.spotify_ids[index] for index in own_songs]
    assert len(track_ids) == len(set(track_ids))  # one catalog song per Spotify track
    assert set(catalog.genre_names) == {"edm", "latin", "pop", "r&b", "rap", "rock"}
    assert set(catalog.decade_counts()) >= {1960, 1970, 1980, 1990, 2000, 2010}


def test_song_records_match_the_arrays(catalog):
    song = catalog.song(108)
    assert isinstance(song, Song)
    assert (song.title, song.artist) == ("This Is What You Came For", "Calvin Harris")
    assert song.point == (0.863, 0.863)
    index = catalog.index_of(108)
    assert song.valence == catalog.points[index, 0] and song.arousal == catalog.points[index, 1]
    assert song.region == EMOTION_NAMES[catalog.region_indices[index]]
    assert [item.music_id for item in catalog.songs[:3]] == catalog.music_ids[:3].tolist()


def test_each_emotion_point_lies_in_its_own_region():
    assert [emotion_region(emotion.valence, emotion.arousal) for emotion in EMOTIONS] == list(EMOTION_NAMES)


def test_regions_are_the_nearest_emotion_point():
    points = np.random.default_rng(0).random((500, 2))
    expected = np.argmin(((points[:, None, :] - VALENCE_AROUSAL[None, :, :]) ** 2).sum(axis=2), axis=1)
    assert np.array_equal(emotion_region_indices(points[:, 0], points[:, 1]), expected)
    assert emotion_region(0.2, 0.3) == "sad"
    assert emotion_region(0.47, 0.1) == "neutral"


def test_duplicates_share_a_canonical_id_and_lookups_expand_to_the_group(catalog):
    duplicate = catalog.song(92)
    assert duplicate.duplicate_of == 90 and duplicate.canonical_id == 90
    assert catalog.song(90).duplicate_of is None
    expected = sorted([catalog.index_of(90), catalog.index_of(92)])
    assert sorted(catalog.indices_with_duplicates([92]).tolist()) == expected
    assert sorted(catalog.indices_with_duplicates([90, 123456]).tolist()) == expected
    assert catalog.index_of(123456) is None
    assert catalog.aligned_indices([92, 123456, 90]).tolist() == [catalog.index_of(92), -1, catalog.index_of(90)]
    with pytest.raises(KeyError):
        catalog.song(123456)


def test_search_is_case_and_accent_insensitive_and_filters_regions(catalog):
    rated = CatalogFilter(rated_only=True)
    telephone = [catalog[index].music_id for index in catalog.search("beyonce", song_filter=rated)]
    assert telephone == [563]
    assert len(catalog.search("beyonce")) > 20  # her Spotify tracks too
    assert [catalog[index].music_id for index in catalog.search("BRENDA LEE", song_filter=rated)] == [84]
    assert [catalog[index].music_id for index in catalog.search("布伦达")] == [84]
    sad = catalog.search("", ["sad"])
    assert len(sad) == catalog.region_counts()["sad"]
    assert all(catalog[index].region == "sad" for index in sad)
    assert len(catalog.search("")) == len(catalog)


def test_artists_group_songs_case_insensitively(catalog):
    code = catalog.artist_codes[catalog.index_of(108)]
    songs = [catalog[index] for index in catalog.indices_of_artist(int(code))]
    assert songs and {song.artist for song in songs} == {"Calvin Harris"}


def test_catalog_constructor_validates_its_arrays():
    with pytest.raises(CatalogError, match=r"0\.\.1"):
        Catalog([1], ["a"], ["b"], [1.5], [0.2])
    with pytest.raises(CatalogError, match="appears more than once"):
        Catalog([1, 1], ["a", "b"], ["c", "d"], [0.1, 0.2], [0.3, 0.4])
    with pytest.raises(CatalogError, match="finite"):
        Catalog([1], ["a"], ["b"], [float("nan")], [0.2])


def test_catalog_constructor_rejects_misaligned_columns():
    with pytest.raises(CatalogError, match="'arousal' has 1 values, expected 2"):
        Catalog([1, 2], ["a", "b"], ["c", "d"], [0.1, 0.2], [0.3])


def test_the_language_column_filters_and_counts():
    small = Catalog([1, 2, 3, 4], ["Hola", "Hello", "Hallo", "?"], ["A", "B", "C", "D"], [0.1, 0.2, 0.3, 0.4],
                    [0.5, 0.5, 0.5, 0.5], languages=["es", "en", None, "unknown"])
    assert small.language_names == ("unknown", "en", "es")
    assert small.language_counts() == {"unknown": 2, "en": 1, "es": 1}
    assert [song.language for song in small] == ["es", "en", "unknown", "unknown"]
    mask = small.filter_mask(CatalogFilter(languages=frozenset({"en", "es"})))
    assert mask.tolist() == [True, True, False, False]
    assert small.filter_mask(CatalogFilter(languages=frozenset({"fr"}))).tolist() == [False] * 4
    assert small.filter_mask(CatalogFilter(languages=frozenset({"unknown"}))).tolist() == [False, False, True, True]
    without = Catalog([1], ["x"], ["y"], [0.5], [0.5])
    assert without.language_counts() == {"unknown": 1}


def test_a_csv_catalog_may_carry_languages_and_a_bad_one_names_its_line(tmp_path):
    path = tmp_path / "songs.csv"
    path.write_text("musicId,title,artist,valence,arousal,language\n1,A,B,0.5,0.5,EN\n2,C,D,0.4,0.4,\n",
                    encoding="utf-8")
    songs = load_catalog(path)
    assert [song.language for song in songs] == ["en", "unknown"]
    path.write_text("musicId,title,artist,valence,arousal,language\n1,A,B,0.5,0.5,English!\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="line 2, column 'language'"):
        load_catalog(path)


def test_the_shipped_catalog_has_a_language_per_song():
    shipped = load_catalog()
    counts = shipped.language_counts()
    assert sum(counts.values()) == len(shipped) and counts["en"] > len(shipped) / 2 and "es" in counts
