"""What online distillation costs per training step, to choose between ``--distill-mode`` online and offline.

Times, on a batch of 128 random 48x48 faces: one training step of the model ``train``
builds (bfloat16 mixed precision, as training runs), and one forward pass of a teacher
(the shipped model) in float32 (how ``train`` loads teachers) and in bfloat16. Online
distillation adds one teacher forward pass per teacher to every step; offline adds none
(the teachers' predictions are computed once before the first epoch).

    python bench/distillation_cost.py [--repeats 10]

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

from tunex_core.paths import MODEL_FILE
from tunex_core.vision.model import build_model, load_model


def milliseconds(call, repeats: int) -> float:
    """Median wall time of ``call`` in ms after 3 warm-up calls."""
    for _ in range(3):
        call()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.median(timings))


def main() -> None:
    """Print the per-step costs and the time an epoch would take with 1-3 online teachers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    arguments = parser.parse_args()
    faces = tf.constant(np.random.default_rng(0).uniform(0, 255, (128, 48, 48, 1)).astype(np.float32))
    targets = tf.one_hot(tf.zeros(128, tf.int32), 7)
    keras.mixed_precision.set_global_policy("float32")
    teacher = load_model(MODEL_FILE)
    float32_forward = tf.function(lambda batch: teacher(batch, training=False))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    teacher_bfloat16 = build_model("tunex")
    teacher_bfloat16.set_weights(teacher.get_weights())
    bfloat16_forward = tf.function(lambda batch: teacher_bfloat16(batch, training=False))
    student = build_model("tunex")
    student.compile(optimizer="adamw", loss="categorical_crossentropy")
    step = milliseconds(lambda: student.train_on_batch(faces, targets), arguments.repeats)
    forward32 = milliseconds(lambda: float32_forward(faces), arguments.repeats)
    forward16 = milliseconds(lambda: bfloat16_forward(faces), arguments.repeats)
    print(f"training step (bf16, batch 128): {step:.0f} ms")
    print(f"teacher forward, float32: {forward32:.0f} ms; bfloat16: {forward16:.0f} ms")
    for count in (1, 2, 3):
        print(f"{count} online float32 teacher(s): +{count * forward32 / step:.0%} per epoch")


if __name__ == "__main__":
    main()
