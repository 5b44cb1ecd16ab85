"""Mood-based song recommendations on the valence-arousal plane.

The mood point is the probability-weighted mean of the seven emotions'
(valence, arousal) points (``tunex_core.mood.mood_point``), so a face that is
60 % sad and 40 % neutral lands between the two, not on "sad".

Modes
  ``match``  the songs nearest the mood point.
  ``iso``    the music-therapy *iso principle*: begin where the listener is and
             move gradually to where they want to be. Waypoint ``k`` of ``n`` is
             ``start + k/(n-1) * (target - start)``, evenly spaced on the straight
             path from the mood point to the target (an emotion's point, default
             ``neutral`` = calm, or any (v, a)). One song is chosen per waypoint
             (the best-scoring allowed song), then neighbours are swapped, as
             few times as possible, until no song is more than
             ``ISO_APPROACH_TOLERANCE`` farther from the target than the song
             before it: the playlist approaches the target steadily even where
             the catalog is sparse near the target.

Ranking: ``score = distance + feedback offset``, where ``distance`` is the
Euclidean distance from the song to the position's target point and the
offset (in the same 0..1 units, negative = better) is

* per song: ``-LIKE_DISCOUNT * likes + SKIP_PENALTY * skips``, with the
  time-decayed weights of ``FeedbackStore.adjustments()`` (each capped at
  ``MAX_FEEDBACK_WEIGHT``; skips fade with a 14-day half-life, likes 90 days);
* per artist, added to each of their songs: ``-ARTIST_LIKE_DISCOUNT * likes +
  ARTIST_SKIP_PENALTY * skips`` summed over the artist's songs.

Rules, relaxed in this order only when the catalog cannot satisfy them:
at least ``MIN_DISTINCT_ARTISTS`` distinct artists in every ``DIVERSITY_WINDOW``
consecutive songs; no artist twice in a row. Never relaxed:
no song twice (a flagged duplicate counts as the same song) and no song from
``recent_ids``. When fewer eligible songs exist than asked for, the playlist is
shorter.

Cost: one vectorised float32 pass over the catalog per query
(``numpy.argpartition`` for the nearest few dozen, exact with feedback offsets):
O(n) for a match query; an iso playlist on a large catalog scans once for the
songs nearest its whole path and picks each waypoint's song among those.
See ``bench/recommend_bench.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tunex_core.emotions import emotion
from tunex_core.mood import Mood, mood_point
from tunex_core.music.catalog import Catalog, CatalogFilter, Song, emotion_region
from tunex_core.music.emotion_music import EmotionMusic, EmotionMusicError, load_emotion_music
from tunex_core.music.feedback import FeedbackAdjustments, FeedbackStore

__all__ = [
    "CatalogFilter", "EmotionMusic", "EmotionMusicError", "FeedbackAdjustments", "FeedbackStore", "Playlist",
    "RecommendError", "Recommendation", "iso_waypoints", "load_emotion_music", "recommend",
    "recommend_for_mood", "resolve_target",
]

MODES = ("match", "iso")
DEFAULT_COUNT = 10
MAX_COUNT = 200
DEFAULT_ISO_TARGET = "neutral"
DIVERSITY_WINDOW = 10
MIN_DISTINCT_ARTISTS = 8
ISO_APPROACH_TOLERANCE = 0.02
LIKE_DISCOUNT = 0.06
SKIP_PENALTY = 0.10
ARTIST_LIKE_DISCOUNT = 0.02
ARTIST_SKIP_PENALTY = 0.03
MAX_FEEDBACK_WEIGHT = 3.0

FLOAT32_MARGIN = 1e-6
CORRIDOR_MIN_SONGS = 20_000
CORRIDOR_SONGS_PER_STEP = 64

STRICT, NO_WINDOW_RULE, NO_ADJACENT_RULE = range(3)
RELAXATION_NOTES = {
    NO_WINDOW_RULE: "artist variety relaxed: the catalog has too few artists here",
    NO_ADJACENT_RULE: "same artist as the previous song: no other artist was left",
}


class RecommendError(ValueError):
    """Recommendation arguments are invalid (bad point, mode, target or count)."""


@dataclass(frozen=True)
class Recommendation:
    """One playlist entry: the song, where it was aimed and why it was chosen."""

    song: Song
    position: int
    target_valence: float
    target_arousal: float
    distance: float
    score: float
    reason: str


@dataclass(frozen=True)
class Playlist:
    """An ordered recommendation for a mood point (and, in iso mode, a target point)."""

    mode: str
    mood_point: tuple[float, float]
    target_point: tuple[float, float]
    target_name: str | None
    items: tuple[Recommendation, ...]

    @property
    def songs(self) -> tuple[Song, ...]:
        """The songs in playlist order."""
        return tuple(item.song for item in self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class FeedbackOffsets:
    """Ranking offsets for the few songs touched by feedback (sparse, aligned arrays)."""

    indices: np.ndarray
    values: np.ndarray
    song_offsets: dict[int, float]
    artist_offsets: dict[int, float]

    @classmethod
    def empty(cls) -> FeedbackOffsets:
        """No feedback: every offset is zero."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), {}, {})


def feedback_offsets(catalog: Catalog, adjustments: FeedbackAdjustments | None) -> FeedbackOffsets:
    """Turn decayed like/skip weights into per-song ranking offsets (see the module docstring).

    Feedback on one song of a duplicate group applies to the whole group; feedback on songs
    missing from the catalog is ignored.
    """
    if not adjustments:
        return FeedbackOffsets.empty()
    records = list(adjustments.songs.values())
    rows = catalog.aligned_indices([record.music_id for record in records])
    likes = np.array([record.likes for record in records])
    skips = np.array([record.skips for record in records])
    known = rows >= 0
    rows, likes, skips = rows[known], likes[known], skips[known]
    if rows.size == 0:
        return FeedbackOffsets.empty()

    per_song = (-LIKE_DISCOUNT * np.minimum(likes, MAX_FEEDBACK_WEIGHT)
                + SKIP_PENALTY * np.minimum(skips, MAX_FEEDBACK_WEIGHT))
    song_offsets: dict[int, float] = {}
    for row, offset in zip(rows.tolist(), per_song.tolist(), strict=True):
        for member in catalog.duplicate_group(row):
            song_offsets[member] = song_offsets.get(member, 0.0) + offset

    codes, code_positions = np.unique(catalog.artist_codes[rows], return_inverse=True)
    artist_likes = np.bincount(code_positions, weights=likes, minlength=codes.size)
    artist_skips = np.bincount(code_positions, weights=skips, minlength=codes.size)
    per_artist = (-ARTIST_LIKE_DISCOUNT * np.minimum(artist_likes, MAX_FEEDBACK_WEIGHT)
                  + ARTIST_SKIP_PENALTY * np.minimum(artist_skips, MAX_FEEDBACK_WEIGHT))
    artist_offsets = dict(zip(codes.tolist(), per_artist.tolist(), strict=True))

    artist_rows = [catalog.indices_of_artist(code) for code in codes.tolist()]
    all_rows = np.concatenate([np.array(list(song_offsets), dtype=np.int64), *artist_rows])
    all_values = np.concatenate([
        np.array(list(song_offsets.values()), dtype=np.float64),
        *(np.full(len(members), offset)
          for members, offset in zip(artist_rows, per_artist.tolist(), strict=True)),
    ])
    indices, positions = np.unique(all_rows, return_inverse=True)
    values = np.bincount(positions, weights=all_values, minlength=indices.size)
    return FeedbackOffsets(indices, values, song_offsets, artist_offsets)


@dataclass
class _Pool:
    """Candidates for one target point, best first; exact for scores up to ``exact_until``."""

    indices: np.ndarray
    scores: np.ndarray
    distances: np.ndarray
    exact_until: float
    requested: int
    complete: bool


def _squared_distances(valence: np.ndarray, arousal: np.ndarray, point: Sequence[float]) -> np.ndarray:
    """Squared distances (float32) from ``point`` to each (valence, arousal)."""
    squared = valence - np.float32(point[0])
    squared *= squared
    arousal_gap = arousal - np.float32(point[1])
    arousal_gap *= arousal_gap
    squared += arousal_gap
    return squared


def _nearest(squared: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Positions of the ``size`` smallest values and a distance below which none was left out."""
    if size >= len(squared):
        return np.arange(len(squared)), np.inf
    nearest = np.argpartition(squared, size - 1)[:size]
    # float32 rounding: shrink the bound a little so float64 distances below it are surely complete.
    return nearest, float(np.sqrt(squared[nearest].max())) - FLOAT32_MARGIN


def _candidate_pool(catalog: Catalog, point: np.ndarray, size: int, offsets: FeedbackOffsets,
                    universe: np.ndarray | None = None, universe_bound: float = np.inf) -> _Pool:
    """The ``size`` nearest songs to ``point`` (among ``universe`` when given: every song outside it is
    farther than ``universe_bound``) plus every song with a feedback offset, ranked by score."""
    if universe is None:
        squared = _squared_distances(catalog.scan_valence, catalog.scan_arousal, point)
    else:
        squared = _squared_distances(catalog.scan_valence[universe], catalog.scan_arousal[universe], point)
    nearest, exact_until = _nearest(squared, size)
    complete = size >= len(squared) and universe_bound == np.inf
    if universe is not None:
        nearest = universe[nearest]
        exact_until = min(exact_until, universe_bound)
    indices = np.union1d(nearest, offsets.indices) if offsets.indices.size else nearest
    distances = np.hypot(catalog.points[indices, 0] - point[0], catalog.points[indices, 1] - point[1])
    scores = distances.copy()
    if offsets.indices.size:
        positions = np.searchsorted(indices, offsets.indices)
        scores[positions] += offsets.values
    order = np.lexsort((indices, scores))
    return _Pool(indices[order], scores[order], distances[order], exact_until, size, complete)


def _corridor(catalog: Catalog, start: np.ndarray, end: np.ndarray, size: int,
              universe: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The ``size`` songs (of ``universe`` when given) nearest the segment from ``start`` to ``end``, and
    a distance from the segment that every other such song exceeds (so from every waypoint on it, too)."""
    direction = end - start
    length_squared = float(direction @ direction)
    valence, arousal = catalog.scan_valence, catalog.scan_arousal
    if universe is not None:
        valence, arousal = valence[universe], arousal[universe]
    valence_offset = valence - np.float32(start[0])
    arousal_offset = arousal - np.float32(start[1])
    if length_squared > 0:
        along = (valence_offset * np.float32(direction[0]) + arousal_offset * np.float32(direction[1]))
        along /= np.float32(length_squared)
        np.clip(along, 0, 1, out=along)
        valence_offset -= along * np.float32(direction[0])
        arousal_offset -= along * np.float32(direction[1])
    squared = _squared_distances(valence_offset, arousal_offset, (0.0, 0.0))
    nearest, bound = _nearest(squared, size)
    if universe is not None:
        nearest = universe[nearest]
    return np.sort(nearest), bound


def resolve_target(target: str | Sequence[float] | None) -> tuple[tuple[float, float], str | None]:
    """An emotion name or a (valence, arousal) pair as a point (and its emotion name, if any)."""
    if target is None:
        target = DEFAULT_ISO_TARGET
    if isinstance(target, str):
        try:
            chosen = emotion(target)
        except ValueError as error:
            raise RecommendError(str(error)) from None
        return (chosen.valence, chosen.arousal), chosen.name
    try:
        valence, arousal = (float(value) for value in target)
    except (TypeError, ValueError):
        raise RecommendError(
            f"target must be an emotion name or a (valence, arousal) pair, not {target!r}") from None
    _check_point(valence, arousal, "target")
    return (valence, arousal), None


def _check_point(valence: float, arousal: float, what: str) -> None:
    for name, value in (("valence", valence), ("arousal", arousal)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or not np.isfinite(value) \
                or not 0.0 <= value <= 1.0:
            raise RecommendError(f"{what} {name} must be a number in 0..1, not {value!r}")


def iso_waypoints(start: Sequence[float], end: Sequence[float], count: int) -> np.ndarray:
    """``count`` evenly spaced points from ``start`` to ``end`` inclusive (just ``start`` if count is 1)."""
    fractions = np.linspace(0.0, 1.0, count) if count > 1 else np.zeros(1)
    start_array, end_array = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    return start_array + fractions[:, None] * (end_array - start_array)


def recommend(catalog: Catalog, valence: float, arousal: float, mode: str = "match",
              target: str | Sequence[float] | None = None, count: int = DEFAULT_COUNT,
              recent_ids: Iterable[int] = (), feedback: FeedbackAdjustments | None = None,
              song_filter: CatalogFilter | None = None) -> Playlist:
    """A playlist of up to ``count`` songs for the mood point (``valence``, ``arousal``).

    ``mode`` is ``"match"`` or ``"iso"``; ``target`` (iso only) is an emotion name or a
    (valence, arousal) pair, default ``"neutral"``. Songs in ``recent_ids`` (and their
    duplicates) are left out; ``feedback`` (``FeedbackStore.adjustments()``) moves liked
    songs and artists up and skipped ones down; ``song_filter`` (genre, decade, popularity,
    rated only, playable only) limits the songs that may be chosen, and every rule still holds
    within it. Raises ``RecommendError`` on bad arguments.
    """
    _check_point(valence, arousal, "mood")
    if mode not in MODES:
        raise RecommendError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_COUNT:
        raise RecommendError(f"count must be a whole number from 1 to {MAX_COUNT}, not {count!r}")
    if mode == "match" and target is not None:
        raise RecommendError("a target only applies to mode 'iso'")
    start = (float(valence), float(arousal))
    if mode == "iso":
        end, target_name = resolve_target(target)
    else:
        end, target_name = start, None
    if len(catalog) == 0:
        return Playlist(mode, start, end, target_name, ())

    waypoints = iso_waypoints(start, end, int(count)) if mode == "iso" else np.array([start] * int(count))
    offsets = feedback_offsets(catalog, feedback)
    mask = catalog.filter_mask(song_filter)
    universe = None
    if mask is not None:
        universe = np.flatnonzero(mask)
        if universe.size == 0:
            return Playlist(mode, start, end, target_name, ())
        allowed = mask[offsets.indices]
        offsets = FeedbackOffsets(offsets.indices[allowed], offsets.values[allowed], offsets.song_offsets,
                                  offsets.artist_offsets)
    excluded = set(catalog.indices_with_duplicates(recent_ids).tolist())
    path = (np.asarray(start), np.asarray(end)) if mode == "iso" else None
    selector = _Selector(catalog, offsets, excluded, int(count), path, universe)
    picks = []
    for waypoint in waypoints:
        pick = selector.choose(waypoint)
        if pick is None:
            break
        picks.append(pick)
    if mode == "iso":
        picks = _approach_order(catalog, picks, np.asarray(end))
    levels = _rule_levels(catalog, picks)

    from_name = emotion_region(*start)
    total_offsets = dict(zip(offsets.indices.tolist(), offsets.values.tolist(), strict=True))
    items: list[Recommendation] = []
    for position, (pick, level, waypoint) in enumerate(zip(picks, levels, waypoints, strict=False), start=1):
        index = pick.index
        distance = float(np.hypot(*(catalog.points[index] - waypoint)))
        if mode == "iso":
            reasons = [f"step {position} of {len(waypoints)} from {from_name} "
                       f"toward {target_name or 'the target'}", f"{distance:.2f} from the waypoint"]
        else:
            reasons = ["near your mood", f"{distance:.2f} from the mood point"]
        reasons.extend(_feedback_reasons(offsets, index, int(catalog.artist_codes[index])))
        if level != STRICT:
            reasons.append(RELAXATION_NOTES[level])
        items.append(Recommendation(
            song=catalog[index], position=position, target_valence=float(waypoint[0]),
            target_arousal=float(waypoint[1]), distance=distance,
            score=distance + total_offsets.get(index, 0.0), reason="; ".join(reasons)))
    return Playlist(mode=mode, mood_point=start, target_point=(float(end[0]), float(end[1])),
                    target_name=target_name, items=tuple(items))


def _approach_order(catalog: Catalog, picks: list[_Pick], target: np.ndarray) -> list[_Pick]:
    """Reorder iso picks so each is at most ``ISO_APPROACH_TOLERANCE`` farther from the target than
    the one before, moving as few songs as possible, then separate same-artist neighbours by swapping
    near-equal ones."""
    distances = [float(np.hypot(*(catalog.points[pick.index] - target))) for pick in picks]
    order = list(range(len(picks)))
    moved = True
    while moved:
        moved = False
        for position in range(1, len(order)):
            if distances[order[position]] > distances[order[position - 1]] + ISO_APPROACH_TOLERANCE:
                order[position - 1], order[position] = order[position], order[position - 1]
                moved = True
    ordered = [picks[position] for position in order]
    gaps = [distances[position] for position in order]

    def approaches(sequence: list[float]) -> bool:
        return all(later <= earlier + ISO_APPROACH_TOLERANCE
                   for earlier, later in itertools.pairwise(sequence))

    for position in range(1, len(ordered)):
        if _artist(catalog, ordered[position]) != _artist(catalog, ordered[position - 1]):
            continue
        for first, second in ((position, position + 1), (position - 2, position - 1)):
            if first < 0 or second >= len(ordered):
                continue
            swapped_gaps = gaps.copy()
            swapped_gaps[first], swapped_gaps[second] = gaps[second], gaps[first]
            candidate = ordered.copy()
            candidate[first], candidate[second] = ordered[second], ordered[first]
            fewer_repeats = _adjacent_repeats(catalog, candidate) < _adjacent_repeats(catalog, ordered)
            if fewer_repeats and approaches(swapped_gaps):
                ordered, gaps = candidate, swapped_gaps
                break
    return ordered


def _artist(catalog: Catalog, pick: _Pick) -> int:
    return int(catalog.artist_codes[pick.index])


def _adjacent_repeats(catalog: Catalog, picks: list[_Pick]) -> int:
    codes = [_artist(catalog, pick) for pick in picks]
    return sum(first == second for first, second in itertools.pairwise(codes))


def _rule_levels(catalog: Catalog, picks: list[_Pick]) -> list[int]:
    """The relaxation level each position of the final order actually needed."""
    codes = [_artist(catalog, pick) for pick in picks]
    levels = []
    for position, pick in enumerate(picks):
        level = pick.level
        window = codes[max(0, position - DIVERSITY_WINDOW + 1): position + 1]
        if len(window) - len(set(window)) > DIVERSITY_WINDOW - MIN_DISTINCT_ARTISTS:
            level = max(level, NO_WINDOW_RULE)
        if position and codes[position] == codes[position - 1]:
            level = max(level, NO_ADJACENT_RULE)
        levels.append(level)
    return levels


def recommend_for_mood(catalog: Catalog, mood: Mood, mode: str = "match",
                       target: str | Sequence[float] | None = None, count: int = DEFAULT_COUNT,
                       recent_ids: Iterable[int] = (),
                       feedback: FeedbackAdjustments | None = None,
                       song_filter: CatalogFilter | None = None) -> Playlist:
    """``recommend`` at the mood's point: the probability-weighted mean of the emotion points."""
    valence, arousal = mood_point(mood.probabilities)
    return recommend(catalog, valence, arousal, mode=mode, target=target, count=count,
                     recent_ids=recent_ids, feedback=feedback, song_filter=song_filter)


def _feedback_reasons(offsets: FeedbackOffsets, index: int, artist_code: int) -> list[str]:
    reasons = []
    song_offset = offsets.song_offsets.get(index, 0.0)
    artist_offset = offsets.artist_offsets.get(artist_code, 0.0)
    if song_offset < 0:
        reasons.append("you liked it")
    elif song_offset > 0:
        reasons.append("ranked lower: you skipped it")
    if artist_offset < 0:
        reasons.append("an artist you like")
    elif artist_offset > 0:
        reasons.append("ranked lower: an artist you skip")
    return reasons


@dataclass(frozen=True)
class _Pick:
    index: int
    level: int


class _Selector:
    """Greedy playlist filling under the diversity and no-repeat rules.

    For iso playlists on large catalogs the candidates come from a corridor: the songs nearest
    the whole path, found in one scan, so each waypoint does not rescan the catalog. A waypoint
    that needs more than the corridor holds falls back to a full scan, so results are exact.
    """

    def __init__(self, catalog: Catalog, offsets: FeedbackOffsets, excluded: set[int], count: int,
                 path: tuple[np.ndarray, np.ndarray] | None = None, universe: np.ndarray | None = None) -> None:
        self.catalog = catalog
        self.universe = universe
        self.offsets = offsets
        self.excluded = excluded
        # Enough candidates for the whole playlist, the excluded songs and some artist repeats to skip.
        self.initial_pool_size = count + len(excluded) + 4 * DIVERSITY_WINDOW
        self.used_canonical: set[int] = set()
        self.artists: list[int] = []
        self.pools: dict[tuple[float, float], _Pool] = {}
        self.corridor: np.ndarray | None = None
        self.corridor_bound = np.inf
        if path is not None and (len(catalog) if universe is None else len(universe)) >= CORRIDOR_MIN_SONGS:
            size = count * CORRIDOR_SONGS_PER_STEP + len(excluded)
            self.corridor, self.corridor_bound = _corridor(catalog, path[0], path[1], size, universe)

    def _pool(self, waypoint: np.ndarray, minimum_size: int) -> _Pool:
        key = (float(waypoint[0]), float(waypoint[1]))
        pool = self.pools.get(key)
        if pool is not None and (pool.complete or pool.requested >= minimum_size):
            return pool
        if self.corridor is not None and minimum_size < len(self.corridor):
            pool = _candidate_pool(self.catalog, waypoint, minimum_size, self.offsets,
                                   self.corridor, self.corridor_bound)
        else:
            pool = _candidate_pool(self.catalog, waypoint, minimum_size, self.offsets, self.universe)
        self.pools[key] = pool
        return pool

    def _allowed(self, index: int, level: int) -> bool:
        if index in self.excluded or int(self.catalog.canonical_ids[index]) in self.used_canonical:
            return False
        artist = int(self.catalog.artist_codes[index])
        if level < NO_ADJACENT_RULE and self.artists and self.artists[-1] == artist:
            return False
        if level < NO_WINDOW_RULE:
            window = [*self.artists[-(DIVERSITY_WINDOW - 1):], artist]
            if len(window) - len(set(window)) > DIVERSITY_WINDOW - MIN_DISTINCT_ARTISTS:
                return False
        return True

    def choose(self, waypoint: np.ndarray) -> _Pick | None:
        """The best-scoring allowed song for ``waypoint``, relaxing rules only when none is allowed."""
        for level in (STRICT, NO_WINDOW_RULE, NO_ADJACENT_RULE):
            size = self.initial_pool_size
            while True:
                pool = self._pool(waypoint, size)
                for position in range(len(pool.indices)):
                    if pool.scores[position] > pool.exact_until:
                        break
                    index = int(pool.indices[position])
                    if self._allowed(index, level):
                        self.used_canonical.add(int(self.catalog.canonical_ids[index]))
                        self.artists.append(int(self.catalog.artist_codes[index]))
                        return _Pick(index, level)
                if pool.complete:
                    break
                size = max(size, pool.requested) * 4
        return None
