"""The fitted song-emotion model: loaded once from a small NPZ file, applied with numpy only.

File format (``numpy.savez``; read with ``allow_pickle=False``, so loading runs no code): the key
``metadata`` holds a JSON document, every other key a float array it names::

    {"format": 1, "feature_names": [...], "clip": 5.0,
     "targets": {"valence": {"components": [{"kind": "linear", "weights": KEY, "bias": b, "weight": w},
                                            {"kind": "rbf", "support": KEY, "dual": KEY, "gamma": g,
                                             "bias": b, "weight": w}],
                             "spread": {"centre": c, "factor": f},
                             "plane": {"source_mean": m, "source_std": s, "plane_mean": M, "plane_std": S}},
                 "arousal": {...}},
     "training": {...}}

Prediction: the features are standardised with the arrays ``center`` and ``scale`` and clipped to
±``clip`` (an unusual recording cannot push a value far out); each target is the weighted sum of its
components (ridge and RBF kernel ridge on the standardised features), an estimate on MERGE's
tag-derived 0..1 scale. ``spread`` stretches it about ``centre`` by ``factor`` so the estimates spread
as widely as the training values (a least-squares fit pulls every song toward the middle). ``plane``
then puts MERGE's scale on the catalog's PMEmo plane: equal mean and spread (``docs/song_emotion.md``),
and the result is clipped to 0..1.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.errors import ModelFileError
from tunex_core.paths import SONG_MODEL_FILE

TARGETS = ("valence", "arousal")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Component:
    """One regressor of a target's ensemble (arrays are read-only)."""

    kind: str
    weight: float
    bias: float
    weights: np.ndarray | None = None  # linear
    support: np.ndarray | None = None  # rbf: (n, features)
    dual: np.ndarray | None = None  # rbf: (n,)
    gamma: float = 0.0

    def predict(self, standardised: np.ndarray) -> np.ndarray:
        """Raw estimates for rows of standardised features."""
        if self.kind == "linear":
            return standardised @ self.weights + self.bias
        squared = (np.sum(standardised ** 2, axis=1)[:, None] + np.sum(self.support ** 2, axis=1)[None, :]
                   - 2.0 * standardised @ self.support.T)
        return np.exp(-self.gamma * np.maximum(squared, 0.0)) @ self.dual + self.bias


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
    """Feature names, standardisation and one ``TargetModel`` per target (see the module docstring)."""

    feature_names: tuple[str, ...]
    center: np.ndarray
    scale: np.ndarray
    clip: float
    targets: dict[str, TargetModel]
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
        return {name: target.predict_source(standardised) for name, target in self.targets.items()}

    def predict_plane(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """Per target, estimates on the catalog's 0..1 plane for rows of raw features."""
        source = self.predict_source(features)
        return {name: self.targets[name].to_plane(values) for name, values in source.items()}


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


def _component(data: dict, arrays) -> Component:
    kind = data["kind"]
    if kind == "linear":
        return Component(kind=kind, weight=float(data["weight"]), bias=float(data["bias"]),
                         weights=_read_only(arrays[data["weights"]]))
    if kind == "rbf":
        return Component(kind=kind, weight=float(data["weight"]), bias=float(data["bias"]),
                         support=_read_only(arrays[data["support"]]), dual=_read_only(arrays[data["dual"]]),
                         gamma=float(data["gamma"]))
    raise ValueError(f"unknown component kind {kind!r}")


def read_model(path: str | Path) -> SongEmotionModel:
    """Load a model file written by ``save_model``; raises ``ModelFileError`` with a reason when it cannot."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            metadata = json.loads(str(arrays["metadata"]))
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
            model = SongEmotionModel(feature_names=tuple(metadata["feature_names"]),
                                     center=_read_only(arrays["center"]), scale=_read_only(arrays["scale"]),
                                     clip=float(metadata["clip"]), targets=targets,
                                     training=dict(metadata.get("training", {})))
    except FileNotFoundError as error:
        raise ModelFileError(f"the song-emotion model file is missing: {path}") from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"the song-emotion model file {path} cannot be read: {error}") from error
    if model.center.shape != (len(model.feature_names),) or model.scale.shape != model.center.shape:
        raise ModelFileError(f"the song-emotion model file {path} is inconsistent (standardisation shape)")
    return model


def save_model(path: str | Path, metadata: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write a model file: ``metadata`` as JSON plus the named float arrays (``center``, ``scale``, …)."""
    payload = {name: np.asarray(value, dtype=np.float32 if value.ndim == 2 else np.float64)
               for name, value in arrays.items()}
    payload["metadata"] = np.array(json.dumps({"format": FORMAT_VERSION, **metadata}, sort_keys=True))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **payload)
    read_model(path)  # refuse to leave a file behind that cannot be loaded


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
