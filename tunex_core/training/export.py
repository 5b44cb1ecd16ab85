"""Exporting a trained Keras model to a LiteRT (TFLite) flat buffer for fast batch-1 inference."""

from __future__ import annotations

from pathlib import Path


def export_tflite(model, destination: str | Path) -> Path:
    """Convert a float32 Keras model to ``.tflite`` (float32 weights, no quantisation)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    destination = Path(destination)
    destination.write_bytes(converter.convert())
    return destination
