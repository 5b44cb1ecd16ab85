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


@pytest.mark.parametrize(("agreement", "accuracy", "keras_accuracy", "acceptable"), [
    (0.9967, 0.7021, 0.7016, True),  # the shipped model's int8 file
    (0.985, 0.697, 0.700, True),  # both limits met exactly
    (0.984, 0.700, 0.700, False),  # too many labels changed
    (0.999, 0.6960, 0.700, False),  # too much accuracy lost
])
def test_quantization_acceptable_uses_both_limits(agreement, accuracy, keras_accuracy, acceptable):
    from tunex_core.training.release import quantization_acceptable

    public_test = {"label_agreement": agreement, "accuracy": accuracy, "keras_accuracy": keras_accuracy,
                   "max_probability_difference": 0.1}
    assert quantization_acceptable(public_test) is acceptable


def test_an_int8_file_that_follows_the_keras_model_too_loosely_is_replaced_by_float32(
        untrained_model, tmp_path, faces, monkeypatch):
    pytest.importorskip("ai_edge_litert.interpreter")
    from tunex_core.training import release

    split = Split(faces, np.arange(len(faces)) % 7)
    data = FerDataset(train=None, val=split, test=split, source="test")
    keras_probabilities = EmotionClassifier.from_keras_model(untrained_model).predict(faces, tta="flip")
    reference = {"public_test": keras_probabilities, "private_test": keras_probabilities}
    measured = release.runtime_fidelity
    poor = {"accuracy": 0.5, "keras_accuracy": 0.7, "label_agreement": 0.9, "max_probability_difference": 0.4}
    calls = []

    def first_try_poor(reference, runtime, data):
        calls.append(runtime)
        return {"public_test": poor, "private_test": poor} if len(calls) == 1 else measured(reference, runtime, data)

    monkeypatch.setattr(release, "runtime_fidelity", first_try_poor)
    monkeypatch.setattr(release, "measure_latency", lambda classifier: {"backend": classifier.backend})
    section, _ = release.export_runtime(untrained_model, tmp_path / "model.tflite", reference, data)
    assert len(calls) == 2 and section["quantization"] == "float32, not quantized"
    assert section["quantization_refused"] == poor
    assert section["public_test"]["label_agreement"] == 1.0 and section["public_test"]["max_probability_difference"] < 1e-3
    from tunex_core.report.metrics_validation import parse_model_report
    from tunex_core.training.model_card import runtime_lines

    lines = runtime_lines(parse_model_report({"runtime": section}).runtime)
    assert "An int8 file was tried and not shipped: on PublicTest it gave the Keras model's label on 90.0%" in lines[0]
