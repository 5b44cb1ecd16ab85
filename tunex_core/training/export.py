"""Exporting a trained Keras model to a LiteRT (TFLite) flat buffer for fast batch-1 inference."""

from __future__ import annotations

from pathlib import Path

from tunex_core.files import atomic_stream


def export_tflite(model, destination: str | Path) -> Path:
    """Convert a float32 Keras model to ``.tflite`` (float32 weights, no quantisation)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    destination = Path(destination)
    flat_buffer = converter.convert()
    with atomic_stream(destination, "wb") as stream:
        stream.write(flat_buffer)
    return destination
