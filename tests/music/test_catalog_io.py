"""Tests for ``tunex_core.music.catalog_io``: user CSV files, bad files and the chorus clips."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.music.catalog import Catalog, CatalogError, emotion_region
from tunex_core.music.catalog_io import REQUIRED_COLUMNS, load_catalog, load_chorus_clips

HEADER = ",".join(REQUIRED_COLUMNS)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(tmp_path, text: str, name: str = "catalog.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_catalog_needs_only_the_required_columns(tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER + "\n7,Song A,Artist,0.1,0.9\n\n9,Song B,Other,1,0\n")
    user_catalog = load_catalog(path)
    assert len(user_catalog) == 2
    assert user_catalog.song(9).region == emotion_region(1.0, 0.0)
    assert user_catalog.song(7).featured_artists == ()


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


def test_chorus_clips_ship_with_their_dynamic_annotations(catalog):
    clips = load_chorus_clips()
    assert [clip.music_id for clip in clips] == [108, 372, 634, 683]
    for clip in clips:
        assert clip.audio_path.stat().st_size > 100_000
        assert clip.audio_path.read_bytes()[:3] == b"ID3" or clip.audio_path.read_bytes()[0] == 0xFF
        assert len(clip.times) == len(clip.valence) == len(clip.arousal) > 50
        assert np.all(np.diff(clip.times) == 0.5)
        song = catalog.song(clip.music_id)
        assert (song.valence, song.arousal) == (clip.valence_mean, clip.arousal_mean)


def test_a_clip_without_its_annotation_is_reported(tmp_path):
    (tmp_path / "chorus_5.mp3").write_bytes(b"ID3")
    with pytest.raises(CatalogError, match=r"dynamic_5\.json"):
        load_chorus_clips(tmp_path)
    (tmp_path / "dynamic_5.json").write_text('{"id": 5}', encoding="utf-8")
    with pytest.raises(CatalogError, match="malformed"):
        load_chorus_clips(tmp_path)
