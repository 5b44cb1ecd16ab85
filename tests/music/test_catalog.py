"""Tests for ``tunex_core.music.catalog``: the shipped catalog, regions, lookups and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES, EMOTIONS, VALENCE_AROUSAL
from tunex_core.music.catalog import (
    REQUIRED_COLUMNS,
    Catalog,
    CatalogError,
    CatalogFilter,
    Song,
    emotion_region,
    emotion_region_indices,
    load_catalog,
    load_chorus_clips,
    synthetic_catalog,
)
from tunex_core.music.track_ids import is_valid_track_id

HEADER = ",".join(REQUIRED_COLUMNS)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(tmp_path, text: str, name: str = "catalog.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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
    song = catalog.song_by_id(108)
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
    duplicate = catalog.song_by_id(92)
    assert duplicate.duplicate_of == 90 and duplicate.canonical_id == 90
    assert catalog.song_by_id(90).duplicate_of is None
    expected = sorted([catalog.index_of(90), catalog.index_of(92)])
    assert sorted(catalog.indices_of([92]).tolist()) == expected
    assert sorted(catalog.indices_of([90, 123456]).tolist()) == expected
    assert catalog.find_index(123456) is None
    with pytest.raises(KeyError):
        catalog.index_of(123456)


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


def test_a_user_catalog_needs_only_the_required_columns(tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER + "\n7,Song A,Artist,0.1,0.9\n\n9,Song B,Other,1,0\n")
    user_catalog = load_catalog(path)
    assert len(user_catalog) == 2
    assert user_catalog.song_by_id(9).region == emotion_region(1.0, 0.0)
    assert user_catalog.song_by_id(7).featured_artists == ()


@pytest.mark.parametrize(("text", "fragments"), [
    ("musicId,title,artist,valence\n1,a,b,0.5\n", ["line 1", "'arousal'"]),
    (HEADER + "\n1,a,b,0.5,0.5\n2,c,d,nan,0.5\n", ["line 3", "'valence'", "finite"]),
    (HEADER + "\n1,a,b,0.5,1.2\n", ["line 2", "'arousal'", "outside 0..1"]),
    (HEADER + "\n1,a,b,0.5,0.5\n2,a,b,high,0.5\n", ["line 3", "'valence'", "'high' is not a number"]),
    (HEADER + "\nx7,a,b,0.5,0.5\n", ["line 2", "'musicId'"]),
    (HEADER + "\n1,a,b,0.5\n", ["line 2", "expected 5 fields"]),
    (HEADER + "\n1,a,b,0.5,0.5\n1,c,d,0.5,0.5\n", ["line 3", "'musicId'", "line 2"]),
    (HEADER + "\n1,,b,0.5,0.5\n", ["line 2", "'title'", "empty"]),
    (HEADER + ",duplicate_of\n1,a,b,0.5,0.5,\n2,a,b,0.5,0.5,99\n", ["line 3", "'duplicate_of'", "99"]),
    ("", ["empty"]),
    (HEADER + "\n", ["no songs"]),
])
def test_bad_catalog_files_name_the_line_and_column(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_unreadable_catalog_files_raise_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="not found"):
        load_catalog(tmp_path / "missing.csv")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "\n1,Caf\xe9,b,0.5,0.5\n").encode("latin-1"))
    with pytest.raises(CatalogError, match="not UTF-8"):
        load_catalog(latin1)
    with pytest.raises(CatalogError, match="folder"):
        load_catalog(tmp_path)


def test_catalog_constructor_validates_its_arrays():
    with pytest.raises(CatalogError, match=r"0\.\.1"):
        Catalog([1], ["a"], ["b"], [1.5], [0.2])
    with pytest.raises(CatalogError, match="appears more than once"):
        Catalog([1, 1], ["a", "b"], ["c", "d"], [0.1, 0.2], [0.3, 0.4])
    with pytest.raises(CatalogError, match="finite"):
        Catalog([1], ["a"], ["b"], [float("nan")], [0.2])


def test_synthetic_catalog_is_reproducible():
    first, second = synthetic_catalog(1000, seed=3), synthetic_catalog(1000, seed=3)
    assert np.array_equal(first.points, second.points)
    assert first.artists == second.artists
    assert 50 <= len(first.artist_names) <= 100


def test_chorus_clips_ship_with_their_dynamic_annotations(catalog):
    clips = load_chorus_clips()
    assert [clip.music_id for clip in clips] == [108, 372, 634, 683]
    for clip in clips:
        assert clip.audio_path.stat().st_size > 100_000
        assert clip.audio_path.read_bytes()[:3] == b"ID3" or clip.audio_path.read_bytes()[0] == 0xFF
        assert len(clip.times) == len(clip.valence) == len(clip.arousal) > 50
        assert np.all(np.diff(clip.times) == 0.5)
        song = catalog.song_by_id(clip.music_id)
        assert (song.valence, song.arousal) == (clip.valence_mean, clip.arousal_mean)


def test_a_clip_without_its_annotation_is_reported(tmp_path):
    (tmp_path / "chorus_5.mp3").write_bytes(b"ID3")
    with pytest.raises(CatalogError, match=r"dynamic_5\.json"):
        load_chorus_clips(tmp_path)
    (tmp_path / "dynamic_5.json").write_text('{"id": 5}', encoding="utf-8")
    with pytest.raises(CatalogError, match="malformed"):
        load_chorus_clips(tmp_path)


def test_catalog_constructor_rejects_misaligned_columns():
    with pytest.raises(CatalogError, match="'arousal' has 1 values, expected 2"):
        Catalog([1, 2], ["a", "b"], ["c", "d"], [0.1, 0.2], [0.3])
