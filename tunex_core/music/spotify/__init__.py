"""Spotify for TuneX: find catalog songs on Spotify and fetch extra tracks per emotion.

Only the client-credentials flow and ``/v1/search`` are used. Late-2026 Spotify
answers ``/recommendations`` with 404 and ``/audio-features`` and artist
top-tracks with 403 for new apps, so TuneX never calls them: the mood-to-song
mapping is TuneX's own catalog, and Spotify only supplies playable track IDs.
Development Mode apps get ``400 Invalid limit`` for a search ``limit`` above 10,
so searches page with ``offset`` instead.

The parts, each with its own module:

- ``config``: credentials (secrets file or environment), endpoints, the messages that explain them;
- ``records``: statuses, tracks, resolutions, search pages (what the others hand back);
- ``redaction``: keeps ``Basic``/``Bearer`` values out of spotipy's logs;
- ``client``: the bounded HTTP client (short timeouts, bounded 429 wait, cool-down after a failure);
- ``cache``: resolutions and discovery searches in the shared SQLite database;
- ``service``: what pages and the CLI call (status, cached resolution, discovery).

Callers import from the package (``from tunex_core.music.spotify import SpotifyService``); the names
below are its public interface.
"""

from tunex_core.music.spotify.cache import (
    DISCOVERY_EXPIRY_HOURS,
    MISS_EXPIRY_DAYS,
    SpotifyCache,
    lookup_key,
)
from tunex_core.music.spotify.client import (
    BAD_CREDENTIALS_COOLDOWN_SECONDS,
    DEFAULT_RETRY_AFTER_SECONDS,
    MAX_RATE_LIMIT_ATTEMPTS,
    MAX_RATE_LIMIT_WAIT_SECONDS,
    OFFLINE_COOLDOWN_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    SEARCH_PAGE_LIMIT,
    RetryBudget,
    SpotifyClient,
)
from tunex_core.music.spotify.config import (
    API_URL_VARIABLE,
    CLIENT_ID_VARIABLE,
    CLIENT_SECRET_VARIABLE,
    CREDENTIALS_HELP,
    DASHBOARD_URL,
    DEFAULT_API_URL,
    DEFAULT_TOKEN_URL,
    NOT_CONFIGURED_MESSAGE,
    SECRETS_PATH_VARIABLE,
    TOKEN_URL_VARIABLE,
    SpotifyConfigurationError,
    SpotifyCredentials,
    SpotifyEndpoints,
    configuration_fingerprint,
    default_secrets_path,
    load_credentials,
)
from tunex_core.music.spotify.records import (
    SEARCH_URL_PREFIX,
    ConnectionState,
    Discovery,
    Resolution,
    SearchPage,
    SpotifyStatus,
    SpotifyTrack,
    SpotifyUnavailableError,
    TrackMatch,
    search_url,
)
from tunex_core.music.spotify.service import (
    MAX_DISCOVERY_QUERIES,
    MAX_SEARCH_PAGES,
    SongReference,
    SpotifyService,
    discovery_queries,
    free_text_query,
    track_query,
)
from tunex_core.music.track_ids import (
    EMBED_URL_PREFIX,
    OPEN_URL_PREFIX,
    TRACK_ID_PATTERN,
    embed_url,
    is_valid_track_id,
    open_url,
    validated_track_id,
)

__all__ = [
    "API_URL_VARIABLE", "BAD_CREDENTIALS_COOLDOWN_SECONDS", "CLIENT_ID_VARIABLE", "CLIENT_SECRET_VARIABLE",
    "CREDENTIALS_HELP", "DASHBOARD_URL", "DEFAULT_API_URL", "DEFAULT_RETRY_AFTER_SECONDS", "DEFAULT_TOKEN_URL",
    "DISCOVERY_EXPIRY_HOURS", "EMBED_URL_PREFIX", "MAX_DISCOVERY_QUERIES", "MAX_RATE_LIMIT_ATTEMPTS",
    "MAX_RATE_LIMIT_WAIT_SECONDS", "MAX_SEARCH_PAGES", "MISS_EXPIRY_DAYS", "NOT_CONFIGURED_MESSAGE",
    "OFFLINE_COOLDOWN_SECONDS", "OPEN_URL_PREFIX", "REQUEST_TIMEOUT_SECONDS", "SEARCH_PAGE_LIMIT",
    "SEARCH_URL_PREFIX", "SECRETS_PATH_VARIABLE", "TOKEN_URL_VARIABLE", "TRACK_ID_PATTERN",
    "ConnectionState", "Discovery", "Resolution", "RetryBudget", "SearchPage", "SongReference", "SpotifyCache",
    "SpotifyClient", "SpotifyConfigurationError", "SpotifyCredentials", "SpotifyEndpoints", "SpotifyService",
    "SpotifyStatus", "SpotifyTrack", "SpotifyUnavailableError", "TrackMatch",
    "configuration_fingerprint", "default_secrets_path", "discovery_queries", "embed_url", "free_text_query",
    "is_valid_track_id", "load_credentials", "lookup_key", "open_url", "search_url", "track_query",
    "validated_track_id",
]
