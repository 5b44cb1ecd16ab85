"""The Live page with ICE settings: problems become warnings without secrets, never an exception."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tunex_core.paths import MODEL_FILE, PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not MODEL_FILE.is_file(), reason="shipped model missing")]


def live_page() -> AppTest:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    app.run()
    app.switch_page("pages/live.py")
    app.run()
    return app


def test_bad_ice_settings_are_warnings_without_credentials(isolated_home, monkeypatch):
    monkeypatch.setenv("TUNEX_TURN_URLS", "turn:turn.example.org:3478, http://wrong")
    monkeypatch.setenv("TUNEX_TURN_USERNAME", "secret-user-7")
    monkeypatch.setenv("TUNEX_ICE_SERVERS", '[{"urls": "turn:x", "credential": "hunter2-pass"')
    app = live_page()
    assert not app.exception
    warnings = [warning.value for warning in app.warning if warning.value.startswith("ICE settings:")]
    assert any("without credentials" in warning for warning in warnings)
    assert any("TUNEX_ICE_SERVERS is not valid JSON" in warning for warning in warnings)
    assert any("no //" in warning for warning in warnings)
    shown = " ".join(element.value for kind in ("warning", "info", "markdown", "caption") for element in getattr(app, kind))
    assert "secret-user-7" not in shown and "hunter2-pass" not in shown
