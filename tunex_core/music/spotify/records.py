"""What the Spotify client, cache and service hand back: statuses, tracks, resolutions and search pages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import quote

from tunex_core.music.track_ids import embed_url, open_url, validated_track_id

SEARCH_URL_PREFIX = "https://open.spotify.com/search/"


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
