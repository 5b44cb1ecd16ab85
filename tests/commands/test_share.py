"""``python -m tunex_core share`` (``start.sh --share``): what it starts and prints, and its fallbacks."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tunex_core.commands.share import DEFAULT_PORT, plan_share, port_is_free, requested_port
from tunex_core.paths import PROJECT_ROOT
from tunex_core.sharing.certificate import certificate_names, read_certificate

ADDRESSES = ["192.168.1.20"]
NAMES = ["laptop", "laptop.local"]


def plan(tmp_path, arguments=(), environ=None, addresses=ADDRESSES, port_free=lambda port: True, folder=None):
    return plan_share(list(arguments), environ or {}, addresses=addresses, names=NAMES,
                      folder=folder or tmp_path / "share", port_free=port_free)


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_a_share_serves_https_on_every_interface_with_a_new_code(tmp_path):
    shared = plan(tmp_path, ["--server.port", "8600", "--theme.base", "dark"])
    assert shared.shared
    assert option(shared.command, "--server.address") == "0.0.0.0"
    assert option(shared.command, "--server.port") == "8600"
    assert option(shared.command, "--theme.base") == "dark"
    certificate = read_certificate(Path(option(shared.command, "--server.sslCertFile")))
    assert {"laptop", "laptop.local", "192.168.1.20", "localhost"} <= set(certificate_names(certificate))
    assert Path(option(shared.command, "--server.sslKeyFile")).exists()
    code = shared.environment["TUNEX_ACCESS_CODE"]
    assert shared.environment["TUNEX_SHARE"] == "1" and len(code) == 8
    text = "\n".join(shared.lines)
    assert f"https://192.168.1.20:8600/?code={code}" in text
    assert f"access code: {code}" in text
    assert "Advanced" in text and "made a new certificate (there was none yet)" in text
    assert "█" in text  # the QR code
    again = plan(tmp_path, ["--server.port=8600"])
    assert "made a new certificate" not in "\n".join(again.lines)
    assert again.environment["TUNEX_ACCESS_CODE"] != code


def test_the_host_may_choose_the_code(tmp_path):
    shared = plan(tmp_path, environ={"TUNEX_ACCESS_CODE": "Blue-Piano-42"})
    assert shared.environment["TUNEX_ACCESS_CODE"] == "bluepiano42"
    assert option(shared.command, "--server.port") == str(DEFAULT_PORT)


def fallback_line(shared) -> str:
    assert not shared.shared and shared.environment == {}
    assert "--server.address" not in shared.command and "--server.sslCertFile" not in shared.command
    assert len(shared.lines) == 1
    return shared.lines[0]


def test_no_network_but_loopback_falls_back_to_localhost(tmp_path):
    line = fallback_line(plan(tmp_path, addresses=[]))
    assert line.startswith("cannot share: this computer has no network address") and "localhost" in line
    assert not (tmp_path / "share").exists()  # no certificate made


def test_a_port_in_use_falls_back_to_localhost_on_a_free_port(tmp_path):
    shared = plan(tmp_path, ["--server.port", "8600"], port_free=lambda port: False)
    assert "port 8600 is already in use" in fallback_line(shared)
    assert "--server.port" not in shared.command  # Streamlit then takes the next free port itself


def test_an_unwritable_certificate_folder_falls_back_to_localhost(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert "cannot be written in" in fallback_line(plan(tmp_path, folder=blocker / "share"))


@pytest.mark.parametrize(("environ", "arguments", "message"), [
    ({"TUNEX_ACCESS_CODE": "abc"}, [], "TUNEX_ACCESS_CODE must have at least"),
    ({}, ["--server.port", "eighty"], "--server.port must be a whole number"),
])
def test_bad_settings_fall_back_with_one_line(tmp_path, environ, arguments, message):
    assert message in fallback_line(plan(tmp_path, arguments, environ))


def test_requested_port():
    assert requested_port(["--a", "1", "--server.port", "9000", "--b"]) == (9000, ["--a", "1", "--b"])
    assert requested_port(["--server.port=9001"]) == (9001, [])
    assert requested_port([]) == (None, [])


def test_port_is_free_sees_a_listening_loopback_socket():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port, "127.0.0.1")
    assert port_is_free(port, "127.0.0.1")


# ---------------------------------------------------------------- scripts/start.sh, with a stand-in Python

STUB_PYTHON = """#!/usr/bin/env bash
# Stands in for .venv/bin/python: answers start.sh's checks, records what it was asked to run.
case "$1" in
    -V) echo "Python 3.11.0 (stub)";;
    -c) exit 0;;
    *) printf '%s\\n' "$@" > "$STUB_RECORD";;
esac
"""


@pytest.fixture
def stub_venv(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(STUB_PYTHON)
    python.chmod(0o755)
    digest = subprocess.run("cat requirements.txt requirements.txt | sha256sum | cut -d' ' -f1",
                            shell=True, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    (venv / ".tunex-requirements.sha256").write_text(f"{digest}-Python 3.11.0 (stub)\n")
    return venv


def run_start(stub_venv, tmp_path, *arguments) -> list[str]:
    record = tmp_path / "record"
    environment = {**os.environ, "TUNEX_VENV": str(stub_venv), "STUB_RECORD": str(record),
                   "TUNEX_HOME": str(tmp_path / "home")}
    environment.pop("CI", None)
    result = subprocess.run(["bash", "scripts/start.sh", *arguments], cwd=PROJECT_ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "skipping pip" in result.stdout
    return record.read_text().splitlines()


def test_start_without_share_is_unchanged(stub_venv, tmp_path):
    ran = run_start(stub_venv, tmp_path, "--server.port", "8502")
    assert ran == ["-m", "streamlit", "run", "app.py", "--browser.gatherUsageStats", "false",
                   "--server.port", "8502"]
    assert not (tmp_path / "home").exists()  # no certificate, nothing written
    config = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert 'address = "localhost"' in config and "sslCertFile" not in config


def test_start_with_share_runs_the_share_command(stub_venv, tmp_path):
    ran = run_start(stub_venv, tmp_path, "--server.port", "8502", "--share")
    assert ran == ["-m", "tunex_core", "share", "--", "--server.port", "8502"]
    assert run_start(stub_venv, tmp_path, "--share") == ["-m", "tunex_core", "share", "--"]


def test_certificate_only_makes_then_keeps_a_certificate_with_the_extra_names(tmp_path, capsys):
    from tunex_core.cli import main

    folder = tmp_path / "certs"
    assert main(["share", "--certificate-only", str(folder), "--name", "192.168.77.5", "--name", "tunex.lan"]) == 0
    assert "certificate made (there was none yet)" in capsys.readouterr().out
    names = certificate_names(read_certificate(folder / "tunex-share-certificate.pem"))
    assert {"192.168.77.5", "tunex.lan", "localhost"} <= set(names)
    assert main(["share", "--certificate-only", str(folder), "--name", "192.168.77.5"]) == 0
    assert "kept (still valid)" in capsys.readouterr().out
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["share", "--certificate-only", str(blocker / "certs")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the certificate cannot be written in") and error.count("\n") == 1


def test_the_banner_says_which_profile_visitors_use(isolated_home):
    from tunex_core.commands.share import guests_line
    from tunex_core.personal.profiles import ProfileStore

    assert guests_line({}).startswith("Visitors are guests")
    with ProfileStore() as store:
        store.create("Party")
    assert guests_line({"TUNEX_SHARED_PROFILE": "party"}).startswith("Visitors use your profile 'Party'")
    assert guests_line({"TUNEX_SHARED_PROFILE": "Gone"}).startswith("There is no profile called 'Gone'")
