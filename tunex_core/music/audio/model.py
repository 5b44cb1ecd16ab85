"""The fitted song-emotion model: loaded once from a small NPZ file, applied with numpy only.

File format (``numpy.savez``; read with ``allow_pickle=False``, so loading runs no code): the key
``metadata`` holds a JSON document, every other key a float array it names::

    {"format": 2, "feature_names": [...], "feature_version": 2, "clip": 5.0,
     "targets": {"valence": {"components": [{"kind": "linear", "weights": KEY, "bias": b, "weight": w},
                                            {"kind": "rbf", "support": KEY, "dual": KEY, "gamma": g,
                                             "bias": b, "weight": w},
                                            {"kind": "trees", "feature": KEY, "threshold": KEY, "left": KEY,
                                             "right": KEY, "value": KEY, "bias": b, "weight": w}],
                             "spread": {"centre": c, "factor": f},
                             "plane": {"source_mean": m, "source_std": s, "plane_mean": M, "plane_std": S}},
                 "arousal": {...}},
     "classifier": {"support": KEY, "dual": KEY, "bias": [4 numbers], "gamma": g, "snap": d},  (optional)
     "training": {...}}

Prediction: the features are standardised with the arrays ``center`` and ``scale`` and clipped to
±``clip`` (an unusual recording cannot push a value far out); each target is the weighted sum of its
components (ridge, RBF kernel ridge and boosted trees on the standardised features), an estimate on MERGE's
tag-derived 0..1 scale. ``spread`` stretches it about ``centre`` by ``factor`` so the estimates spread
as widely as the training values (a least-squares fit pulls every song toward the middle). The
quadrant ``classifier`` (kernel ridge on the quadrants' one-hot codes) then decides the quadrant:
an axis whose side of ``MIDPOINT`` disagrees with it is set ``snap`` inside the classifier's side.
``plane`` finally puts MERGE's scale on the catalog's PMEmo plane: equal mean and spread
(``docs/song_emotion.md``), clipped to 0..1.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.errors import ModelFileError
from tunex_core.music.audio.features import FEATURE_VERSION, feature_names
from tunex_core.paths import SONG_MODEL_FILE

TARGETS = ("valence", "arousal")
FORMAT_VERSION = 2
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
# Quadrant signs (valence, arousal): Q1 pleasant-energetic, Q2 unpleasant-energetic, Q3 unpleasant-calm,
# Q4 pleasant-calm.
QUADRANT_SIGNS = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}
MIDPOINT = 0.5
"""MERGE's quadrant boundary on both axes (its 4Q songs' values lie on the side their quadrant says)."""


def _squared_distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    squared = np.sum(first ** 2, axis=1)[:, None] + np.sum(second ** 2, axis=1)[None, :] - 2.0 * first @ second.T
    return np.maximum(squared, 0.0)


def predict_trees(base: float, feature: np.ndarray, threshold: np.ndarray, left: np.ndarray, right: np.ndarray,
                  value: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Boosted trees' estimates for ``rows``: ``base`` plus each tree's leaf value (arrays are trees × nodes;
    a leaf has feature −1; a row goes to ``left`` when its value is below the node's threshold)."""
    trees = feature.shape[0]
    node = np.zeros((rows.shape[0], trees), dtype=np.int64)
    tree_index = np.arange(trees)[None, :]
    for _level in range(feature.shape[1]):
        current = feature[tree_index, node]
        internal = current >= 0
        if not internal.any():
            break
        values = np.take_along_axis(rows, np.maximum(current, 0), axis=1)
        go_left = values < threshold[tree_index, node]
        node = np.where(internal, np.where(go_left, left[tree_index, node], right[tree_index, node]), node)
    return base + value[tree_index, node].sum(axis=1)


@dataclass(frozen=True)
class Component:
    """One regressor of a target's ensemble, or the classifier (``dual`` with one column per quadrant)."""

    kind: str
    weight: float
    bias: np.ndarray | float
    weights: np.ndarray | None = None  # linear
    support: np.ndarray | None = None  # rbf: (n, features)
    dual: np.ndarray | None = None  # rbf: (n,) or (n, 4)
    gamma: float = 0.0
    trees: tuple[np.ndarray, ...] | None = None  # trees: feature, threshold, left, right, value

    def predict(self, standardised: np.ndarray) -> np.ndarray:
        """Raw estimates for rows of standardised features."""
        if self.kind == "linear":
            return standardised @ self.weights + self.bias
        if self.kind == "trees":
            return predict_trees(float(self.bias), *self.trees, standardised)
        return np.exp(-self.gamma * _squared_distances(standardised, self.support)) @ self.dual + self.bias


def snap_to_quadrants(valence: np.ndarray, arousal: np.ndarray, scores: np.ndarray,
                      snap: float) -> tuple[np.ndarray, np.ndarray]:
    """Points moved ``snap`` inside the quadrant with the highest of the 4 ``scores`` on each axis whose
    side of ``MIDPOINT`` disagrees with it; points that agree are left as they are."""
    signs = np.array([QUADRANT_SIGNS[QUADRANTS[index]] for index in np.argmax(scores, axis=1)],
                     dtype=np.float64).reshape(-1, 2)
    valence_side = np.where(valence >= MIDPOINT, 1.0, -1.0)
    arousal_side = np.where(arousal >= MIDPOINT, 1.0, -1.0)
    valence = np.where(valence_side != signs[:, 0], MIDPOINT + snap * signs[:, 0], valence)
    arousal = np.where(arousal_side != signs[:, 1], MIDPOINT + snap * signs[:, 1], arousal)
    return valence, arousal


@dataclass(frozen=True)
class TargetModel:
    """An ensemble for one target with its spread correction and its transform onto the catalog's plane."""

    components: tuple[Component, ...]
    spread_centre: float
    spread_factor: float
    source_mean: float
    source_std: float
    plane_mean: float
    plane_std: float

    def predict_source(self, standardised: np.ndarray) -> np.ndarray:
        """Estimates on the training data's scale (MERGE's 0..1), spread-corrected, not clipped."""
        raw = sum(component.weight * component.predict(standardised) for component in self.components)
        return self.spread_centre + self.spread_factor * (raw - self.spread_centre)

    def to_plane(self, source_values: np.ndarray) -> np.ndarray:
        """MERGE-scale values on the catalog's 0..1 plane (equal mean and spread), clipped to 0..1."""
        moved = self.plane_mean + (source_values - self.source_mean) * (self.plane_std / self.source_std)
        return np.clip(moved, 0.0, 1.0)


@dataclass(frozen=True)
class SongEmotionModel:
    """Feature names, standardisation, one ``TargetModel`` per target and the optional quadrant classifier."""

    feature_names: tuple[str, ...]
    center: np.ndarray
    scale: np.ndarray
    clip: float
    targets: dict[str, TargetModel]
    classifier: Component | None
    snap: float
    training: dict

    def standardise(self, features: np.ndarray) -> np.ndarray:
        """Rows of raw features, standardised and clipped like the training rows."""
        matrix = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if matrix.shape[1] != len(self.feature_names):
            raise ValueError(f"expected {len(self.feature_names)} features, got {matrix.shape[1]}")
        return np.clip((matrix - self.center) / self.scale, -self.clip, self.clip)

    def predict_source(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """Per target, estimates on the training scale (MERGE's) for rows of raw features."""
        standardised = self.standardise(features)
        estimates = {name: target.predict_source(standardised) for name, target in self.targets.items()}
        if self.classifier is not None:
            estimates["valence"], estimates["arousal"] = snap_to_quadrants(
                estimates["valence"], estimates["arousal"], self.classifier.predict(standardised), self.snap)
        return estimates

    def predict_plane(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """Per target, estimates on the catalog's 0..1 plane for rows of raw features."""
        source = self.predict_source(features)
        return {name: self.targets[name].to_plane(values) for name, values in source.items()}


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def _read_only_as(array: np.ndarray) -> np.ndarray:
    array = np.array(array)
    array.setflags(write=False)
    return array


def _component(data: dict, arrays: Mapping[str, np.ndarray]) -> Component:
    kind = data.get("kind", "rbf")
    bias = _read_only(data["bias"]) if isinstance(data["bias"], list) else float(data["bias"])
    if kind == "linear":
        return Component(kind=kind, weight=float(data.get("weight", 1.0)), bias=bias,
                         weights=_read_only(arrays[data["weights"]]))
    if kind == "rbf":
        return Component(kind=kind, weight=float(data.get("weight", 1.0)), bias=bias,
                         support=_read_only(arrays[data["support"]]), dual=_read_only(arrays[data["dual"]]),
                         gamma=float(data["gamma"]))
    if kind == "trees":
        arrays_of = [np.asarray(arrays[data[key]]) for key in ("feature", "threshold", "left", "right", "value")]
        feature, left, right = (np.array(array, dtype=np.int64) for array in (arrays_of[0], arrays_of[2], arrays_of[3]))
        if feature.max() >= len(arrays["center"]) or left.max() >= feature.shape[1] or right.max() >= feature.shape[1]:
            raise ValueError("a tree points outside its features or nodes")
        trees = tuple(_read_only_as(array) for array in (feature, _read_only(arrays_of[1]), left, right,
                                                         _read_only(arrays_of[4])))
        return Component(kind=kind, weight=float(data.get("weight", 1.0)), bias=bias, trees=trees)
    raise ValueError(f"unknown component kind {kind!r}")


def model_from_parts(metadata: dict, arrays: Mapping[str, np.ndarray]) -> SongEmotionModel:
    """A model from its JSON metadata and named arrays (the file's contents); raises ``ValueError``/``KeyError``
    when they do not fit together."""
    if metadata.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {metadata.get('format')!r}, expected {FORMAT_VERSION}")
    targets = {}
    for name in TARGETS:
        target = metadata["targets"][name]
        plane = target["plane"]
        targets[name] = TargetModel(
            components=tuple(_component(item, arrays) for item in target["components"]),
            spread_centre=float(target["spread"]["centre"]), spread_factor=float(target["spread"]["factor"]),
            source_mean=float(plane["source_mean"]), source_std=float(plane["source_std"]),
            plane_mean=float(plane["plane_mean"]), plane_std=float(plane["plane_std"]))
    classifier = metadata.get("classifier")
    model = SongEmotionModel(feature_names=tuple(metadata["feature_names"]), center=_read_only(arrays["center"]),
                             scale=_read_only(arrays["scale"]), clip=float(metadata["clip"]), targets=targets,
                             classifier=_component(classifier, arrays) if classifier else None,
                             snap=float(classifier["snap"]) if classifier else 0.0,
                             training=dict(metadata.get("training", {})))
    if model.center.shape != (len(model.feature_names),) or model.scale.shape != model.center.shape:
        raise ValueError("the standardisation does not match the feature names")
    if model.classifier is not None and model.classifier.dual.shape[1:] != (len(QUADRANTS),):
        raise ValueError("the classifier does not score four quadrants")
    return model


def read_model(path: str | Path) -> SongEmotionModel:
    """Load a model file written by ``save_model``; raises ``ModelFileError`` with a reason when it cannot."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as stored:
            metadata = json.loads(str(stored["metadata"]))
            model = model_from_parts(metadata, {key: stored[key] for key in stored.files if key != "metadata"})
    except FileNotFoundError as error:
        raise ModelFileError(f"the song-emotion model file is missing: {path}") from error
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        raise ModelFileError(f"the song-emotion model file {path} cannot be read: {error}") from error
    if metadata.get("feature_version") != FEATURE_VERSION or model.feature_names != feature_names():
        raise ModelFileError(f"the song-emotion model file {path} was fitted on other features (version "
                             f"{metadata.get('feature_version')}, this TuneX computes version {FEATURE_VERSION}): retrain it")
    return model


def save_model(path: str | Path, metadata: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a model file: ``metadata`` as JSON plus the named float arrays (``center``, ``scale``, …).

    Large 2-D arrays (the kernel support rows) are stored as float32, which halves the file and moves
    no estimate by more than about 1e-6. A file that would not load never replaces the old one.
    """
    payload = {name: np.asarray(value, dtype=np.float32 if np.ndim(value) == 2 and np.size(value) > 10_000
                                else np.float64) for name, value in arrays.items()}
    payload["metadata"] = np.array(json.dumps({**metadata, "format": FORMAT_VERSION}, sort_keys=True))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, **payload)
        read_model(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


_LOCK = threading.Lock()
_LOADED: dict[Path, SongEmotionModel] = {}


def song_model(path: str | Path | None = None) -> SongEmotionModel:
    """The model at ``path`` (the shipped ``models/`` file by default), loaded once per process.

    Safe to call from many threads: loading happens under a lock, and the model is immutable.
    """
    key = Path(path or SONG_MODEL_FILE).resolve()
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = read_model(key)
        return _LOADED[key]
