"""``python -m tunex_core spotify``: the JSON contract of ``resolve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.spotify_server import CLIENT_ID, CLIENT_SECRET
from tunex_core import cli
from tunex_core.paths import PROJECT_ROOT


def last_json_line(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_resolve_json_last_line_has_id_uri_and_embed_url(spotify_environment, capsys):
    status = cli.main(["spotify", "resolve", "--title", "Hello", "--artist", "Adele", "--json"])

    result = last_json_line(capsys.readouterr().out)
    expected_id = next(track.id for track in spotify_environment.tracks
                       if track.name == "Hello" and track.artists == ("Adele",))
    assert status == 0
    assert result["id"] == expected_id
    assert result["uri"] == f"spotify:track:{expected_id}"
    assert result["embed_url"] == f"https://open.spotify.com/embed/track/{expected_id}"


def test_resolve_json_reports_a_miss_with_a_reason(spotify_environment, capsys):
    status = cli.main(["spotify", "resolve", "--title", "A Song Nobody Wrote", "--artist", "Nobody",
                       "--json"])

    result = last_json_line(capsys.readouterr().out)
    assert status == 0
    assert result["id"] is None
    assert "no Spotify track matches" in result["reason"]


def test_resolve_json_when_offline(spotify_environment, capsys):
    spotify_environment.mode = "server_error"

    cli.main(["spotify", "resolve", "--title", "Hello", "--artist", "Adele", "--json"])

    result = last_json_line(capsys.readouterr().out)
    assert result["id"] is None
    assert result["status"] == "offline"


def test_resolve_without_credentials_says_not_configured(isolated_home, capsys):
    cli.main(["spotify", "resolve", "--title", "Hello", "--artist", "Adele", "--json"])

    result = last_json_line(capsys.readouterr().out)
    assert result == {"id": None, "reason": result["reason"], "status": "not configured", "cached": False}
    assert "secrets.toml" in result["reason"]


@pytest.mark.parametrize("arguments", [
    ["spotify", "resolve", "--title", "Hello"],
    ["spotify", "resolve", "--artist", "Adele"],
    ["spotify", "resolve", "--title", " ", "--artist", "Adele"],
    ["spotify"],
])
def test_argument_errors_exit_non_zero(isolated_home, arguments):
    with pytest.raises(SystemExit) as raised:
        cli.main(arguments)
    assert raised.value.code not in (0, None)


def test_status_command(spotify_environment, capsys):
    assert cli.main(["spotify", "status"]) == 0
    assert "connected" in capsys.readouterr().out


def test_module_entry_point_in_a_fresh_process(spotify_environment, tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

    completed = subprocess.run(
        [sys.executable, "-m", "tunex_core", "spotify", "resolve", "--title", "Mad World",
         "--artist", "Gary Jules", "--json"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )

    assert completed.returncode == 0, completed.stderr
    result = last_json_line(completed.stdout)
    assert result["id"] == next(track.id for track in spotify_environment.tracks if track.name == "Mad World")
    assert CLIENT_SECRET not in completed.stdout + completed.stderr
    assert CLIENT_ID not in completed.stdout + completed.stderr
    assert not list(tmp_path.rglob(".cache*"))


def test_spotify_modules_import_neither_tensorflow_nor_opencv():
    code = ("import sys, tunex_core.commands.spotify, tunex_core.music.spotify; "
            "heavy = ('tensorflow', 'keras', 'cv2', 'streamlit'); "
            "print(sorted(name for name in heavy if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                               text=True, timeout=60, check=True)
    assert completed.stdout.strip() == "[]"
