"""Every page test also checks Streamlit's log: no widget may get a default and a session-state value.

AppTest does two things on every run that a real Streamlit server does once per process: it compiles the
page scripts again (a new ``ScriptCache`` per run) and scans every installed package for components (a
new component manager per ``AppTest``). ``shared_apptest_caches`` makes them once per test process, as
the server does; the scripts still run from scratch on every run.
"""

from __future__ import annotations

import logging
import os
import threading

import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.elements.lib import policies
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import app_test

# Compiled page scripts of this test process by (path, size, modification time): a script written again
# is compiled again.
_COMPILED_SCRIPTS: dict[tuple[str, int, int], object] = {}
_COMPILED_SCRIPTS_LOCK = threading.Lock()


class ProcessScriptCache(ScriptCache):
    """A ``ScriptCache`` that shares its compiled scripts with every other one of the test process."""

    def get_bytecode(self, script_path: str):
        status = os.stat(script_path)
        key = (os.path.abspath(script_path), status.st_size, status.st_mtime_ns)
        with _COMPILED_SCRIPTS_LOCK:
            if key not in _COMPILED_SCRIPTS:
                _COMPILED_SCRIPTS[key] = super().get_bytecode(script_path)
            return _COMPILED_SCRIPTS[key]


@pytest.fixture(scope="session", autouse=True)
def shared_apptest_caches():
    """Compile each page script once and scan the installed packages for components once per process."""
    scanned = manifest_scanner.scan_component_manifests()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test, "ScriptCache", ProcessScriptCache)
        patch.setattr(manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(scanned))
        yield


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
