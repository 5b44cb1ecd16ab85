"""Tests for ``tunex_core.commands.catalog``: ``catalog info`` and ``catalog regions`` on the shipped catalog."""

from __future__ import annotations

import json

from tests.commands.cli_runner import run_module


def test_catalog_info_prints_one_json_object(home):
    result = run_module(home, "-m", "tunex_core", "catalog", "info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["songs"] >= 60_000 and info["with_spotify_id"] >= 0.95 * info["songs"]
    assert info["pmemo_with_spotify_id"] >= 550 and info["rated"] == 767
    assert info["rated"] + info["estimated"] == info["songs"]
    assert set(info["genres"]) == {"edm", "latin", "pop", "r&b", "rap", "rock"}
    assert sum(info["decades"].values()) <= info["songs"] and "1980" in info["decades"]
    assert sum(info["languages"].values()) == info["songs"] and info["languages"]["en"] > info["songs"] / 2
    assert sum(info["regions"].values()) == info["songs"] and set(info["regions"]) == {
        "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    regions = info["regions"]
    # issue 43: angry, disgust and fear each hold >= 300 songs and together >= 5,000 (met); its other target,
    # no region above 45%, is not met (surprise 56%, data/README.md): the bound here only catches a collapse
    assert min(regions["angry"], regions["disgust"], regions["fear"]) >= 300
    assert regions["angry"] + regions["disgust"] + regions["fear"] >= 5_000
    assert max(regions.values()) <= 0.6 * info["songs"]


def test_catalog_regions_lists_each_regions_artists_and_genres(home):
    result = run_module(home, "-m", "tunex_core", "catalog", "regions", "--json", "--top", "3")
    assert result.returncode == 0, result.stderr
    regions = json.loads(result.stdout)
    assert list(regions) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    angry = regions["angry"]
    assert angry["songs"] >= 300 and len(angry["top_artists"]) == 3
    # The angry region holds loud, dark music, not dance-pop.
    assert "dance pop" not in [genre for genre, _ in angry["top_genres"]]


def test_catalog_info_on_a_bad_file_exits_2_with_the_file_named(home, tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    result = run_module(home, "-m", "tunex_core", "catalog", "info", "--catalog", str(path))
    assert result.returncode == 2 and str(path) in result.stderr and "Traceback" not in result.stderr
