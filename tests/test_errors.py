"""Tests for ``tunex_core.errors``: its exceptions load without TensorFlow and are caught as what they extend."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tunex_core.errors import ModelFileError
from tunex_core.paths import PROJECT_ROOT


def test_the_errors_import_without_tensorflow():
    probe = "import sys, tunex_core.errors; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_a_missing_model_file_is_caught_as_a_file_not_found_error():
    # callers that know nothing of TuneX catch FileNotFoundError
    with pytest.raises(FileNotFoundError, match=r"^models/emotion_cnn\.keras: not found$"):
        raise ModelFileError("models/emotion_cnn.keras: not found")
