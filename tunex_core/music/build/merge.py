"""Merge the cleaned PMEmo songs with the Spotify tables into one catalog (used by ``build.catalog``).

Steps, each counted in a ``MergeReport``:

1. **Same id, several rows** (one track in several tables, or in several playlists of one
   table): one track. Title, artist and features come from the first table in priority order
   (``spotify_tables.TABLE_LAYOUTS``), features it lacks from the next; genre, year, decade and
   popularity from the first row that has them.
2. **Same song, several ids** (re-releases, album and single versions): tracks with the same
   ``title_matching.song_key`` (folded title without featuring credits + first artist) are one
   song; the most popular is kept (then the one in most tables, then the smallest id).
3. **PMEmo songs get Spotify ids** by the project's title matching (``match_score``: title and
   artist similarity, other-version penalty) against the tracks with the same normalised title or
   the same first artist; the best accepted candidate wins. A matched track becomes that rated
   song (it is not listed again as an estimated one).
4. The mapping (``build.mapping``) is fitted on the matched songs and places every other
   track on PMEmo's plane (``va_source = estimated``).

Spotify tracks get stable musicIds derived from their track id (``spotify_music_id``), above
every PMEmo id, so likes and plays keep pointing at the same song after a rebuild.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from tunex_core.music.build.mapping import MappingFit, fit_mapping
from tunex_core.music.build.spotify_tables import FEATURES, SpotifyTableRow
from tunex_core.music.catalog import ESTIMATED, RATED, CatalogError, CatalogRow
from tunex_core.music.title_matching import artist_names, match_score, normalise_title, song_key, title_credits

SPOTIFY_ID_BASE = 1_000_000
"""Spotify tracks' musicIds start here (PMEmo's ids are far below)."""
SPOTIFY_ID_HASH_BYTES = 6
ESTIMATE_DECIMALS = 4
"""Decimals kept for the estimated valence and arousal of Spotify tracks."""


@dataclass
class MergedTrack:
    """One Spotify track after merging every row with its id."""

    spotify_id: str
    title: str
    artist: str
    artists: tuple[str, ...]
    features: np.ndarray
    tables: tuple[str, ...]
    genre: str = ""
    subgenre: str = ""
    year: int | None = None
    decade: int | None = None
    popularity: int | None = None
    credits: tuple[str, ...] = ()
    """Every artist credit of the id's rows in all tables ("Clean Bandit" in one, "Clean Bandit Featuring
    Sean Paul & Anne-Marie" in another) and in their titles ("(feat. Lil Wayne)"), for matching PMEmo
    songs; ``artists`` is the first table's."""

    def matching_artists(self) -> tuple[str, ...]:
        """``credits``, or ``artists`` when there are none."""
        return self.credits or self.artists


@dataclass
class MergeReport:
    """Counts of what the merge did."""

    rows_in: int = 0
    tracks: int = 0
    ids_in_several_rows: int = 0
    feature_conflicts: int = 0
    same_song_removed: int = 0
    pmemo_songs: int = 0
    pmemo_matched: int = 0
    match_conflicts: int = 0
    estimated: int = 0
    catalog_songs: int = 0

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {key: value for key, value in self.__dict__.items()}


def spotify_music_id(spotify_id: str) -> int:
    """A stable musicId for a Spotify track: ``SPOTIFY_ID_BASE`` + 48 bits of its id's SHA-256."""
    digest = hashlib.sha256(spotify_id.encode("ascii")).digest()[:SPOTIFY_ID_HASH_BYTES]
    return SPOTIFY_ID_BASE + int.from_bytes(digest, "big")


def merge_by_id(rows: Sequence[SpotifyTableRow], report: MergeReport) -> list[MergedTrack]:
    """One ``MergedTrack`` per Spotify id (rows must come in table priority order)."""
    report.rows_in = len(rows)
    groups: dict[str, list[SpotifyTableRow]] = defaultdict(list)
    for row in rows:
        groups[row.spotify_id].append(row)
    tracks = []
    for spotify_id, group in groups.items():
        first = group[0]
        features = np.array(first.features, dtype=np.float64)
        if len(group) > 1:
            report.ids_in_several_rows += 1
            for other in group[1:]:
                values = np.array(other.features, dtype=np.float64)
                missing = np.isnan(features)
                features[missing] = values[missing]
                both = ~np.isnan(features) & ~np.isnan(values)
                if np.any(np.abs(features[both] - values[both]) > 0.05 * np.maximum(1.0, np.abs(values[both]))):
                    report.feature_conflicts += 1
        genre_row = next((row for row in group if row.genre), None)
        tracks.append(MergedTrack(
            spotify_id=spotify_id, title=first.title, artist=first.artist, artists=first.artists,
            features=features, tables=tuple(dict.fromkeys(row.table for row in group)),
            genre=genre_row.genre if genre_row else "", subgenre=genre_row.subgenre if genre_row else "",
            year=next((row.year for row in group if row.year is not None), None),
            decade=next((row.decade for row in group if row.decade is not None), None),
            popularity=next((row.popularity for row in group if row.popularity is not None), None),
            credits=tuple(dict.fromkeys(artist for row in group for artist in (*row.artists, *title_credits(row.title)))),
        ))
    report.tracks = len(tracks)
    return tracks


def drop_same_songs(tracks: Sequence[MergedTrack], report: MergeReport) -> list[MergedTrack]:
    """Keep one track per ``song_key``: the most popular, then in most tables, then the smallest id."""
    groups: dict[str, list[MergedTrack]] = defaultdict(list)
    for track in tracks:
        groups[song_key(track.title, track.artist)].append(track)
    kept = []
    for group in groups.values():
        best = min(group, key=lambda track: (-(track.popularity if track.popularity is not None else -1),
                                             -len(track.tables), track.spotify_id))
        kept.append(best)
        report.same_song_removed += len(group) - 1
    kept.sort(key=lambda track: track.spotify_id)
    return kept


def match_pmemo_songs(pmemo_rows: Sequence[CatalogRow], tracks: Sequence[MergedTrack],
                      report: MergeReport | None = None) -> dict[int, int]:
    """For each PMEmo musicId that has a Spotify track among ``tracks``, the index of that track.

    A track claimed by two different songs (not flagged duplicates of each other; e.g. "Pt. 1" and
    "Pt. 2") goes to the better-scoring one only; the other stays without an id (counted).
    """
    by_title: dict[str, list[int]] = defaultdict(list)
    by_artist: dict[str, list[int]] = defaultdict(list)
    for index, track in enumerate(tracks):
        by_title[normalise_title(track.title)].append(index)
        for name in {names[0] for names in (artist_names(artist) for artist in track.matching_artists()) if names}:
            by_artist[name].append(index)
    matches: dict[int, int] = {}
    scores: dict[int, float] = {}
    for row in pmemo_rows:
        candidates = set(by_title.get(normalise_title(row.title), ()))
        for artist in (row.artist, *row.featured_artists[:1]):
            names = artist_names(artist)
            if names:
                candidates.update(by_artist.get(names[0], ()))
        best_key: tuple[float, int, int] | None = None
        for index in candidates:
            track = tracks[index]
            score = match_score(row.title, row.artist, track.title, track.matching_artists())
            if not score.accepted:
                continue
            key = (score.total, track.popularity if track.popularity is not None else -1, -index)
            if best_key is None or key > best_key:
                best_key = key
        if best_key is not None:
            matches[row.music_id] = -best_key[2]
            scores[row.music_id] = best_key[0]
    canonical = {row.music_id: row.duplicate_of or row.music_id for row in pmemo_rows}
    claims: dict[int, list[int]] = defaultdict(list)
    for music_id, index in matches.items():
        claims[index].append(music_id)
    for music_ids in claims.values():
        if len({canonical[music_id] for music_id in music_ids}) < 2:
            continue
        winner = canonical[max(music_ids, key=lambda music_id: (scores[music_id], -music_id))]
        for music_id in music_ids:
            if canonical[music_id] != winner:
                del matches[music_id]
                if report is not None:
                    report.match_conflicts += 1
    return matches


def feature_matrix(tracks: Sequence[MergedTrack]) -> np.ndarray:
    """The tracks' ``FEATURES`` as an ``(n, len(FEATURES))`` array (NaN where missing)."""
    if not tracks:
        return np.zeros((0, len(FEATURES)))
    return np.vstack([track.features for track in tracks])


def merge_catalog(pmemo_rows: Sequence[CatalogRow], spotify_rows: Sequence[SpotifyTableRow]
                  ) -> tuple[list[CatalogRow], MappingFit, MergeReport]:
    """The merged catalog rows (rated PMEmo songs first, then estimated tracks by musicId), the fitted
    mapping and the report."""
    report = MergeReport(pmemo_songs=len(pmemo_rows))
    tracks = drop_same_songs(merge_by_id(spotify_rows, report), report)
    matches = match_pmemo_songs(pmemo_rows, tracks, report)
    report.pmemo_matched = len(matches)

    pairs = [(row, tracks[matches[row.music_id]]) for row in pmemo_rows if row.music_id in matches]
    mapping = fit_mapping(
        feature_matrix([track for _, track in pairs]),
        np.array([row.valence for row, _ in pairs]), np.array([row.arousal for row, _ in pairs]),
        [artist_names(row.artist)[0] if artist_names(row.artist) else row.artist for row, _ in pairs],
        FEATURES,
    )

    rated_rows = []
    for row in pmemo_rows:
        track = tracks[matches[row.music_id]] if row.music_id in matches else None
        rated_rows.append(replace(
            row, va_source=RATED, spotify_id=track.spotify_id if track else None,
            genre=track.genre if track else "", subgenre=track.subgenre if track else "",
            year=track.year if track else None, decade=track.decade if track else None,
            popularity=track.popularity if track else None,
        ))

    matched_indices = set(matches.values())
    remaining = [track for index, track in enumerate(tracks) if index not in matched_indices]
    valence, arousal = mapping.predict(feature_matrix(remaining), FEATURES)
    pmemo_ids = {row.music_id for row in pmemo_rows}
    estimated_rows = []
    for track, track_valence, track_arousal in zip(remaining, valence.tolist(), arousal.tolist(), strict=True):
        music_id = spotify_music_id(track.spotify_id)
        if music_id in pmemo_ids:
            raise CatalogError(f"Spotify track {track.spotify_id} would take PMEmo's musicId {music_id}")
        estimated_rows.append(CatalogRow(
            music_id=music_id, title=track.title, artist=track.artist, valence=round(track_valence, ESTIMATE_DECIMALS),
            arousal=round(track_arousal, ESTIMATE_DECIMALS), featured_artists=track.artists[1:],
            spotify_id=track.spotify_id, genre=track.genre, subgenre=track.subgenre, year=track.year,
            decade=track.decade, popularity=track.popularity, va_source=ESTIMATED,
        ))
    estimated_rows.sort(key=lambda row: row.music_id)
    ids = Counter(row.music_id for row in estimated_rows)
    clashes = [music_id for music_id, count in ids.items() if count > 1]
    if clashes:
        raise CatalogError(f"two Spotify tracks hash to musicId {clashes[0]}; widen SPOTIFY_ID_HASH_BYTES")
    report.estimated = len(estimated_rows)
    report.catalog_songs = len(rated_rows) + len(estimated_rows)
    if not all(math.isfinite(row.valence) and math.isfinite(row.arousal) for row in estimated_rows):
        raise CatalogError("the mapping produced a non-finite valence or arousal")
    return [*rated_rows, *estimated_rows], mapping, report
