"""Tests for ``tunex_core.cli``: the parser built from every command module."""

from __future__ import annotations

from tests.commands.cli_runner import run_cli


def test_unknown_command_is_a_usage_error():
    result = run_cli("levitate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
