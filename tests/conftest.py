"""Shared fixtures for the whole suite (``tests/<part>/`` mirrors ``tunex_core/<part>/``).

TensorFlow is imported lazily inside the model fixtures, so test modules that
never ask for a model (catalog, spotify, pages) do not pay for it.

``face_bgr`` (session)
    ``tests/fixtures/face.jpg`` as a read-only BGR uint8 array (360x360; Haar
    finds one face near ``FACE_BOX``). ``paste_face`` puts its face into
    synthetic frames at a known box.
``fer_fixture`` (session)
    ``(faces (70, 48, 48) uint8, labels (70,) int64)`` from ``tests/fixtures/fer_faces.npz``.
``untrained_model`` / ``untrained_classifier`` / ``untrained_pipeline`` (session)
    ``build_model("tunex")`` with random weights, wrapped for inference: for
    structural tests that must not depend on the shipped model's quality.
``shipped_model`` / ``shipped_pipeline`` (session)
    ``models/emotion_cnn.keras`` loaded once (TensorFlow backend); the tests
    that use them are skipped when the file is absent.
``home``
    A temporary TuneX home for store tests, with the store's process state reset before and after.
``isolated_home`` / ``fake_spotify`` / ``spotify_environment`` / ``service``
    A temporary TuneX home with no Spotify settings, and the fake Spotify server on 127.0.0.1.

Before each test the cyclic garbage collector runs once and freezes what survives (``gc.freeze``), so the
collections during the test walk only the objects made since. Without it, once TensorFlow and a model
are loaded, full collections over the ~500,000 long-lived objects took 153 of the 192 s of
``tests/vision/test_model.py tests/pages`` (55 s with it). The price: a frozen object that later becomes
part of an unreachable cycle (a module fixture's, say) is not collected; reference counting frees the rest.

Every test process (``pytest``, or each ``pytest-xdist`` worker) sets ``TUNEX_HOME`` to a temporary folder
of its own and drops ``TUNEX_DB`` before any test runs, so no test reads or writes the developer's own
TuneX data and parallel workers never share a database. The real-browser tests share one Streamlit server
and one Chromium per process: under ``pytest -n N --dist loadgroup`` (as ``scripts/test.sh`` runs) all of
``tests/browser/`` runs on one worker, one test after another (``KEPT_TOGETHER``).
"""

# streamlit-webrtc's SRTP library (pylibsrtp, via aiortc) segfaults when it is loaded after
# TensorFlow's native libraries; this process imports TensorFlow for the model tests and
# streamlit-webrtc for the Live page's AppTests, so load the WebRTC stack first (as app.py does).
from __future__ import annotations

import gc
import os
import shutil
import tempfile
from pathlib import Path

import aiortc  # noqa: F401
import numpy as np
import pytest

from tests.spotify_server import CLIENT_ID, CLIENT_SECRET, FakeSpotify, FakeSpotifyServer
from tunex_core.music import spotify
from tunex_core.paths import FIXTURE_FACES_FILE, MODEL_FILE, TESTS_FIXTURES_DIR

FACE_PHOTO = TESTS_FIXTURES_DIR / "face.jpg"
# Where the product's detector finds the face in face.jpg (x, y, w, h).
FACE_BOX = (137, 68, 93, 93)
BOX_TOLERANCE = 12  # pixels, per coordinate
PASTE_CONTEXT = 0.25  # context around the face box in pasted patches, as a fraction of its width


_PROCESS_HOME: Path | None = None


def pytest_configure(config) -> None:
    """A TuneX home of this test process's own (see the module docstring)."""
    global _PROCESS_HOME
    _PROCESS_HOME = Path(tempfile.mkdtemp(prefix="tunex-tests-home-"))
    os.environ["TUNEX_HOME"] = str(_PROCESS_HOME)
    os.environ.pop("TUNEX_DB", None)


def pytest_unconfigure(config) -> None:
    if _PROCESS_HOME is not None:
        shutil.rmtree(_PROCESS_HOME, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Collect the previous test's garbage, then freeze the survivors (see the module docstring)."""
    gc.collect()
    gc.freeze()


# Tests that one pytest-xdist worker runs together (``--dist loadgroup``), by node id prefix:
KEPT_TOGETHER = (
    "tests/browser/",  # one Streamlit server and one Chromium per process
    "tests/training/test_trainer.py",  # smoke_run (module scope) trains for ~15 s; on two workers it trains twice
)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """Under ``pytest -n N --dist loadgroup``, the tests under each ``KEPT_TOGETHER`` prefix go to one worker;
    every other test is a unit of its own, as with ``--dist load``.

    (pytest-xdist 3.8's own ``xdist_group`` marks do not group under pytest 9.2: xdist appends the group to
    the test's ``_nodeid``, which pytest 9.2 no longer reads.)
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class KeptTogetherScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            together = [prefix for prefix in KEPT_TOGETHER if nodeid.startswith(prefix)]
            return together[0] if together else super()._split_scope(nodeid)

    return KeptTogetherScheduling(config, log)


def boxes_close(box, expected, tolerance: float = BOX_TOLERANCE) -> bool:
    """True when every coordinate of ``box`` is within ``tolerance`` pixels of ``expected``."""
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(box, expected, strict=True))


def iou(first, second) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = first
    bx, by, bw, bh = second
    inter_w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    inter_h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = inter_w * inter_h
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def paste_face(frame: np.ndarray, face_bgr: np.ndarray, x: int, y: int, width: int) -> tuple[int, int, int, int]:
    """Paste face.jpg's face, scaled so its box is ``width`` px wide, with the box's top-left at (x, y).

    The patch carries ``PASTE_CONTEXT`` of the box width as context on each side. Returns the
    face box (x, y, width, width) in ``frame`` pixels.
    """
    import cv2

    fx, fy, fw, fh = FACE_BOX
    pad = round(PASTE_CONTEXT * fw)
    patch = face_bgr[fy - pad: fy + fh + pad, fx - pad: fx + fw + pad]
    scale = width / fw
    patch = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    offset = round(pad * scale)
    top, left = y - offset, x - offset
    assert top >= 0 and left >= 0
    assert top + patch.shape[0] <= frame.shape[0] and left + patch.shape[1] <= frame.shape[1]
    frame[top: top + patch.shape[0], left: left + patch.shape[1]] = patch
    return x, y, width, width


def group_photo(face_bgr: np.ndarray, columns: int, rows: int, face_widths, cell: int = 400,
                background: int = 110) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A group picture: face.jpg's face pasted in the middle of each ``cell``-px cell of a grid, row by row,
    the n-th face ``face_widths[n]`` px wide (an int: all the same). Returns the photo and the face boxes."""
    frame = np.full((rows * cell, columns * cell, 3), background, np.uint8)
    widths = [face_widths] * (rows * columns) if isinstance(face_widths, int) else list(face_widths)
    boxes = []
    for index, width in enumerate(widths):
        row, column = divmod(index, columns)
        boxes.append(paste_face(frame, face_bgr, column * cell + (cell - width) // 2,
                                row * cell + (cell - width) // 2, width))
    return frame, boxes


@pytest.fixture(scope="session")
def face_bgr() -> np.ndarray:
    import cv2

    image = cv2.imread(str(FACE_PHOTO), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {FACE_PHOTO}"
    image.setflags(write=False)
    return image


@pytest.fixture(scope="session")
def fer_fixture() -> tuple[np.ndarray, np.ndarray]:
    with np.load(FIXTURE_FACES_FILE) as archive:
        return archive["faces"], archive["labels"].astype(np.int64)


@pytest.fixture(scope="session")
def untrained_model():
    import keras

    from tunex_core.vision.model import build_model

    keras.utils.set_random_seed(0)
    return build_model("tunex")


@pytest.fixture(scope="session")
def untrained_classifier(untrained_model):
    from tunex_core.vision.inference import EmotionClassifier

    return EmotionClassifier.from_keras_model(untrained_model)


@pytest.fixture(scope="session")
def untrained_pipeline(untrained_classifier):
    from tunex_core.vision.pipeline import EmotionPipeline

    return EmotionPipeline(untrained_classifier)


def _require_model_file() -> Path:
    if not MODEL_FILE.is_file():
        pytest.skip(f"shipped model {MODEL_FILE} is absent")
    return MODEL_FILE


@pytest.fixture(scope="session")
def shipped_model():
    from tunex_core.vision.model import load_model

    return load_model(_require_model_file())


@pytest.fixture(scope="session")
def shipped_pipeline(shipped_model):
    from tunex_core.paths import METRICS_FILE
    from tunex_core.vision.inference import EmotionClassifier
    from tunex_core.vision.pipeline import EmotionPipeline, _stored_temperature

    classifier = EmotionClassifier.from_keras_model(shipped_model, temperature=_stored_temperature(METRICS_FILE))
    return EmotionPipeline(classifier)


# Spotify tests (tests/music, tests/pages/test_playlist_page.py, tests/commands/test_spotify_command.py):
# an isolated TuneX home and the local fake Spotify server.
@pytest.fixture
def isolated_home(tmp_path, monkeypatch):
    """Temp TuneX home and working directory; no Spotify settings from the developer's machine."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUNEX_HOME", str(home))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    monkeypatch.setenv(spotify.SECRETS_PATH_VARIABLE, str(tmp_path / "no-secrets.toml"))
    for variable in (spotify.CLIENT_ID_VARIABLE, spotify.CLIENT_SECRET_VARIABLE,
                     spotify.API_URL_VARIABLE, spotify.TOKEN_URL_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def fake_spotify(isolated_home):
    """A running fake Spotify on 127.0.0.1; yields its ``FakeSpotify`` state."""
    with FakeSpotifyServer(FakeSpotify()) as fake:
        yield fake


@pytest.fixture
def spotify_environment(fake_spotify, monkeypatch):
    """Credentials and endpoint variables pointing at the fake server."""
    monkeypatch.setenv(spotify.CLIENT_ID_VARIABLE, CLIENT_ID)
    monkeypatch.setenv(spotify.CLIENT_SECRET_VARIABLE, CLIENT_SECRET)
    monkeypatch.setenv(spotify.API_URL_VARIABLE, fake_spotify.api_url)
    monkeypatch.setenv(spotify.TOKEN_URL_VARIABLE, fake_spotify.token_url)
    return fake_spotify


@pytest.fixture
def service(spotify_environment):
    """A ``SpotifyService`` configured from the environment (fake server, temp database)."""
    return spotify.SpotifyService.from_environment()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A temporary TuneX home for store tests; the store's process state (fallbacks, queued writes) is forgotten."""
    from tunex_core import storage

    home = tmp_path / "home"
    monkeypatch.setenv("TUNEX_HOME", str(home))
    monkeypatch.delenv("TUNEX_DB", raising=False)
    storage.reset_process_state()
    yield home
    storage.reset_process_state()
