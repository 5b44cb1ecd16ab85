"""Tests for ``python -m tunex_core recommend``."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest

from tests.commands.cli_runner import run_module
from tunex_core.cli import main
from tunex_core.emotions import emotion
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.feedback import FeedbackStore
from tunex_core.music.recommend import recommend

HEAVY_MODULES = ("tensorflow", "keras", "cv2", "streamlit", "plotly", "pandas")


def test_json_output_is_one_object_on_the_last_line(home):
    result = run_module(home, "-m", "tunex_core", "recommend", "--emotion", "happy", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(payload) == ["songs"]
    happy = emotion("happy")
    expected = recommend(load_catalog(), happy.valence, happy.arousal, count=10)
    assert [song["musicId"] for song in payload["songs"]] == [song.music_id for song in expected.songs]
    assert all(set(song) == {"musicId", "title", "artist", "valence", "arousal", "va_source", "spotify_id",
                             "genre", "year", "language"} for song in payload["songs"])
    for song in payload["songs"]:
        assert song["va_source"] in ("rated", "estimated")
        assert song["spotify_id"] is None or re.fullmatch(r"[0-9A-Za-z]{22}", song["spotify_id"])
        assert song["year"] is None or 1900 <= song["year"] <= 2030
    assert sum(song["spotify_id"] is not None for song in payload["songs"]) >= 9


def test_the_recommend_path_imports_no_heavy_libraries(home):
    probe = ("import sys\n"
             "from tunex_core.cli import main\n"
             "status = main(['recommend', '--emotion', 'sad', '--json'])\n"
             f"heavy = sorted(name for name in sys.modules if name.split('.')[0] in {HEAVY_MODULES!r})\n"
             "print(status, heavy)\n")
    result = run_module(home, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 []"


def test_table_output_lists_the_songs(home, capsys):
    assert main(["recommend", "--valence", "0.3", "--arousal", "0.7", "--mode", "iso", "--target", "happy",
                 "-n", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("iso playlist for mood point valence 0.30, arousal 0.70 -> happy")
    assert lines[1].split()[:4] == ["#", "id", "title", "artist"]
    assert len(lines) == 2 + 5


def test_history_shapes_the_ranking_unless_disabled(home, capsys):
    assert main(["recommend", "--emotion", "sad", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[-1])["songs"][0]["musicId"]
    with FeedbackStore() as store:
        store.record_play(first)
    assert main(["recommend", "--emotion", "sad", "--json"]) == 0
    assert first not in [song["musicId"] for song in json.loads(capsys.readouterr().out)["songs"]]
    assert main(["recommend", "--emotion", "sad", "--json", "--no-history"]) == 0
    assert json.loads(capsys.readouterr().out)["songs"][0]["musicId"] == first


def test_a_user_catalog_is_used(home, tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text("musicId,title,artist,valence,arousal\n1,Only Song,Me,0.5,0.5\n", encoding="utf-8")
    assert main(["recommend", "--emotion", "happy", "--catalog", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["songs"] == [
        {"musicId": 1, "title": "Only Song", "artist": "Me", "valence": 0.5, "arousal": 0.5, "va_source": "rated",
         "spotify_id": None, "genre": None, "year": None, "language": "unknown"}]


def test_a_user_catalog_with_spotify_ids_keeps_the_valid_ones_and_counts_the_rest(home, tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text("musicId,title,artist,valence,arousal,spotify_id,genre,year\n"
                    "1,Good,Me,0.5,0.5,4uLU6hMCjMI75M1A2tKUQC,Rock,1987\n"
                    "2,Too short,You,0.5,0.5,4uLU6hMCjMI75M1A2tKUQ,,\n"
                    "3,Script,Them,0.5,0.5,\"javascript:alert(1)//xxxxxxx\",,\n"
                    "4,None,Us,0.5,0.5,,,\n", encoding="utf-8")
    assert main(["recommend", "--emotion", "neutral", "--catalog", str(path), "--json", "-n", "4"]) == 0
    captured = capsys.readouterr()
    songs = {song["musicId"]: song for song in json.loads(captured.out)["songs"]}
    assert songs[1]["spotify_id"] == "4uLU6hMCjMI75M1A2tKUQC" and songs[1]["genre"] == "rock"
    assert songs[1]["year"] == 1987
    assert songs[2]["spotify_id"] is songs[3]["spotify_id"] is songs[4]["spotify_id"] is None
    assert "2 invalid Spotify id(s)" in captured.err


def test_filters_choose_only_matching_songs(home, capsys):
    assert main(["recommend", "--emotion", "happy", "--genre", "rock", "--decade", "2010", "--json",
                 "--no-history"]) == 0
    songs = json.loads(capsys.readouterr().out)["songs"]
    assert len(songs) == 10 and all(song["genre"] == "rock" and 2010 <= song["year"] < 2020 for song in songs)
    assert main(["recommend", "--emotion", "sad", "--rated-only", "--json", "--no-history"]) == 0
    assert all(song["va_source"] == "rated" for song in json.loads(capsys.readouterr().out)["songs"])


def test_a_huge_music_id_is_a_row_error_not_an_overflow(home, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("musicId,title,artist,valence,arousal\n99999999999999999999999,a,b,0.5,0.5\n", encoding="utf-8")
    result = run_module(home, "-m", "tunex_core", "recommend", "--emotion", "sad", "--catalog", str(path))
    assert result.returncode == 2
    assert "line 2, column 'musicId'" in result.stderr and "too large" in result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr


@pytest.mark.parametrize(("arguments", "message"), [
    (["--emotion", "joy"], "unknown emotion 'joy'"),
    (["--valence", "0.5"], "--valence needs --arousal"),
    (["--valence", "1.5", "--arousal", "0.5"], "valence must be a number in 0..1"),
    (["--emotion", "sad", "--arousal", "0.5"], "either --emotion or --valence"),
    (["--emotion", "sad", "--target", "happy"], "--target only applies to --mode iso"),
    (["--emotion", "sad", "--mode", "iso", "--target", "1,x"], "--target must be"),
    (["--emotion", "sad", "-n", "0"], "count must be"),
    (["--emotion", "sad", "--catalog", "/no/such/file.csv"], "catalog file not found"),
    (["--emotion", "sad", "--min-popularity", "101"], "--min-popularity must be in 0..100"),
    (["--emotion", "sad", "--decade", "1985"], "--decade must be"),
])
def test_bad_arguments_exit_non_zero_with_a_message(home, capsys, arguments, message):
    assert main(["recommend", *arguments]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_a_bad_catalog_names_the_line_without_a_traceback(home, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("musicId,title,artist,valence,arousal\n1,a,b,0.5,0.5\n2,c,d,loud,0.5\n", encoding="utf-8")
    result = run_module(home, "-m", "tunex_core", "recommend", "--emotion", "sad", "--catalog", str(path))
    assert result.returncode == 2
    assert "line 3, column 'valence'" in result.stderr and "Traceback" not in result.stderr


def test_argparse_errors_exit_non_zero(home, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["recommend", "--valence", "high", "--arousal", "0.5"])
    assert caught.value.code == 2
    assert "invalid float value" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
def test_english_only_recommendations_are_english_with_latin_titles(home, capsys, name):
    """With --language en the 20 songs of every emotion are English per the catalog's estimate, and no title
    has a letter of a non-Latin script."""
    assert main(["recommend", "--emotion", name, "--language", "en", "-n", "20", "--json", "--no-history"]) == 0
    songs = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["songs"]
    assert len(songs) == 20
    assert all(song["language"] == "en" for song in songs)
    for song in songs:
        assert all(not character.isalpha() or "LATIN" in unicodedata.name(character, "LATIN")
                   for character in song["title"]), song["title"]


def test_several_languages_and_a_bad_code(home, capsys):
    assert main(["recommend", "--emotion", "sad", "--language", "es", "--language", "PT", "-n", "10",
                 "--json", "--no-history"]) == 0
    songs = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["songs"]
    assert {song["language"] for song in songs} <= {"es", "pt"} and len(songs) == 10
    assert main(["recommend", "--emotion", "sad", "--language", "english!"]) == 2
    assert "--language must be a language code" in capsys.readouterr().err
