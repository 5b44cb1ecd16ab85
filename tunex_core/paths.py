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
# The song-emotion model (valence and arousal from a song's audio), ``python -m tunex_core.music.build.song_model``.
SONG_MODEL_FILE = MODELS_DIR / "song_emotion.npz"
SPOTIFY_SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
FIXTURE_FACES_FILE = TESTS_FIXTURES_DIR / "fer_faces.npz"

# The shipped song catalog (PMEmo's rated songs + Spotify tracks placed on the same plane), the
# cleaned PMEmo songs it starts from, the Spotify-to-PMEmo mapping and the build report.
CATALOG_FILE = DATA_DIR / "catalog.parquet"
PMEMO_CATALOG_FILE = DATA_DIR / "pmemo_catalog.csv"
CATALOG_MAPPING_FILE = DATA_DIR / "catalog_mapping.json"
CATALOG_REPORT_FILE = DATA_DIR / "catalog_build_report.json"
CATALOG_OVERRIDES_FILE = DATA_DIR / "catalog_overrides.csv"
CLIPS_DIR = DATA_DIR / "clips"
EMOTION_MUSIC_FILE = DATA_DIR / "emotion_music.toml"
EMOTION_MUSIC_FILE_NAME = "emotion_music.toml"

# Optional FER-2013 copy for developers; the product never needs it at run time.
SHARED_FER_FILE = PROJECT_ROOT.parent / "shared" / "data" / "fer2013" / "fer2013.npz"
# FER+ crowd votes aligned with it row by row, and the real-photo development set (issue 45): research data,
# read only by the selection bench and optional tests, never by the app.
SHARED_VOTES_FILE = SHARED_FER_FILE.parent / "ferplus_votes.npz"
SHARED_FACES_DEV_DIR = PROJECT_ROOT.parent / "shared" / "data" / "faces_dev"
# Raw PMEmo files, read only by ``python -m tunex_core.music.build.catalog`` to rebuild ``data/``.
SHARED_PMEMO_DIR = PROJECT_ROOT.parent / "shared" / "data" / "pmemo"
# Public Spotify song tables (ids + audio features), read only by the catalog build.
SHARED_SPOTIFY_DIR = PROJECT_ROOT.parent / "shared" / "data" / "spotify"
# The 4Q clips with quadrants and MERGE's values, and the Deezer mood set: read only to train the
# song-emotion model and by the catalog build (its placement), never by the app.
SHARED_MUSIC_EMOTION_DIR = PROJECT_ROOT.parent / "shared" / "data" / "music_emotion"


def user_data_dir() -> Path:
    """Directory for per-user state (database, caches); ``TUNEX_HOME`` overrides it."""
    override = os.environ.get("TUNEX_HOME")
    return Path(override).expanduser() if override else Path.home() / ".tunex"


def user_emotion_music_file() -> Path:
    """The user's optional override of the emotion-to-music mapping (``emotion_music.toml``)."""
    return user_data_dir() / EMOTION_MUSIC_FILE_NAME


# A training run folder's inference model (``python -m tunex_core train --out RUN`` writes it at the end).
RUN_MODEL_NAME = "final.keras"


def run_model_file(path: str | Path) -> Path:
    """A model's ``.keras`` file given the file itself or a training run folder (its ``final.keras``)."""
    path = Path(path).expanduser()
    return path / RUN_MODEL_NAME if path.is_dir() else path
