"""Each test gets its own TuneX home and forgets the store's process state (fallbacks, queued writes)."""

from __future__ import annotations

import pytest

from tunex_core import storage


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("TUNEX_HOME", str(home))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    storage.reset_process_state()
    yield home
    storage.reset_process_state()
