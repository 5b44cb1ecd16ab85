"""Exporting to LiteRT and measuring the export against the Keras model (``export_tflite``, ``runtime_fidelity``)."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.training.dataset import FerDataset, Split
from tunex_core.vision.inference import EmotionClassifier


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (12, 48, 48), dtype=np.uint8)


def test_the_default_export_is_quantized_and_follows_the_keras_model(untrained_model, tmp_path, faces):
    pytest.importorskip("ai_edge_litert.interpreter")
    from tunex_core.training.export import export_tflite

    quantized = export_tflite(untrained_model, tmp_path / "quantized.tflite")
    full = export_tflite(untrained_model, tmp_path / "float.tflite", quantize=False)
    assert quantized.stat().st_size < 0.4 * full.stat().st_size
    reference = EmotionClassifier.from_keras_model(untrained_model).predict(faces)
    np.testing.assert_allclose(EmotionClassifier.from_tflite(full).predict(faces), reference, atol=1e-4)
    quantized_probabilities = EmotionClassifier.from_tflite(quantized).predict(faces)
    assert not np.allclose(quantized_probabilities, reference, atol=1e-6)  # it is not the float file again
    np.testing.assert_allclose(quantized_probabilities, reference, atol=0.05)


def constant_classifier(probabilities: np.ndarray) -> EmotionClassifier:
    """A classifier answering ``probabilities`` row by row, whatever the faces (mirror views alike)."""
    return EmotionClassifier(lambda batch: probabilities[: len(batch)], backend="constant")


def test_runtime_fidelity_counts_agreement_accuracy_and_the_largest_gap():
    from tunex_core.training.release import runtime_fidelity

    labels = np.array([0, 1, 2, 3])
    reference = np.eye(7)[[0, 1, 2, 4]] * 0.9 + 0.1 / 7  # Keras: 3 of 4 right
    runtime = reference.copy()
    runtime[1] = np.eye(7)[5] * 0.9 + 0.1 / 7  # LiteRT differs on face 1 (wrong), agrees elsewhere
    runtime[0, 0] -= 0.02
    runtime[0, 6] += 0.02
    split = Split(np.zeros((4, 48, 48), np.uint8), labels)
    data = FerDataset(train=None, val=split, test=split, source="test")
    summary = runtime_fidelity({"public_test": reference, "private_test": reference},
                               constant_classifier(runtime), data)
    assert set(summary) == {"public_test", "private_test"}
    assert summary["public_test"] == {"accuracy": 0.5, "keras_accuracy": 0.75, "label_agreement": 0.75,
                                      "max_probability_difference": 0.9}
