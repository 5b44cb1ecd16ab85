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

Cost: one vectorised pass over the catalog per distinct target point
(``numpy.argpartition`` for the nearest few hundred, exact with feedback
offsets), i.e. O(n) per match query and O(n x count) per iso playlist; see
``bench/recommend_bench.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from tunex_core.catalog import Catalog, Song, emotion_region
from tunex_core.emotion_music import EmotionMusic, EmotionMusicError, load_emotion_music
from tunex_core.emotions import emotion
from tunex_core.feedback import FeedbackAdjustments, FeedbackStore
from tunex_core.mood import Mood, mood_point

__all__ = [
    "EmotionMusic", "EmotionMusicError", "FeedbackAdjustments", "FeedbackStore", "Playlist",
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
    """Turn decayed like/skip weights into per-song ranking offsets (see the module docstring)."""
    if not adjustments:
        return FeedbackOffsets.empty()
    song_offsets: dict[int, float] = {}
    artist_likes: dict[int, float] = {}
    artist_skips: dict[int, float] = {}
    for feedback in adjustments.songs.values():
        indices = catalog.indices_of([feedback.music_id])
        if indices.size == 0:
            continue
        likes = min(feedback.likes, MAX_FEEDBACK_WEIGHT)
        skips = min(feedback.skips, MAX_FEEDBACK_WEIGHT)
        for index in indices.tolist():
            song_offsets[index] = song_offsets.get(index, 0.0) - LIKE_DISCOUNT * likes + SKIP_PENALTY * skips
        code = int(catalog.artist_codes[indices[0]])
        artist_likes[code] = artist_likes.get(code, 0.0) + feedback.likes
        artist_skips[code] = artist_skips.get(code, 0.0) + feedback.skips
    artist_offsets = {
        code: -ARTIST_LIKE_DISCOUNT * min(artist_likes[code], MAX_FEEDBACK_WEIGHT)
        + ARTIST_SKIP_PENALTY * min(artist_skips[code], MAX_FEEDBACK_WEIGHT)
        for code in artist_likes
    }
    totals = dict(song_offsets)
    for code, offset in artist_offsets.items():
        for index in catalog.indices_of_artist(code).tolist():
            totals[index] = totals.get(index, 0.0) + offset
    indices = np.fromiter(totals.keys(), dtype=np.int64, count=len(totals))
    values = np.fromiter(totals.values(), dtype=np.float64, count=len(totals))
    return FeedbackOffsets(indices, values, song_offsets, artist_offsets)


@dataclass
class _Pool:
    """Candidates for one target point, best first; exact for scores up to ``exact_until``."""

    indices: np.ndarray
    scores: np.ndarray
    distances: np.ndarray
    exact_until: float
    size: int


def _candidate_pool(catalog: Catalog, point: np.ndarray, size: int, offsets: FeedbackOffsets) -> _Pool:
    """The ``size`` nearest songs to ``point`` plus every song with a feedback offset, ranked by score."""
    valence_gap = catalog.points[:, 0] - point[0]
    squared = catalog.points[:, 1] - point[1]
    np.multiply(squared, squared, out=squared)
    squared += valence_gap * valence_gap
    total = len(catalog)
    if size < total:
        nearest = np.argpartition(squared, size - 1)[:size]
        exact_until = float(np.sqrt(squared[nearest].max()))
    else:
        nearest = np.arange(total)
        exact_until = np.inf
    indices = np.union1d(nearest, offsets.indices) if offsets.indices.size else nearest
    distances = np.sqrt(squared[indices])
    scores = distances.copy()
    if offsets.indices.size:
        positions = np.searchsorted(indices, offsets.indices)
        scores[positions] += offsets.values
    order = np.lexsort((indices, scores))
    return _Pool(indices[order], scores[order], distances[order], exact_until, min(size, total))


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
              recent_ids: Iterable[int] = (), feedback: FeedbackAdjustments | None = None) -> Playlist:
    """A playlist of up to ``count`` songs for the mood point (``valence``, ``arousal``).

    ``mode`` is ``"match"`` or ``"iso"``; ``target`` (iso only) is an emotion name or a
    (valence, arousal) pair, default ``"neutral"``. Songs in ``recent_ids`` (and their
    duplicates) are left out; ``feedback`` (``FeedbackStore.adjustments()``) moves liked
    songs and artists up and skipped ones down. Raises ``RecommendError`` on bad arguments.
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
    selector = _Selector(catalog, offsets, set(catalog.indices_of(recent_ids).tolist()))
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
                       feedback: FeedbackAdjustments | None = None) -> Playlist:
    """``recommend`` at the mood's point: the probability-weighted mean of the emotion points."""
    valence, arousal = mood_point(mood.probabilities)
    return recommend(catalog, valence, arousal, mode=mode, target=target, count=count,
                     recent_ids=recent_ids, feedback=feedback)


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
    """Greedy playlist filling under the diversity and no-repeat rules."""

    def __init__(self, catalog: Catalog, offsets: FeedbackOffsets, excluded: set[int]) -> None:
        self.catalog = catalog
        self.offsets = offsets
        self.excluded = excluded
        self.used_canonical: set[int] = set()
        self.artists: list[int] = []
        self.pools: dict[tuple[float, float], _Pool] = {}

    def _pool(self, waypoint: np.ndarray, minimum_size: int) -> _Pool:
        key = (float(waypoint[0]), float(waypoint[1]))
        pool = self.pools.get(key)
        if pool is None or pool.size < min(minimum_size, len(self.catalog)):
            pool = _candidate_pool(self.catalog, waypoint, min(minimum_size, len(self.catalog)), self.offsets)
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
        initial = 4 * DIVERSITY_WINDOW + len(self.excluded) + len(self.used_canonical) + 32
        for level in (STRICT, NO_WINDOW_RULE, NO_ADJACENT_RULE):
            size = initial
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
                if pool.size >= len(self.catalog):
                    break
                size = pool.size * 4
        return None
