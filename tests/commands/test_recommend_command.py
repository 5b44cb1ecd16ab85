"""Tests for ``python -m tunex_core recommend``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunex_core.cli import main
from tunex_core.emotions import emotion
from tunex_core.music.catalog import load_catalog
from tunex_core.music.feedback import FeedbackStore
from tunex_core.music.recommend import recommend

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEAVY_MODULES = ("tensorflow", "keras", "cv2", "streamlit", "plotly", "pandas")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    return tmp_path


def run_module(home: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TUNEX_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    environment.pop("TUNEX_DB", None)
    return subprocess.run([sys.executable, *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


def test_json_output_is_one_object_on_the_last_line(home):
    result = run_module(home, "-m", "tunex_core", "recommend", "--emotion", "happy", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(payload) == ["songs"]
    happy = emotion("happy")
    expected = recommend(load_catalog(), happy.valence, happy.arousal, count=10)
    assert [song["musicId"] for song in payload["songs"]] == [song.music_id for song in expected.songs]
    assert all(set(song) == {"musicId", "title", "artist", "valence", "arousal"} for song in payload["songs"])


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
        {"musicId": 1, "title": "Only Song", "artist": "Me", "valence": 0.5, "arousal": 0.5}]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--emotion", "joy"], "unknown emotion 'joy'"),
    (["--valence", "0.5"], "--valence needs --arousal"),
    (["--valence", "1.5", "--arousal", "0.5"], "valence must be a number in 0..1"),
    (["--emotion", "sad", "--arousal", "0.5"], "either --emotion or --valence"),
    (["--emotion", "sad", "--target", "happy"], "--target only applies to --mode iso"),
    (["--emotion", "sad", "--mode", "iso", "--target", "1,x"], "--target must be"),
    (["--emotion", "sad", "-n", "0"], "count must be"),
    (["--emotion", "sad", "--catalog", "/no/such/file.csv"], "catalog file not found"),
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
