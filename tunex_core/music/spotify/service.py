"""The Spotify service used by pages and the command line: status, cached song resolution, discovery.

A song is looked up with at most ``MAX_SEARCH_PAGES`` pages of
``track:"<title>" artist:"<first artist>"``, then one unfiltered page when none
of those candidates matched. A playlist is read from and written to the cache
with one connection each; without credentials the cache is not touched at all.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from tunex_core import storage
from tunex_core.music.spotify.cache import SpotifyCache
from tunex_core.music.spotify.client import REQUEST_TIMEOUT_SECONDS, SEARCH_PAGE_LIMIT, RetryBudget, SpotifyClient
from tunex_core.music.spotify.config import (
    NOT_CONFIGURED_MESSAGE,
    SpotifyConfigurationError,
    SpotifyEndpoints,
    load_credentials,
)
from tunex_core.music.spotify.records import (
    ConnectionState,
    Discovery,
    Resolution,
    SpotifyStatus,
    SpotifyTrack,
    SpotifyUnavailableError,
    TrackMatch,
)
from tunex_core.music.title_matching import MatchScore, match_score, primary_artist, strip_decoration

logger = logging.getLogger(__name__)

MAX_SEARCH_PAGES = 3
MAX_DISCOVERY_QUERIES = 4


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
