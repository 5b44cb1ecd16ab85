"""The analysis worker: a child process that analyses one song at a time for an import.

Run as ``python -m tunex_core.personal.library_worker MODULE:FUNCTION`` by ``AnalysisWorker`` (the parent's
side, below, used by ``library_import``). It reads
one JSON line per song on stdin (``{"path": "<hex of the path's bytes>"}``) and answers one JSON line
on stdout with the fields of ``Analysis`` (``RESULT_FIELDS``); it announces ``{"ready": true}`` once the analyser is
imported, and stops at the end of stdin.

Why a process: the analysis is CPU work in Python and NumPy; in its own process it cannot hold the
Streamlit server's interpreter lock (pages stay responsive during an import), a file that makes a
decoder hang can be ended by killing the worker, and a decoder that crashes takes only the worker down.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

from tunex_core.paths import PROJECT_ROOT
from tunex_core.personal.library_files import path_bytes

DEFAULT_ANALYSER = "tunex_core.music.audio.analysis:analyze_song"
SONG_TIMEOUT_SECONDS = 60.0
WORKER_START_SECONDS = 120.0
# The worker yields the CPU to the app's own threads (pages stay quick during an import); on an idle
# core it runs at full speed all the same.
WORKER_NICENESS = 10


@dataclass(frozen=True)
class Analysis:
    """One file's figures as the import keeps them: the fields of ``SongAnalysis`` that cross the JSON line.

    Not ``SongAnalysis`` itself, and not a duplicate of it: it lacks the path (the parent knows which file it
    asked about) and the timing fields (``excerpt_start_seconds``, ``seconds_taken``: the import does not keep
    them); the parent also makes one where no analysis ran (a timeout, a crash, a file gone since the scan) or
    where the analyser is not ``analyze_song`` (any object with these attributes, as tools and tests pass);
    and it spares this module, which the app's pages import, importing the decoder (PyAV and NumPy), which
    ``library_scan`` too defers. Each field has ``SongAnalysis``'s name and type (a test keeps them so).
    """

    valence: float | None = None
    arousal: float | None = None
    duration_seconds: float | None = None
    title: str | None = None
    artist: str | None = None
    error: str | None = None


RESULT_FIELDS = tuple(field.name for field in fields(Analysis))  # what the worker answers, in this order


def load_analyser(reference: str):
    """The function named by ``MODULE:FUNCTION``."""
    module_name, _, function_name = reference.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def analysis_fields(analysis) -> dict[str, object]:
    """The JSON-ready fields of one ``SongAnalysis`` (or any object with its attributes)."""
    values = {}
    for name in RESULT_FIELDS:
        value = getattr(analysis, name, None)
        values[name] = value if value is None or isinstance(value, (int, float, str)) else str(value)
    return values


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


# --- the parent's side: one worker process per import job ---------------------------------------------


class AnalysisWorker:
    """The child process of ``library_worker``: ``analyse(path)`` answers within ``timeout`` seconds or
    gives a reason; a worker that does not answer in time is killed and started again for the next song."""

    def __init__(self, analyser: str = DEFAULT_ANALYSER, timeout: float = SONG_TIMEOUT_SECONDS) -> None:
        self.analyser = analyser
        self.timeout = timeout
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(PROJECT_ROOT), environment.get("PYTHONPATH"))))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tunex_core.personal.library_worker", self.analyser],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=environment,
            cwd=PROJECT_ROOT, bufsize=0)
        answer = self._answer(WORKER_START_SECONDS)
        if not isinstance(answer, dict) or not answer.get("ready"):
            self.close()
            raise RuntimeError("the song analysis could not start (is the audio model installed?)")

    def _answer(self, timeout: float) -> object:
        """The worker's next JSON line, or None when it said nothing in ``timeout`` seconds or died."""
        stream = self.process.stdout
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                return None
            chunk = stream.read1(65_536) if hasattr(stream, "read1") else os.read(stream.fileno(), 65_536)
            if not chunk:
                return None
            line += chunk
        try:
            return json.loads(line)
        except ValueError:
            return None

    def analyse(self, path: Path) -> Analysis:
        """The figures of the file at ``path``, or an ``Analysis`` whose ``error`` says why not."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        try:
            self.process.stdin.write((json.dumps({"path": path_bytes(path).hex()}) + "\n").encode())
        except OSError:
            self.close()
            return Analysis(error="the analysis stopped unexpectedly; try this file again")
        answer = self._answer(self.timeout)
        if not isinstance(answer, dict):
            try:
                crashed = self.process.wait(timeout=0.5) is not None  # ended by itself, rather than too slow
            except subprocess.TimeoutExpired:
                crashed = False
            self.close()
            return Analysis(error="the analysis crashed on this file" if crashed
                            else f"the analysis took longer than {self.timeout:.0f} s; skipped")
        return Analysis(**{name: answer.get(name) for name in RESULT_FIELDS})

    def close(self) -> None:
        """End the worker process (it is started again when needed)."""
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_ANALYSER)
