"""Tests for ``tunex_core.music.spotify.cache``: hits and misses kept in the TuneX database, failures not kept, and
the cache's use of the database (untouched without credentials, one read and one write per playlist)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.spotify_server import SERVER_ERROR, FixtureTrack
from tunex_core import storage
from tunex_core.music import spotify
from tunex_core.music.spotify import SpotifyCache, SpotifyService, SpotifyStatus


@dataclass(frozen=True)
class Song:
    title: str
    artist: str


SONGS = [Song("Hello", "Adele"), Song("Mad World", "Gary Jules"), Song("A Song Nobody Wrote", "Nobody At All")]


class ForbiddenCache(SpotifyCache):
    """A cache that fails the test if it is used at all."""

    def _open(self):
        raise AssertionError("the Spotify cache was opened without credentials")


def count_opens(monkeypatch) -> list[int]:
    opened = [0]
    real_open = storage.open_database

    def counting_open(*arguments, **keywords):
        opened[0] += 1
        return real_open(*arguments, **keywords)

    monkeypatch.setattr(storage, "open_database", counting_open)
    return opened


def test_without_credentials_the_cache_is_never_opened(isolated_home):
    service = SpotifyService(None, ForbiddenCache())

    resolutions = service.resolve_many(SONGS)

    assert [resolution.status for resolution in resolutions] == [SpotifyStatus.NOT_CONFIGURED] * 3
    assert service.resolve("Hello", "Adele").status is SpotifyStatus.NOT_CONFIGURED
    assert not (isolated_home / "tunex.sqlite3").exists()


def test_a_playlist_is_read_once_and_written_once(service, monkeypatch):
    opened = count_opens(monkeypatch)

    first = service.resolve_many(SONGS)
    assert opened[0] == 2  # one read of all three, one write of the three new answers
    assert [resolution.cached for resolution in first] == [False, False, False]

    opened[0] = 0
    again = service.resolve_many(SONGS)
    assert opened[0] == 1  # everything from the cache: one read, nothing to write
    assert [resolution.cached for resolution in again] == [True, True, True]
    assert [resolution.track for resolution in again] == [resolution.track for resolution in first]


def search_count(fake) -> int:
    return len(fake.searches())


def track_named(fake, name: str, artist: str) -> FixtureTrack:
    return next(track for track in fake.tracks if track.name == name and artist in track.artists)


def test_cached_hit_makes_no_second_request(service, spotify_environment):
    first = service.resolve("Hello", "Adele")
    requests_after_first = len(spotify_environment.requests)

    second = service.resolve("Hello", "Adele")
    restarted = SpotifyService.from_environment().resolve("hello", "ADELE")

    assert second.cached and restarted.cached
    assert second.track == first.track == restarted.track
    assert len(spotify_environment.requests) == requests_after_first


def test_misses_are_cached_and_expire(spotify_environment, isolated_home):
    now = [1_000_000.0]
    cache = SpotifyCache(clock=lambda: now[0])
    service = SpotifyService.from_environment()
    service.cache = cache

    first = service.resolve("A Song Nobody Wrote", "Nobody At All")
    searches_after_first = search_count(spotify_environment)
    now[0] += (spotify.MISS_EXPIRY_DAYS - 1) * 86400
    second = service.resolve("A Song Nobody Wrote", "Nobody At All")

    assert first.track is None and not first.cached
    assert second.track is None and second.cached
    assert search_count(spotify_environment) == searches_after_first

    now[0] += 2 * 86400
    third = service.resolve("A Song Nobody Wrote", "Nobody At All")
    assert not third.cached
    assert search_count(spotify_environment) > searches_after_first


def test_failures_are_not_cached(service, spotify_environment):
    spotify_environment.mode = SERVER_ERROR
    assert service.resolve("Hello", "Adele").status is SpotifyStatus.OFFLINE

    spotify_environment.mode = "normal"
    service.reset()
    resolution = service.resolve("Hello", "Adele")
    assert resolution.track is not None and not resolution.cached


def test_the_cache_lives_in_the_tunex_database(service, spotify_environment, isolated_home):
    service.resolve("Hello", "Adele")

    from tunex_core import storage

    connection = storage.connect()
    try:
        rows = connection.execute("SELECT title, artist, track_id FROM spotify_resolutions").fetchall()
    finally:
        connection.close()
    assert (isolated_home / "tunex.sqlite3").is_file()
    assert [tuple(row) for row in rows] == [
        ("Hello", "Adele", track_named(spotify_environment, "Hello", "Adele").id)
    ]
