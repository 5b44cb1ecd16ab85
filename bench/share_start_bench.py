"""Start time: seconds until the address is printed and until the server answers, plain start vs --share.

Each round starts ``streamlit run app.py`` (as ``scripts/start.sh`` does) and ``python -m tunex_core share``
(what ``scripts/start.sh --share`` runs: it makes the certificate in a fresh TuneX home first), alternately,
on a free port, and stops each once it answers ``/_stcore/health`` (over HTTPS for --share).

    .venv/bin/python bench/share_start_bench.py --rounds 2
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.browser.helpers import free_loopback_port  # noqa: E402

LIMIT_SECONDS = 120


def measure(share: bool) -> tuple[float | None, float | None]:
    """(seconds to the printed address, seconds to a healthy server) for one start."""
    with tempfile.TemporaryDirectory(prefix="tunex-start-") as home:
        port = free_loopback_port()
        environment = dict(os.environ, TUNEX_HOME=home, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
        environment.pop("TUNEX_ACCESS_CODE", None)
        command = ([sys.executable, "-m", "tunex_core", "share", "--", "--server.port", str(port)] if share else
                   [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                    "--server.headless", "true", "--browser.gatherUsageStats", "false"])
        log_path = Path(home) / "log"
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        scheme, marker = ("https", "https://") if share else ("http", "URL: http://")
        with log_path.open("wb") as log:
            started = time.monotonic()
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        address_at = health_at = None
        try:
            while time.monotonic() - started < LIMIT_SECONDS and (address_at is None or health_at is None):
                if address_at is None and marker in log_path.read_text(errors="replace"):
                    address_at = time.monotonic() - started
                if health_at is None:
                    try:
                        with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/_stcore/health", timeout=1,
                                                    context=context if share else None) as response:
                            if response.status == 200:
                                health_at = time.monotonic() - started
                    except OSError:
                        pass
                time.sleep(0.1)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
    return address_at, health_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    print(f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}; cores: {os.cpu_count()}")
    for _ in range(arguments.rounds):
        for share in (False, True):
            address, health = measure(share)
            shown = [f"{value:.1f} s" if value is not None else "never" for value in (address, health)]
            label = "--share (python -m tunex_core share)" if share else "plain (streamlit run app.py)"
            print(f"{label:<37}: address printed after {shown[0]}, answering after {shown[1]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
