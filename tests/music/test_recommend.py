"""Tests for ``tunex_core.music.recommend``: mood point, match, iso, diversity, exclusions and feedback."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from tests.music.catalog_factory import synthetic_catalog
from tunex_core.emotions import EMOTIONS, VALENCE_AROUSAL, emotion
from tunex_core.mood import Mood
from tunex_core.music.catalog import Catalog, CatalogFilter
from tunex_core.music.catalog_io import load_catalog
from tunex_core.music.feedback import LIKE, SKIP, FeedbackStore
from tunex_core.music.recommend import (
    DIVERSITY_WINDOW,
    ISO_APPROACH_TOLERANCE,
    MIN_DISTINCT_ARTISTS,
    Playlist,
    Recommendation,
    RecommendError,
    iso_waypoints,
    recommend,
    recommend_for_mood,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    with FeedbackStore() as feedback_store:
        yield feedback_store


def artists(playlist: Playlist) -> list[str]:
    return [item.song.artist.casefold() for item in playlist.items]


def assert_diverse(playlist: Playlist) -> None:
    names = artists(playlist)
    assert all(first != second for first, second in itertools.pairwise(names)), names
    for end in range(1, len(names) + 1):
        window = names[max(0, end - DIVERSITY_WINDOW):end]
        assert len(window) - len(set(window)) <= DIVERSITY_WINDOW - MIN_DISTINCT_ARTISTS, names


def distance_to(song, point) -> float:
    return float(np.hypot(song.valence - point[0], song.arousal - point[1]))


def test_the_mood_point_is_the_probability_weighted_mean_not_the_top_label(catalog):
    probabilities = [0.0, 0.0, 0.0, 0.0, 0.6, 0.0, 0.4]  # 60 % sad, 40 % neutral
    mood = Mood.from_probabilities(probabilities)
    expected = 0.6 * VALENCE_AROUSAL[4] + 0.4 * VALENCE_AROUSAL[6]
    playlist = recommend_for_mood(catalog, mood)
    assert mood.label == "sad"
    assert playlist.mood_point == pytest.approx(tuple(expected))
    assert playlist.mood_point != pytest.approx((emotion("sad").valence, emotion("sad").arousal))
    assert playlist.items[0].song.music_id == recommend(catalog, *expected).items[0].song.music_id


def test_match_returns_the_nearest_songs_in_order_when_every_artist_differs():
    size = 2000
    generator = np.random.default_rng(1)
    points = generator.random((size, 2))
    distinct = Catalog(np.arange(size), [f"t{index}" for index in range(size)],
                       [f"a{index}" for index in range(size)], points[:, 0], points[:, 1])
    playlist = recommend(distinct, 0.3, 0.6, count=15)
    expected = np.argsort(np.hypot(points[:, 0] - 0.3, points[:, 1] - 0.6))[:15]
    assert [item.song.music_id for item in playlist.items] == expected.tolist()
    assert [item.position for item in playlist.items] == list(range(1, 16))
    assert all(isinstance(item, Recommendation) and item.distance == item.score for item in playlist.items)
    assert all(item.distance == pytest.approx(distance_to(item.song, (0.3, 0.6))) for item in playlist.items)


@pytest.mark.parametrize("mood", EMOTIONS, ids=lambda mood: mood.name)
def test_match_playlists_are_diverse_without_repeats(catalog, mood):
    playlist = recommend(catalog, mood.valence, mood.arousal, count=30)
    assert len(playlist) == 30 and playlist.mode == "match"
    canonical = [item.song.canonical_id for item in playlist.items]
    assert len(set(canonical)) == len(canonical)
    assert_diverse(playlist)
    assert len(set(artists(playlist)[:10])) >= MIN_DISTINCT_ARTISTS
    assert all("relaxed" not in item.reason for item in playlist.items)


def test_one_dominant_artist_does_not_fill_the_playlist():
    size = 400
    generator = np.random.default_rng(2)
    near = 0.5 + generator.normal(0, 0.01, (size, 2))
    artist_names = ["Drake" if index < 300 else f"Other {index}" for index in range(size)]
    crowded = Catalog(np.arange(size), [f"t{index}" for index in range(size)], artist_names,
                      np.clip(near[:, 0], 0, 1), np.clip(near[:, 1], 0, 1))
    playlist = recommend(crowded, 0.5, 0.5, count=10)
    assert artists(playlist).count("drake") == DIVERSITY_WINDOW - MIN_DISTINCT_ARTISTS + 1
    assert len(set(artists(playlist))) == MIN_DISTINCT_ARTISTS
    assert_diverse(playlist)


def test_rules_are_relaxed_only_when_the_catalog_cannot_meet_them():
    two_artists = Catalog(np.arange(6), list("abcdef"), ["X", "Y", "X", "Y", "X", "X"],
                          np.linspace(0.1, 0.6, 6), np.full(6, 0.5))
    playlist = recommend(two_artists, 0.1, 0.5, count=10)
    assert len(playlist) == 6  # every song once, then the catalog is exhausted
    assert len({item.song.music_id for item in playlist.items}) == 6
    assert any("relaxed" in item.reason or "same artist" in item.reason for item in playlist.items)


def test_iso_waypoints_are_evenly_spaced_from_mood_to_target():
    waypoints = iso_waypoints((0.2, 0.3), (1.0, 0.7), 5)
    np.testing.assert_allclose(waypoints, [[0.2, 0.3], [0.4, 0.4], [0.6, 0.5], [0.8, 0.6], [1.0, 0.7]])
    assert iso_waypoints((0.2, 0.3), (1.0, 0.7), 1).tolist() == [[0.2, 0.3]]


@pytest.mark.parametrize(("start", "target"), [("sad", "happy"), ("angry", "neutral"), ("fear", "happy"),
                                               ("happy", "sad"), ("surprise", "neutral")])
def test_iso_playlists_approach_the_target_steadily(catalog, start, target):
    mood, goal = emotion(start), emotion(target)
    playlist = recommend(catalog, mood.valence, mood.arousal, mode="iso", target=target, count=10)
    goal_point = (goal.valence, goal.arousal)
    assert (playlist.mode, playlist.target_name, playlist.target_point) == ("iso", target, goal_point)
    assert len(playlist) == 10
    distances = [distance_to(item.song, goal_point) for item in playlist.items]
    assert all(later <= earlier + ISO_APPROACH_TOLERANCE for earlier, later in itertools.pairwise(distances))
    assert distances[-1] < distances[0] - 0.3
    first, last = playlist.items[0], playlist.items[-1]
    assert (first.target_valence, first.target_arousal) == pytest.approx((mood.valence, mood.arousal))
    assert (last.target_valence, last.target_arousal) == pytest.approx(goal_point)
    assert first.distance < 0.15
    assert len({item.song.canonical_id for item in playlist.items}) == 10
    assert_diverse(playlist)


def test_iso_accepts_a_point_target_and_defaults_to_calm(catalog):
    to_point = recommend(catalog, 0.2, 0.8, mode="iso", target=(0.8, 0.2), count=6)
    assert to_point.target_name is None and to_point.target_point == (0.8, 0.2)
    assert to_point.items[-1].song.valence > to_point.items[0].song.valence
    default = recommend(catalog, 0.2, 0.8, mode="iso")
    assert default.target_name == "neutral"


def test_recent_songs_and_their_duplicates_are_left_out(catalog):
    song = catalog.song(90)  # 92 is its flagged duplicate
    before = recommend(catalog, song.valence, song.arousal, count=10)
    assert 90 in [item.song.music_id for item in before.items]
    after = recommend(catalog, song.valence, song.arousal, count=10, recent_ids=[92])
    chosen = [item.song.music_id for item in after.items]
    assert 90 not in chosen and 92 not in chosen
    assert len(after) == 10


def test_a_duplicate_never_appears_twice_in_one_playlist(catalog):
    first, second = catalog.song(176), catalog.song(186)  # "Shining", flagged duplicates
    for point in ((first.valence, first.arousal), (second.valence, second.arousal)):
        playlist = recommend(catalog, *point, count=40)
        assert not {176, 186} <= {item.song.music_id for item in playlist.items}


def rank(playlist: Playlist, music_id: int) -> int | None:
    positions = [item.position for item in playlist.items if item.song.music_id == music_id]
    return positions[0] if positions else None


def test_a_liked_song_ranks_higher_and_a_skipped_one_lower(catalog, store):
    sad = emotion("sad")
    before = recommend(catalog, sad.valence, sad.arousal, count=10)
    liked, skipped = before.items[7].song, before.items[0].song
    store.record_feedback(liked.music_id, LIKE)
    store.record_feedback(skipped.music_id, SKIP)
    after = recommend(catalog, sad.valence, sad.arousal, count=10, feedback=store.adjustments())
    assert rank(after, liked.music_id) < 8
    assert rank(after, skipped.music_id) is None or rank(after, skipped.music_id) > 1
    liked_item = after.items[rank(after, liked.music_id) - 1]
    assert "you liked it" in liked_item.reason and liked_item.score < liked_item.distance


def test_liking_a_song_lifts_other_songs_by_the_same_artist(catalog, store):
    liked, other = catalog.song(224), catalog.song(225)  # two Drake songs far apart
    point = (other.valence + 0.05, other.arousal)
    rated = CatalogFilter(rated_only=True)  # among PMEmo's 767 songs, where the ranks are known
    before = recommend(catalog, *point, count=20, song_filter=rated)
    store.record_feedback(liked.music_id, LIKE)
    after = recommend(catalog, *point, count=20, feedback=store.adjustments(), song_filter=rated)
    assert rank(after, other.music_id) < rank(before, other.music_id)
    lifted = after.items[rank(after, other.music_id) - 1]
    assert lifted.score < lifted.distance and "an artist you like" in lifted.reason


def test_skips_fade_with_time(catalog, store):
    song = catalog.song(808)
    now = time.time()
    rated = CatalogFilter(rated_only=True)  # no other song within the faded skip's 0.005 of this point
    store.record_feedback(song.music_id, SKIP, at=now - 60 * 86_400)
    old_skip = recommend(catalog, song.valence, song.arousal, count=5, feedback=store.adjustments(now=now),
                         song_filter=rated)
    store.record_feedback(song.music_id, SKIP, at=now)
    fresh_skip = recommend(catalog, song.valence, song.arousal, count=5, feedback=store.adjustments(now=now),
                           song_filter=rated)
    assert rank(old_skip, song.music_id) == 1  # a 60-day-old skip has faded to ~5 %
    assert rank(fresh_skip, song.music_id) != 1


@pytest.mark.parametrize(("arguments", "message"), [
    ({"valence": float("nan")}, "valence"),
    ({"valence": -0.1}, "valence"),
    ({"arousal": 1.1}, "arousal"),
    ({"valence": "high"}, "valence"),
    ({"mode": "shuffle"}, "mode"),
    ({"count": 0}, "count"),
    ({"count": 10_000}, "count"),
    ({"count": True}, "count"),
    ({"target": "happy"}, "target only applies"),
    ({"mode": "iso", "target": "joy"}, "unknown emotion"),
    ({"mode": "iso", "target": (0.5, 2.0)}, "target arousal"),
    ({"mode": "iso", "target": (0.5,)}, "target must be"),
])
def test_bad_arguments_raise_a_clear_error(catalog, arguments, message):
    call = {"valence": 0.5, "arousal": 0.5, **arguments}
    with pytest.raises(RecommendError, match=message):
        recommend(catalog, **call)


def test_large_catalogs_answer_with_the_same_rules():
    large = synthetic_catalog(50_000, seed=7)
    playlist = recommend(large, 0.7, 0.2, count=20)
    assert len(playlist) == 20
    assert_diverse(playlist)
    brute = np.sort(np.hypot(large.points[:, 0] - 0.7, large.points[:, 1] - 0.2))
    assert playlist.items[0].distance == pytest.approx(brute[0])
    assert max(item.distance for item in playlist.items) <= brute[40]


@pytest.mark.parametrize("with_feedback", [False, True])
def test_the_iso_corridor_gives_the_same_playlist_as_full_scans(monkeypatch, with_feedback):
    import tunex_core.music.recommend as recommend_module
    from tunex_core.music.feedback import FeedbackAdjustments, SongFeedback

    large = synthetic_catalog(60_000, seed=11, songs_per_artist=3)
    feedback = None
    if with_feedback:
        liked = large.music_ids[np.argsort(np.hypot(large.points[:, 0] - 0.5, large.points[:, 1] - 0.5))[40]]
        feedback = FeedbackAdjustments({int(liked): SongFeedback(int(liked), likes=3.0)})
    arguments = {"mode": "iso", "target": "happy", "count": 12, "recent_ids": large.music_ids[:5000],
                 "feedback": feedback}
    with_corridor = recommend(large, 0.2, 0.3, **arguments)
    monkeypatch.setattr(recommend_module, "CORRIDOR_MIN_SONGS", 10**9)
    full_scans = recommend(large, 0.2, 0.3, **arguments)
    assert with_corridor.songs == full_scans.songs and len(full_scans) == 12


def filtered_catalog() -> Catalog:
    generator = np.random.default_rng(5)
    size = 3000
    return Catalog(
        np.arange(1, size + 1), [f"Song {index}" for index in range(size)],
        [f"Artist {index % 300}" for index in range(size)], generator.random(size), generator.random(size),
        spotify_ids=[None if index % 4 == 0 else f"{index:022d}" for index in range(size)],
        genres=["rock" if index % 3 == 0 else ("pop" if index % 3 == 1 else "") for index in range(size)],
        years=[1965 + index % 55 for index in range(size)],
        popularity=[None if index % 5 == 0 else index % 101 for index in range(size)],
        va_sources=["rated" if index % 10 == 0 else "estimated" for index in range(size)],
    )


@pytest.mark.parametrize("song_filter", [
    CatalogFilter(genres=frozenset({"rock"})),
    CatalogFilter(decades=frozenset({1980, 2010})),
    CatalogFilter(min_popularity=60),
    CatalogFilter(rated_only=True),
    CatalogFilter(playable_only=True),
    CatalogFilter(genres=frozenset({"pop"}), min_popularity=30, playable_only=True),
])
@pytest.mark.parametrize("mode", ["match", "iso"])
def test_filters_limit_the_songs_and_keep_the_rules(song_filter, mode):
    catalog = filtered_catalog()
    mask = catalog.filter_mask(song_filter)
    recent = [int(catalog.music_ids[index]) for index in np.flatnonzero(mask)[:5]]
    target = "happy" if mode == "iso" else None
    playlist = recommend(catalog, 0.3, 0.6, mode=mode, target=target, count=15, recent_ids=recent,
                         song_filter=song_filter)
    assert len(playlist) == 15
    rows = [catalog.index_of(song.music_id) for song in playlist.songs]
    assert all(mask[rows])
    assert len(set(rows)) == 15 and not set(recent) & {song.music_id for song in playlist.songs}
    artists = [song.artist for song in playlist.songs]
    assert all(first != second for first, second in itertools.pairwise(artists))
    if mode == "match":  # the filtered playlist is the nearest allowed songs, as on a catalog of only those
        allowed = np.flatnonzero(mask)
        distances = np.hypot(catalog.points[allowed, 0] - 0.3, catalog.points[allowed, 1] - 0.6)
        chosen = np.hypot(catalog.points[rows, 0] - 0.3, catalog.points[rows, 1] - 0.6)
        unused = np.setdiff1d(allowed, rows)
        unused = unused[~np.isin(catalog.music_ids[unused], recent)]
        assert chosen.max() <= np.sort(np.hypot(catalog.points[unused, 0] - 0.3,
                                                catalog.points[unused, 1] - 0.6))[0] + 0.05
        assert distances.size > 15


def test_a_filter_that_allows_nothing_gives_an_empty_playlist():
    catalog = filtered_catalog()
    assert len(recommend(catalog, 0.5, 0.5, song_filter=CatalogFilter(genres=frozenset({"jazz"})))) == 0


def test_filter_masks_leave_out_unknown_values():
    catalog = filtered_catalog()
    rock = catalog.filter_mask(CatalogFilter(genres=frozenset({"rock"})))
    assert rock.sum() == 1000 and all(catalog.genres[index] == "rock" for index in np.flatnonzero(rock))
    popular = catalog.filter_mask(CatalogFilter(min_popularity=1))
    assert not popular[0] and popular.sum() == sum(1 for index in range(3000) if index % 5 and index % 101)
    assert catalog.filter_mask(CatalogFilter()) is None
    eighties = catalog.filter_mask(CatalogFilter(decades=frozenset({1980})))
    assert set(catalog.years[eighties].tolist()) == set(range(1980, 1990))
