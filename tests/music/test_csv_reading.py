"""Tests for ``tunex_core.music.csv_reading``: a CSV's OS errors and unreadable records as one-line CatalogErrors."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest

from tunex_core.music.catalog import CatalogError
from tunex_core.music.csv_reading import csv_records, read_errors_as_catalog_errors

WORDS = {"name": "overrides file", "expected": "the overrides CSV", "reading": "the overrides"}


def read(path: Path) -> str:
    with read_errors_as_catalog_errors(path, **WORDS):
        return path.read_text(encoding="utf-8")


def test_a_readable_file_is_read(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b\n", encoding="utf-8")
    assert read(path) == "a,b\n"


def test_a_missing_file_a_folder_and_bad_bytes_are_one_line_errors(tmp_path):
    with pytest.raises(CatalogError, match=r"^.*absent\.csv: overrides file not found$"):
        read(tmp_path / "absent.csv")
    with pytest.raises(CatalogError, match=r": is a folder, expected the overrides CSV$"):
        read(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"caf\xe9\n")
    with pytest.raises(CatalogError, match=r"latin\.csv: not UTF-8 text \(invalid continuation byte at byte 3\)$"):
        read(latin)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file")
def test_any_other_os_error_names_what_could_not_be_read(tmp_path):
    locked = tmp_path / "locked.csv"
    locked.write_text("a\n", encoding="utf-8")
    locked.chmod(0)
    with pytest.raises(CatalogError, match=r"locked\.csv: cannot read the overrides \(Permission denied\)$"):
        read(locked)


def test_a_catalog_error_raised_inside_passes_unchanged(tmp_path):
    with pytest.raises(CatalogError, match=r"^line 2: bad override$"), \
            read_errors_as_catalog_errors(tmp_path / "x.csv", **WORDS):
        raise CatalogError("line 2: bad override")


def test_csv_records_skip_blank_lines_and_keep_line_numbers():
    reader = csv.reader(io.StringIO("a,b\n\n , \n1,2\n"))
    assert list(csv_records(reader, Path("table.csv"))) == [(1, ["a", "b"]), (4, ["1", "2"])]


def test_an_unreadable_record_names_its_line():
    reader = csv.reader(io.StringIO('a,b\n"open,2\n'), strict=True)
    with pytest.raises(CatalogError, match=r"^table\.csv: line \d+: unreadable CSV \("):
        list(csv_records(reader, Path("table.csv")))
