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
4. The PMEmo-only mapping (``build.mapping``, the baseline) is fitted on the matched songs; the
   placement (``build.placement`` on ``build.placement_features``) is fitted on them and the matched
   Deezer/4Q songs and places every other track on PMEmo's plane (``va_source = estimated``).

Spotify tracks get stable musicIds derived from their track id (``spotify_music_id``), above
every PMEmo id, so likes and plays keep pointing at the same song after a rebuild.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from tunex_core.music.build.language import estimate_languages
from tunex_core.music.build.mapping import MappingFit, fit_mapping
from tunex_core.music.build.music_emotion import PMEMO, LabelledSong, quadrant_of
from tunex_core.music.build.placement import TRAIN, PlacementFit, TrainingSong, clip_labels, fit_placement
from tunex_core.music.build.placement_features import first_artist, placement_features
from tunex_core.music.build.spotify_tables import FEATURES, SpotifyTableRow
from tunex_core.music.build.title_words import WORD_FEATURES, word_features
from tunex_core.music.catalog import ESTIMATED, RATED, CatalogError, CatalogRow
from tunex_core.music.title_matching import (
    MINIMUM_TITLE_SIMILARITY,
    artist_names,
    match_score,
    normalise_title,
    song_key,
    title_credits,
    title_similarity,
)

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
    album: str = ""
    duration: float | None = None
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
    labelled_matched: dict = field(default_factory=dict)

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
            album=next((row.album for row in group if row.album), ""),
            duration=next((row.duration for row in group if row.duration), None),
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


class TrackIndex:
    """The tracks by normalised title and by first artist, for finding a song's candidates quickly."""

    def __init__(self, tracks: Sequence[MergedTrack]) -> None:
        self.tracks = tracks
        self.by_title: dict[str, list[int]] = defaultdict(list)
        self.by_artist: dict[str, list[int]] = defaultdict(list)
        for index, track in enumerate(tracks):
            self.by_title[normalise_title(track.title)].append(index)
            for name in {names[0] for names in (artist_names(artist) for artist in track.matching_artists())
                         if names}:
                self.by_artist[name].append(index)

    def best_match(self, title: str, artists: Sequence[str]) -> tuple[float, int] | None:
        """``(score, track index)`` of the best accepted track for a song credited to ``artists[0]``
        (the others are looked up as well), or None."""
        candidates = set(self.by_title.get(normalise_title(title), ()))
        for artist in artists:
            names = artist_names(artist)
            if names:
                candidates.update(self.by_artist.get(names[0], ()))
        best_key: tuple[float, int, int] | None = None
        for index in candidates:
            track = self.tracks[index]
            if title_similarity(title, track.title) < MINIMUM_TITLE_SIMILARITY:
                continue  # never accepted; most of an artist's other tracks stop here, before the artist comparison
            score = match_score(title, artists[0], track.title, track.matching_artists())
            if not score.accepted:
                continue
            key = (score.total, track.popularity if track.popularity is not None else -1, -index)
            if best_key is None or key > best_key:
                best_key = key
        return None if best_key is None else (best_key[0], -best_key[2])


def match_pmemo_songs(pmemo_rows: Sequence[CatalogRow], tracks: Sequence[MergedTrack],
                      report: MergeReport | None = None) -> dict[int, int]:
    """For each PMEmo musicId that has a Spotify track among ``tracks``, the index of that track.

    A track claimed by two different songs (not flagged duplicates of each other; e.g. "Pt. 1" and
    "Pt. 2") goes to the better-scoring one only; the other stays without an id (counted).
    """
    index = TrackIndex(tracks)
    matches: dict[int, int] = {}
    scores: dict[int, float] = {}
    for row in pmemo_rows:
        found = index.best_match(row.title, (row.artist, *row.featured_artists[:1]))
        if found is not None:
            scores[row.music_id], matches[row.music_id] = found
    canonical = {row.music_id: row.duplicate_of or row.music_id for row in pmemo_rows}
    claims: dict[int, list[int]] = defaultdict(list)
    for music_id, track_index in matches.items():
        claims[track_index].append(music_id)
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


def match_labelled_songs(songs: Sequence[LabelledSong], tracks: Sequence[MergedTrack]) -> dict[int, int]:
    """For each position in ``songs`` whose song has a Spotify track among ``tracks``, the track's index.

    Uses the same title matching as the PMEmo songs. A track claimed by several labelled songs (the
    same song in two sets, or twice in one) keeps every claim: each label is evidence about it.
    """
    index = TrackIndex(tracks)
    matches: dict[int, int] = {}
    for position, song in enumerate(songs):
        if not song.title or not song.artist:
            continue
        found = index.best_match(song.title, (song.artist,))
        if found is not None:
            matches[position] = found[1]
    return matches


def feature_matrix(tracks: Sequence[MergedTrack]) -> np.ndarray:
    """The tracks' ``FEATURES`` as an ``(n, len(FEATURES))`` array (NaN where missing)."""
    if not tracks:
        return np.zeros((0, len(FEATURES)))
    return np.vstack([track.features for track in tracks])


def training_songs(pmemo_pairs: Sequence[tuple[CatalogRow, int]], labelled: Sequence[LabelledSong],
                   labelled_matches: dict[int, int]) -> tuple[list[TrainingSong], list[int]]:
    """The songs the placement is fitted on and the index of each one's track: PMEmo's matched ratings, then
    every matched Deezer/4Q song with values (already on PMEmo's scale; clipped to 0..1)."""
    songs, track_indices = [], []
    for row, track_index in pmemo_pairs:
        songs.append(TrainingSong(PMEMO, TRAIN, row.valence, row.arousal, first_artist(row.artist),
                                  quadrant_of(row.valence, row.arousal, (0.5, 0.5))))
        track_indices.append(track_index)
    for position in sorted(labelled_matches):
        song = labelled[position]
        if song.has_values:
            valence, arousal = clip_labels(np.array([song.valence, song.arousal])).tolist()
            songs.append(TrainingSong(song.source, song.split, valence, arousal, first_artist(song.artist),
                                      song.quadrant))
            track_indices.append(labelled_matches[position])
    return songs, track_indices


def merge_catalog(pmemo_rows: Sequence[CatalogRow], spotify_rows: Sequence[SpotifyTableRow],
                  labelled: Sequence[LabelledSong] = ()
                  ) -> tuple[list[CatalogRow], MappingFit, MergeReport, PlacementFit]:
    """The merged catalog rows (rated PMEmo songs first, then estimated tracks by musicId), the PMEmo-only
    mapping (the baseline), the report and the placement that placed the estimated tracks.

    ``labelled`` are the Deezer/4Q songs with values already on PMEmo's scale (``music_emotion.to_pmemo_scale``).
    """
    report = MergeReport(pmemo_songs=len(pmemo_rows))
    tracks = drop_same_songs(merge_by_id(spotify_rows, report), report)
    matches = match_pmemo_songs(pmemo_rows, tracks, report)
    report.pmemo_matched = len(matches)

    pairs = [(row, tracks[matches[row.music_id]]) for row in pmemo_rows if row.music_id in matches]
    mapping = fit_mapping(
        feature_matrix([track for _, track in pairs]),
        np.array([row.valence for row, _ in pairs]), np.array([row.arousal for row, _ in pairs]),
        [first_artist(row.artist) for row, _ in pairs],
        FEATURES,
    )
    labelled_matches = match_labelled_songs(labelled, tracks)
    report.labelled_matched = _match_counts(labelled, labelled_matches)
    songs, track_indices = training_songs([(row, matches[row.music_id]) for row in pmemo_rows
                                           if row.music_id in matches], labelled, labelled_matches)
    audio_features, audio_names = placement_features(tracks)
    words = word_features([track.title for track in tracks], [track.artist for track in tracks], labelled,
                          labelled_matches)
    all_features, names = np.hstack([audio_features, words]), (*audio_names, *WORD_FEATURES)
    placement = fit_placement(songs, all_features[track_indices], names)

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
    remaining_indices = [index for index in range(len(tracks)) if index not in matched_indices]
    remaining = [tracks[index] for index in remaining_indices]
    valence, arousal = placement.predict(all_features[remaining_indices], names)
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
    rows = [*rated_rows, *estimated_rows]
    albums = {track.spotify_id: track.album for track in tracks}
    languages = estimate_languages([row.title for row in rows], [row.artist for row in rows],
                                   [albums.get(row.spotify_id, "") if row.spotify_id else "" for row in rows])
    rows = [replace(row, language=language) for row, language in zip(rows, languages, strict=True)]
    report.estimated = len(estimated_rows)
    report.catalog_songs = len(rows)
    if not all(math.isfinite(row.valence) and math.isfinite(row.arousal) for row in estimated_rows):
        raise CatalogError("the mapping produced a non-finite valence or arousal")
    return rows, mapping, report, placement


def _match_counts(labelled: Sequence[LabelledSong], matches: dict[int, int]) -> dict[str, dict[str, int]]:
    """Matched songs per ``source split`` and quadrant (and how many songs there were)."""
    counts: dict[str, dict[str, int]] = {}
    for position, song in enumerate(labelled):
        key = f"{song.source} {song.split}"
        entry = counts.setdefault(key, {"songs": 0, "matched": 0, "matched_with_values": 0})
        entry["songs"] += 1
        if position in matches:
            entry["matched"] += 1
            entry["matched_with_values"] += int(song.has_values)
            entry[f"matched {song.quadrant}"] = entry.get(f"matched {song.quadrant}", 0) + 1
    return {key: dict(sorted(value.items())) for key, value in sorted(counts.items())}
