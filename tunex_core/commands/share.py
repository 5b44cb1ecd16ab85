"""``python -m tunex_core share``: start TuneX for other devices on the local network, over HTTPS.

``bash scripts/start.sh --share`` runs this. It makes (once) the self-signed certificate under the
TuneX home, chooses an access code (or takes ``TUNEX_ACCESS_CODE``), prints the address to open on
a phone with the code inside it (and as a QR code), then replaces itself with ``streamlit run app.py``
serving HTTPS on every interface. When sharing is impossible (the port is taken, the certificate
folder cannot be written, no network but loopback, a bad ``TUNEX_ACCESS_CODE``) it prints one line
saying why and starts TuneX as usual, on this computer only. Other arguments go to ``streamlit run``.

``--certificate-only DIR`` only makes (or keeps) the certificate in DIR, for a reverse proxy such as
the container set-up's nginx (``compose.yaml``); ``--name`` adds names or addresses it must cover
(the host's address as phones see it, when this runs inside a container).
"""

from __future__ import annotations

import argparse
import errno
import io
import os
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tunex_core.commands import fail
from tunex_core.paths import PROJECT_ROOT
from tunex_core.sharing.access import (
    ACCESS_CODE_PARAMETER,
    ACCESS_CODE_VARIABLE,
    SHARE_VARIABLE,
    SHARED_PROFILE_VARIABLE,
    SharingError,
    checked_host_code,
    new_access_code,
)
from tunex_core.sharing.addresses import host_names, local_network_addresses
from tunex_core.sharing.certificate import CertificateError, ensure_certificate

DEFAULT_PORT = 8501
ALL_INTERFACES = "0.0.0.0"
ACCEPT_CERTIFICATE_STEP = (
    "First visit on each device: the browser warns that the connection is not private, because TuneX made "
    "its certificate itself. That is expected once per device: choose Advanced -> Proceed (Chrome, Android) "
    "or Show Details -> visit this website (Safari, iPhone). The camera works after that.")


@dataclass(frozen=True)
class SharePlan:
    """What to start (``streamlit run …``), with which extra environment, and what to print first."""

    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    shared: bool = False


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``share`` sub-command."""
    parser = subparsers.add_parser(
        "share", help="serve TuneX over HTTPS to phones and other devices on the local network",
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--certificate-only", metavar="DIR", type=Path,
                        help="only make (or keep) the certificate in DIR, for a reverse proxy, and exit")
    parser.add_argument("--name", action="append", default=[], metavar="NAME",
                        help="another host name or address the certificate must name (repeatable)")
    parser.add_argument("streamlit_arguments", nargs=argparse.REMAINDER, metavar="STREAMLIT_ARGUMENTS",
                        help="passed to streamlit run (e.g. --server.port 8502)")
    parser.set_defaults(handler=run_share)


def requested_port(arguments: Sequence[str]) -> tuple[int | None, list[str]]:
    """The ``--server.port`` among ``arguments`` (None when absent) and the arguments without it."""
    port, rest, index = None, [], 0
    while index < len(arguments):
        argument = arguments[index]
        value = None
        if argument == "--server.port" and index + 1 < len(arguments):
            value, index = arguments[index + 1], index + 2
        elif argument.startswith("--server.port="):
            value, index = argument.split("=", 1)[1], index + 1
        else:
            rest.append(argument)
            index += 1
            continue
        try:
            port = int(value)
        except ValueError:
            raise SharingError(f"--server.port must be a whole number, got {value!r}") from None
    return port, rest


def port_is_free(port: int, address: str = ALL_INTERFACES) -> bool:
    """Whether a server could listen on ``address:port`` now (binds and lets go at once; sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado does: TIME_WAIT is no obstacle
        try:
            probe.bind((address, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def streamlit_command(arguments: Sequence[str]) -> list[str]:
    """``python -m streamlit run app.py`` with TuneX's usual options and ``arguments``."""
    return [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
            "--browser.gatherUsageStats", "false", *arguments]


def qr_code(text: str) -> str | None:
    """``text`` as a QR code drawn with block characters for a terminal, or None without ``segno``."""
    try:
        import segno
    except ImportError:
        return None
    output = io.StringIO()
    segno.make(text, error="l").terminal(out=output, compact=True)
    return output.getvalue().rstrip("\n")


def plan_share(arguments: Sequence[str], environ: Mapping[str, str] | None = None, *,
               addresses: list[str] | None = None, names: list[str] | None = None, folder: Path | None = None,
               port_free: Callable[[int], bool] = port_is_free) -> SharePlan:
    """Decide how to start: shared over HTTPS, or (with one line saying why) on this computer only."""
    environ = os.environ if environ is None else environ
    try:
        port, rest = requested_port(arguments)
    except SharingError as error:
        return _fallback(list(arguments), str(error))
    port = port or DEFAULT_PORT
    try:
        code = checked_host_code(environ[ACCESS_CODE_VARIABLE]) if environ.get(ACCESS_CODE_VARIABLE, "").strip() \
            else new_access_code()
    except SharingError as error:
        return _fallback(rest, str(error))
    addresses = local_network_addresses() if addresses is None else addresses
    if not addresses:
        return _fallback(rest, "this computer has no network address other devices can reach (only loopback)")
    if not port_free(port):
        return _fallback(rest, f"port {port} is already in use (another TuneX?); to share on another port: "
                               f"bash scripts/start.sh --share --server.port {port + 1}")
    names = host_names() if names is None else names
    try:
        certificate = ensure_certificate(names, addresses, folder=folder)
    except CertificateError as error:
        return _fallback(rest, str(error))
    command = streamlit_command([
        "--server.address", ALL_INTERFACES, "--server.port", str(port), "--server.headless", "true",
        "--server.sslCertFile", str(certificate.certificate_path),
        "--server.sslKeyFile", str(certificate.key_path), *rest])
    link = f"https://{addresses[0]}:{port}/?{ACCESS_CODE_PARAMETER}={code}"
    lines = ["sharing TuneX on the local network over HTTPS (Ctrl+C stops it)",
             f"  open on a phone or tablet on the same Wi-Fi:  {link}",
             f"  access code: {code}   (visitors who open https://{addresses[0]}:{port} type it in)"]
    lines += [f"  also reachable at:  https://{name}:{port}" for name in [*addresses[1:], *names[-1:]]]
    if (drawn := qr_code(link)) is not None:
        lines += ["  or scan this QR code (it holds the link with the code):", drawn]
    lines += [f"  {ACCEPT_CERTIFICATE_STEP}", f"  {guests_line(environ)}",
              f"  On this computer, https://localhost:{port}/?{ACCESS_CODE_PARAMETER}={code} "
              "opens TuneX with your own profiles."]
    if certificate.created:
        lines.append(f"  made a new certificate ({certificate.reason}), valid until "
                     f"{certificate.not_after:%Y-%m-%d}: {certificate.certificate_path}")
    return SharePlan(command, {SHARE_VARIABLE: "1", ACCESS_CODE_VARIABLE: code}, lines, shared=True)


def guests_line(environ: Mapping[str, str]) -> str:
    """What visitors get: their own in-memory profile, or the host profile named in ``TUNEX_SHARED_PROFILE``."""
    name = " ".join(environ.get(SHARED_PROFILE_VARIABLE, "").split())
    private = ("Visitors are guests: they see none of this computer's profiles, journal or saved playlists, "
               "and what they do is forgotten when they close the page.")
    if not name:
        return private
    from tunex_core.personal.profiles import ProfileStore
    from tunex_core.storage import DatabaseBusyError

    try:
        with ProfileStore() as store:
            profile = store.by_name(name)
    except DatabaseBusyError:
        profile = None
    if profile is None:
        return f"There is no profile called {name!r} ({SHARED_PROFILE_VARIABLE}). " + private
    return (f"Visitors use your profile {profile.name!r} ({SHARED_PROFILE_VARIABLE}): its journal and playlists, "
            "which they add to. Your other profiles stay hidden from them.")


def _fallback(arguments: list[str], reason: str) -> SharePlan:
    """Start TuneX as ``start.sh`` does without ``--share`` (this computer only), saying why in one line."""
    return SharePlan(streamlit_command(arguments),
                     lines=[f"cannot share: {reason}. Starting TuneX on this computer only (http://localhost)."])


def make_certificate_only(folder: Path, extra_names: list[str]) -> int:
    """``--certificate-only``: the certificate for this machine's names plus ``extra_names``, in ``folder``."""
    names = [name.strip() for name in extra_names if name.strip()]
    try:
        certificate = ensure_certificate([*names, *host_names()], local_network_addresses(), folder=folder)
    except CertificateError as error:
        return fail(str(error))
    state = f"made ({certificate.reason})" if certificate.created else "kept (still valid)"
    print(f"certificate {state}, valid until {certificate.not_after:%Y-%m-%d}: {certificate.certificate_path}")
    print(f"key: {certificate.key_path}")
    print(f"names: {', '.join(certificate.names)}")
    return 0


def run_share(arguments: argparse.Namespace) -> int:
    """Print the plan's lines and become the Streamlit server (``exec``)."""
    if arguments.certificate_only is not None:
        return make_certificate_only(arguments.certificate_only, arguments.name)
    streamlit_arguments = [argument for argument in arguments.streamlit_arguments if argument != "--"]
    plan = plan_share(streamlit_arguments)
    for line in plan.lines:
        print(("[tunex] " if not line.startswith(" ") and "\n" not in line else "") + line, flush=True)
    environment = {**os.environ, **plan.environment}
    if not plan.shared:
        environment.pop(SHARE_VARIABLE, None)
    os.chdir(PROJECT_ROOT)
    os.execve(plan.command[0], plan.command, environment)
    return 0  # not reached
