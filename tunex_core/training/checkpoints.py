"""A training run's checkpoints: per-epoch saving and logging, the pending-then-commit protocol that
``--resume`` relies on, the inference export, and averaging or mixing checkpoints in weight space.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import numpy as np

from tunex_core.files import replace_atomically, write_json_atomically, write_text_atomically
from tunex_core.vision.model import build_model, load_model

if TYPE_CHECKING:
    from tunex_core.training.trainer import TrainConfig

PENDING_FOLDER_NAME = "pending"
PENDING_MARKER_NAME = "epoch.json"


class EpochLogger(keras.callbacks.Callback):
    """Prints one progress line per epoch, appends the CSV log and saves checkpoints."""

    def __init__(self, run_dir: Path, total_epochs: int, best_accuracy: float, keep_last_epochs: int = 0):
        super().__init__()
        self.run_dir = run_dir
        self.total_epochs = total_epochs
        self.keep_last_epochs = keep_last_epochs
        self.best_accuracy = best_accuracy
        self.started = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        """Start the epoch's clock."""
        self.started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        """Log the epoch, save its checkpoints (and the best one) and commit them with the run's state."""
        logs = logs or {}
        seconds = time.time() - self.started
        learning_rate = float(keras.ops.convert_to_numpy(
            self.model.optimizer.learning_rate))
        row = {
            "epoch": epoch + 1,
            "loss": round(float(logs.get("loss", math.nan)), 5),
            "accuracy": round(float(logs.get("accuracy", math.nan)), 5),
            "val_loss": round(float(logs.get("val_loss", math.nan)), 5),
            "val_accuracy": round(float(logs.get("val_accuracy", math.nan)), 5),
            "learning_rate": learning_rate,
            "seconds": round(seconds, 1),
        }
        # The epoch's checkpoints wait in pending/ until state.json names the epoch (the commit), then
        # move into place; a run killed before the commit resumes from the previous epoch's files.
        improved = row["val_accuracy"] > self.best_accuracy
        if improved:
            self.best_accuracy = row["val_accuracy"]
        names = (["best.keras"] if improved else []) + ["last.keras"]
        if epoch + 1 > self.total_epochs - self.keep_last_epochs:
            names.append(f"epoch_{epoch + 1:02d}.keras")
        pending = start_pending_checkpoints(self.run_dir)
        for name in names:
            save_model_atomically(self.model, pending / name)
        write_json_atomically(pending / PENDING_MARKER_NAME, {"epoch": epoch + 1})
        log_file = self.run_dir / "log.csv"
        new_file = not log_file.exists()
        with open(log_file, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new_file:
                writer.writeheader()
            writer.writerow(row)
        state = {"epochs_done": epoch + 1, "best_val_accuracy": self.best_accuracy}
        write_json_atomically(self.run_dir / "state.json", state)
        settle_pending_checkpoints(self.run_dir, epoch + 1)
        print(
            f"epoch {epoch + 1}/{self.total_epochs}  loss {row['loss']:.4f}  "
            f"acc {row['accuracy']:.4f}  val_loss {row['val_loss']:.4f}  "
            f"val_acc {row['val_accuracy']:.4f}{' *' if improved else ''}  "
            f"lr {learning_rate:.5f}  {seconds:.0f}s",
            flush=True,
        )


def save_model_atomically(model: keras.Model, path: Path) -> None:
    """``model.save(path)`` through a temporary file: a run killed while saving keeps the previous file."""
    replace_atomically(path, model.save)


def trim_log(log_file: Path, epochs_done: int) -> None:
    """Drop ``log.csv`` rows after epoch ``epochs_done`` (left by a run killed between its log and its state),
    and rows cut short."""
    if not log_file.is_file():
        return
    with open(log_file, newline="") as handle:  # keep the csv module's \r\n line ends as they are
        lines = handle.read().splitlines(keepends=True)
    kept = lines[:1]
    for line in lines[1:]:
        epoch = line.split(",", 1)[0]
        if line.endswith("\n") and epoch.isdigit() and int(epoch) <= epochs_done:
            kept.append(line)
    if len(kept) < len(lines):
        write_text_atomically(log_file, "".join(kept))


def start_pending_checkpoints(run_dir: Path) -> Path:
    """An empty ``pending/`` folder in ``run_dir`` for the checkpoints of an epoch not yet in state.json."""
    pending = run_dir / PENDING_FOLDER_NAME
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir()
    return pending


def settle_pending_checkpoints(run_dir: Path, epochs_done: int) -> None:
    """Move ``pending/``'s checkpoints into ``run_dir`` if state.json has recorded their epoch (its marker says
    an epoch up to ``epochs_done``); otherwise they belong to an epoch that never finished: drop them."""
    pending = run_dir / PENDING_FOLDER_NAME
    if not pending.is_dir():
        return
    marker = pending / PENDING_MARKER_NAME
    try:
        committed = json.loads(marker.read_text())["epoch"] <= epochs_done
    except (OSError, ValueError, KeyError, TypeError):
        committed = False
    if committed:
        for checkpoint in sorted(pending.glob("*.keras")):
            os.replace(checkpoint, run_dir / checkpoint.name)
    shutil.rmtree(pending, ignore_errors=True)


def export_inference_model(checkpoint: Path, destination: Path) -> Path:
    """Save the checkpoint's model in float32 (``load_model``), without optimizer state."""
    save_model_atomically(load_model(checkpoint), destination)
    return destination


def average_checkpoints(checkpoints: list[Path], config: TrainConfig, refresh_faces: np.ndarray | None = None,
                        shares: list[float] | None = None) -> keras.Model:
    """A float32 model whose weights are the mean of the checkpoints' (stochastic weight averaging).

    With ``shares`` (one non-negative number per checkpoint, not all zero) the mean is weighted:
    ``[0.6, 0.4]`` of a model and its fine-tune interpolates between them in weight space.
    Averaged weights need batch-norm statistics of their own: with ``refresh_faces``
    (training faces, no augmentation) the moving means and variances are
    re-estimated by forward passes in training mode; otherwise the checkpoints'
    statistics are averaged too.
    """
    if not checkpoints:
        raise ValueError("no checkpoints to average")
    weight_sets = [keras.models.load_model(path, compile=False).get_weights() for path in checkpoints]
    return average_weights(weight_sets, config, refresh_faces=refresh_faces, shares=shares)


def average_weights(weight_sets: list[list[np.ndarray]], config: TrainConfig,
                    refresh_faces: np.ndarray | None = None, shares: list[float] | None = None) -> keras.Model:
    """``average_checkpoints`` for weights already in memory (each a ``model.get_weights()`` list of
    ``config``'s architecture): callers that mix the same models many ways load them once."""
    if not weight_sets:
        raise ValueError("no weights to average")
    if shares is not None and (len(shares) != len(weight_sets) or min(shares) < 0 or sum(shares) <= 0):
        raise ValueError(f"need one non-negative share per checkpoint ({len(weight_sets)}), not all zero; got {shares}")
    keras.mixed_precision.set_global_policy("float32")
    model = build_model(config.architecture, **config.model_options)
    model.set_weights([np.average(np.stack(values), axis=0, weights=shares).astype(values[0].dtype)
                       for values in zip(*weight_sets, strict=True)])
    if refresh_faces is not None:
        refresh_batch_norm(model, refresh_faces)
    return model


def refresh_batch_norm(model: keras.Model, faces: np.ndarray, batch_size: int = 256, passes: int = 60) -> None:
    """Re-estimate batch-norm moving statistics from ``faces`` (N, 48, 48) without changing other weights."""
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.9
    rng = np.random.default_rng(0)
    for _ in range(passes):
        batch = faces[rng.choice(len(faces), size=min(batch_size, len(faces)), replace=False)]
        model(batch.astype(np.float32)[..., None], training=True)
    for layer, momentum in zip(layers, momenta, strict=True):
        layer.momentum = momentum
