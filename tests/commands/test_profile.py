"""``python -m tunex_core profile``: list, export (stdout or a file) and import, and their bad input."""

from __future__ import annotations

import json

import pytest

from tests.storage_helpers import LockHolder
from tunex_core import cli
from tunex_core.paths import TESTS_FIXTURES_DIR
from tunex_core.personal.profiles import ProfileStore

EXPORT = TESTS_FIXTURES_DIR / "profile_export_v1.json"


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = cli.main(["profile", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_an_export_goes_round_through_the_command_line(home, capsys, tmp_path):
    status, out, _ = run(capsys, "import", str(EXPORT))
    assert status == 0 and out.startswith("imported 'Robin' (id 2): 3 moods, 2 songs played")

    status, out, _ = run(capsys, "list", "--json")
    listed = {row["name"]: row for row in json.loads(out)["profiles"]}
    assert status == 0 and listed["Robin"]["moods"] == 3 and listed["Robin"]["saved_playlists"] == 1
    assert listed["Default"]["moods"] == 0

    status, out, _ = run(capsys, "export", "ROBIN")
    assert status == 0 and json.loads(out)["profile"]["name"] == "Robin"
    backup = tmp_path / "robin.json"
    status, _, err = run(capsys, "export", "2", "--out", str(backup))
    assert status == 0 and "exported 'Robin'" in err
    assert len(json.loads(backup.read_text(encoding="utf-8"))["moods"]) == 3

    status, out, _ = run(capsys, "import", str(backup), "--name", "Robin (laptop)")
    assert status == 0 and "'Robin (laptop)' (id 3)" in out
    status, out, _ = run(capsys, "list")
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["Default", "Robin", "Robin"]


@pytest.mark.parametrize(("arguments", "message"), [
    (("export", "Nobody"), "no profile called or numbered 'Nobody'; the profiles are: Default (1)"),
    (("export", "9" * 30), "no profile called or numbered"),
    (("import", "/dev/zero"), "not a regular file (a device, pipe or socket); give a TuneX export (JSON)"),
    (("import", "/"), "this is a folder, not a TuneX export (JSON)"),
    (("import", "missing.json"), "missing.json: the file does not exist"),
    (("import", str(TESTS_FIXTURES_DIR / "face.jpg")), "not text"),
    (("import", str(EXPORT), "--name", "default"), "there is already a profile called 'default'"),
])
def test_bad_input_is_one_error_line_and_exit_2(home, capsys, arguments, message):
    status, out, err = run(capsys, *arguments)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_an_export_to_an_unwritable_place_says_so(home, capsys, tmp_path):
    status, _, err = run(capsys, "export", "Default", "--out", str(tmp_path / "missing" / "x.json"))
    assert status == 2 and err == f"error: {tmp_path / 'missing' / 'x.json'}: No such file or directory\n"


def test_an_import_under_a_lock_is_not_claimed(home, capsys):
    with ProfileStore():
        pass
    holder = LockHolder(home / "tunex.sqlite3")
    try:
        status, out, err = run(capsys, "import", str(EXPORT))
    finally:
        holder.release()
    assert status == 2 and out == "" and "run it again later" in err
