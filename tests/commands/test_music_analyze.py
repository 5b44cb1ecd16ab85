"""``python -m tunex_core music analyze`` (and ``add``) with the real song analysis, on synthesised songs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from tests.personal.audio_fixtures import write_tone_song
from tunex_core import cli
from tunex_core.paths import PROJECT_ROOT


def write_video(path: Path, seconds: float = 6.0) -> Path:
    """A small MPEG-4 video with no sound track."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        for index in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 4 % 255, np.uint8), format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("songs")
    write_tone_song(root / "folder" / "bright.mp3", "bright", 10, title="Bright", artist="Synth")
    write_tone_song(root / "folder" / "deeper" / "calm.flac", "calm", 10)
    (root / "folder" / "notes.txt").write_text("not audio, not listed")
    (root / "folder" / "fake.mp3").write_text("not audio at all")
    write_video(root / "video.mp4")
    return root


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(["music", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_analyze_prints_one_line_per_file_and_the_json_last(home, capsys, songs):
    status, out, _ = run(capsys, "analyze", str(songs / "folder"), str(songs / "video.mp4"),
                         str(songs / "missing.mp3"), "--json")
    assert status == 0
    lines = out.strip().splitlines()
    result = json.loads(lines[-1])
    by_name = {Path(song["path"]).name: song for song in result["songs"]}
    assert list(by_name) == ["bright.mp3", "fake.mp3", "calm.flac", "video.mp4", "missing.mp3"]
    for name in ("bright.mp3", "calm.flac"):
        assert by_name[name]["error"] is None and 0 <= by_name[name]["valence"] <= 1 and 0 <= by_name[name]["arousal"] <= 1
    assert by_name["bright.mp3"]["title"] == "Bright"
    for name in ("fake.mp3", "video.mp4", "missing.mp3"):
        assert by_name[name]["valence"] is None and by_name[name]["arousal"] is None and by_name[name]["error"]
    assert len(lines) == 6 and lines[0].startswith(f"{songs / 'folder' / 'bright.mp3'}: valence ")


def test_analyze_with_nothing_to_analyse_is_an_error(home, capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    status, out, err = run(capsys, "analyze", str(tmp_path))
    assert status == 2 and out == "" and err.startswith("error: no audio files found in ")


def test_add_imports_with_the_real_analysis(home, capsys, songs):
    status, out, _ = run(capsys, "add", str(songs / "folder"))
    assert status == 0 and out.strip().endswith("3 of 3 songs analysed (1 could not be)")
    status, out, _ = run(capsys, "list", "--json")
    placed = [song for song in json.loads(out)["songs"] if song["error"] is None]
    assert sorted(song["title"] for song in placed) == ["Bright", "calm"]


def test_the_command_runs_as_a_program(home, songs):
    completed = subprocess.run([sys.executable, "-m", "tunex_core", "music", "analyze",
                                str(songs / "folder" / "bright.mp3"), "--json"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    (song,) = json.loads(completed.stdout.strip().splitlines()[-1])["songs"]
    assert song["path"].endswith("bright.mp3") and song["error"] is None and 0 <= song["valence"] <= 1
