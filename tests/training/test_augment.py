"""Tests for ``tunex_core.training.augment``: the training-time augmentation and the webcam degradations."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.training.augment import augment_batch
from tunex_core.training.trainer import TrainConfig

NO_AUGMENT = {"flip": False, "rotation_degrees": 0.0, "zoom": 0.0, "shift": 0.0,
              "brightness": 0.0, "contrast": 0.0, "erasing_probability": 0.0}


@pytest.fixture(scope="module")
def batch(fer_fixture) -> np.ndarray:
    return fer_fixture[0][:16].astype(np.float32)[..., None]


def test_augment_preserves_shape_dtype_and_range(batch):
    import tensorflow as tf

    tf.random.set_seed(1)
    augmented = augment_batch(tf.constant(batch), TrainConfig().augment).numpy()
    assert augmented.shape == batch.shape
    assert augmented.dtype == np.float32
    assert augmented.min() >= 0.0 and augmented.max() <= 255.0
    assert np.all(np.isfinite(augmented))
    changed = np.abs(augmented - batch).mean(axis=(1, 2, 3))
    assert np.all(changed > 1.0)  # every face is altered


def test_augment_is_random(batch):
    import tensorflow as tf

    first = augment_batch(tf.constant(batch), TrainConfig().augment).numpy()
    second = augment_batch(tf.constant(batch), TrainConfig().augment).numpy()
    assert not np.allclose(first, second)


def test_augment_with_everything_off_is_the_identity(batch):
    import tensorflow as tf

    augmented = augment_batch(tf.constant(batch), NO_AUGMENT).numpy()
    np.testing.assert_allclose(augmented, batch, atol=1e-3)


def test_flip_only_mirrors_or_keeps_each_face(batch):
    import tensorflow as tf

    tf.random.set_seed(3)
    augmented = augment_batch(tf.constant(batch), {**NO_AUGMENT, "flip": True}).numpy()
    mirrored = batch[:, :, ::-1]
    kept = [np.allclose(a, b, atol=1e-3) for a, b in zip(augmented, batch, strict=True)]
    flipped = [np.allclose(a, m, atol=1e-3) for a, m in zip(augmented, mirrored, strict=True)]
    assert all(k or f for k, f in zip(kept, flipped, strict=True))
    assert any(flipped) and any(kept)


def test_erasing_only_changes_a_rectangle(batch):
    import tensorflow as tf

    augmented = augment_batch(tf.constant(batch), {**NO_AUGMENT, "erasing_probability": 1.0}).numpy()
    for original, erased in zip(batch, augmented, strict=True):
        rows, columns = np.nonzero(np.abs(erased - original)[..., 0] > 1e-3)
        assert rows.size > 0
        area = (rows.max() - rows.min() + 1) * (columns.max() - columns.min() + 1)
        assert area <= (0.4 * 48 + 1) ** 2


def only(**settings) -> dict:
    return {**NO_AUGMENT, **settings}


def high_frequency_energy(images: np.ndarray) -> float:
    return float(np.abs(np.diff(images, axis=1)).mean() + np.abs(np.diff(images, axis=2)).mean())


def test_webcam_settings_extend_the_defaults():
    from tunex_core.training.augment import WEBCAM_AUGMENT

    assert set(WEBCAM_AUGMENT) >= {"blur_probability", "jpeg_probability", "low_light_probability",
                                   "occlusion_probability", "rotation_degrees"}
    assert WEBCAM_AUGMENT["rotation_degrees"] > TrainConfig().augment["rotation_degrees"]
    assert all(0 < value <= 1 for key, value in WEBCAM_AUGMENT.items() if key.endswith("probability"))


def test_blur_removes_fine_detail(batch):
    import tensorflow as tf

    blurred = augment_batch(tf.constant(batch), only(blur_probability=1.0)).numpy()
    assert blurred.shape == batch.shape and blurred.min() >= 0 and blurred.max() <= 255
    assert high_frequency_energy(blurred) < 0.8 * high_frequency_energy(batch)
    assert abs(blurred.mean() - batch.mean()) < 3  # blur keeps the brightness


def test_low_light_darkens_every_face(batch):
    import tensorflow as tf

    dark = augment_batch(tf.constant(batch), only(low_light_probability=1.0)).numpy()
    assert np.all(dark.mean(axis=(1, 2, 3)) < batch.mean(axis=(1, 2, 3)))
    assert dark.min() >= 0 and dark.max() <= 255


def test_jpeg_changes_faces_a_little(batch):
    import tensorflow as tf

    compressed = augment_batch(tf.constant(batch), only(jpeg_probability=1.0)).numpy()
    difference = np.abs(compressed - batch).mean(axis=(1, 2, 3))
    assert np.all(difference > 0.3) and np.all(difference < 25)
    np.testing.assert_array_equal(compressed, np.round(compressed))  # decoded 8-bit pixels


def test_occlusion_fills_one_flat_rectangle(batch):
    import tensorflow as tf

    occluded = augment_batch(tf.constant(batch), only(occlusion_probability=1.0)).numpy()
    for original, covered in zip(batch, occluded, strict=True):
        rows, columns = np.nonzero(np.abs(covered - original)[..., 0] > 1e-3)
        assert rows.size > 0
        box = covered[rows.min(): rows.max() + 1, columns.min(): columns.max() + 1]
        assert np.ptp(box) < 1e-3  # one grey value
        assert 0.15 * 48 - 1 <= rows.max() - rows.min() + 1 <= 0.35 * 48 + 1


def test_probabilities_pick_a_share_of_faces():
    import tensorflow as tf

    tf.random.set_seed(5)
    faces = np.full((400, 48, 48, 1), 128.0, np.float32)
    dark = augment_batch(tf.constant(faces), only(low_light_probability=0.3)).numpy()
    share = float(np.mean(dark.mean(axis=(1, 2, 3)) < 127))
    assert 0.2 < share < 0.4
