"""Every page test also checks Streamlit's log: no widget may get a default and a session-state value."""

from __future__ import annotations

import logging

import pytest
from streamlit.elements.lib import policies


@pytest.fixture(autouse=True)
def no_widget_state_warnings(monkeypatch):
    """Fail a test whose pages give a widget both a default and a value set through the session state.

    Streamlit then logs a warning with a long stack in the terminal of whoever runs TuneX (once per
    process, so the flag is reset for every test).
    """
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    policies._LOGGER.addHandler(handler)
    yield
    policies._LOGGER.removeHandler(handler)
    if records:
        pytest.fail("Streamlit warned: " + "; ".join(record.getMessage() for record in records))
