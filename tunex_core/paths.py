"""File-system locations used across TuneX (one home for paths)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
DATA_DIR = PROJECT_ROOT / "data"
TESTS_FIXTURES_DIR = PROJECT_ROOT / "tests" / "fixtures"

MODEL_FILE = MODELS_DIR / "emotion_cnn.keras"
TFLITE_MODEL_FILE = MODELS_DIR / "emotion_cnn.tflite"
METRICS_FILE = MODELS_DIR / "metrics.json"
SPOTIFY_SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
FIXTURE_FACES_FILE = TESTS_FIXTURES_DIR / "fer_faces.npz"

# Optional FER-2013 copy for developers; the product never needs it at run time.
SHARED_FER_FILE = PROJECT_ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.npz"


def user_data_dir() -> Path:
    """Directory for per-user state (database, caches); ``TUNEX_HOME`` overrides it."""
    override = os.environ.get("TUNEX_HOME")
    return Path(override).expanduser() if override else Path.home() / ".tunex"
