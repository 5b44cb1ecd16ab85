"""Fixtures of the emotion-model commands' tests: FER-2013-shaped data and an untrained model file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunex_core.paths import MODEL_FILE


@pytest.fixture(scope="module")
def test_only_npz(tmp_path_factory, fer_fixture) -> Path:
    faces, labels = fer_fixture
    path = tmp_path_factory.mktemp("data") / "fixture_test.npz"
    np.savez(path, x_test=faces, y_test=labels)
    return path


@pytest.fixture(scope="module")
def untrained_model_file(tmp_path_factory, untrained_model) -> Path:
    path = tmp_path_factory.mktemp("model") / "untrained.keras"
    untrained_model.save(path)
    return path


@pytest.fixture(scope="module")
def model_arguments(untrained_model_file) -> list[str]:
    """The shipped model (the product's default path, LiteRT when exported) or, without it, an untrained one."""
    return [] if MODEL_FILE.is_file() else ["--model", str(untrained_model_file)]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty TuneX home for one test (``TUNEX_HOME``, no ``TUNEX_DB``)."""
    monkeypatch.setenv("TUNEX_HOME", str(tmp_path))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    return tmp_path
