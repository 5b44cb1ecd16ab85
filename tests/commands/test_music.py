"""``python -m tunex_core music add/list/remove``: a profile's library from the command line, and its bad input.

``music add`` runs here with the library tests' stand-in analysis (``tests.personal.library_fakes``);
``tests/commands/test_music_analyze.py`` runs ``music analyze`` and ``add`` with the real song analysis.
"""

from __future__ import annotations

import json

import pytest

from tests.personal import library_fakes
from tests.personal.library_fakes import write_song
from tunex_core import cli
from tunex_core.commands import music
from tunex_core.personal import library_scan


@pytest.fixture
def fake_analysis(monkeypatch):
    monkeypatch.setattr(music, "IMPORT_ANALYSER", "tests.personal.library_fakes:analyze")
    monkeypatch.setattr(library_scan, "audio_suffixes", lambda: library_fakes.SUFFIXES)


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(["music", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_add_list_and_remove_a_folder(home, capsys, tmp_path, fake_analysis):
    music_folder = tmp_path / "Music"
    files = [write_song(music_folder / "a.mp3", 0.8, 0.7, "Sunny"), write_song(music_folder / "b.ogg", 0.1, 0.2)]
    (music_folder / "bad.mp3").write_bytes(b"nope")

    status, out, err = run(capsys, "add", str(music_folder))
    assert status == 0 and out.strip().endswith("3 of 3 songs analysed (1 could not be)")
    assert "warning:" in err and "bad.mp3: not an audio file" in err

    status, out, _ = run(capsys, "add", str(music_folder))
    assert status == 0 and "0 of 0 songs analysed · 3 unchanged, skipped" in out

    status, out, _ = run(capsys, "list", "--json")
    listed = json.loads(out)
    assert status == 0 and listed["profile"] == "Default"
    assert [(folder["songs"], folder["analysed"]) for folder in listed["folders"]] == [(3, 2)]
    by_title = {song["title"]: song for song in listed["songs"]}
    assert by_title["Sunny"]["valence"] == 0.8 and by_title["Sunny"]["music_id"] < 0
    assert by_title["bad"]["error"] == "not an audio file"

    status, out, _ = run(capsys, "list")
    assert status == 0 and "2 of 3 songs placed" in out and "Sunny — Fake artist: valence 0.80" in out

    status, out, _ = run(capsys, "remove", str(music_folder))
    assert status == 0 and "3 songs forgotten (no file was deleted)" in out
    assert all(path.exists() for path in files)
    status, out, _ = run(capsys, "list")
    assert status == 0 and "has no music yet" in out


def test_profiles_are_chosen_by_name_or_id(home, capsys, tmp_path, fake_analysis):
    from tunex_core.personal.profiles import ProfileStore

    with ProfileStore() as store:
        store.create("Sam")
    write_song(tmp_path / "Music" / "a.mp3", 0.8, 0.7)
    assert run(capsys, "add", str(tmp_path / "Music"), "--profile", "sam")[0] == 0
    status, out, _ = run(capsys, "list", "--profile", "2", "--json")
    assert status == 0 and json.loads(out)["profile"] == "Sam" and len(json.loads(out)["songs"]) == 1
    assert json.loads(run(capsys, "list", "--json")[1])["songs"] == []
    status, out, _ = run(capsys, "remove", "1", "--profile", "Sam")
    assert status == 0 and "1 song forgotten" in out


@pytest.mark.parametrize(("arguments", "message"), [
    (("add", "{missing}"), "does not exist"),
    (("add", "{file}"), "is not a folder"),
    (("add", "{folder}", "--profile", "Nobody"), "no profile called or numbered 'Nobody'"),
    (("list", "--profile", "99"), "no profile called or numbered '99'"),
    (("remove", "{folder}"), "is not a folder of Default's music"),
    (("remove", "7"), "is not a folder of Default's music (the folders: none)"),
])
def test_bad_input_is_one_error_line_and_exit_2(home, capsys, tmp_path, fake_analysis, arguments, message):
    (tmp_path / "file.mp3").write_bytes(b"x")
    values = {"missing": str(tmp_path / "missing"), "file": str(tmp_path / "file.mp3"), "folder": str(tmp_path)}
    status, out, err = run(capsys, *(argument.format(**values) for argument in arguments))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
