"""The bounded Spotify client: client-credentials token and ``/v1/search``, short timeouts, a bounded 429 wait.

Every request has a short timeout (``REQUEST_TIMEOUT_SECONDS``) and spotipy's
own retries are off. A 429 is waited out only while the total wait of one
operation stays within ``MAX_RATE_LIMIT_WAIT_SECONDS``; otherwise the status
becomes rate-limited. Timeouts, 5xx and unreachable hosts make the status
offline. After a failure the client answers from its status without network
calls for a cool-down, so a page that resolves ten songs fails once, fast.
The access token lives in memory only (no spotipy ``.cache`` file).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import NoReturn

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from tunex_core.music.spotify.config import CREDENTIALS_HELP, DASHBOARD_URL, SpotifyCredentials, SpotifyEndpoints
from tunex_core.music.spotify.records import (
    ConnectionState,
    SearchPage,
    SpotifyStatus,
    SpotifyTrack,
    SpotifyUnavailableError,
)
from tunex_core.music.spotify.redaction import install_log_redaction
from tunex_core.music.track_ids import is_valid_track_id

logger = logging.getLogger(__name__)

SEARCH_PAGE_LIMIT = 10
REQUEST_TIMEOUT_SECONDS = 3.0
MAX_RATE_LIMIT_WAIT_SECONDS = 5.0
MAX_RATE_LIMIT_ATTEMPTS = 3
DEFAULT_RETRY_AFTER_SECONDS = 1.0
OFFLINE_COOLDOWN_SECONDS = 30.0
BAD_CREDENTIALS_COOLDOWN_SECONDS = 300.0

install_log_redaction()


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
