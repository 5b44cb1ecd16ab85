"""Tests for ``tunex_core.paths``."""

from __future__ import annotations


def test_run_model_file_accepts_run_folders_and_files(tmp_path):
    from tunex_core.paths import run_model_file

    assert run_model_file(tmp_path) == tmp_path / "final.keras"
    assert run_model_file(tmp_path / "member.keras") == tmp_path / "member.keras"
