"""Which emotion region do the labels themselves fall in? The labelled songs' own points against the catalog's.

Issue 43 asks that no emotion region hold more than 45% of the catalog, and that the counts come from a better
placement, never from moving songs. This study asks whether labels that the placement follows allow it: it
puts every labelled song at its label (on PMEmo's plane, as the build does: ``music_emotion.to_pmemo_scale``)
and counts the nearest emotion point, as the Song map does (``catalog.emotion_region_indices``), per source:

- PMEmo's 767 listener ratings;
- the Deezer mood set, train and validation, every song (matched to a Spotify track or not) and the matched ones;
- the 4Q songs with MERGE values;

then the shipped catalog (``data/catalog.parquet``): its rated and its placed songs.

    python bench/label_regions.py

Seconds. Needs ../shared (PMEmo, music_emotion); research data only, nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.music.build.catalog import RAW_CATALOG_NAME, read_overrides
from tunex_core.music.build.cleaning import clean_catalog
from tunex_core.music.build.merge import MergeReport, drop_same_songs, match_labelled_songs, merge_by_id
from tunex_core.music.build.music_emotion import read_music_emotion, to_pmemo_scale
from tunex_core.music.build.spotify_tables import read_spotify_tables
from tunex_core.music.catalog import ESTIMATED, RATED, emotion_region_indices
from tunex_core.music.catalog_io import read_catalog_rows
from tunex_core.paths import CATALOG_FILE, SHARED_MUSIC_EMOTION_DIR, SHARED_PMEMO_DIR, SHARED_SPOTIFY_DIR


def shares(valence: np.ndarray, arousal: np.ndarray) -> list[float]:
    """Percent of the points nearest each emotion point, in ``EMOTION_NAMES`` order."""
    regions = emotion_region_indices(np.clip(valence, 0.0, 1.0), np.clip(arousal, 0.0, 1.0))
    return [100.0 * float(np.mean(regions == index)) for index in range(len(EMOTION_NAMES))]


def print_row(label: str, valence, arousal) -> None:
    """One table row: the label, the number of songs and the share of each region."""
    valence, arousal = np.asarray(valence, dtype=np.float64), np.asarray(arousal, dtype=np.float64)
    cells = " | ".join(f"{share:.1f}" for share in shares(valence, arousal))
    print(f"| {label} | {len(valence):,} | {cells} |")


def main() -> None:
    pmemo_rows, _ = clean_catalog(read_catalog_rows(Path(SHARED_PMEMO_DIR) / RAW_CATALOG_NAME), read_overrides())
    labelled, _ = to_pmemo_scale(read_music_emotion(Path(SHARED_MUSIC_EMOTION_DIR)),
                                 [row.valence for row in pmemo_rows], [row.arousal for row in pmemo_rows])
    spotify_rows, _ = read_spotify_tables(Path(SHARED_SPOTIFY_DIR))
    tracks = drop_same_songs(merge_by_id(spotify_rows, MergeReport()), MergeReport())
    matched = match_labelled_songs(labelled, tracks)
    print("Share (%) of each set's songs nearest each emotion point (labels on PMEmo's plane, clipped to 0..1)\n")
    print(f"| songs | count | {' | '.join(EMOTION_NAMES)} |")
    print("|---|---|" + "---|" * len(EMOTION_NAMES))
    print_row("PMEmo ratings", [row.valence for row in pmemo_rows], [row.arousal for row in pmemo_rows])
    for source, split, only_matched in (("deezer", "train", False), ("deezer", "validation", False),
                                        ("deezer", "train", True), ("deezer", "validation", True),
                                        ("4q", "train", True)):
        chosen = [song for position, song in enumerate(labelled)
                  if song.source == source and song.split == split and song.has_values
                  and (position in matched or not only_matched)]
        label = f"{source} {split} labels" + (", matched to a Spotify track" if only_matched else ", every song")
        print_row(label, [song.valence for song in chosen], [song.arousal for song in chosen])
    catalog = pd.read_parquet(CATALOG_FILE, columns=["valence", "arousal", "va_source"])
    for source in (RATED, ESTIMATED):
        part = catalog[catalog["va_source"] == source]
        print_row(f"catalog, {source}", part["valence"], part["arousal"])
    print_row("catalog, all", catalog["valence"], catalog["arousal"])


if __name__ == "__main__":
    main()
