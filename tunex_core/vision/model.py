"""The emotion CNN: architectures, saving/loading, and the fast inference path.

Two architectures live here:

* ``tunex`` — the shipped network: a compact VGG-style stack with residual
  stages, built to be cheap at 48x48 (most width sits at low resolution).
* ``seed`` — the seed report's baseline (conv 64-128-512-512, dense 256-512,
  batch norm, dropout; ~4.5M parameters), kept for comparison.

Models take 48x48x1 float32 pixels on 0..255 and output 7 softmax probabilities
in FER label order.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from keras import layers

from tunex_core.emotions import NUM_EMOTIONS
from tunex_core.errors import ModelFileError
from tunex_core.paths import PROJECT_ROOT

INPUT_SHAPE = (48, 48, 1)
ARCHITECTURES = ("tunex", "seed")


def _conv_block(x, filters: int, weight_decay: float, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_initializer="he_normal",
                      kernel_regularizer=keras.regularizers.l2(weight_decay) if weight_decay else None,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _residual_stage(x, filters: int, convs: int, weight_decay: float, name: str):
    """``convs`` 3x3 conv-BN-ReLU layers; a residual link around all but the first."""
    x = _conv_block(x, filters, weight_decay, f"{name}_a")
    shortcut = x
    for index in range(1, convs):
        x = _conv_block(x, filters, weight_decay, f"{name}_{chr(ord('a') + index)}")
    if convs > 1:
        x = layers.Add(name=f"{name}_add")([x, shortcut])
    return x


def build_tunex(widths: tuple[int, ...] = (32, 64, 128, 256), convs_per_stage: int = 3,
                dropout: float = 0.4, weight_decay: float = 0.0) -> keras.Model:
    """The shipped emotion CNN (residual VGG-style; width grows as resolution falls)."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    for stage, filters in enumerate(widths):
        x = _residual_stage(x, filters, convs_per_stage, weight_decay, f"stage{stage + 1}")
        x = layers.MaxPooling2D(2, name=f"stage{stage + 1}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(NUM_EMOTIONS, activation="softmax", dtype="float32",
                           name="probabilities")(x)
    return keras.Model(inputs, outputs, name="tunex_emotion_cnn")


def build_seed(dropout: float = 0.25) -> keras.Model:
    """The seed report's baseline: conv 64-128-512-512 (5x5/3x3), dense 256-512, ~4.5M parameters."""
    inputs = keras.Input(shape=INPUT_SHAPE, name="face")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    for index, (filters, kernel) in enumerate(((64, 3), (128, 5), (512, 3), (512, 3))):
        x = layers.Conv2D(filters, kernel, padding="same", name=f"conv{index + 1}")(x)
        x = layers.BatchNormalization(name=f"conv{index + 1}_bn")(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    for index, units in enumerate((256, 512)):
        x = layers.Dense(units, name=f"dense{index + 1}")(x)
        x = layers.BatchNormalization(name=f"dense{index + 1}_bn")(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(NUM_EMOTIONS, activation="softmax", dtype="float32",
                           name="probabilities")(x)
    return keras.Model(inputs, outputs, name="seed_baseline_cnn")


def build_model(architecture: str = "tunex", **options) -> keras.Model:
    """Build an untrained model by architecture name (``tunex`` or ``seed``)."""
    if architecture == "tunex":
        return build_tunex(**options)
    if architecture == "seed":
        return build_seed(**options)
    raise ValueError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")


def load_model(path: str | Path) -> keras.Model:
    """Load a saved ``.keras`` model for inference, or raise ``ModelFileError`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}. {missing_model_hint(path)}")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # keras raises many types for corrupt archives
        raise ModelFileError(f"model file {path} could not be loaded: {error}") from error
    return as_float32(model)


def as_float32(model: keras.Model) -> keras.Model:
    """``model`` computing in float32: a training checkpoint saved under a mixed-precision policy
    (``mixed_bfloat16``) keeps that policy when loaded and would read faces in bfloat16, so its
    evaluation would not be the float32 model that a release exports. Float32 models come back as is."""
    serialized = keras.saving.serialize_keras_object(model)
    in_float32 = _with_float32_policies(serialized)
    if in_float32 == serialized:
        return model
    rebuilt = keras.saving.deserialize_keras_object(in_float32)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


def _with_float32_policies(node):
    if (isinstance(node, dict) and node.get("class_name") == "DTypePolicy"
            and str(node.get("config", {}).get("name", "")).startswith("mixed_")):
        return {**node, "config": {**node["config"], "name": "float32"}}
    if isinstance(node, dict):
        return {key: _with_float32_policies(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_with_float32_policies(value) for value in node]
    return node


def missing_model_hint(path: Path) -> str:
    """How to get a missing model back: ``git`` for files of this project (a command that works from any
    folder), training for anything else."""
    train = "train one with `python -m tunex_core train --data FER2013 --out DIR`"
    try:
        inside = path.expanduser().resolve().relative_to(PROJECT_ROOT)
    except ValueError:
        return f"Check the path, or {train}."
    return f"Restore it with `git -C {PROJECT_ROOT} checkout -- {inside.as_posix()}`, or {train}."


def count_parameters(model: keras.Model) -> int:
    """Total number of weights (trainable and not)."""
    return int(sum(np.prod(weight.shape) for weight in model.weights))
