"""The container set-up (Dockerfile, .dockerignore, compose.yaml, deploy/nginx.conf), checked without an engine.

The test marked ``container`` builds the image and checks its health; it is skipped where no
Docker daemon answers (as on the CI machine).
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tunex_core.paths import PROJECT_ROOT
from tunex_core.sharing.access import GUESTS_ONLY_VARIABLE, SHARE_VARIABLE
from tunex_core.sharing.certificate import CERTIFICATE_FILE_NAME, KEY_FILE_NAME

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
COMPOSE = PROJECT_ROOT / "compose.yaml"
NGINX = PROJECT_ROOT / "deploy" / "nginx.conf"
HEALTH_PATH = "/_stcore/health"


def instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in path.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            lines.append(current.strip())
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def dockerignore_patterns() -> list[str]:
    return [line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def ignored(relative: str) -> bool:
    """Whether .dockerignore keeps ``relative`` out of the build context (last matching pattern wins)."""
    result = False
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = relative.split("/")
        if any(fnmatch.fnmatch("/".join(parts[:index]), pattern) for index in range(1, len(parts) + 1)):
            result = not negate
    return result


def environment() -> dict[str, str]:
    values = {}
    for instruction, arguments in instructions():
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def test_the_image_is_slim_python_and_runs_as_a_user_without_root():
    steps = instructions()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[0-2]-slim(-\w+)?", steps[0][1])
    users = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert [instruction for instruction, _ in steps].index("USER") < [instruction for instruction, _ in steps].index("CMD")
    run = " ".join(arguments for instruction, arguments in steps if instruction == "RUN")
    assert "useradd --create-home --uid 10001" in run and users[-1] == "tunex"


def test_every_copied_source_exists_and_is_in_the_build_context():
    copies = [shlex.split(arguments) for instruction, arguments in instructions() if instruction == "COPY"]
    assert copies
    for copy in copies:
        sources = [part for part in copy[:-1] if not part.startswith("--")]
        for source in sources:
            assert (PROJECT_ROOT / source).exists(), source
            assert not ignored(source.rstrip("/")), f"{source} is copied but .dockerignore leaves it out"
    copied = {source.rstrip("/") for copy in copies for source in copy[:-1]}
    assert {"app.py", "pages", "tunex_core", "models", "data", "requirements.txt", ".streamlit/config.toml"} <= copied


def test_the_model_and_catalog_the_app_loads_are_inside_and_secrets_are_not():
    from tunex_core.paths import CATALOG_FILE, METRICS_FILE, MODEL_FILE, TFLITE_MODEL_FILE

    for path in (MODEL_FILE, TFLITE_MODEL_FILE, METRICS_FILE, CATALOG_FILE):
        assert not ignored(str(path.relative_to(PROJECT_ROOT))), path
    for private in (".streamlit/secrets.toml", ".venv/bin/python", ".git/config", "artifacts/x.png", "runs/a/final.keras"):
        assert ignored(private), private


def test_the_tunex_home_is_a_volume_and_sharing_is_on():
    values = environment()
    volumes = " ".join(arguments for instruction, arguments in instructions() if instruction == "VOLUME")
    assert values["TUNEX_HOME"] and values["TUNEX_HOME"] in volumes
    assert values[SHARE_VARIABLE] == "1" and values[GUESTS_ONLY_VARIABLE] == "1"
    assert "TUNEX_ACCESS_CODE" not in values  # the host sets it (compose.yaml refuses to start without)


def test_the_health_check_asks_streamlit_on_the_served_port():
    checks = [arguments for instruction, arguments in instructions() if instruction == "HEALTHCHECK"]
    assert len(checks) == 1 and HEALTH_PATH in checks[0]
    command = " ".join(arguments for instruction, arguments in instructions() if instruction == "CMD")
    port = re.search(r'"--server.port", "(\d+)"', command).group(1)
    assert f"127.0.0.1:{port}{HEALTH_PATH}" in checks[0]
    assert '"app.py"' in command and '"0.0.0.0"' in command
    exposed = [arguments for instruction, arguments in instructions() if instruction == "EXPOSE"]
    assert exposed == [port]


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_tunex_a_sticky_https_proxy_and_coturn():
    services = compose()["services"]
    assert {"tunex", "proxy", "turn", "certificate"} <= set(services)
    tunex = services["tunex"]
    assert tunex["build"] == "." and "ports" not in tunex  # reached through the proxy only: --scale works
    assert ":?" in tunex["environment"]["TUNEX_ACCESS_CODE"]  # no code, no start
    assert tunex["environment"]["TUNEX_TURN_URLS"].startswith("turn:")
    assert "TUNEX_TURN_SECRET" in tunex["environment"]
    proxy = services["proxy"]
    assert proxy["depends_on"]["tunex"]["condition"] == "service_healthy"
    mounts = [volume.split(":") for volume in proxy["volumes"]]
    for source, _target, *_ in mounts:
        if source.startswith("./"):
            assert (PROJECT_ROOT / source).exists(), source
    assert any(target == "/etc/nginx/conf.d/default.conf" and source == "./deploy/nginx.conf"
               for source, target, *_ in mounts)
    turn = " ".join(services["turn"]["command"])
    for setting in ("--use-auth-secret", "--static-auth-secret=", "--realm=", "--listening-port=3478", "--min-port="):
        assert setting in turn
    assert "3478" in tunex["environment"]["TUNEX_TURN_URLS"]
    volumes = compose()["volumes"]
    assert "tunex-home" in volumes and "tunex-home:/data" in tunex["volumes"]


def test_compose_variables_are_all_in_the_example_env_file():
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    example = {line.split("=", 1)[0] for line in (PROJECT_ROOT / "deploy" / "env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    assert used <= example, used - example
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()


def test_nginx_keeps_each_browser_on_one_replica_and_passes_websockets():
    text = NGINX.read_text()
    upstream = re.search(r"upstream tunex \{(.*?)\}", text, re.S).group(1)
    assert "hash $remote_addr consistent;" in upstream and "ip_hash" not in upstream
    port = re.search(r"server tunex:(\d+);", upstream).group(1)
    assert f'"--server.port", "{port}"' in " ".join(a for i, a in instructions() if i == "CMD")
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $connection_upgrade;" in text and "proxy_http_version 1.1;" in text
    assert f"/certs/{CERTIFICATE_FILE_NAME}" in text and f"/certs/{KEY_FILE_NAME}" in text
    assert "listen 443 ssl;" in text
    assert compose()["services"]["proxy"]["ports"][0].endswith(":443")
    assert text.count("{") == text.count("}")


# ---------------------------------------------------------------- with a container engine

def engine_answers() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.container
@pytest.mark.slow
def test_the_image_builds_and_reports_healthy():
    if not engine_answers():
        pytest.skip("no container engine answers here (docker info failed)")
    tag = "tunex:test"
    subprocess.run(["docker", "build", "-t", tag, "."], cwd=PROJECT_ROOT, check=True, timeout=3600)
    container = subprocess.run(["docker", "run", "-d", "-e", "TUNEX_ACCESS_CODE=container-test", tag],
                               capture_output=True, text=True, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + 300
        status = ""
        while time.monotonic() < deadline:
            status = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container],
                                    capture_output=True, text=True).stdout.strip()
            if status in {"healthy", "unhealthy"}:
                break
            time.sleep(5)
        assert status == "healthy"
        user = subprocess.run(["docker", "exec", container, "id", "-u"], capture_output=True, text=True).stdout
        assert user.strip() == "10001"
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
