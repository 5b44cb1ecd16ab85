"""Every page test also checks Streamlit's log: no widget may get a default and a session-state value."""

from __future__ import annotations

import logging

import pytest
from streamlit.elements.lib import policies


@pytest.fixture(autouse=True)
def no_widget_state_warnings(monkeypatch):
    """Fail a test whose pages give a widget both a default and a value set through the session state.

    Streamlit then logs a warning with a long stack in the terminal of whoever runs TuneX. It warns once
    per process, so its (private) flag is reset for every test; should a release rename the flag, the
    first such warning of a run still fails its test.
    """
    monkeypatch.setattr(policies, "_shown_default_value_warning", False, raising=False)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    if records:
        pytest.fail("Streamlit warned: " + "; ".join(record.getMessage() for record in records))
