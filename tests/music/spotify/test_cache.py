"""The Spotify cache's use of the database: untouched without credentials, one read and one write per playlist."""

from __future__ import annotations

from dataclasses import dataclass

from tunex_core import storage
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
