"""Tests for ``tunex_core.vision.inference``: calibration, batching, flip averaging and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.paths import TFLITE_MODEL_FILE
from tunex_core.vision.inference import EmotionClassifier, calibrate


def random_probabilities(rows: int, seed: int = 0) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(0, 2, size=(rows, 7))
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def fake_predict_batch(faces: np.ndarray) -> np.ndarray:
    """A deterministic, left-right asymmetric 'model': softmax of the mean of 7 column bands."""
    assert faces.dtype == np.float32 and faces.ndim == 4 and faces.shape[1:] == (48, 48, 1)
    bands = np.array_split(faces[..., 0], 7, axis=2)
    logits = np.stack([band.mean(axis=(1, 2)) for band in bands], axis=1) / 32.0
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def fake_classifier() -> EmotionClassifier:
    return EmotionClassifier(fake_predict_batch, backend="fake")


@pytest.fixture(scope="module")
def faces() -> np.ndarray:
    rng = np.random.default_rng(5)
    batch = rng.integers(0, 256, (5, 48, 48), dtype=np.uint8)
    batch[:, :, :24] //= 4  # a dark left half: mirrored faces look different
    return batch


# --- calibrate ------------------------------------------------------------------------------------

@pytest.mark.parametrize("temperature", [0.5, 1.0, 1.5, 3.0])
def test_calibrate_rows_sum_to_one(temperature):
    calibrated = calibrate(random_probabilities(50), temperature)
    assert calibrated.shape == (50, 7)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(calibrated > 0)


def test_calibrate_temperature_one_is_identity():
    probabilities = random_probabilities(20)
    np.testing.assert_allclose(calibrate(probabilities, 1.0), probabilities, atol=1e-12)


def test_calibrate_renormalises_and_handles_zeros():
    calibrated = calibrate(np.array([[2.0, 0, 0, 2.0, 0, 0, 0]]), 1.0)
    np.testing.assert_allclose(calibrated[0, [0, 3]], 0.5, atol=1e-9)
    assert np.all(np.isfinite(calibrate(np.array([[1.0, 0, 0, 0, 0, 0, 0]]), 2.0)))


def test_calibrate_softens_and_sharpens_without_changing_the_ranking():
    probabilities = random_probabilities(30, seed=3)
    soft, sharp = calibrate(probabilities, 2.0), calibrate(probabilities, 0.5)
    assert np.all(soft.max(axis=1) <= probabilities.max(axis=1) + 1e-12)
    assert np.all(sharp.max(axis=1) >= probabilities.max(axis=1) - 1e-12)
    np.testing.assert_array_equal(soft.argmax(axis=1), probabilities.argmax(axis=1))
    np.testing.assert_array_equal(sharp.argmax(axis=1), probabilities.argmax(axis=1))


def test_calibrate_matches_softmax_of_scaled_logits():
    logits = np.array([[1.0, 2.0, 0.5, 3.0, 0.0, -1.0, 0.2]])
    probabilities = np.exp(logits) / np.exp(logits).sum()
    expected = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum()
    np.testing.assert_allclose(calibrate(probabilities, 2.0), expected, atol=1e-9)


# --- predict (numpy fake model) -------------------------------------------------------------------

def test_predict_shapes_and_dtypes(fake_classifier, faces):
    for batch in (faces, faces[..., None], faces.astype(np.float32), faces.astype(np.float64)[..., None]):
        probabilities = fake_classifier.predict(batch)
        assert probabilities.shape == (5, 7)
        assert probabilities.dtype == np.float64
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert fake_classifier.predict(faces[:1]).shape == (1, 7)


def test_predict_empty_batch(fake_classifier):
    assert fake_classifier.predict(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)


def test_flip_average_is_the_mean_of_face_and_mirror(fake_classifier, faces):
    plain = fake_classifier.predict(faces)
    mirrored = fake_classifier.predict(faces[:, :, ::-1])
    averaged = fake_classifier.predict(faces, flip_average=True)
    np.testing.assert_allclose(averaged, (plain + mirrored) / 2.0, atol=1e-9)
    assert not np.allclose(plain, mirrored)  # the test would prove nothing for a symmetric model
    # flip averaging is mirror-invariant
    np.testing.assert_allclose(fake_classifier.predict(faces[:, :, ::-1], flip_average=True), averaged, atol=1e-9)


def test_temperature_is_applied(faces):
    plain = EmotionClassifier(fake_predict_batch, backend="fake").predict(faces)
    softened = EmotionClassifier(fake_predict_batch, backend="fake", temperature=2.0).predict(faces)
    np.testing.assert_allclose(softened, calibrate(plain, 2.0), atol=1e-9)


@pytest.mark.parametrize(
    "shape",
    [(48, 48), (48, 48, 1), (2, 48, 48, 3), (2, 64, 64), (2, 48, 47), (2, 1, 48, 48), (48,), (1, 2, 48, 48, 1)],
)
def test_bad_shapes_raise_value_error(fake_classifier, shape):
    with pytest.raises(ValueError, match=r"faces must have shape \(N, 48, 48\[, 1\]\); got"):
        fake_classifier.predict(np.zeros(shape, np.uint8))


def test_predict_in_batches_matches_predict(fake_classifier):
    faces = np.random.default_rng(1).integers(0, 256, (23, 48, 48), dtype=np.uint8)
    np.testing.assert_allclose(fake_classifier.predict_in_batches(faces, batch_size=5),
                               fake_classifier.predict(faces), atol=1e-12)
    assert fake_classifier.predict_in_batches(faces[:0]).shape == (0, 7)


# --- the TensorFlow path (untrained network) ------------------------------------------------------

def test_keras_classifier_outputs_probabilities(untrained_classifier, faces):
    assert untrained_classifier.backend == "tensorflow"
    probabilities = untrained_classifier.predict(faces)
    assert probabilities.shape == (5, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    # one traced function serves every batch size, and results do not depend on batching
    single = np.concatenate([untrained_classifier.predict(faces[i: i + 1]) for i in range(5)])
    np.testing.assert_allclose(single, probabilities, atol=1e-5)


def test_keras_classifier_matches_keras_model(untrained_model, untrained_classifier, faces):
    expected = untrained_model.predict(faces[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose(untrained_classifier.predict(faces), expected, atol=1e-5)


def test_keras_classifier_flip_average(untrained_classifier, faces):
    plain = untrained_classifier.predict(faces)
    mirrored = untrained_classifier.predict(faces[:, :, ::-1])
    np.testing.assert_allclose(untrained_classifier.predict(faces, flip_average=True), (plain + mirrored) / 2, atol=1e-6)


def test_litert_matches_keras_for_the_shipped_export(shipped_model, fer_fixture):
    pytest.importorskip("ai_edge_litert.interpreter")
    if not TFLITE_MODEL_FILE.is_file():
        pytest.skip(f"{TFLITE_MODEL_FILE} is absent")
    faces = fer_fixture[0]
    litert = EmotionClassifier.from_tflite(TFLITE_MODEL_FILE)
    keras_path = EmotionClassifier.from_keras_model(shipped_model)
    assert litert.backend == "litert"
    runtime, reference = litert.predict(faces), keras_path.predict(faces)
    # int8 weights move each probability a little (0.015 at most on these 70 faces), rarely the label
    assert np.abs(runtime - reference).max() < 0.06
    assert (runtime.argmax(axis=1) == reference.argmax(axis=1)).mean() >= 0.97


def test_the_shipped_export_is_the_quantized_one():
    from tunex_core.paths import MODEL_FILE

    if not (TFLITE_MODEL_FILE.is_file() and MODEL_FILE.is_file()):
        pytest.skip("the shipped model files are absent")
    assert TFLITE_MODEL_FILE.stat().st_size < 0.4 * MODEL_FILE.stat().st_size  # int8 weights: a quarter of float32


def test_shift_tta_uses_ten_views_of_the_right_shape():
    from tunex_core.vision.inference import SHIFT_PIXELS, test_time_views

    batch = np.arange(2 * 48 * 48, dtype=np.float32).reshape(2, 48, 48, 1)
    views = test_time_views(batch, "shift")
    assert len(views) == 10 and all(view.shape == batch.shape for view in views)
    assert np.array_equal(views[1], batch[:, :, ::-1, :])
    # the first shifted view moved the face down by SHIFT_PIXELS (edge rows repeated at the top)
    assert np.array_equal(views[2][:, SHIFT_PIXELS:, :, :], batch[:, :-SHIFT_PIXELS, :, :])
    assert len(test_time_views(batch, "flip")) == 2 and len(test_time_views(batch, None)) == 1


def test_unknown_tta_mode_is_refused():
    from tunex_core.vision.inference import EmotionClassifier

    classifier = EmotionClassifier(lambda faces: np.full((len(faces), 7), 1 / 7), backend="constant")
    with pytest.raises(ValueError, match="unknown test-time augmentation"):
        classifier.predict(np.zeros((1, 48, 48), np.uint8), tta="rotate")
    assert classifier.predict(np.zeros((3, 48, 48), np.uint8), tta="shift").shape == (3, 7)


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf")])
def test_calibrate_refuses_a_temperature_that_is_not_positive_and_finite(temperature):
    with pytest.raises(ValueError, match="temperature"):
        calibrate(np.full((1, 7), 1 / 7), temperature)
