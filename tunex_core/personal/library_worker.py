"""The analysis worker: a child process that analyses one song at a time for an import.

Run as ``python -m tunex_core.personal.library_worker MODULE:FUNCTION`` by ``library_import``. It reads
one JSON line per song on stdin (``{"path": "<hex of the path's bytes>"}``) and answers one JSON line
on stdout with the fields of ``SongAnalysis``; it announces ``{"ready": true}`` once the analyser is
imported, and stops at the end of stdin.

Why a process: the analysis is CPU work in Python and NumPy; in its own process it cannot hold the
Streamlit server's interpreter lock (pages stay responsive during an import), a file that makes a
decoder hang can be ended by killing the worker, and a decoder that crashes takes only the worker down.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

DEFAULT_ANALYSER = "tunex_core.music.audio.analysis:analyze_song"
# The worker yields the CPU to the app's own threads (pages stay quick during an import); on an idle
# core it runs at full speed all the same.
WORKER_NICENESS = 10
RESULT_FIELDS = ("valence", "arousal", "duration_seconds", "title", "artist", "error")


def load_analyser(reference: str):
    """The function named by ``MODULE:FUNCTION``."""
    module_name, _, function_name = reference.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def analysis_fields(analysis) -> dict[str, object]:
    """The JSON-ready fields of one ``SongAnalysis`` (or any object with its attributes)."""
    fields = {}
    for name in RESULT_FIELDS:
        value = getattr(analysis, name, None)
        fields[name] = value if value is None or isinstance(value, (int, float, str)) else str(value)
    return fields


def serve(reference: str) -> None:
    """Answer analysis requests on stdin/stdout until stdin ends (see the module docstring)."""
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints of libraries do not break the protocol
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    analyser = load_analyser(reference)
    protocol.write(json.dumps({"ready": True}) + "\n")
    protocol.flush()
    for line in sys.stdin:
        try:
            path = Path(os.fsdecode(bytes.fromhex(json.loads(line)["path"])))
            answer = analysis_fields(analyser(path))
        except Exception as error:  # one bad song must not end the import
            answer = {name: None for name in RESULT_FIELDS}
            answer["error"] = f"the analysis failed: {type(error).__name__}: {error}"[:300]
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_ANALYSER)
