"""Tests for ``tunex_core.personal.library_files``: upload names made safe, printable paths and media types."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunex_core.personal.library import library_music_id
from tunex_core.personal.library_files import display_path, media_type, safe_upload_name


@pytest.mark.parametrize(("name", "expected"), [
    ("song.mp3", "song.mp3"), ("a/b\\c.flac", "c.flac"), (".hidden.mp3", "hidden.mp3"), ("", "upload"),
    ("x\x00y.mp3", "x_y.mp3"), ("a" * 300 + ".mp3", "a" * 120 + ".mp3"),
])
def test_upload_names_are_made_safe(name, expected):
    assert safe_upload_name(name) == expected


def test_ids_never_collide_with_catalog_ids_and_names_print(tmp_path):
    assert all(library_music_id(tmp_path / f"{index}.mp3") < 0 for index in range(1000))
    assert len({library_music_id(tmp_path / f"{index}.mp3") for index in range(1000)}) == 1000
    assert display_path(b"/music/caf\xe9\x07.mp3") == "/music/caf\ufffd?.mp3"
    assert media_type(Path("x.FLAC")) == "audio/flac" and media_type(Path("x.unknown")) == "audio/mpeg"
