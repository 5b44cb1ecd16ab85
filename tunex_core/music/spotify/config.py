"""Spotify settings: the client credentials, the endpoints, and the messages that explain them.

Credentials come from ``[spotify] client_id / client_secret`` in
``.streamlit/secrets.toml`` (``TUNEX_SPOTIFY_SECRETS`` names another file),
else from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET``. The secret is
never logged, shown or put in an exception message. ``TUNEX_SPOTIFY_API_URL``
and ``TUNEX_SPOTIFY_TOKEN_URL`` point the client at another server (tests, staging).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from tunex_core import storage
from tunex_core.paths import SPOTIFY_SECRETS_FILE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

API_URL_VARIABLE = "TUNEX_SPOTIFY_API_URL"
TOKEN_URL_VARIABLE = "TUNEX_SPOTIFY_TOKEN_URL"
SECRETS_PATH_VARIABLE = "TUNEX_SPOTIFY_SECRETS"
CLIENT_ID_VARIABLE = "SPOTIPY_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "SPOTIPY_CLIENT_SECRET"
DEFAULT_API_URL = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"

DASHBOARD_URL = "https://developer.spotify.com/dashboard"

# Messages are plain text that also reads well as markdown (pages show them with st.warning).
CREDENTIALS_HELP = (
    f"Copy the Client ID and Client secret of your app at {DASHBOARD_URL} into "
    "`client_id` and `client_secret` under `[spotify]` in `.streamlit/secrets.toml` "
    f"(or set `{CLIENT_ID_VARIABLE}` and `{CLIENT_SECRET_VARIABLE}`), then restart TuneX."
)
NOT_CONFIGURED_MESSAGE = (
    "Spotify search is not configured (optional: catalog songs with a Spotify id play without it). "
    "To look up songs without an id: "
    + CREDENTIALS_HELP
)


class SpotifyConfigurationError(ValueError):
    """The Spotify settings (secrets file, endpoint variables) are present but unusable."""


@dataclass(frozen=True)
class SpotifyCredentials:
    """Client-credentials pair; the secret is left out of ``repr``."""

    client_id: str
    client_secret: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """A short one-way digest identifying this pair (for cache keys), not the secret."""
        digest = hashlib.sha256(f"{self.client_id}\0{self.client_secret}".encode())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class SpotifyEndpoints:
    """Base URLs of the Web API and the token endpoint."""

    api_url: str = DEFAULT_API_URL
    token_url: str = DEFAULT_TOKEN_URL

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SpotifyEndpoints:
        """Endpoints from ``TUNEX_SPOTIFY_API_URL`` / ``TUNEX_SPOTIFY_TOKEN_URL`` or the defaults."""
        environ = os.environ if environ is None else environ
        api_url = environ.get(API_URL_VARIABLE, "").strip() or DEFAULT_API_URL
        token_url = environ.get(TOKEN_URL_VARIABLE, "").strip() or DEFAULT_TOKEN_URL
        for name, url in ((API_URL_VARIABLE, api_url), (TOKEN_URL_VARIABLE, token_url)):
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise SpotifyConfigurationError(f"{name} must be an http(s) URL")
        return cls(api_url=api_url if api_url.endswith("/") else api_url + "/", token_url=token_url)


def default_secrets_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$TUNEX_SPOTIFY_SECRETS`` if set, else ``.streamlit/secrets.toml`` in the project."""
    environ = os.environ if environ is None else environ
    override = environ.get(SECRETS_PATH_VARIABLE)
    return Path(override).expanduser() if override else SPOTIFY_SECRETS_FILE


def load_credentials(secrets_path: str | Path | None = None,
                     environ: Mapping[str, str] | None = None) -> SpotifyCredentials | None:
    """Spotify credentials from the secrets file, else the environment, else None.

    Raises ``SpotifyConfigurationError`` (without any value in the message) when
    the secrets file is not valid TOML or has only one of the two keys.
    """
    environ = os.environ if environ is None else environ
    path = Path(secrets_path) if secrets_path is not None else default_secrets_path(environ)
    if path.is_file():
        try:
            with path.open("rb") as secrets_file:
                secrets = tomllib.load(secrets_file)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise SpotifyConfigurationError(f"{path} is not valid TOML; fix it or remove it") from None
        section = secrets.get("spotify")
        if isinstance(section, dict):
            client_id = str(section.get("client_id") or "").strip()
            client_secret = str(section.get("client_secret") or "").strip()
            if client_id and client_secret:
                return SpotifyCredentials(client_id, client_secret)
            if client_id or client_secret:
                raise SpotifyConfigurationError(
                    f"[spotify] in {path} needs both client_id and client_secret"
                )
    client_id = environ.get(CLIENT_ID_VARIABLE, "").strip()
    client_secret = environ.get(CLIENT_SECRET_VARIABLE, "").strip()
    if client_id and client_secret:
        return SpotifyCredentials(client_id, client_secret)
    return None


def configuration_fingerprint(secrets_path: str | Path | None = None,
                              environ: Mapping[str, str] | None = None) -> str:
    """A digest of everything ``SpotifyService.from_environment`` reads (credentials only hashed).

    Pages use it as the cache key of their service, so editing the secrets file
    or the variables gives a fresh client while reruns reuse the old one.
    """
    environ = os.environ if environ is None else environ
    try:
        credentials = load_credentials(secrets_path, environ)
        credentials_part = credentials.fingerprint if credentials else "none"
    except SpotifyConfigurationError as error:
        credentials_part = f"error: {error}"
    parts = [credentials_part, environ.get(API_URL_VARIABLE, ""), environ.get(TOKEN_URL_VARIABLE, ""),
             str(storage.default_database_path())]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
