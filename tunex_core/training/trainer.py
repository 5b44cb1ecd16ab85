"""Training the emotion CNN on FER-2013.

Trains on the Training split and selects the epoch on PublicTest (``val``);
PrivateTest (``test``) is never read here. Each run folder holds
``hyperparameters.json``, ``log.csv`` (one row per epoch), ``last.keras``
(model + optimizer state, for ``--resume``), ``best.keras`` (best PublicTest
accuracy) and, at the end, ``final.keras`` (the best weights, inference only).
Offline distillation keeps its teachers' targets in ``teacher_targets.npz``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tunex_core.emotions import NUM_EMOTIONS
from tunex_core.files import atomic_stream, write_json_atomically
from tunex_core.paths import run_model_file
from tunex_core.training.augment import augment_batch, random_mirror
from tunex_core.training.checkpoints import (
    PENDING_FOLDER_NAME,
    EpochLogger,
    export_inference_model,
    settle_pending_checkpoints,
    trim_log,
)
from tunex_core.training.dataset import FerDataset, Split
from tunex_core.training.recipes import DISTILL_MODES, choose_precision, cpu_flags
from tunex_core.vision.model import build_model, load_model

# Peak learning rate and weight decay of each optimizer when the command line names none. Keras decays
# weights decoupled (each step shrinks a weight by learning rate x weight decay), so SGD's pair keeps AdamW's
# shrink per step (1e-4 at the peak) at its 25 times higher learning rate.
OPTIMIZER_DEFAULTS = {
    "adamw": {"learning_rate": 0.002, "weight_decay": 0.05},
    "sgd": {"learning_rate": 0.05, "weight_decay": 0.002},
}


@dataclass
class TrainConfig:
    """Every hyperparameter of a training run (saved beside the checkpoints)."""

    architecture: str = "tunex"
    optimizer: str = "adamw"  # "adamw" or "sgd" (Nesterov momentum)
    epochs: int = 48
    batch_size: int = 128
    learning_rate: float = OPTIMIZER_DEFAULTS["adamw"]["learning_rate"]
    warmup_epochs: int = 2
    momentum: float = 0.9
    weight_decay: float = OPTIMIZER_DEFAULTS["adamw"]["weight_decay"]
    label_smoothing: float = 0.1
    mixed_precision: bool = True
    seed: int = 2026
    augment: dict = field(default_factory=lambda: {
        "flip": True, "rotation_degrees": 10.0, "zoom": 0.1, "shift": 0.1,
        "brightness": 0.15, "contrast": 0.2, "erasing_probability": 0.5,
    })
    model_options: dict = field(default_factory=dict)
    keep_last_epochs: int = 12  # epoch_NN.keras checkpoints kept for weight averaging at release
    # FER+ soft labels (tunex_core.training.ferplus): the votes file used, the weight of the vote
    # distribution against the one-hot FER label, and where contempt votes go.
    votes_file: str | None = None
    votes_weight: float = 1.0
    contempt: str = "disgust"
    # Distillation: teacher models (.keras files) whose averaged predictions on the same augmented
    # batch are mixed into the targets with weight ``distill_weight``, softened by ``distill_temperature``.
    teachers: list = field(default_factory=list)
    distill_weight: float = 0.7
    distill_temperature: float = 1.0
    # One of DISTILL_MODES.
    distill_mode: str = "online"
    # A .keras model (or run folder) whose weights start the run instead of random ones (same architecture).
    init_model: str | None = None

    @classmethod
    def from_run(cls, run_dir: Path) -> TrainConfig:
        """The settings a run folder was trained with (its ``hyperparameters.json``)."""
        return cls(**json.loads((Path(run_dir) / "hyperparameters.json").read_text()))

def soften(probabilities: tf.Tensor, temperature: float) -> tf.Tensor:
    """Probabilities raised to 1/T and renormalised (the softmax of log-probabilities / T)."""
    if temperature == 1.0:
        return probabilities
    return tf.nn.softmax(tf.math.log(tf.maximum(probabilities, 1e-7)) / temperature, axis=-1)


def teacher_targets(teachers: list, faces: tf.Tensor, temperature: float) -> tf.Tensor:
    """The teachers' mean softened prediction for a batch of faces."""
    predictions = [soften(tf.cast(teacher(faces, training=False), tf.float32), temperature) for teacher in teachers]
    return tf.add_n(predictions) / float(len(predictions))


def blend_with_teachers(targets, teacher_predictions, weight: float):
    """``(1 - weight)`` x the targets + ``weight`` x the teachers' predictions (NumPy arrays or tensors)."""
    return (1.0 - weight) * targets + weight * teacher_predictions


def offline_teacher_targets(teachers: list, faces: np.ndarray, temperature: float,
                            batch_size: int = 512, per_view: bool = False) -> np.ndarray:
    """The teachers' mean softened prediction on each face and its mirror image, computed once: (N, 7), or with
    ``per_view`` (N, 2, 7): the reading of the face, then of its mirror image."""
    inputs = faces.astype(np.float32)[..., None]
    views = (inputs, inputs[:, :, ::-1])
    predictions = []
    for teacher in teachers:
        forward = tf.function(lambda batch, teacher=teacher: teacher(batch, training=False))
        for view in views:
            outputs = [forward(tf.constant(view[start:start + batch_size]))
                       for start in range(0, len(view), batch_size)]
            predictions.append(soften(tf.cast(tf.concat(outputs, axis=0), tf.float32), temperature).numpy())
    by_view = np.stack([np.mean(predictions[view::len(views)], axis=0) for view in range(len(views))], axis=1)
    return by_view if per_view else by_view.mean(axis=1)


TEACHER_TARGETS_NAME = "teacher_targets.npz"


def teacher_targets_key(teacher_paths: list, faces: np.ndarray, temperature: float, per_view: bool = False) -> str:
    """What offline targets depend on: each teacher file (path, size, modification time), the training faces,
    the temperature and whether the views are kept apart, as one string."""
    files = []
    for path in teacher_paths:
        model_file = run_model_file(path).resolve()
        status = model_file.stat() if model_file.is_file() else None
        files.append([str(model_file), status and status.st_size, status and status.st_mtime_ns])
    digest = hashlib.sha256(np.ascontiguousarray(faces).tobytes()).hexdigest()
    key = {"teachers": files, "faces": [list(faces.shape), digest], "temperature": temperature}
    if per_view:
        key["per_view"] = True
    return json.dumps(key)


def cached_offline_targets(cache_file: Path, teacher_paths: list, faces: np.ndarray,
                           temperature: float, per_view: bool = False) -> np.ndarray:
    """:func:`offline_teacher_targets` of the teachers at ``teacher_paths``, kept in ``cache_file`` so that a
    resumed run does not compute them again; recomputed when a teacher file, the faces or the temperature
    changed, or the cache cannot be read."""
    key = teacher_targets_key(teacher_paths, faces, temperature, per_view)
    shape = (len(faces), 2, NUM_EMOTIONS) if per_view else (len(faces), NUM_EMOTIONS)
    try:
        with np.load(cache_file) as cached:
            if str(cached["key"]) == key and cached["targets"].shape == shape:
                print(f"teachers' targets read from {cache_file}", flush=True)
                return cached["targets"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        pass
    teachers = load_teachers(teacher_paths)
    print(f"computing {len(teachers)} teacher(s)' targets on {len(faces)} training faces", flush=True)
    targets = offline_teacher_targets(teachers, faces, temperature, per_view=per_view).astype(np.float32)
    with atomic_stream(cache_file, "wb") as stream:
        np.savez(stream, targets=targets, key=np.array(key))
    return targets


def one_hot_targets(split: Split) -> np.ndarray:
    """The split's labels as one-hot target distributions (N, 7) float32."""
    return keras.utils.to_categorical(split.labels, NUM_EMOTIONS).astype(np.float32)


def make_dataset(split: Split, batch_size: int, training: bool, config: TrainConfig,
                 targets: np.ndarray | None = None, teachers: list | None = None) -> tf.data.Dataset:
    """A ``tf.data`` pipeline of (faces float32 (N,48,48,1), target distributions (N,7)).

    Targets are the one-hot labels unless ``targets`` (N, 7) are given (e.g. FER+
    soft labels), or (N, 2, 7) for training: one target for the face and one for its
    mirror image, chosen by the random flip. With ``teachers`` (training only), each
    augmented batch's targets are mixed with the teachers' predictions on that same
    augmented batch.
    """
    faces = split.faces.astype(np.float32)[..., None]
    if targets is None:
        labels = one_hot_targets(split)
    else:
        labels = np.asarray(targets, dtype=np.float32)
        shapes = [(len(split), NUM_EMOTIONS)] + ([(len(split), 2, NUM_EMOTIONS)] if training else [])
        if labels.shape not in shapes:
            raise ValueError(f"targets must have shape {' or '.join(map(str, shapes))}, got {labels.shape}")
    dataset = tf.data.Dataset.from_tensor_slices((faces, labels))
    if training:
        dataset = dataset.shuffle(len(split), seed=config.seed, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size, drop_remainder=True)
        settings = config.augment
        if labels.ndim == 3:
            flip = bool(settings.get("flip"))
            dataset = dataset.map(lambda x, y: _flip_with_targets(x, y, flip), num_parallel_calls=1)
            settings = {**settings, "flip": False}
        dataset = dataset.map(lambda x, y: (augment_batch(x, settings), y),
                              num_parallel_calls=1)
        if teachers:
            def distil(x, y):
                return x, blend_with_teachers(y, teacher_targets(teachers, x, config.distill_temperature),
                                              config.distill_weight)

            dataset = dataset.map(distil, num_parallel_calls=1)
    else:
        dataset = dataset.batch(batch_size)
    return dataset.prefetch(2)


def _flip_with_targets(images: tf.Tensor, targets: tf.Tensor, flip: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """Mirror a random half of the batch (if ``flip``) and keep, per face, the target of the view it now shows:
    ``targets`` (B, 2, 7) hold the face's target, then its mirror image's; returns (images, (B, 7) targets)."""
    if not flip:
        return images, targets[:, 0]
    images, mirrored = random_mirror(images)
    return images, tf.where(mirrored[:, None], targets[:, 1], targets[:, 0])


def load_teachers(paths: list) -> list[keras.Model]:
    """Load the teacher models (float32, inference only); ``ModelFileError`` names a missing or broken one."""
    return [load_model(run_model_file(path)) for path in paths]


def load_initial_weights(model: keras.Model, path: str) -> None:
    """Copy the weights of the model at ``path`` (file or run folder) into ``model``.

    Raises ``ModelFileError`` when the file is missing or broken, or its weights
    do not fit ``model`` (another architecture or width).
    """
    from tunex_core.errors import ModelFileError

    source = run_model_file(path)
    weights = load_model(source).get_weights()
    shapes = [tuple(weight.shape) for weight in weights]
    expected = [tuple(variable.shape) for variable in model.weights]
    if shapes != expected:
        raise ModelFileError(f"--init {source} does not fit this architecture: its {len(shapes)} weight arrays "
                             f"differ from the {len(expected)} this run builds (use a model trained with the "
                             f"same --architecture)")
    model.set_weights(weights)


def _schedule(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.schedules.LearningRateSchedule:
    """Linear warm-up to the peak rate, then cosine decay to zero at the last step."""
    total_steps = config.epochs * steps_per_epoch
    warmup_steps = config.warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * 0.1,
        decay_steps=max(1, total_steps - warmup_steps),
        alpha=0.0,
        warmup_target=config.learning_rate,
        warmup_steps=warmup_steps,
    )


def _compile(model: keras.Model, config: TrainConfig, steps_per_epoch: int) -> None:
    schedule = _schedule(config, steps_per_epoch)
    if config.optimizer == "adamw":
        optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=config.weight_decay)
    elif config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=config.momentum,
                                         nesterov=True, weight_decay=config.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {config.optimizer!r}; choose sgd or adamw")
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
    )


def train(data: FerDataset, run_dir: Path, config: TrainConfig, resume: bool = False,
          train_targets: np.ndarray | None = None) -> Path:
    """Train (or resume) a model; return the path of the final inference model.

    ``train_targets`` (len(train), 7): soft targets for the training faces (e.g.
    FER+ votes); by default the one-hot FER-2013 labels. Teachers named in
    ``config.teachers`` are loaded here (before mixed precision is switched on, so
    they run in float32); with an offline ``distill_mode`` their targets are
    computed once, before the first epoch, and mixed into ``train_targets``
    ("offline-per-view": one target for each face and one for its mirror image).
    """
    if config.distill_mode not in DISTILL_MODES:
        raise ValueError(f"unknown distill mode {config.distill_mode!r}; choose {', '.join(DISTILL_MODES)}")
    run_dir.mkdir(parents=True, exist_ok=True)
    train_split, val_split = data.split("train"), data.split("val")
    keras.mixed_precision.set_global_policy("float32")
    teachers = None
    if config.teachers and config.distill_mode != "online":
        per_view = config.distill_mode == "offline-per-view"
        base = train_targets if train_targets is not None else one_hot_targets(train_split)
        soft = cached_offline_targets(run_dir / TEACHER_TARGETS_NAME, config.teachers, train_split.faces,
                                      config.distill_temperature, per_view)
        base = base[:, None] if per_view else base
        train_targets = blend_with_teachers(base, soft, config.distill_weight).astype(np.float32)
    elif config.teachers:
        teachers = load_teachers(config.teachers)
    keras.utils.set_random_seed(config.seed)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    steps_per_epoch = len(train_split) // config.batch_size
    state_file = run_dir / "state.json"
    initial_epoch, best_accuracy = 0, -1.0
    state = json.loads(state_file.read_text()) if resume and state_file.exists() else None
    if state is not None:
        settle_pending_checkpoints(run_dir, state["epochs_done"])
    if state is not None and (run_dir / "last.keras").exists():
        saved = TrainConfig.from_run(run_dir)
        extended = saved.epochs != config.epochs
        config = replace(saved, epochs=config.epochs)
        model = keras.models.load_model(run_dir / "last.keras")
        if extended:
            # The checkpoint's cosine schedule ends at its old last epoch; stretch it to the new one.
            model.optimizer.learning_rate = _schedule(config, steps_per_epoch)
        initial_epoch, best_accuracy = state["epochs_done"], state["best_val_accuracy"]
        trim_log(run_dir / "log.csv", initial_epoch)
        print(f"resuming {run_dir} after epoch {initial_epoch} "
              f"(best PublicTest accuracy {best_accuracy:.4f})", flush=True)
    else:
        if resume:
            print(f"nothing to resume in {run_dir}; starting a new run", flush=True)
        for stale in ("log.csv", "state.json", "best.keras", "last.keras"):
            (run_dir / stale).unlink(missing_ok=True)
        shutil.rmtree(run_dir / PENDING_FOLDER_NAME, ignore_errors=True)
        model = build_model(config.architecture, **config.model_options)
        if config.init_model:
            load_initial_weights(model, config.init_model)
        _compile(model, config, steps_per_epoch)
    write_json_atomically(run_dir / "hyperparameters.json", asdict(config))
    extras = ["bfloat16 mixed precision" if config.mixed_precision else "float32",
              f"FER+ soft labels (weight {config.votes_weight})" if config.votes_file else "",
              f"distilled from {len(config.teachers)} teacher(s) ({config.distill_mode})" if config.teachers else "",
              f"starting from {config.init_model}" if config.init_model and initial_epoch == 0 else ""]
    print(f"training {config.architecture}: {model.count_params():,} parameters, "
          f"{len(train_split)} train / {len(val_split)} PublicTest faces, "
          f"{config.epochs} epochs of {steps_per_epoch} steps"
          + "".join(f"; {extra}" for extra in extras if extra), flush=True)
    try:
        if initial_epoch < config.epochs:
            model.fit(
                make_dataset(train_split, config.batch_size, True, config, train_targets,
                             teachers if config.distill_mode == "online" else None),
                validation_data=make_dataset(val_split, 512, False, config),
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                verbose=0,
                shuffle=False,  # make_dataset shuffles (seeded); Keras warns that its own shuffle would be ignored
                callbacks=[EpochLogger(run_dir, config.epochs, best_accuracy, config.keep_last_epochs)],
            )
    finally:
        # The policy is process-wide: models built after training (or after a failed run) are float32.
        keras.mixed_precision.set_global_policy("float32")
    return export_inference_model(run_dir / "best.keras", run_dir / "final.keras")


def automatic_precision() -> tuple[bool, str]:
    """bfloat16 mixed precision where this machine runs it fast, else float32, and why (``choose_precision``)."""
    return choose_precision(cpu_flags(), len(tf.config.list_physical_devices("GPU")))
