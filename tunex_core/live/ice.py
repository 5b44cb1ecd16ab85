"""ICE servers (STUN, TURN) for the Live page's WebRTC connection, from the environment or secrets.toml.

On this computer and on the same Wi-Fi the browser and TuneX connect directly (no ICE server).
Across networks (a phone on mobile data, a guest Wi-Fi that isolates devices, a container
behind NAT) the video needs a TURN server that relays it. Settings, environment first:

=========================  ==============================  ===========================================
environment variable       ``[ice]`` in secrets.toml       meaning
=========================  ==============================  ===========================================
``TUNEX_STUN_URLS``        ``stun_urls``                   ``stun:host:3478`` (comma-separated / list)
``TUNEX_TURN_URLS``        ``turn_urls``                   ``turn:host:3478``, ``turns:host:5349``
``TUNEX_TURN_USERNAME``    ``turn_username``               a fixed TURN user …
``TUNEX_TURN_CREDENTIAL``  ``turn_credential``             … and its password
``TUNEX_TURN_SECRET``      ``turn_secret``                 coturn's ``static-auth-secret``: TuneX makes
                                                           time-limited credentials from it instead
``TUNEX_TURN_TTL``         ``turn_ttl``                    their lifetime in seconds (default 12 h)
``TUNEX_ICE_SERVERS``      —                               a JSON list of RTCIceServer objects
=========================  ==============================  ===========================================

Problems (a bad URL, a TURN URL without credentials, malformed JSON or TOML) become messages and
the setting is left out; no message ever contains a username, credential or secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tunex_core.paths import SPOTIFY_SECRETS_FILE

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SECRETS_SECTION = "ice"
DEFAULT_TURN_TTL_SECONDS = 12 * 3600
EXPIRY_STEP_SECONDS = 600
TURN_USER_LABEL = "tunex"
# stun:host[:port] / turn(s):host[:port][?transport=udp|tcp]; host a name, IPv4 or [IPv6].
URL_PATTERN = re.compile(r"^(?P<scheme>stuns?|turns?):(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)"
                         r"(?::(?P<port>\d{1,5}))?(?:\?transport=(?:udp|tcp))?$")
SETTINGS = {  # key in [ice] -> environment variable
    "stun_urls": "TUNEX_STUN_URLS", "turn_urls": "TUNEX_TURN_URLS", "turn_username": "TUNEX_TURN_USERNAME",
    "turn_credential": "TUNEX_TURN_CREDENTIAL", "turn_secret": "TUNEX_TURN_SECRET", "turn_ttl": "TUNEX_TURN_TTL",
}
JSON_VARIABLE = "TUNEX_ICE_SERVERS"


@dataclass(frozen=True)
class IceConfiguration:
    """The RTCIceServer dicts for ``rtc_configuration``, whether a TURN server is among them, and problems."""

    servers: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def has_turn(self) -> bool:
        """Whether some server relays video (a ``turn:``/``turns:`` URL)."""
        return any(str(url).startswith("turn") for server in self.servers for url in _urls(server))


def _urls(server: Mapping) -> list:
    urls = server.get("urls", [])
    return [urls] if isinstance(urls, str) else list(urls) if isinstance(urls, list) else []


def _url_list(value: object) -> list[str]:
    """A list of URLs from a list or a comma/space-separated string."""
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part for part in re.split(r"[,\s]+", str(value or "")) if part]


def check_url(url: str, kinds: tuple[str, ...]) -> str | None:
    """Why ``url`` is not a usable ICE URL of one of ``kinds`` ("stun", "turn"), or None when it is."""
    if "@" in url or "//" in url:
        return "an ICE URL has the form turn:host:3478 (no //, no user@ inside it)"
    match = URL_PATTERN.match(url)
    if match is None or match["scheme"].rstrip("s") not in kinds:
        wanted = " or ".join(f"{kind}:host:port" for kind in kinds)
        return f"{url!r} is not a {wanted} URL"
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        return f"{url!r} has no valid port"
    return None


def turn_credentials(secret: str, ttl_seconds: int, now: float | None = None) -> tuple[str, str]:
    """Time-limited TURN credentials for coturn's ``use-auth-secret``: ("expiry:tunex", base64 HMAC-SHA1).

    The expiry is rounded up to the next whole ``EXPIRY_STEP_SECONDS``: the same credentials for a
    while, so streamlit-webrtc's cache of the browser's configuration gets one entry per step, not
    one per page run.
    """
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    expiry += -expiry % EXPIRY_STEP_SECONDS
    username = f"{expiry}:{TURN_USER_LABEL}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def _read_secrets(path: Path, problems: list[str]) -> Mapping:
    """The ``[ice]`` table of the secrets file ({} when there is none or it cannot be read)."""
    try:
        with Path(path).open("rb") as file:
            section = tomllib.load(file).get(SECRETS_SECTION, {})
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        problems.append(f"{Path(path).name} could not be read ({type(error).__name__}); its [ice] settings "
                        "are not used")
        return {}
    if not isinstance(section, Mapping):
        problems.append(f"[{SECRETS_SECTION}] in {Path(path).name} must be a table")
        return {}
    return section


def _json_servers(raw: str, problems: list[str]) -> list[dict]:
    """``TUNEX_ICE_SERVERS``: a JSON list (or one object) of RTCIceServer dicts with ``urls``."""
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as error:
        problems.append(f"{JSON_VARIABLE} is not valid JSON ({error.msg} at character {error.pos}); it is not used")
        return []
    if isinstance(servers, dict):
        servers = [servers]
    if not isinstance(servers, list) or not all(isinstance(server, dict) and "urls" in server for server in servers):
        problems.append(f'{JSON_VARIABLE} must be a JSON list of objects with "urls"; it is not used')
        return []
    kept = []
    for server in servers:
        reasons = [reason for url in _urls(server) if (reason := check_url(str(url), ("stun", "turn")))]
        if not _urls(server):
            reasons.append('an entry has no "urls"')
        if any(str(url).startswith("turn") for url in _urls(server)) and not (
                server.get("username") and server.get("credential")):
            reasons.append("a TURN entry has no username and credential")
        if reasons:
            problems.append(f"{JSON_VARIABLE}: {reasons[0]}; that entry is not used")
        else:
            kept.append(server)
    return kept


def _usable_urls(text: object, scheme: str, problems: list[str]) -> list[str]:
    """The ``scheme`` URLs listed in ``text`` that ``check_url`` accepts; each other one adds a problem."""
    usable = []
    for url in _url_list(text):
        if (reason := check_url(url, (scheme,))) is None:
            usable.append(url)
        else:
            problems.append(f"{scheme.upper()}: {reason}; it is not used")
    return usable


def ice_configuration(environ: Mapping[str, str] | None = None, secrets_path: Path | None = None,
                      now: float | None = None) -> IceConfiguration:
    """The ICE servers from the environment and the ``[ice]`` table of ``.streamlit/secrets.toml``."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    section = _read_secrets(secrets_path or SPOTIFY_SECRETS_FILE, problems)
    values = {key: environ[variable] if environ.get(variable, "").strip() else section.get(key)
              for key, variable in SETTINGS.items()}
    servers: list[dict] = []
    stun = _usable_urls(values["stun_urls"], "stun", problems)
    if stun:
        servers.append({"urls": stun})
    turn = _usable_urls(values["turn_urls"], "turn", problems)
    if turn:
        credentials = _turn_credentials(values, problems, now)
        if credentials is not None:
            servers.append({"urls": turn, "username": credentials[0], "credential": credentials[1]})
    elif values["turn_username"] or values["turn_credential"] or values["turn_secret"]:
        problems.append("TURN credentials are set but no TURN URL (TUNEX_TURN_URLS or turn_urls)")
    if raw := environ.get(JSON_VARIABLE, "").strip():
        servers += _json_servers(raw, problems)
    return IceConfiguration(servers, problems)


def _turn_credentials(values: Mapping, problems: list[str], now: float | None) -> tuple[str, str] | None:
    """(username, credential) for the TURN URLs: from the shared secret, else the fixed pair, else a problem."""
    if values["turn_secret"]:
        try:
            ttl = int(values["turn_ttl"]) if values["turn_ttl"] not in (None, "") else DEFAULT_TURN_TTL_SECONDS
            if ttl <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"TUNEX_TURN_TTL (turn_ttl) must be a positive number of seconds; using "
                            f"{DEFAULT_TURN_TTL_SECONDS}")
            ttl = DEFAULT_TURN_TTL_SECONDS
        return turn_credentials(str(values["turn_secret"]), ttl, now)
    if values["turn_username"] and values["turn_credential"]:
        return str(values["turn_username"]), str(values["turn_credential"])
    problems.append("a TURN URL is set without credentials: set TUNEX_TURN_USERNAME and TUNEX_TURN_CREDENTIAL, "
                    "or TUNEX_TURN_SECRET (coturn's static-auth-secret); TURN is not used")
    return None
