"""Read the labelled music-emotion tables the catalog mapping is fitted on (besides PMEmo).

Two research sets, in ``../shared/data/music_emotion/`` (never shipped; only what is fitted on
them is):

``deezer_mood/{train,validation}.csv``  the Deezer Mood Detection Dataset (Delbouys, Hennequin,
    Piccoli, ISMIR 2018): ``artist_name, track_name, valence, arousal``, the values standardised
    (mean 0, SD 1 over the whole set) averages of Warriner et al.'s word norms over each track's
    Last.fm tags. Train is fitted on, validation chooses; the authors' test split is not here.
``songs.csv`` + ``merge_av_values.csv``  the 4Q set (Panda, Malheiro & Paiva, IEEE TAFFC 2018):
    ``Song, Artist, Title, Quadrant`` (a Russell quadrant from AllMusic mood tags), and MERGE's
    continuous ``Valence, Arousal`` on 0..1 (Louro et al., 2024; the same tags through Warriner's
    norms) for most of its songs. A 4Q song without MERGE values keeps its quadrant (reported)
    but is not a fitting target.

Common footing: the three sources measure mood on different scales (PMEmo: listener ratings on
0..1; Deezer: z-scores; MERGE: tag-derived 0..1 with its own centre and spread). Each source's
values are standardised within that source and given PMEmo's mean and SD on each axis
(``to_pmemo_scale``): a song one SD above its own set's mean becomes one PMEmo SD above PMEmo's
mean. It is an affine map per source and axis, so it changes no correlation; it is fixed before
any fitting and uses no evaluation data (only each whole table's and PMEmo's own moments).

A missing, unreadable or damaged table (a missing column, a value that is not a number) raises
``CatalogError`` naming the file and line: labels are few and a silently dropped row would bias
the fit, so the build stops instead. An empty title or artist (3 of 4Q's songs have no artist) is not damage:
the song is kept and simply matches no Spotify track.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tunex_core.music.catalog import CatalogError
from tunex_core.music.csv_reading import read_errors_as_catalog_errors

DEEZER_FOLDER = "deezer_mood"
DEEZER_SPLITS = ("train", "validation")
DEEZER_COLUMNS = ("artist_name", "track_name", "valence", "arousal")
FOUR_QUADRANT_SONGS = "songs.csv"
FOUR_QUADRANT_COLUMNS = ("Song", "Artist", "Title", "Quadrant")
MERGE_VALUES = "merge_av_values.csv"
MERGE_COLUMNS = ("Song", "Arousal", "Valence")
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
"""Russell quadrants: Q1 pleasant-energetic, Q2 unpleasant-energetic, Q3 unpleasant-calm, Q4 pleasant-calm."""
DEEZER = "deezer"
FOUR_QUADRANTS = "4q"
PMEMO = "pmemo"


@dataclass(frozen=True)
class LabelledSong:
    """One song with a mood label from a research set, on that set's own scale until ``to_pmemo_scale``."""

    source: str
    split: str
    key: str
    title: str
    artist: str
    valence: float
    arousal: float
    quadrant: str = ""
    """The set's own quadrant (4Q), or the quadrant of the values around the set's centre (Deezer)."""
    has_values: bool = True


def quadrant_of(valence: float, arousal: float, centre: tuple[float, float] = (0.0, 0.0)) -> str:
    """The Russell quadrant of a point around ``centre``."""
    pleasant, energetic = valence >= centre[0], arousal >= centre[1]
    return {(True, True): "Q1", (False, True): "Q2", (False, False): "Q3", (True, False): "Q4"}[
        (pleasant, energetic)]


def _records(path: Path, needed: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with (read_errors_as_catalog_errors(path, name="music-emotion table", expected="a CSV table",
                                        reading="the table"),
          path.open(encoding="utf-8-sig", newline="") as handle):
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [name for name in needed if name not in header]
        if missing:
            raise CatalogError(f"{path}: line 1: missing column(s) {', '.join(missing)} in the header")
        line = 1
        try:
            for record in reader:
                line = reader.line_num
                if None in record or any(record.get(name) is None for name in needed):
                    raise CatalogError(f"{path}: line {line}: wrong number of fields")
                yield line, record
        except csv.Error as error:
            raise CatalogError(f"{path}: line {reader.line_num}: unreadable CSV ({error})") from None


def _number(path: Path, line: int, column: str, text: str, low: float = -math.inf, high: float = math.inf) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CatalogError(f"{path}: line {line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise CatalogError(f"{path}: line {line}: {column} {text!r} is outside {low}..{high}")
    return value


def _text(text: str) -> str:
    return " ".join(text.split())


def read_deezer(folder: str | Path) -> list[LabelledSong]:
    """Deezer's train and validation songs (values as published: standardised)."""
    folder = Path(folder) / DEEZER_FOLDER
    songs = []
    for split in DEEZER_SPLITS:
        path = folder / f"{split}.csv"
        for line, record in _records(path, DEEZER_COLUMNS):
            valence = _number(path, line, "valence", record["valence"], -10.0, 10.0)
            arousal = _number(path, line, "arousal", record["arousal"], -10.0, 10.0)
            songs.append(LabelledSong(
                source=DEEZER, split=split, key=f"{split}:{line}",
                title=_text(record["track_name"]),
                artist=_text(record["artist_name"]),
                valence=valence, arousal=arousal, quadrant=quadrant_of(valence, arousal)))
    return songs


def read_four_quadrants(folder: str | Path) -> list[LabelledSong]:
    """The 4Q songs with their quadrant and, where MERGE has them, MERGE's valence and arousal (0..1)."""
    folder = Path(folder)
    values_path = folder / MERGE_VALUES
    values: dict[str, tuple[float, float]] = {}
    for line, record in _records(values_path, MERGE_COLUMNS):
        song = _text(record["Song"])
        values[song] = (_number(values_path, line, "Valence", record["Valence"], 0.0, 1.0),
                        _number(values_path, line, "Arousal", record["Arousal"], 0.0, 1.0))
    songs_path = folder / FOUR_QUADRANT_SONGS
    songs = []
    for line, record in _records(songs_path, FOUR_QUADRANT_COLUMNS):
        song = _text(record["Song"])
        quadrant = record["Quadrant"].strip()
        if quadrant not in QUADRANTS:
            raise CatalogError(f"{songs_path}: line {line}: Quadrant {quadrant!r} is not one of {', '.join(QUADRANTS)}")
        valence, arousal = values.get(song, (math.nan, math.nan))
        songs.append(LabelledSong(
            source=FOUR_QUADRANTS, split="train", key=song,
            title=_text(record["Title"]),
            artist=_text(record["Artist"]),
            valence=valence, arousal=arousal, quadrant=quadrant, has_values=song in values))
    return songs


def read_music_emotion(folder: str | Path) -> list[LabelledSong]:
    """Every labelled song of ``folder`` (Deezer train and validation, then 4Q), on each set's own scale."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CatalogError(f"{folder}: no music-emotion folder here; pass --music-emotion-source")
    return [*read_deezer(folder), *read_four_quadrants(folder)]


@dataclass(frozen=True)
class ScaleMap:
    """The affine map of one source's axis onto PMEmo's: ``pmemo_mean + pmemo_sd · (x − mean) / sd``."""

    source: str
    axis: str
    mean: float
    sd: float
    pmemo_mean: float
    pmemo_sd: float

    def apply(self, value: float) -> float:
        """``value`` on PMEmo's scale."""
        return self.pmemo_mean + self.pmemo_sd * (value - self.mean) / self.sd

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"source": self.source, "axis": self.axis, "mean": self.mean, "sd": self.sd,
                "pmemo_mean": self.pmemo_mean, "pmemo_sd": self.pmemo_sd}


def to_pmemo_scale(songs: Sequence[LabelledSong], pmemo_valence: Sequence[float],
                   pmemo_arousal: Sequence[float]) -> tuple[list[LabelledSong], list[ScaleMap]]:
    """``songs`` with values moved onto PMEmo's plane (see the module docstring) and the maps used.

    Each source's moments come from all its songs with values (every split and every song, matched
    to Spotify or not), so the map does not depend on which songs a fit or an evaluation uses.
    """
    pmemo = {"valence": np.asarray(pmemo_valence, dtype=np.float64),
             "arousal": np.asarray(pmemo_arousal, dtype=np.float64)}
    maps: dict[tuple[str, str], ScaleMap] = {}
    for source in sorted({song.source for song in songs}):
        with_values = [song for song in songs if song.source == source and song.has_values]
        if not with_values:
            continue  # quadrants only: nothing to move
        for axis in ("valence", "arousal"):
            values = np.array([getattr(song, axis) for song in with_values], dtype=np.float64)
            if len(values) < 2 or float(np.std(values)) == 0:
                raise CatalogError(f"{source}: too few {axis} values to put on PMEmo's scale")
            maps[source, axis] = ScaleMap(source, axis, float(np.mean(values)), float(np.std(values)),
                                          float(np.mean(pmemo[axis])), float(np.std(pmemo[axis])))
    moved = [song if not song.has_values else replace(
        song, valence=maps[song.source, "valence"].apply(song.valence),
        arousal=maps[song.source, "arousal"].apply(song.arousal)) for song in songs]
    return moved, list(maps.values())
