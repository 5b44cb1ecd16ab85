"""Running ``python -m tunex_core`` in tests, shared by the emotion-model commands' test modules.

Most run in this process through ``tunex_core.cli.main`` (``run_main``: what the command prints, its exit
status, argparse's ``SystemExit`` as the status); a few smoke tests run ``python -m tunex_core`` as a real
subprocess (``run_cli``), so the module entry point, the process's exit code and its memory are covered too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.cli import main
from tunex_core.emotions import EMOTION_NAMES

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "tunex_core", *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout, check=False)


def run_module(home: Path, *arguments: str) -> subprocess.CompletedProcess:
    """``python *arguments`` in the project with ``home`` as the TuneX home (no ``TUNEX_DB``)."""
    environment = {**os.environ, "TUNEX_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    environment.pop("TUNEX_DB", None)
    return subprocess.run([sys.executable, *arguments], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=60, check=False)


PEAK_MEMORY_MARK = "tunex-test-peak-kilobytes"
# Runs ``python -m tunex_core`` and, as the interpreter exits, prints the process's peak resident memory.
# VmHWM belongs to the memory map made at exec, so it is the command's own peak; ru_maxrss (RUSAGE_SELF or
# RUSAGE_CHILDREN) also counts the pytest worker's size at the fork, several GB once TensorFlow is loaded.
_PEAK_MEMORY_WRAPPER = f"""
import atexit, runpy, sys
def report_peak():
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write("\\n{PEAK_MEMORY_MARK} " + peak + "\\n")
atexit.register(report_peak)
sys.argv[0] = "tunex_core"
runpy.run_module("tunex_core", run_name="__main__", alter_sys=True)
"""


def run_cli_with_peak_memory(*arguments: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, int]:
    """``run_cli`` (Linux only) and the command's own peak resident memory in kilobytes."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", _PEAK_MEMORY_WRAPPER, *arguments], cwd=PROJECT_ROOT,
                            env=environment, capture_output=True, text=True, timeout=timeout, check=False)
    stderr, marker, peak = result.stderr.rpartition(f"\n{PEAK_MEMORY_MARK} ")
    assert marker, result.stderr
    result.stderr = stderr
    return result, int(peak)


@dataclass(frozen=True)
class CommandResult:
    """What a command run in this process printed, and its exit status."""

    returncode: int
    stdout: str
    stderr: str


def run_main(*arguments: str) -> CommandResult:
    """``tunex_core.cli.main(arguments)`` in this process; an exception other than ``SystemExit`` fails the test."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = main(list(arguments))
        except SystemExit as exit_:  # argparse: usage errors exit 2, --help 0
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    return CommandResult(code, stdout.getvalue(), stderr.getvalue())


def last_json_line(result: CommandResult | subprocess.CompletedProcess) -> dict:
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr
    return json.loads(lines[-1])


def assert_clean_failure(result: CommandResult | subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def synthetic_training_npz(path: Path, train_count: int = 64, val_count: int = 21) -> Path:
    """Class-dependent bright bands on noise (a learnable toy problem) with Training and PublicTest splits."""
    rng = np.random.default_rng(0)
    arrays = {}
    for name, count in (("train", train_count), ("val", val_count)):
        labels = np.arange(count) % 7
        faces = rng.integers(60, 120, (count, 48, 48)).astype(np.uint8)
        for face, label in zip(faces, labels, strict=True):
            face[4 + label * 6: 10 + label * 6, 10:38] = 250
        arrays[f"x_{name}"], arrays[f"y_{name}"] = faces, labels
    np.savez(path, **arrays)
    return path


def synthetic_votes_npz(path: Path, labels: np.ndarray) -> Path:
    """FER+-style votes (FER+ column order) agreeing with ``labels``, plus one not-a-face row and one invalid row."""
    from tunex_core.training.ferplus import FERPLUS_COLUMNS, FERPLUS_TO_FER

    fer_to_column = {EMOTION_NAMES.index(fer): FERPLUS_COLUMNS.index(plus) for plus, fer in FERPLUS_TO_FER.items()}
    votes = np.zeros((len(labels), 10), np.uint8)
    for row, label in enumerate(labels):
        votes[row, fer_to_column[int(label)]] = 7
        votes[row, FERPLUS_COLUMNS.index("neutral")] += 3
    votes[0] = 0
    votes[0, FERPLUS_COLUMNS.index("NF")] = 10
    valid = np.ones(len(labels), bool)
    valid[1] = False
    np.savez(path, votes_train=votes, valid_train=valid, columns=np.array(FERPLUS_COLUMNS))
    return path
