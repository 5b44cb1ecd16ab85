"""Train the song-emotion model (``models/song_emotion.npz``) on the 4Q clips; one command, offline.

Usage (from the project root)::

    python -m tunex_core.music.build.song_model                        # ../shared/data/music_emotion
    python -m tunex_core.music.build.song_model --clips DIR --output models/song_emotion.npz \\
        --cache runs/song_features.npz --report runs/song_model_report.json

Data: ``songs.csv`` (song id, artist, Russell quadrant), ``clips/<id>.mp3`` and ``merge_av_values.csv``
(MERGE's tag-derived valence and arousal, 0..1). A song's target is its MERGE value where MERGE has
the song, else the mean MERGE value of its quadrant's songs (the quadrant's centre on MERGE's scale).

Every choice is made by artist-grouped cross-validation only (no artist in two folds): the outer
folds give the reported figures, and inside each outer training part an inner grouped
cross-validation picks the penalties, the kernel width and the ridge/kernel mix, so the reported
figures never saw the songs they score. The final model is refitted on all songs with the settings
the inner search picks on all of them. See ``docs/song_emotion.md`` and ``models/SONG_MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.music.audio.decoding import AudioDecodeError, decode_excerpt
from tunex_core.music.audio.features import FEATURE_VERSION, SilentAudioError, feature_names, feature_vector
from tunex_core.music.audio.model import MIDPOINT, QUADRANT_SIGNS, QUADRANTS, TARGETS, save_model
from tunex_core.music.build.mapping import group_k_fold
from tunex_core.music.build.song_model_fit import as_model, choose, fit, pearson, quadrants_of
from tunex_core.paths import PMEMO_CATALOG_FILE, SHARED_MUSIC_EMOTION_DIR, SONG_MODEL_FILE

FOLDS = 5
INNER_FOLDS = 4


class SongModelError(ValueError):
    """The training data cannot be read or is too small."""


@dataclass(frozen=True)
class TrainingSongs:
    """The labelled clips: ids, artists, quadrants, targets (MERGE scale) and which have MERGE values."""

    ids: tuple[str, ...]
    artists: tuple[str, ...]
    quadrants: tuple[str, ...]
    valence: np.ndarray
    arousal: np.ndarray
    has_merge: np.ndarray
    clip_paths: tuple[Path, ...]


def read_training_songs(clips_dir: Path) -> TrainingSongs:
    """The songs of ``songs.csv`` that have a clip, with targets from ``merge_av_values.csv``."""
    songs_file, values_file = clips_dir / "songs.csv", clips_dir / "merge_av_values.csv"
    if not songs_file.is_file():
        raise SongModelError(f"{songs_file} not found (give --clips the music_emotion folder)")
    values: dict[str, tuple[float, float]] = {}
    if values_file.is_file():
        with open(values_file, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                values[row["Song"]] = (float(row["Valence"]), float(row["Arousal"]))
    rows = []
    with open(songs_file, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            path = clips_dir / "clips" / f"{row['Song']}.mp3"
            if row["Quadrant"] in QUADRANTS and path.is_file():
                rows.append((row["Song"], row["Artist"], row["Quadrant"], path))
    if len(rows) < 4 * FOLDS:
        raise SongModelError(f"only {len(rows)} labelled clips found under {clips_dir}")
    centres = {}
    for quadrant in QUADRANTS:
        known = [values[song] for song, _, quad, _ in rows if quad == quadrant and song in values]
        signs = QUADRANT_SIGNS[quadrant]
        default = (MIDPOINT + 0.2 * signs[0], MIDPOINT + 0.2 * signs[1])
        centres[quadrant] = tuple(np.mean(known, axis=0)) if known else default
    valence = np.array([values.get(song, centres[quad])[0] for song, _, quad, _ in rows])
    arousal = np.array([values.get(song, centres[quad])[1] for song, _, quad, _ in rows])
    return TrainingSongs(ids=tuple(row[0] for row in rows), artists=tuple(row[1] for row in rows),
                         quadrants=tuple(row[2] for row in rows), valence=valence, arousal=arousal,
                         has_merge=np.array([row[0] in values for row in rows]),
                         clip_paths=tuple(row[3] for row in rows))


def extract_features(paths: Sequence[Path], cache: Path | None = None, progress: bool = True) -> np.ndarray:
    """Feature rows for ``paths`` (NaN rows for clips that fail), reusing ``cache`` when it matches."""
    names = feature_names()
    keys = [f"{path.name}:{path.stat().st_size}" for path in paths]
    cached: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as stored:
            if tuple(stored["names"]) == names and int(stored["version"]) == FEATURE_VERSION:
                cached = dict(zip(stored["keys"].tolist(), stored["rows"], strict=True))
    rows = []
    started = time.monotonic()
    for index, (path, key) in enumerate(zip(paths, keys, strict=True)):
        if key not in cached:
            try:
                cached[key] = feature_vector(decode_excerpt(path).samples)
            except (AudioDecodeError, SilentAudioError) as error:
                print(f"skipped {path.name}: {error}", file=sys.stderr)
                cached[key] = np.full(len(names), np.nan)
        rows.append(cached[key])
        if progress and (index + 1) % 100 == 0:
            print(f"features: {index + 1}/{len(paths)} ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, names=np.array(names), version=FEATURE_VERSION, keys=np.array(list(cached)),
                 rows=np.array(list(cached.values())))
    return np.array(rows)


def cross_validate(matrix: np.ndarray, songs: TrainingSongs, folds: int = FOLDS) -> dict:
    """Scores of out-of-fold estimates (MERGE scale): in each outer fold every setting is chosen by an inner
    grouped cross-validation of the training part alone, then the model is fitted there and applied to the
    held-out artists exactly as the app applies it."""
    targets = {"valence": songs.valence, "arousal": songs.arousal}
    predicted = {name: np.empty(len(songs.ids)) for name in TARGETS}
    chosen = []
    artists, quadrants = np.array(songs.artists), np.array(songs.quadrants)
    for test in group_k_fold(songs.artists, folds):
        train = np.setdiff1d(np.arange(len(songs.ids)), test)
        part = {name: values[train] for name, values in targets.items()}
        choice = choose(matrix[train], part, quadrants[train], artists[train], songs.has_merge[train], INNER_FOLDS)
        chosen.append({"axes": {name: settings.__dict__ for name, settings in choice.axes.items()},
                       "classifier": choice.classifier.__dict__})
        metadata, arrays = fit(matrix[train], part, quadrants[train], choice)
        estimates = as_model(metadata, arrays, feature_names()).predict_source(matrix[test])
        for name in TARGETS:
            predicted[name][test] = estimates[name]
    return score_predictions(predicted, songs) | {"settings": chosen}


def score_predictions(predicted: dict[str, np.ndarray], songs: TrainingSongs) -> dict:
    """Quadrant accuracy (all songs, overall and per quadrant) and Pearson r against MERGE's values."""
    truth = np.array(songs.quadrants)
    guessed = quadrants_of(predicted["valence"], predicted["arousal"])
    merge = songs.has_merge
    per_quadrant = {quadrant: round(float(np.mean(guessed[truth == quadrant] == quadrant)), 4)
                    for quadrant in QUADRANTS if np.any(truth == quadrant)}
    confusion = {quadrant: {other: int(np.sum((truth == quadrant) & (guessed == other))) for other in QUADRANTS}
                 for quadrant in QUADRANTS}
    return {
        "songs": len(songs.ids), "songs_with_merge_values": int(merge.sum()), "artists": len(set(songs.artists)),
        "quadrant_accuracy": round(float(np.mean(guessed == truth)), 4),
        "quadrant_accuracy_per_quadrant": per_quadrant, "confusion_true_by_predicted": confusion,
        "pearson_r": {name: round(pearson(predicted[name][merge], getattr(songs, name)[merge]), 4) for name in TARGETS},
        "mean_absolute_error": {name: round(float(np.mean(np.abs(predicted[name][merge] - getattr(songs, name)[merge]))), 4)
                                for name in TARGETS},
    }


def plane_statistics(songs: TrainingSongs, pmemo_file: Path = PMEMO_CATALOG_FILE) -> dict[str, dict[str, float]]:
    """Per axis, the mean and SD of MERGE's values (the 4Q songs that have them) and of PMEmo's ratings.

    The same common footing as the catalog build's ``to_pmemo_scale`` (issue 43): a song one SD above
    its own set's mean lands one PMEmo SD above PMEmo's mean. Fixed before any fitting; an affine map,
    so it changes no correlation and no ranking.
    """
    with open(pmemo_file, encoding="utf-8", newline="") as handle:
        pmemo_rows = list(csv.DictReader(handle))
    statistics = {}
    for name in TARGETS:
        source = getattr(songs, name)[songs.has_merge]
        plane = np.array([float(row[name]) for row in pmemo_rows if row.get(name)])
        statistics[name] = {"source_mean": float(source.mean()), "source_std": float(source.std()),
                            "plane_mean": float(plane.mean()), "plane_std": float(plane.std())}
    return statistics


def fit_final(matrix: np.ndarray, songs: TrainingSongs, plane: dict[str, dict[str, float]]) -> tuple[dict, dict]:
    """Settings chosen on all songs, the model refitted on all of them: (metadata, arrays) for ``save_model``."""
    targets = {"valence": songs.valence, "arousal": songs.arousal}
    choice = choose(matrix, targets, songs.quadrants, songs.artists, songs.has_merge, FOLDS)
    metadata, arrays = fit(matrix, targets, songs.quadrants, choice)
    for name in TARGETS:
        metadata["targets"][name]["plane"] = plane[name]
    return {**metadata, "feature_names": list(feature_names()), "feature_version": FEATURE_VERSION}, arrays


def build(clips_dir: Path, output: Path, cache: Path | None, report: Path | None, folds: int = FOLDS) -> dict:
    """Extract features, cross-validate, refit on all songs and write the model (and the report)."""
    songs = read_training_songs(clips_dir)
    plane = plane_statistics(songs)  # from every labelled song, whether its clip decodes or not
    matrix = extract_features(songs.clip_paths, cache)
    usable = np.all(np.isfinite(matrix), axis=1)
    if not usable.all():
        keep = np.flatnonzero(usable)
        songs = TrainingSongs(ids=tuple(np.array(songs.ids)[keep]), artists=tuple(np.array(songs.artists)[keep]),
                              quadrants=tuple(np.array(songs.quadrants)[keep]), valence=songs.valence[keep],
                              arousal=songs.arousal[keep], has_merge=songs.has_merge[keep],
                              clip_paths=tuple(np.array(songs.clip_paths, dtype=object)[keep]))
        matrix = matrix[keep]
    scores = cross_validate(matrix, songs, folds)
    metadata, arrays = fit_final(matrix, songs, plane)
    metadata["training"] = {"data": "4Q clips (Panda et al. 2018) with MERGE values (Louro et al. 2024)",
                            "cross_validation": f"{folds}-fold artist-grouped, nested {INNER_FOLDS}-fold for settings",
                            **{key: value for key, value in scores.items() if key != "settings"}}
    save_model(output, metadata, arrays)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(scores, indent=1) + "\n", encoding="utf-8")
    return scores


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train and write the model; prints the cross-validated figures."""
    parser = argparse.ArgumentParser(prog="python -m tunex_core.music.build.song_model", description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=SHARED_MUSIC_EMOTION_DIR,
                        help="the music_emotion folder (songs.csv, merge_av_values.csv, clips/)")
    parser.add_argument("--output", type=Path, default=SONG_MODEL_FILE)
    parser.add_argument("--cache", type=Path, default=None, help="feature cache file (kept outside the repository)")
    parser.add_argument("--report", type=Path, default=None, help="write the cross-validation report (JSON) here")
    parser.add_argument("--folds", type=int, default=FOLDS)
    arguments = parser.parse_args(argv)
    try:
        scores = build(arguments.clips, arguments.output, arguments.cache, arguments.report, arguments.folds)
    except SongModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({key: value for key, value in scores.items() if key != "settings"}, indent=1))
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
