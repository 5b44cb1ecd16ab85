"""Tests for ``tunex_core.training.perturb``: fixed webcam-like copies of a split for ``evaluate --perturb``."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.training.perturb import PERTURBATIONS, perturb


@pytest.fixture(scope="module")
def faces(fer_fixture) -> np.ndarray:
    return fer_fixture[0][:12]


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_each_perturbation_is_deterministic_and_keeps_the_shape(faces, name):
    original = faces.copy()
    first, second = perturb(faces, name), perturb(faces, name)
    np.testing.assert_array_equal(faces, original)  # the input is untouched
    assert first.shape == faces.shape and first.dtype == np.uint8
    np.testing.assert_array_equal(first, second)
    assert np.abs(first.astype(int) - faces).mean() > 1.0


def test_dark_is_darker(faces):
    assert np.all(perturb(faces, "dark").mean(axis=(1, 2)) < 0.6 * faces.mean(axis=(1, 2)))


def test_blur_removes_detail(faces):
    def detail(images):
        return np.abs(np.diff(images.astype(int), axis=2)).mean()

    assert detail(perturb(faces, "blur")) < 0.7 * detail(faces)


def test_rotate_alternates_direction(faces):
    pair = np.stack([faces[0], faces[0]])
    rotated = perturb(pair, "rotate")
    assert not np.array_equal(rotated[0], rotated[1])
    # +15° of a face, mirrored, is -15° of the mirrored face
    mirrored_then_rotated = perturb(pair[:, :, ::-1].copy(), "rotate")[1].astype(int)
    assert np.abs(rotated[0][:, ::-1].astype(int) - mirrored_then_rotated).mean() < 0.5


def test_occlude_covers_the_mouth_band(faces):
    covered = perturb(faces, "occlude")
    assert np.all(covered[:, 32:42] == 128)
    np.testing.assert_array_equal(covered[:, :29], faces[:, :29])


def test_unknown_name_and_bad_input():
    with pytest.raises(ValueError, match="unknown perturbation 'sepia'"):
        perturb(np.zeros((1, 48, 48), np.uint8), "sepia")
    with pytest.raises(ValueError, match="uint8"):
        perturb(np.zeros((1, 48, 48)), "dark")
    assert perturb(np.zeros((0, 48, 48), np.uint8), "jpeg").shape == (0, 48, 48)
