"""Spotify for TuneX: find catalog songs on Spotify and fetch extra tracks per emotion.

Only the client-credentials flow and ``/v1/search`` are used. Late-2026 Spotify
answers ``/recommendations`` with 404 and ``/audio-features`` and artist
top-tracks with 403 for new apps, so TuneX never calls them: the mood-to-song
mapping is TuneX's own catalog, and Spotify only supplies playable track IDs.
Development Mode apps get ``400 Invalid limit`` for a search ``limit`` above 10,
so searches page with ``offset`` instead: at most ``MAX_SEARCH_PAGES`` pages of
``track:"<title>" artist:"<first artist>"``, then one unfiltered page when none
of those candidates matched.

Configuration
    Credentials come from ``[spotify] client_id / client_secret`` in
    ``.streamlit/secrets.toml`` (``TUNEX_SPOTIFY_SECRETS`` names another file),
    else from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET``. The secret is
    never logged, shown or put in an exception message; the access token lives
    in memory only (no spotipy ``.cache`` file). ``TUNEX_SPOTIFY_API_URL`` and
    ``TUNEX_SPOTIFY_TOKEN_URL`` point the client at another server (tests, staging).

Failure handling
    Every request has a short timeout (``REQUEST_TIMEOUT_SECONDS``) and spotipy's
    own retries are off. A 429 is waited out only while the total wait of one
    operation stays within ``MAX_RATE_LIMIT_WAIT_SECONDS``; otherwise the status
    becomes rate-limited. Timeouts, 5xx and unreachable hosts make the status
    offline. After a failure the client answers from its status without network
    calls for a cool-down, so a page that resolves ten songs fails once, fast.

Cache
    Resolutions are stored in the shared SQLite database (table
    ``spotify_resolutions``), hits and misses with a timestamp. Hits are kept
    for good; misses expire after ``MISS_EXPIRY_DAYS`` days so songs added to
    Spotify later are found. Per-emotion discovery searches are cached for
    ``DISCOVERY_EXPIRY_HOURS`` hours (table ``spotify_searches``). Failures
    (offline, rate-limited, bad credentials) are never cached. A playlist is
    read from and written to the cache with one connection each; without
    credentials the cache is not touched at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import NoReturn, Protocol
from urllib.parse import quote, urlparse

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from tunex_core import storage
from tunex_core.music.title_matching import (
    MatchScore,
    fold,
    match_score,
    normalise_title,
    primary_artist,
    strip_decoration,
)
from tunex_core.music.track_ids import (  # noqa: F401 - re-exported for callers of this module
    EMBED_URL_PREFIX,
    OPEN_URL_PREFIX,
    TRACK_ID_PATTERN,
    embed_url,
    is_valid_track_id,
    open_url,
    validated_track_id,
)
from tunex_core.paths import SPOTIFY_SECRETS_FILE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

logger = logging.getLogger(__name__)

API_URL_VARIABLE = "TUNEX_SPOTIFY_API_URL"
TOKEN_URL_VARIABLE = "TUNEX_SPOTIFY_TOKEN_URL"
SECRETS_PATH_VARIABLE = "TUNEX_SPOTIFY_SECRETS"
CLIENT_ID_VARIABLE = "SPOTIPY_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "SPOTIPY_CLIENT_SECRET"
DEFAULT_API_URL = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"

SEARCH_URL_PREFIX = "https://open.spotify.com/search/"
DASHBOARD_URL = "https://developer.spotify.com/dashboard"

SEARCH_PAGE_LIMIT = 10
MAX_SEARCH_PAGES = 3
MAX_DISCOVERY_QUERIES = 4
REQUEST_TIMEOUT_SECONDS = 3.0
MAX_RATE_LIMIT_WAIT_SECONDS = 5.0
MAX_RATE_LIMIT_ATTEMPTS = 3
DEFAULT_RETRY_AFTER_SECONDS = 1.0
OFFLINE_COOLDOWN_SECONDS = 30.0
BAD_CREDENTIALS_COOLDOWN_SECONDS = 300.0
MISS_EXPIRY_DAYS = 7
DISCOVERY_EXPIRY_HOURS = 24

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


class SpotifyStatus(Enum):
    """How TuneX stands with Spotify."""

    CONNECTED = "connected"
    OFFLINE = "offline"
    NOT_CONFIGURED = "not configured"
    RATE_LIMITED = "rate-limited"
    BAD_CREDENTIALS = "bad credentials"


@dataclass(frozen=True)
class ConnectionState:
    """A status and a message for people (never containing secrets)."""

    status: SpotifyStatus
    message: str


class SpotifyUnavailableError(RuntimeError):
    """Spotify cannot answer now; ``status`` says why, the message says what to do."""

    def __init__(self, status: SpotifyStatus, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class SpotifyConfigurationError(ValueError):
    """The Spotify settings (secrets file, endpoint variables) are present but unusable."""


# ---------------------------------------------------------------------------
# Track IDs and URLs


def search_url(title: str, artist: str) -> str:
    """An "Open in Spotify" search link for a song; works without credentials."""
    return SEARCH_URL_PREFIX + quote(" ".join(f"{title} {artist}".split()), safe="")


@dataclass(frozen=True)
class TrackMatch:
    """A Spotify track; ``score`` is the match score for resolutions, None for discoveries."""

    id: str
    title: str
    artist: str
    score: float | None = None

    def __post_init__(self) -> None:
        validated_track_id(self.id)

    @property
    def uri(self) -> str:
        """``spotify:track:<id>``."""
        return f"spotify:track:{self.id}"

    @property
    def embed_url(self) -> str:
        """The embeddable player URL."""
        return embed_url(self.id)

    @property
    def open_url(self) -> str:
        """The track's page on open.spotify.com."""
        return open_url(self.id)


@dataclass(frozen=True)
class Resolution:
    """The outcome of looking a catalog song up on Spotify.

    ``status`` is CONNECTED when the answer is definitive (found, or Spotify
    has no such track), whether fresh or from the cache; otherwise it is the
    failure that prevented an answer and ``track`` is None.
    """

    track: TrackMatch | None
    reason: str
    cached: bool
    status: SpotifyStatus

    @property
    def found(self) -> bool:
        """Whether a matching track was found."""
        return self.track is not None

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary: id/uri/embed_url when found, else id None and the reason."""
        if self.track is None:
            return {"id": None, "reason": self.reason, "status": self.status.value,
                    "cached": self.cached}
        return {"id": self.track.id, "uri": self.track.uri, "embed_url": self.track.embed_url,
                "title": self.track.title, "artist": self.track.artist,
                "score": self.track.score, "cached": self.cached}


@dataclass(frozen=True)
class Discovery:
    """Extra tracks found by genre and keyword searches, with the Spotify state afterwards."""

    tracks: tuple[TrackMatch, ...]
    state: ConnectionState


@dataclass(frozen=True)
class SpotifyTrack:
    """One track as returned by search: ID, title and the credited artists."""

    id: str
    title: str
    artists: tuple[str, ...]

    def as_match(self, score: float | None = None) -> TrackMatch:
        """This track as a ``TrackMatch`` with the artists joined."""
        return TrackMatch(id=self.id, title=self.title, artist=", ".join(self.artists), score=score)


@dataclass(frozen=True)
class SearchPage:
    """One page of track search results."""

    tracks: tuple[SpotifyTrack, ...]
    offset: int
    limit: int
    total: int

    @property
    def has_more(self) -> bool:
        """Whether a further page exists."""
        return len(self.tracks) == self.limit and self.offset + self.limit < self.total


# ---------------------------------------------------------------------------
# Configuration


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


# ---------------------------------------------------------------------------
# Keeping tokens and secrets out of logs


class _RedactAuthorization(logging.Filter):
    """Blank out ``Basic``/``Bearer`` values that spotipy writes into its debug logs."""

    pattern = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.pattern.sub(r"\1 <redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _install_log_redaction() -> None:
    for name in ("spotipy.client", "spotipy.oauth2"):
        spotipy_logger = logging.getLogger(name)
        if not any(isinstance(existing, _RedactAuthorization) for existing in spotipy_logger.filters):
            spotipy_logger.addFilter(_RedactAuthorization())


_install_log_redaction()


# ---------------------------------------------------------------------------
# The bounded client


@dataclass
class RetryBudget:
    """Seconds one operation may still spend waiting out 429 answers."""

    seconds: float = MAX_RATE_LIMIT_WAIT_SECONDS

    def take(self, wait_seconds: float) -> bool:
        """Spend ``wait_seconds`` if that much is left; return whether it was."""
        if wait_seconds > self.seconds:
            return False
        self.seconds -= wait_seconds
        return True


def _retry_after_seconds(headers: Mapping[str, str] | None) -> float:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else DEFAULT_RETRY_AFTER_SECONDS
    except ValueError:
        return DEFAULT_RETRY_AFTER_SECONDS


class SpotifyClient:
    """Track search on the Spotify Web API with short timeouts and a bounded 429 wait.

    Failures raise ``SpotifyUnavailableError``; after one, calls fail at once
    (no network) until the cool-down for that status has passed or ``reset()``.
    """

    def __init__(self, credentials: SpotifyCredentials, endpoints: SpotifyEndpoints | None = None, *,
                 timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        endpoints = endpoints or SpotifyEndpoints()
        # A plain session has no urllib3 Retry: spotipy's would sleep on Retry-After by itself.
        session = requests.Session()
        self._auth = SpotifyClientCredentials(
            client_id=credentials.client_id, client_secret=credentials.client_secret,
            requests_session=session, requests_timeout=timeout_seconds,
            cache_handler=MemoryCacheHandler(),
        )
        self._auth.OAUTH_TOKEN_URL = endpoints.token_url
        self._spotify = spotipy.Spotify(auth_manager=self._auth, requests_session=session,
                                        requests_timeout=timeout_seconds, retries=0, status_retries=0)
        self._spotify.prefix = endpoints.api_url
        self.endpoints = endpoints
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.RLock()
        self._state = ConnectionState(SpotifyStatus.CONNECTED, "Spotify not contacted yet")
        self._blocked_until = 0.0
        self._verified = False

    def __repr__(self) -> str:
        return f"SpotifyClient(api_url={self.endpoints.api_url!r}, status={self._state.status.value!r})"

    @property
    def state(self) -> ConnectionState:
        """The last known status and message."""
        return self._state

    @property
    def verified(self) -> bool:
        """Whether Spotify has answered successfully at least once."""
        return self._verified

    def reset(self) -> None:
        """Forget the last failure so the next call tries the network again."""
        with self._lock:
            self._blocked_until = 0.0
            self._state = ConnectionState(SpotifyStatus.CONNECTED, "Spotify not contacted yet")
            self._verified = False

    def check_connection(self) -> ConnectionState:
        """Make sure an access token can be had (one token request per hour at most)."""
        with suppress(SpotifyUnavailableError):
            self._call(lambda: self._auth.get_access_token(as_dict=False), RetryBudget())
        return self._state

    def search_tracks(self, query: str, *, offset: int = 0, limit: int = SEARCH_PAGE_LIMIT,
                      budget: RetryBudget | None = None) -> SearchPage:
        """One page of ``/v1/search?type=track`` results for ``query``."""
        if not 1 <= limit <= SEARCH_PAGE_LIMIT:
            raise ValueError(f"limit must be 1..{SEARCH_PAGE_LIMIT} (Development Mode rejects more)")
        if offset < 0:
            raise ValueError("offset must not be negative")
        answer = self._call(
            lambda: self._spotify.search(q=query, limit=limit, offset=offset, type="track"),
            budget or RetryBudget(),
        )
        return _parse_search_page(answer, offset=offset, limit=limit)

    def _call(self, request: Callable[[], object], budget: RetryBudget) -> object:
        with self._lock:
            if self._clock() < self._blocked_until:
                raise SpotifyUnavailableError(self._state.status, self._state.message)
            rate_limit_attempts = 0
            token_refreshed = False
            while True:
                try:
                    answer = request()
                except SpotifyOauthError as error:
                    if error.error in ("invalid_client", "unauthorized_client", "invalid_grant"):
                        self._fail(SpotifyStatus.BAD_CREDENTIALS,
                                   "Spotify rejected the client credentials. " + CREDENTIALS_HELP)
                    self._fail(SpotifyStatus.OFFLINE,
                               "Spotify's token endpoint answered with an error; using offline links.")
                except SpotifyException as error:
                    if error.http_status == 429:
                        wait = _retry_after_seconds(error.headers)
                        rate_limit_attempts += 1
                        if rate_limit_attempts <= MAX_RATE_LIMIT_ATTEMPTS and budget.take(wait):
                            logger.info("Spotify rate limit: waiting %.1f s as asked", wait)
                            self._sleep(wait)
                            continue
                        self._fail(SpotifyStatus.RATE_LIMITED,
                                   f"Spotify is rate-limiting TuneX (asked to wait {wait:.0f} s); "
                                   "using offline links meanwhile.", cooldown=max(wait, 1.0))
                    if error.http_status == 401 and not token_refreshed:
                        token_refreshed = True
                        self._auth.cache_handler.save_token_to_cache(None)
                        continue
                    if error.http_status == 401:
                        self._fail(SpotifyStatus.BAD_CREDENTIALS,
                                   "Spotify did not accept TuneX's access token. " + CREDENTIALS_HELP)
                    if error.http_status == 403:
                        self._fail(SpotifyStatus.BAD_CREDENTIALS,
                                   "Spotify refused the request (403). Development Mode apps only work "
                                   "while the app owner has Spotify Premium; check the app at "
                                   f"{DASHBOARD_URL}.")
                    if error.http_status >= 500:
                        self._fail(SpotifyStatus.OFFLINE,
                                   f"Spotify answered with a server error ({error.http_status}); "
                                   "using offline links.")
                    self._fail(SpotifyStatus.OFFLINE,
                               f"Spotify rejected a request ({error.http_status}); using offline links.")
                except requests.exceptions.Timeout:
                    self._fail(SpotifyStatus.OFFLINE,
                               f"Spotify did not answer within {self.timeout_seconds:g} s; "
                               "using offline links.")
                except requests.exceptions.RequestException as error:
                    self._fail(SpotifyStatus.OFFLINE,
                               f"Spotify could not be reached ({type(error).__name__}); "
                               "using offline links.")
                except (KeyError, TypeError, ValueError):
                    self._fail(SpotifyStatus.OFFLINE,
                               "Spotify sent an answer TuneX cannot read; using offline links.")
                self._state = ConnectionState(SpotifyStatus.CONNECTED, "Spotify connected")
                self._verified = True
                return answer

    def _fail(self, status: SpotifyStatus, message: str, cooldown: float | None = None) -> NoReturn:
        if cooldown is None:
            cooldown = (BAD_CREDENTIALS_COOLDOWN_SECONDS if status is SpotifyStatus.BAD_CREDENTIALS
                        else OFFLINE_COOLDOWN_SECONDS)
        self._state = ConnectionState(status, message)
        self._blocked_until = self._clock() + cooldown
        logger.warning("Spotify %s: %s", status.value, message)
        raise SpotifyUnavailableError(status, message) from None


def _parse_search_page(answer: object, *, offset: int, limit: int) -> SearchPage:
    tracks_section = answer.get("tracks") if isinstance(answer, dict) else None
    if not isinstance(tracks_section, dict) or not isinstance(tracks_section.get("items"), list):
        raise SpotifyUnavailableError(SpotifyStatus.OFFLINE,
                                      "Spotify sent an unexpected search answer; using offline links.")
    tracks = []
    for item in tracks_section["items"]:
        if not isinstance(item, dict) or not is_valid_track_id(item.get("id")):
            continue
        artists = tuple(str(artist.get("name", "")) for artist in item.get("artists") or ()
                        if isinstance(artist, dict))
        tracks.append(SpotifyTrack(id=item["id"], title=str(item.get("name", "")), artists=artists))
    total = tracks_section.get("total")
    return SearchPage(tracks=tuple(tracks), offset=offset, limit=limit,
                      total=total if isinstance(total, int) else offset + len(tracks))


# ---------------------------------------------------------------------------
# The SQLite cache

def lookup_key(title: str, artist: str) -> str:
    """The cache key of a song: normalised title and folded artist credit."""
    return f"{normalise_title(title)}\x1f{fold(artist)}"


_RESOLUTION_COLUMNS = "lookup_key, track_id, track_title, track_artist, score, reason, resolved_at"
_LOOKUP_BATCH = 500  # keys per SELECT, well under SQLite's parameter limit


class SpotifyCache:
    """Resolutions and discovery searches in the shared TuneX SQLite database (tables in ``tunex_core.storage``).

    Each call opens the store once (``storage.open_database``); ``get_resolutions`` and
    ``put_resolutions`` read and write a whole playlist with one connection.
    """

    def __init__(self, database_path: str | Path | None = None, *,
                 miss_expiry_days: float = MISS_EXPIRY_DAYS,
                 discovery_expiry_hours: float = DISCOVERY_EXPIRY_HOURS,
                 clock: Callable[[], float] = time.time):
        self.database_path = (Path(database_path) if database_path is not None
                              else storage.default_database_path())
        self.miss_expiry_seconds = miss_expiry_days * 86400.0
        self.discovery_expiry_seconds = discovery_expiry_hours * 3600.0
        self._clock = clock

    def _open(self) -> storage.Database:
        return storage.open_database(self.database_path)

    def _resolution_from_row(self, row: sqlite3.Row) -> Resolution | None:
        if row["track_id"] is None or not is_valid_track_id(row["track_id"]):
            if self._clock() - row["resolved_at"] > self.miss_expiry_seconds:
                return None
            return Resolution(track=None, reason=row["reason"], cached=True, status=SpotifyStatus.CONNECTED)
        track = TrackMatch(id=row["track_id"], title=row["track_title"] or "",
                           artist=row["track_artist"] or "", score=row["score"])
        return Resolution(track=track, reason=row["reason"], cached=True, status=SpotifyStatus.CONNECTED)

    def get_resolutions(self, songs: Sequence[tuple[str, str]]) -> list[Resolution | None]:
        """Cached resolutions of ``(title, artist)`` pairs, in order (None: absent or an expired miss)."""
        keys = [lookup_key(title, artist) for title, artist in songs]
        rows: dict[str, sqlite3.Row] = {}
        with closing(self._open()) as database:
            unique = sorted(set(keys))
            for start in range(0, len(unique), _LOOKUP_BATCH):
                batch = unique[start:start + _LOOKUP_BATCH]
                placeholders = ", ".join("?" * len(batch))
                for row in database.query(f"SELECT {_RESOLUTION_COLUMNS} FROM spotify_resolutions "
                                          f"WHERE lookup_key IN ({placeholders})", batch):
                    rows[row["lookup_key"]] = row
        return [self._resolution_from_row(rows[key]) if key in rows else None for key in keys]

    def get_resolution(self, title: str, artist: str) -> Resolution | None:
        """The cached resolution of a song, or None when absent or an expired miss."""
        return self.get_resolutions([(title, artist)])[0]

    def put_resolutions(self, entries: Sequence[tuple[str, str, Resolution]]) -> None:
        """Store definitive resolutions (hits or misses) of ``(title, artist, resolution)`` in one transaction."""
        if not entries:
            return
        now = self._clock()
        statements = []
        for title, artist, resolution in entries:
            track = resolution.track
            statements.append((
                "INSERT OR REPLACE INTO spotify_resolutions (lookup_key, title, artist, track_id, "
                "track_title, track_artist, score, reason, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (lookup_key(title, artist), title, artist, track.id if track else None,
                 track.title if track else None, track.artist if track else None,
                 track.score if track else None, resolution.reason, now)))
        with closing(self._open()) as database:
            database.write(statements)

    def put_resolution(self, title: str, artist: str, resolution: Resolution) -> None:
        """Store a definitive resolution (hit or miss) with the current time."""
        self.put_resolutions([(title, artist, resolution)])

    def get_search(self, query: str) -> tuple[TrackMatch, ...] | None:
        """Cached discovery results for ``query``, or None when absent or expired."""
        with closing(self._open()) as database:
            rows = database.query("SELECT tracks_json, fetched_at FROM spotify_searches WHERE query = ?", (query,))
        if not rows or self._clock() - rows[0]["fetched_at"] > self.discovery_expiry_seconds:
            return None
        return tuple(TrackMatch(id=item["id"], title=item["title"], artist=item["artist"])
                     for item in json.loads(rows[0]["tracks_json"]) if is_valid_track_id(item.get("id")))

    def put_search(self, query: str, tracks: Sequence[TrackMatch]) -> None:
        """Store discovery results for ``query``."""
        payload = json.dumps([{"id": track.id, "title": track.title, "artist": track.artist}
                              for track in tracks])
        with closing(self._open()) as database:
            database.write([("INSERT OR REPLACE INTO spotify_searches (query, tracks_json, fetched_at) "
                             "VALUES (?, ?, ?)", (query, payload, self._clock()))])


# ---------------------------------------------------------------------------
# The service used by pages and the command line


class SongReference(Protocol):
    """Anything with a title and an artist (a catalog ``Song``)."""

    title: str
    artist: str


def _quoted(text: str) -> str:
    return '"' + " ".join(text.replace('"', " ").split()) + '"'


def track_query(title: str, artist: str) -> str:
    """The filtered search query for a song: ``track:"<title>" artist:"<first artist>"``."""
    return f"track:{_quoted(strip_decoration(title))} artist:{_quoted(primary_artist(artist))}"


def free_text_query(title: str, artist: str) -> str:
    """The unfiltered fallback query for a song."""
    return " ".join(f"{strip_decoration(title)} {primary_artist(artist)}".replace('"', " ").split())


def discovery_queries(genres: Sequence[str], keywords: Sequence[str]) -> tuple[str, ...]:
    """Search queries for extra tracks: genres and keywords interleaved, at most ``MAX_DISCOVERY_QUERIES``."""
    genre_queries = [f"genre:{_quoted(genre)}" for genre in genres if genre.strip()]
    keyword_queries = [" ".join(keyword.replace('"', " ").split()) for keyword in keywords if keyword.strip()]
    interleaved = []
    for index in range(max(len(genre_queries), len(keyword_queries))):
        interleaved.extend(queries[index] for queries in (genre_queries, keyword_queries)
                           if index < len(queries))
    return tuple(interleaved[:MAX_DISCOVERY_QUERIES])


class SpotifyService:
    """Status, cached song resolution and per-emotion discovery; safe to call from a page."""

    def __init__(self, client: SpotifyClient | None, cache: SpotifyCache | None = None, *,
                 not_configured_message: str = NOT_CONFIGURED_MESSAGE):
        self.client = client
        self.cache = cache or SpotifyCache()
        self._not_configured = ConnectionState(SpotifyStatus.NOT_CONFIGURED, not_configured_message)

    @classmethod
    def from_environment(cls, *, secrets_path: str | Path | None = None,
                         environ: Mapping[str, str] | None = None,
                         database_path: str | Path | None = None,
                         timeout_seconds: float = REQUEST_TIMEOUT_SECONDS) -> SpotifyService:
        """A service configured from the secrets file / environment (not configured without them)."""
        cache = SpotifyCache(database_path)
        try:
            credentials = load_credentials(secrets_path, environ)
            endpoints = SpotifyEndpoints.from_environment(environ)
        except SpotifyConfigurationError as error:
            return cls(None, cache, not_configured_message=f"Spotify settings are unusable: {error}.")
        if credentials is None:
            return cls(None, cache)
        return cls(SpotifyClient(credentials, endpoints, timeout_seconds=timeout_seconds), cache)

    @property
    def configured(self) -> bool:
        """Whether credentials were found."""
        return self.client is not None

    @property
    def state(self) -> ConnectionState:
        """The last known status (no network call)."""
        return self.client.state if self.client is not None else self._not_configured

    def check_connection(self) -> ConnectionState:
        """The status after making sure a token can be had (cached in memory for an hour)."""
        if self.client is None:
            return self._not_configured
        if self.client.verified and self.client.state.status is SpotifyStatus.CONNECTED:
            return self.client.state
        return self.client.check_connection()

    def reset(self) -> None:
        """Try Spotify again on the next call, even within a failure cool-down."""
        if self.client is not None:
            self.client.reset()

    def _cached_resolutions(self, songs: Sequence[tuple[str, str]]) -> list[Resolution | None]:
        try:
            return self.cache.get_resolutions(songs)
        except (storage.DatabaseBusyError, sqlite3.Error) as error:
            logger.warning("Spotify cache unavailable: %s", error)
            return [None] * len(songs)

    def _store_resolutions(self, entries: Sequence[tuple[str, str, Resolution]]) -> None:
        try:
            self.cache.put_resolutions(entries)
        except (storage.DatabaseBusyError, sqlite3.Error) as error:
            logger.warning("Spotify cache unavailable: %s", error)

    def _not_configured_resolution(self) -> Resolution:
        return Resolution(track=None, reason=self._not_configured.message, cached=False,
                          status=SpotifyStatus.NOT_CONFIGURED)

    def _search(self, title: str, artist: str, budget: RetryBudget) -> Resolution:
        try:
            return self._search_song(title, artist, budget)
        except SpotifyUnavailableError as error:
            return Resolution(track=None, reason=error.message, cached=False, status=error.status)

    def resolve(self, title: str, artist: str, *, use_cache: bool = True,
                budget: RetryBudget | None = None) -> Resolution:
        """Find the Spotify track for a catalog song (cache first, then at most a few searches).

        Without credentials nothing is looked up, not even the cache.
        """
        if self.client is None:
            return self._not_configured_resolution()
        if use_cache:
            cached = self._cached_resolutions([(title, artist)])[0]
            if cached is not None:
                return cached
        resolution = self._search(title, artist, budget or RetryBudget())
        if resolution.status is SpotifyStatus.CONNECTED:
            self._store_resolutions([(title, artist, resolution)])
        return resolution

    def resolve_many(self, songs: Iterable[SongReference]) -> list[Resolution]:
        """Resolve several songs sharing one rate-limit budget and one cache read and write; order is kept."""
        pairs = [(song.title, song.artist) for song in songs]
        if self.client is None:
            return [self._not_configured_resolution() for _ in pairs]
        budget = RetryBudget()
        results: list[Resolution] = []
        fresh: list[tuple[str, str, Resolution]] = []
        for (title, artist), cached in zip(pairs, self._cached_resolutions(pairs), strict=True):
            if cached is not None:
                results.append(cached)
                continue
            resolution = self._search(title, artist, budget)
            results.append(resolution)
            if resolution.status is SpotifyStatus.CONNECTED:
                fresh.append((title, artist, resolution))
        self._store_resolutions(fresh)
        return results

    def _search_song(self, title: str, artist: str, budget: RetryBudget) -> Resolution:
        assert self.client is not None
        best: tuple[MatchScore, SpotifyTrack] | None = None
        candidates_seen = 0
        query = track_query(title, artist)
        for page_number in range(MAX_SEARCH_PAGES):
            page = self.client.search_tracks(query, offset=page_number * SEARCH_PAGE_LIMIT, budget=budget)
            candidates_seen += len(page.tracks)
            best = _better(best, title, artist, page.tracks)
            if (best is not None and best[0].exact) or not page.has_more:
                break
        if best is None:
            page = self.client.search_tracks(free_text_query(title, artist), budget=budget)
            candidates_seen += len(page.tracks)
            best = _better(best, title, artist, page.tracks)
        if best is None:
            reason = (f"no Spotify track matches {title!r} by {artist!r}"
                      f" ({candidates_seen} candidates checked)")
            return Resolution(track=None, reason=reason, cached=False, status=SpotifyStatus.CONNECTED)
        score, track = best
        return Resolution(track=track.as_match(round(score.total, 3)),
                          reason=f"matched with score {score.total:.2f}", cached=False,
                          status=SpotifyStatus.CONNECTED)

    def discover(self, genres: Sequence[str], keywords: Sequence[str], *, count: int = SEARCH_PAGE_LIMIT,
                 exclude_ids: Iterable[str] = ()) -> Discovery:
        """Extra tracks for a mood from genre and keyword searches (one page each, cached)."""
        if self.client is None:
            return Discovery(tracks=(), state=self._not_configured)
        excluded = set(exclude_ids)
        budget = RetryBudget()
        results: list[tuple[TrackMatch, ...]] = []
        for query in discovery_queries(genres, keywords):
            try:
                cached = self.cache.get_search(query)
            except (storage.DatabaseBusyError, sqlite3.Error):
                cached = None
            if cached is None:
                try:
                    page = self.client.search_tracks(query, budget=budget)
                except SpotifyUnavailableError:
                    continue  # later queries may still be cached; the client makes no more calls
                cached = tuple(track.as_match() for track in page.tracks)
                try:
                    self.cache.put_search(query, cached)
                except (storage.DatabaseBusyError, sqlite3.Error) as error:
                    logger.warning("Spotify cache unavailable: %s", error)
            results.append(cached)
        chosen: list[TrackMatch] = []
        for index in range(max((len(tracks) for tracks in results), default=0)):
            for tracks in results:
                if index < len(tracks) and tracks[index].id not in excluded and len(chosen) < count:
                    excluded.add(tracks[index].id)
                    chosen.append(tracks[index])
        return Discovery(tracks=tuple(chosen), state=self.state)


def _better(best: tuple[MatchScore, SpotifyTrack] | None, title: str, artist: str,
            tracks: Sequence[SpotifyTrack]) -> tuple[MatchScore, SpotifyTrack] | None:
    for track in tracks:
        score = match_score(title, artist, track.title, track.artists)
        if score.accepted and (best is None or score.total > best[0].total):
            best = (score, track)
    return best
