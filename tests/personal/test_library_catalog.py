"""``tunex_core.personal.library_catalog``: own songs as a catalog, beside the shipped one, in playlists and on the map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunex_core.mood import Mood
from tunex_core.music.catalog import CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.recommend import recommend_for_mood
from tunex_core.personal.library import LibrarySong, library_music_id
from tunex_core.personal.library_catalog import (
    BOTH,
    CATALOG,
    LIBRARY,
    combined_catalog,
    library_catalog,
    library_map_trace,
    songs_source,
)


def own_song(index: int, valence: float | None = 0.93, arousal: float | None = 0.63, error: str | None = None,
             title: str | None = None) -> LibrarySong:
    path = Path(f"/music/{index}.mp3")
    return LibrarySong(index, 1, library_music_id(path), path, 100, 1, title, None, 200.0, valence, arousal, error, 0.0)


@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


def test_placed_songs_become_a_catalog_and_failed_ones_stay_out():
    songs = [own_song(1, title="Morning"), own_song(2, None, None, "not an audio file"), own_song(3)]
    catalog = library_catalog(songs)
    assert len(catalog) == 2 and list(catalog.music_ids) == [songs[0].music_id, songs[2].music_id]
    assert catalog[0].title == "Morning" and catalog[1].title == "3" and catalog[1].artist == "Unknown artist"
    assert catalog[0].va_source == "estimated" and catalog[0].region == "happy"
    assert catalog.filter_mask(CatalogFilter(playable_only=True)).all()  # they play from disk
    assert len(library_catalog([])) == 0


def test_both_keeps_every_catalog_song_as_it_was(shipped):
    songs = [own_song(index) for index in range(1, 6)]
    combined = combined_catalog(shipped, songs)
    assert len(combined) == len(shipped) + 5
    for index in np.linspace(0, len(shipped) - 1, 400).astype(int).tolist():
        assert combined[index] == shipped[index]
    assert combined.index_of(songs[0].music_id) == len(shipped)
    for song_filter in (CatalogFilter(playable_only=True), CatalogFilter(rated_only=True),
                        CatalogFilter(genres=frozenset({"rock"})), CatalogFilter(languages=frozenset({"en"}))):
        mask = combined.filter_mask(song_filter)
        assert (mask[:len(shipped)] == shipped.filter_mask(song_filter)).all()
    assert combined.filter_mask(CatalogFilter(playable_only=True))[len(shipped):].all()
    assert not combined.filter_mask(CatalogFilter(rated_only=True))[len(shipped):].any()
    english = CatalogFilter(languages=frozenset({"en"}))
    assert 1000 < shipped.filter_mask(english).sum() < len(shipped)  # the filter does filter
    assert combined.filter_mask(english)[len(shipped):].all()  # own songs' language is unknown: kept
    assert not combined.filter_mask(CatalogFilter(languages=english.languages, rated_only=True))[len(shipped):].any()
    assert len(combined.search("", song_filter=english)) == shipped.filter_mask(english).sum() + 5


def test_the_source_choice_picks_the_songs_and_their_files(shipped):
    songs = [own_song(index, 0.95, 0.9) for index in range(1, 4)]
    assert songs_source(CATALOG, shipped, songs).catalog is shipped
    assert songs_source(CATALOG, shipped, songs).local_files == {}
    library = songs_source(LIBRARY, None, songs)
    assert len(library.catalog) == 3 and library.local_files == {song.music_id: song.path for song in songs}
    both = songs_source(BOTH, shipped, songs)
    playlist = recommend_for_mood(both.catalog, Mood.from_emotion("happy"), count=10)
    assert len(playlist) == 10
    with pytest.raises(ValueError, match="source must be one of"):
        songs_source("spotify", shipped, songs)


def test_iso_playlists_work_on_own_songs_alone():
    songs = [own_song(index, valence, arousal) for index, (valence, arousal)
             in enumerate([(0.2, 0.8), (0.3, 0.6), (0.45, 0.45), (0.55, 0.35), (0.6, 0.3), (0.9, 0.9)], start=1)]
    playlist = recommend_for_mood(library_catalog(songs), Mood.from_emotion("angry"), mode="iso", target="neutral",
                                  count=4)
    assert len(playlist) == 4 and all(song.music_id < 0 for song in playlist.songs)


def test_own_songs_get_their_own_marker_on_the_map(shipped):
    songs = [own_song(1, title="<b>x</b>")]
    combined = combined_catalog(shipped, songs)
    trace = library_map_trace(combined)
    assert trace.name == "My music (1)" and trace.marker.symbol == "diamond-open"
    assert "&lt;b&gt;x&lt;/b&gt;" in trace.text[0]
    assert library_map_trace(combined, np.arange(10)) is None
    assert library_map_trace(shipped) is None
