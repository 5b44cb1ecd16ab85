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
from tunex_core.music.audio.features import SilentAudioError, feature_names, feature_vector
from tunex_core.music.audio.model import TARGETS, save_model
from tunex_core.music.build.mapping import group_k_fold
from tunex_core.paths import PMEMO_CATALOG_FILE, SHARED_MUSIC_EMOTION_DIR, SONG_MODEL_FILE

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
# Quadrant signs: Q1 pleasant-energetic, Q2 unpleasant-energetic, Q3 unpleasant-calm, Q4 pleasant-calm.
QUADRANT_SIGNS = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}
MIDPOINT = 0.5
"""MERGE's quadrant boundary on both axes (its 4Q songs' values lie on the side their quadrant says)."""
FOLDS = 5
INNER_FOLDS = 4
CLIP = 5.0
RIDGE_PENALTIES = (30.0, 100.0, 300.0, 1000.0)
KERNEL_PENALTIES = (0.3, 1.0, 3.0)
KERNEL_WIDTHS = (0.5, 1.0, 2.0)  # gamma = width / number of features
MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)  # share of the kernel model in the ensemble


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
            if tuple(stored["names"]) == names:
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
        np.savez(cache, names=np.array(names), keys=np.array(list(cached)), rows=np.array(list(cached.values())))
    return np.array(rows)


def _standardisation(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    center = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    return center, np.where(scale > 1e-12, scale, 1.0)


def _standardise(matrix: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.clip((matrix - center) / scale, -CLIP, CLIP)


def _squared_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    squared = np.sum(first ** 2, axis=1)[:, None] + np.sum(second ** 2, axis=1)[None, :] - 2.0 * first @ second.T
    return np.maximum(squared, 0.0)


def _pearson(first: np.ndarray, second: np.ndarray) -> float:
    if np.std(first) < 1e-12 or np.std(second) < 1e-12:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


@dataclass(frozen=True)
class Settings:
    """One target's hyperparameters, picked by inner cross-validation."""

    ridge_penalty: float
    kernel_penalty: float
    kernel_width: float
    mix: float


def _fit_predict(train: np.ndarray, target: np.ndarray, test: np.ndarray, settings: Settings) -> np.ndarray:
    """Fit ridge and RBF kernel ridge on standardised ``train`` rows and return the mixed predictions."""
    return sum(weight * component.predict(test) for weight, component in _fit_components(train, target, settings))


@dataclass(frozen=True)
class _Fitted:
    kind: str
    bias: float
    weights: np.ndarray | None = None
    support: np.ndarray | None = None
    dual: np.ndarray | None = None
    gamma: float = 0.0

    def predict(self, rows: np.ndarray) -> np.ndarray:
        if self.kind == "linear":
            return rows @ self.weights + self.bias
        return np.exp(-self.gamma * _squared_distances(rows, self.support)) @ self.dual + self.bias


def _fit_components(train: np.ndarray, target: np.ndarray, settings: Settings) -> list[tuple[float, _Fitted]]:
    bias = float(target.mean())
    centred = target - bias
    fitted = []
    if settings.mix < 1.0:
        gram = train.T @ train + settings.ridge_penalty * np.eye(train.shape[1])
        weights = np.linalg.solve(gram, train.T @ centred)
        fitted.append((1.0 - settings.mix, _Fitted("linear", bias, weights=weights)))
    if settings.mix > 0.0:
        gamma = settings.kernel_width / train.shape[1]
        kernel = np.exp(-gamma * _squared_distances(train, train))
        dual = np.linalg.solve(kernel + settings.kernel_penalty * np.eye(len(train)), centred)
        fitted.append((settings.mix, _Fitted("rbf", bias, support=train, dual=dual, gamma=gamma)))
    return fitted


def choose_settings(matrix: np.ndarray, target: np.ndarray, groups: Sequence[str], scored: np.ndarray,
                    folds: int = INNER_FOLDS) -> Settings:
    """The settings with the highest grouped cross-validated Pearson r on the ``scored`` rows."""
    test_folds = group_k_fold(groups, folds)
    ridge_predictions = {penalty: np.empty_like(target) for penalty in RIDGE_PENALTIES}
    kernel_predictions = {(penalty, width): np.empty_like(target)
                          for penalty in KERNEL_PENALTIES for width in KERNEL_WIDTHS}
    for test in test_folds:
        train = np.setdiff1d(np.arange(len(target)), test)
        center, scale = _standardisation(matrix[train])
        train_rows, test_rows = _standardise(matrix[train], center, scale), _standardise(matrix[test], center, scale)
        for penalty in RIDGE_PENALTIES:
            settings = Settings(penalty, 1.0, 1.0, 0.0)
            ridge_predictions[penalty][test] = _fit_predict(train_rows, target[train], test_rows, settings)
        for penalty, width in kernel_predictions:
            settings = Settings(1.0, penalty, width, 1.0)
            kernel_predictions[(penalty, width)][test] = _fit_predict(train_rows, target[train], test_rows, settings)
    best_ridge = max(RIDGE_PENALTIES, key=lambda penalty: _pearson(ridge_predictions[penalty][scored], target[scored]))
    best_kernel = max(kernel_predictions,
                      key=lambda key: _pearson(kernel_predictions[key][scored], target[scored]))
    best_mix = max(MIXES, key=lambda mix: _pearson(
        ((1 - mix) * ridge_predictions[best_ridge] + mix * kernel_predictions[best_kernel])[scored], target[scored]))
    return Settings(best_ridge, best_kernel[0], best_kernel[1], best_mix)


def _spread_factor(predicted: np.ndarray, target: np.ndarray) -> float:
    spread = float(np.std(predicted))
    return float(np.std(target)) / spread if spread > 1e-12 else 1.0


def quadrants_of(valence: np.ndarray, arousal: np.ndarray) -> np.ndarray:
    """Russell quadrant names of points on MERGE's scale (boundary ``MIDPOINT`` on both axes)."""
    positive_valence, high_arousal = valence >= MIDPOINT, arousal >= MIDPOINT
    return np.where(high_arousal, np.where(positive_valence, "Q1", "Q2"), np.where(positive_valence, "Q4", "Q3"))


def cross_validate(matrix: np.ndarray, songs: TrainingSongs, folds: int = FOLDS) -> dict:
    """Out-of-fold predictions (MERGE scale, spread-corrected inside each fold) and their scores."""
    targets = {"valence": songs.valence, "arousal": songs.arousal}
    predicted = {name: np.empty(len(songs.ids)) for name in TARGETS}
    chosen: dict[str, list[dict]] = {name: [] for name in TARGETS}
    artists = np.array(songs.artists)
    for test in group_k_fold(songs.artists, folds):
        train = np.setdiff1d(np.arange(len(songs.ids)), test)
        for name in TARGETS:
            settings = choose_settings(matrix[train], targets[name][train], artists[train], songs.has_merge[train])
            chosen[name].append(settings.__dict__)
            center, scale = _standardisation(matrix[train])
            train_rows = _standardise(matrix[train], center, scale)
            fitted = _fit_components(train_rows, targets[name][train], settings)
            outside = sum(weight * part.predict(_standardise(matrix[test], center, scale)) for weight, part in fitted)
            # The spread factor comes from the training part: in-sample fits spread wider than out-of-fold ones,
            # so it is taken from an inner out-of-fold estimate of the same settings.
            inner = np.empty(len(train))
            for inner_test in group_k_fold(artists[train], INNER_FOLDS):
                inner_train = np.setdiff1d(np.arange(len(train)), inner_test)
                c, s = _standardisation(matrix[train][inner_train])
                inner[inner_test] = _fit_predict(_standardise(matrix[train][inner_train], c, s),
                                                 targets[name][train][inner_train],
                                                 _standardise(matrix[train][inner_test], c, s), settings)
            factor = _spread_factor(inner, targets[name][train])
            centre = float(targets[name][train].mean())
            predicted[name][test] = centre + factor * (outside - centre)
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
        "pearson_r": {name: round(_pearson(predicted[name][merge], getattr(songs, name)[merge]), 4) for name in TARGETS},
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
    """Settings chosen on all songs, the refitted ensemble per target: (metadata, arrays) for ``save_model``."""
    artists = np.array(songs.artists)
    center, scale = _standardisation(matrix)
    rows = _standardise(matrix, center, scale)
    arrays: dict[str, np.ndarray] = {"center": center, "scale": scale}
    targets_metadata = {}
    for name in TARGETS:
        target = getattr(songs, name)
        settings = choose_settings(matrix, target, artists, songs.has_merge)
        components = []
        for index, (weight, part) in enumerate(_fit_components(rows, target, settings)):
            key = f"{name}_{index}"
            if part.kind == "linear":
                arrays[f"{key}_weights"] = part.weights
                components.append({"kind": "linear", "weight": weight, "bias": part.bias, "weights": f"{key}_weights"})
            else:
                arrays["support"] = rows
                arrays[f"{key}_dual"] = part.dual
                components.append({"kind": "rbf", "weight": weight, "bias": part.bias, "support": "support",
                                   "dual": f"{key}_dual", "gamma": part.gamma})
        out_of_fold = np.empty(len(target))
        for test in group_k_fold(artists, FOLDS):
            train = np.setdiff1d(np.arange(len(target)), test)
            c, s = _standardisation(matrix[train])
            out_of_fold[test] = _fit_predict(_standardise(matrix[train], c, s), target[train],
                                             _standardise(matrix[test], c, s), settings)
        targets_metadata[name] = {
            "components": components, "settings": settings.__dict__,
            "spread": {"centre": float(target.mean()), "factor": _spread_factor(out_of_fold, target)},
            "plane": plane[name],
        }
    return {"feature_names": list(feature_names()), "clip": CLIP, "targets": targets_metadata}, arrays


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
