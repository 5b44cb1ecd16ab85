"""What bfloat16 mixed precision does to a training step on this machine, beside float32.

Times one training step (a batch of ``train``'s size, random 48x48 faces) of the model ``train`` builds, under
each policy, alternating the two so that a noisy, shared machine affects both alike, and prints
what ``train`` would choose here without ``--float32`` / ``--bfloat16``. On the AVX-512 host of
earlier sessions bfloat16 was about 2x faster; on an AVX2-only CPU it is many times slower.

    python bench/precision_cost.py [--repeats 3]

Pause any training run first (``kill -STOP``): on 2 cores it doubles every figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.emotions import NUM_EMOTIONS
from tunex_core.training.trainer import TrainConfig, automatic_precision
from tunex_core.vision.model import build_model

POLICIES = ("float32", "mixed_bfloat16")
FER2013_TRAINING_FACES = 28709


def compiled_model(policy: str) -> keras.Model:
    """The training architecture built and compiled under ``policy``."""
    keras.mixed_precision.set_global_policy(policy)
    model = build_model("tunex")
    model.compile(optimizer="adamw", loss="categorical_crossentropy")
    return model


def main() -> None:
    """Print the median step time of each policy and the automatic choice."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    batch_size = TrainConfig().batch_size
    faces = tf.constant(np.random.default_rng(0).uniform(0, 255, (batch_size, 48, 48, 1)).astype(np.float32))
    targets = tf.one_hot(tf.zeros(batch_size, tf.int32), NUM_EMOTIONS)
    models = {policy: compiled_model(policy) for policy in POLICIES}
    for model in models.values():
        model.train_on_batch(faces, targets)  # builds the graph
    timings: dict[str, list[float]] = {policy: [] for policy in POLICIES}
    for _ in range(arguments.repeats):
        for policy, model in models.items():
            started = time.perf_counter()
            model.train_on_batch(faces, targets)
            timings[policy].append(time.perf_counter() - started)
    steps_per_epoch = FER2013_TRAINING_FACES // batch_size
    for policy, seconds in timings.items():
        median = float(np.median(seconds))
        print(f"{policy}: {median:.2f} s per step (runs: {', '.join(f'{s:.2f}' for s in seconds)}), "
              f"an epoch of {steps_per_epoch} steps about {median * steps_per_epoch / 60:.0f} min")
    print(f"train would use: {automatic_precision()[1]}")


if __name__ == "__main__":
    main()
