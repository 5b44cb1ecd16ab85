"""A local stand-in for the Spotify Web API as a Development Mode app sees it (late 2026).

``FakeSpotify`` runs a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) in a thread:

* ``POST /api/token``: client-credentials grant with HTTP Basic auth; wrong
  credentials get ``400 {"error": "invalid_client"}`` like Spotify's.
* ``GET /v1/search``: bearer token required (401 otherwise); ``limit`` must be
  1..10 (``400 Invalid limit`` otherwise), ``offset`` pages; ``q`` understands
  ``track:``, ``artist:`` and ``genre:`` filters (quoted or single words) and
  free words, matched word-wise against a small fixture track list.
* ``/v1/recommendations`` 404, ``/v1/audio-features`` 403, artist top-tracks 403.
* ``mode`` switches the API (and optionally the token endpoint) to answer 429
  with ``Retry-After``, 500, or only after ``slow_seconds``.

Every request is recorded in ``requests`` for assertions.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CLIENT_ID = "0123456789abcdef0123456789abcdef"
CLIENT_SECRET = "fedcba9876543210S3CRETfedcba98"

NORMAL = "normal"
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
SLOW = "slow"


def fixture_track_id(number: int) -> str:
    """A valid 22-character base-62 track ID, readable in test failures."""
    return f"0TuneXFixtureTrack{number:04d}"


@dataclass(frozen=True)
class FixtureTrack:
    """One track the fake server can return."""

    id: str
    name: str
    artists: tuple[str, ...]
    genres: tuple[str, ...] = ()

    def as_json(self, base_url: str) -> dict:
        """The track object shape of Spotify's search answer (fields TuneX reads, and a few more)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": "track",
            "uri": f"spotify:track:{self.id}",
            "href": f"{base_url}/v1/tracks/{self.id}",
            "external_urls": {"spotify": f"https://open.spotify.com/track/{self.id}"},
            "artists": [{"name": artist, "type": "artist"} for artist in self.artists],
            "album": {"name": f"{self.name} (album)", "type": "album"},
            "popularity": 50,
            "explicit": False,
        }


def default_tracks() -> list[FixtureTrack]:
    """Near-misses listed before the right tracks, so taking the first result is wrong."""
    tracks = [
        ("Hello (Karaoke Version)", ("Adele Tribute Band",), ()),
        ("Hello - Live at Wembley", ("Adele",), ("pop",)),
        ("Hello Goodbye", ("The Beatles",), ("rock",)),
        ("Hello", ("Adele",), ("pop",)),
        ("Crazy In Love (feat. JAY-Z)", ("Beyoncé", "JAY-Z"), ("pop", "r&b")),
        ("Hallelujah", ("Jeff Buckley",), ("rock",)),
        ("Café del Mar - Energy 52 Remix", ("Energy 52",), ("trance",)),
        ("Cafe Del Mar", ("Energy 52",), ("trance",)),
        ("Happy", ("Pharrell Williams",), ("pop", "dance")),
        ("Walking on Sunshine", ("Katrina & The Waves",), ("pop",)),
        ("Someone Like You", ("Adele",), ("pop", "sad")),
        ("Mad World", ("Gary Jules",), ("sad", "acoustic")),
        ("Calm Waters", ("Ambient Collective",), ("ambient", "chill")),
        ("Quiet Morning", ("Ambient Collective",), ("ambient", "chill")),
    ]
    result = [FixtureTrack(fixture_track_id(index), name, artists, genres)
              for index, (name, artists, genres) in enumerate(tracks, start=1)]
    # Twelve live versions before the studio "Yesterday": the right track is on page 2.
    next_number = len(result) + 1
    for take in range(12):
        result.append(FixtureTrack(fixture_track_id(next_number), f"Yesterday - Live {2000 + take}",
                                   ("The Beatles",), ("rock",)))
        next_number += 1
    result.append(FixtureTrack(fixture_track_id(next_number), "Yesterday - Remastered 2009",
                               ("The Beatles",), ("rock",)))
    return result


def _words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return re.findall(r"[0-9a-z]+", plain.replace("'", "").replace("’", ""))


_FILTER = re.compile(r'(\w+):(?:"([^"]*)"|(\S+))')


def parse_query(query: str) -> tuple[dict[str, list[str]], list[str]]:
    """Split a Spotify ``q`` into field filters (words per field) and free words."""
    filters: dict[str, list[str]] = {}
    for match in _FILTER.finditer(query):
        filters.setdefault(match.group(1).lower(), []).extend(_words(match.group(2) or match.group(3)))
    free = _words(_FILTER.sub(" ", query))
    return filters, free


def matches(track: FixtureTrack, filters: dict[str, list[str]], free: list[str]) -> bool:
    """Whether every filter word and every free word occurs in the right field."""
    title_words = set(_words(track.name))
    artist_words = {word for artist in track.artists for word in _words(artist)}
    genre_words = {word for genre in track.genres for word in _words(genre)}
    fields = {"track": title_words, "artist": artist_words, "genre": genre_words}
    for name, words in filters.items():
        if name not in fields or not set(words) <= fields[name]:
            return False
    return set(free) <= title_words | artist_words


@dataclass
class RecordedRequest:
    """One request the fake server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


@dataclass
class FakeSpotify:
    """Configuration and state of the fake server, shared with its handler threads."""

    tracks: list[FixtureTrack] = field(default_factory=default_tracks)
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    mode: str = NORMAL
    modes_affect_token: bool = False
    retry_after: str | None = "1"
    rate_limited_answers: int | None = None
    slow_seconds: float = 10.0
    token_answer: dict | None = None  # when set, the token endpoint answers 200 with exactly this
    requests: list[RecordedRequest] = field(default_factory=list)
    issued_tokens: set[str] = field(default_factory=set)
    base_url: str = ""
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: RecordedRequest) -> None:
        """Keep a request for later assertions."""
        with self.lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        """Paths of all recorded requests, in order."""
        with self.lock:
            return [request.path for request in self.requests]

    def searches(self) -> list[RecordedRequest]:
        """Recorded ``/v1/search`` requests."""
        with self.lock:
            return [request for request in self.requests if request.path == "/v1/search"]

    def take_rate_limited_answer(self) -> bool:
        """Whether this request gets a 429 (``rate_limited_answers`` counts down; None is forever)."""
        with self.lock:
            if self.mode != RATE_LIMITED:
                return False
            if self.rate_limited_answers is None:
                return True
            if self.rate_limited_answers <= 0:
                return False
            self.rate_limited_answers -= 1
            return True

    @property
    def api_url(self) -> str:
        """Value for ``TUNEX_SPOTIFY_API_URL``."""
        return f"{self.base_url}/v1/"

    @property
    def token_url(self) -> str:
        """Value for ``TUNEX_SPOTIFY_TOKEN_URL``."""
        return f"{self.base_url}/api/token"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSpotify/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeSpotify:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        # In slow mode the client has usually given up and closed the connection already.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    def _api_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send_json(status, {"error": {"status": status, "message": message}}, headers)

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        parsed = urlparse(self.path)
        query = parse_qs(parsed.query, keep_blank_values=True)
        self.fake.record(RecordedRequest(self.command, parsed.path, query,
                                         self.headers.get("Authorization")))
        return parsed.path, query

    def _apply_mode(self) -> bool:
        """Answer according to the failure mode; return True when the request was answered."""
        fake = self.fake
        if fake.mode == SLOW:
            fake.release.wait(fake.slow_seconds)
            return False
        if fake.mode == SERVER_ERROR:
            self._api_error(500, "Server error")
            return True
        if fake.take_rate_limited_answer():
            headers = {"Retry-After": fake.retry_after} if fake.retry_after is not None else {}
            self._api_error(429, "API rate limit exceeded", headers)
            return True
        return False

    def do_POST(self) -> None:
        path, _ = self._record()
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if path != "/api/token":
            self._api_error(404, "Service not found")
            return
        if self.fake.modes_affect_token and self._apply_mode():
            return
        if self.fake.token_answer is not None:
            self._send_json(200, self.fake.token_answer)
            return
        if form.get("grant_type") != ["client_credentials"]:
            self._send_json(400, {"error": "unsupported_grant_type",
                                  "error_description": "grant_type parameter is missing"})
            return
        expected = base64.b64encode(f"{self.fake.client_id}:{self.fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self._send_json(400, {"error": "invalid_client", "error_description": "Invalid client"})
            return
        token = "BQ" + secrets.token_urlsafe(32)
        with self.fake.lock:
            self.fake.issued_tokens.add(token)
        self._send_json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def do_GET(self) -> None:
        path, query = self._record()
        if path.startswith("/v1/recommendations"):
            self._api_error(404, "Not found")
            return
        if path.startswith("/v1/audio-features") or re.fullmatch(r"/v1/artists/[^/]+/top-tracks", path):
            self._api_error(403, "Forbidden")
            return
        if path != "/v1/search":
            self._api_error(404, "Service not found")
            return
        if self._apply_mode():
            return
        authorization = self.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        with self.fake.lock:
            token_known = authorization.startswith("Bearer ") and token in self.fake.issued_tokens
        if not token_known:
            self._api_error(401, "Invalid access token")
            return
        self._search(query)

    def _search(self, query: dict[str, list[str]]) -> None:
        q = (query.get("q") or [""])[0]
        if not q.strip():
            self._api_error(400, "No search query")
            return
        if "track" not in (query.get("type") or [""])[0].split(","):
            self._api_error(400, "Bad search type field")
            return
        try:
            limit = int((query.get("limit") or ["20"])[0])
        except ValueError:
            limit = -1
        if not 1 <= limit <= 10:
            self._api_error(400, "Invalid limit")
            return
        try:
            offset = int((query.get("offset") or ["0"])[0])
        except ValueError:
            offset = -1
        if not 0 <= offset <= 1000:
            self._api_error(400, "Invalid offset")
            return
        filters, free = parse_query(q)
        found = [track for track in self.fake.tracks if matches(track, filters, free)]
        page = found[offset : offset + limit]
        self._send_json(200, {"tracks": {
            "href": f"{self.fake.base_url}/v1/search",
            "items": [track.as_json(self.fake.base_url) for track in page],
            "limit": limit,
            "offset": offset,
            "total": len(found),
            "next": None if offset + limit >= len(found) else "more",
            "previous": None if offset == 0 else "less",
        }})


class FakeSpotifyServer:
    """Start/stop a ``FakeSpotify`` on 127.0.0.1 in a daemon thread."""

    def __init__(self, fake: FakeSpotify | None = None):
        self.fake = fake or FakeSpotify()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self.fake  # type: ignore[attr-defined]
        host, port = self._server.server_address[:2]
        self.fake.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-spotify", daemon=True)

    def __enter__(self) -> FakeSpotify:
        self._thread.start()
        return self.fake

    def __exit__(self, *exc_info: object) -> None:
        self.fake.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
