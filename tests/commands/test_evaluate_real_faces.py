"""``evaluate --photos DIR --labels CSV`` and ``evaluate --votes``: the real-photo and crowd lenses on the CLI.

Synthetic photo folders and votes files; the run on the shared ``faces_dev`` set skips without ``../shared``.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.commands.cli_runner import assert_clean_failure, last_json_line, run_main, synthetic_training_npz
from tests.conftest import paste_face
from tunex_core.emotions import EMOTION_NAMES
from tunex_core.paths import SHARED_FACES_DEV_DIR
from tunex_core.training.ferplus import FERPLUS_COLUMNS

# FER+ vote column of each FER-2013 label
FERPLUS_COLUMN = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness", "sad": "sadness",
                  "surprise": "surprise", "neutral": "neutral"}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, untrained_model):
    path = tmp_path_factory.mktemp("model") / "untrained.keras"
    untrained_model.save(path)
    return path


@pytest.fixture(scope="module")
def photo_set(tmp_path_factory, face_bgr):
    """Three photos with the fixture face, one blank, one broken; labels.csv names them."""
    folder = tmp_path_factory.mktemp("photos")
    for index in range(3):
        frame = np.full((400, 500, 3), 80 + 20 * index, np.uint8)
        paste_face(frame, face_bgr, 150, 90, 180)
        cv2.imwrite(str(folder / f"face{index}.jpg"), frame)
    cv2.imwrite(str(folder / "blank.png"), np.full((200, 200, 3), 128, np.uint8))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    labels = folder / "labels.csv"
    labels.write_text("file,label\nface0.jpg,happy\nface1.jpg,sad\nface2.jpg,contempt\nblank.png,angry\n"
                      "broken.jpg,fear\n")
    return folder, labels


def test_photos_json_has_found_accuracy_and_per_class(photo_set, model_file):
    folder, labels = photo_set
    result = run_main("evaluate", "--photos", str(folder), "--labels", str(labels), "--model", str(model_file),
                      "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert (payload["photos"], payload["found"]) == (4, 3)  # the broken file is listed, not scored
    assert payload["unreadable"][0]["file"] == "broken.jpg"
    assert payload["accuracy"] == pytest.approx(payload["right"] / 4, abs=1e-4)
    assert payload["accuracy_of_found"] == pytest.approx(payload["right"] / 3, abs=1e-4)
    assert list(payload["per_class"]) == list(EMOTION_NAMES)
    assert payload["per_class"]["disgust"]["photos"] == 1 and payload["contempt_photos"] == 1
    assert payload["per_class"]["angry"] == {"photos": 1, "found": 0, "right": 0, "recall": 0.0,
                                             "recall_of_found": None}
    assert np.array(payload["confusion"]).sum() == 3
    assert payload["tta"] == "flip" and payload["backend"] == "tensorflow"
    assert "4 labelled photos, a face found in 3 (75.0%)" in result.stdout
    assert "1 photo(s) could not be read" in result.stderr
    dropped = last_json_line(run_main("evaluate", "--photos", str(folder), "--labels", str(labels), "--model",
                                      str(model_file), "--contempt", "drop", "--json"))
    assert dropped["photos"] == 3 and dropped["per_class"]["disgust"]["photos"] == 0


@pytest.mark.parametrize(("arguments", "complaint"), [
    (["--photos", "{folder}"], "--photos and --labels go together"),
    (["--photos", "{folder}/nowhere", "--labels", "{labels}"], "is not a folder of photos"),
    (["--photos", "{folder}", "--labels", "{folder}/absent.csv"], "absent.csv does not exist"),
    (["--photos", "{folder}", "--labels", "{labels}", "--data", "x.npz"], "leave out --data"),
    (["--photos", "{folder}", "--labels", "{labels}", "--model", "a.keras", "--model", "b.keras"], "one model"),
    (["--photos", "{folder}", "--labels", "{labels}", "--model", "{folder}/none.keras"], "none.keras"),
    ([], "give --data (FER-2013) or --photos DIR with --labels CSV"),
])
def test_bad_photo_arguments_get_one_error_line(photo_set, arguments, complaint):
    folder, labels = photo_set
    result = run_main("evaluate", *(argument.format(folder=folder, labels=labels) for argument in arguments))
    assert_clean_failure(result, 2, "error:", complaint)
    assert result.stderr.count("error:") == 1


def test_unknown_labels_and_missing_files_are_refused(photo_set, tmp_path):
    folder, _ = photo_set
    bad = tmp_path / "labels.csv"
    bad.write_text("file,label\nface0.jpg,joy\n")
    assert_clean_failure(run_main("evaluate", "--photos", str(folder), "--labels", str(bad)), 2, "unknown label 'joy'")
    bad.write_text("file,label\nface0.jpg,happy\nmissing.jpg,sad\n")
    assert_clean_failure(run_main("evaluate", "--photos", str(folder), "--labels", str(bad)), 2,
                         "1 photo of", "missing.jpg")
    bad.write_text("file,label\nbroken.jpg,happy\n")
    assert_clean_failure(run_main("evaluate", "--photos", str(folder), "--labels", str(bad)), 2, "no readable photo")


@pytest.fixture(scope="module")
def fer_with_votes(tmp_path_factory, fer_fixture):
    """The 70 fixture faces as PrivateTest, and votes where the crowd agrees with the label on even rows and says
    neutral on odd ones; the last face is 'not a face'."""
    faces, labels = fer_fixture
    folder = tmp_path_factory.mktemp("fer")
    np.savez(folder / "fer.npz", x_test=faces, y_test=labels)
    votes = np.zeros((len(labels), len(FERPLUS_COLUMNS)), np.uint8)
    for row, label in enumerate(labels):
        crowd = EMOTION_NAMES[label] if row % 2 == 0 else "neutral"
        votes[row, FERPLUS_COLUMNS.index(FERPLUS_COLUMN[crowd])] = 10
    votes[-1] = 0
    votes[-1, FERPLUS_COLUMNS.index("NF")] = 10
    np.savez(folder / "votes.npz", votes_test=votes, columns=np.array(FERPLUS_COLUMNS))
    return folder / "fer.npz", folder / "votes.npz", labels


def test_votes_add_crowd_accuracy(fer_with_votes, model_file, fer_fixture):
    from tunex_core.vision.inference import EmotionClassifier
    from tunex_core.vision.model import load_model

    data, votes, labels = fer_with_votes
    result = run_main("evaluate", "--data", str(data), "--model", str(model_file), "--votes", str(votes), "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    assert payload["crowd"]["n"] == 69 and payload["crowd"]["dropped"] == 1 and payload["n"] == 70
    predicted = EmotionClassifier.from_keras_model(load_model(model_file)).predict(fer_fixture[0]).argmax(axis=1)
    crowd = np.where(np.arange(len(labels)) % 2 == 0, labels, EMOTION_NAMES.index("neutral"))
    assert payload["crowd_accuracy"] == pytest.approx(float((predicted == crowd)[:-1].mean()), abs=1e-4)
    assert "against the FER+ crowd's majority" in result.stdout and "of 69 faces" in result.stdout


def test_crowd_accuracy_is_the_share_agreeing_with_the_majority(fer_with_votes, tmp_path, model_file):
    data, _, labels = fer_with_votes
    baseline = last_json_line(run_main("evaluate", "--data", str(data), "--model", str(model_file), "--json"))
    # votes that repeat the FER labels exactly: crowd accuracy equals accuracy
    votes = np.zeros((len(labels), len(FERPLUS_COLUMNS)), np.uint8)
    votes[np.arange(len(labels)), [FERPLUS_COLUMNS.index(FERPLUS_COLUMN[EMOTION_NAMES[label]]) for label in labels]] = 10
    np.savez(tmp_path / "same.npz", votes_test=votes, columns=np.array(FERPLUS_COLUMNS))
    same = last_json_line(run_main("evaluate", "--data", str(data), "--model", str(model_file), "--votes",
                                   str(tmp_path / "same.npz"), "--json"))
    assert same["crowd_accuracy"] == baseline["accuracy"] and same["crowd"]["n"] == 70


def test_bad_votes_get_one_error_line(fer_with_votes, tmp_path, model_file):
    data, _, _ = fer_with_votes
    assert_clean_failure(run_main("evaluate", "--data", str(data), "--model", str(model_file), "--votes",
                                  str(tmp_path / "none.npz")), 2, "none.npz does not exist")
    np.savez(tmp_path / "short.npz", votes_test=np.zeros((3, 10), np.uint8), columns=np.array(FERPLUS_COLUMNS))
    assert_clean_failure(run_main("evaluate", "--data", str(data), "--model", str(model_file), "--votes",
                                  str(tmp_path / "short.npz")), 2, "3 test vote rows but 70 faces")


def test_release_refuses_half_a_photo_set_and_missing_votes(tmp_path, photo_set):
    folder, _ = photo_set
    common = ("release", "--run", str(tmp_path), "--data", str(tmp_path / "missing.npz"))
    assert_clean_failure(run_main(*common, "--photos", str(folder)), 2, "--photos and --labels go together")
    assert_clean_failure(run_main(*common, "--photos", str(folder), "--labels", str(folder / "no.csv")), 2,
                         "no.csv does not exist")
    assert_clean_failure(run_main(*common, "--votes", str(tmp_path / "votes.npz")), 2, "votes.npz does not exist")


def test_record_photos_replaces_the_real_photo_figures_and_keeps_the_release(tmp_path, photo_set, untrained_model):
    from tunex_core.report.real_faces import parse_photos
    from tunex_core.vision.faces import PHOTO_ENLARGED_SIDE, PHOTO_MARGINS

    folder, labels = photo_set
    models = tmp_path / "models"
    models.mkdir()
    untrained_model.save(models / "emotion_cnn.keras")
    release = {"model": {"file": "emotion_cnn.keras"}, "labels": list(EMOTION_NAMES), "temperature": 1.0,
               "real_photos": {"set": "old", "photos": 1, "found": 0, "right": 0, "accuracy": 0.0}}
    (models / "metrics.json").write_text(json.dumps(release))
    result = run_main("record-photos", "--photos", str(folder), "--labels", str(labels), "--models-dir", str(models))
    assert result.returncode == 0, result.stderr
    assert "a face found in 3 of 4" in result.stdout
    metrics = json.loads((models / "metrics.json").read_text())
    assert {key: metrics[key] for key in ("model", "labels", "temperature")} == \
        {key: release[key] for key in ("model", "labels", "temperature")}
    photos = metrics["real_photos"]
    assert (photos["photos"], photos["found"], photos["set"]) == (4, 3, folder.name)
    assert photos["margins"] == list(PHOTO_MARGINS) and photos["enlarged_side"] == PHOTO_ENLARGED_SIDE
    assert photos["command"].startswith("python -m tunex_core record-photos --photos ")
    assert parse_photos(photos, EMOTION_NAMES).accuracy == photos["accuracy"]  # what the Model page reads


def test_record_photos_needs_a_released_model(tmp_path, photo_set):
    folder, labels = photo_set
    arguments = ("record-photos", "--photos", str(folder), "--labels", str(labels), "--models-dir", str(tmp_path))
    assert_clean_failure(run_main(*arguments), 2, "metrics.json: cannot read it")
    (tmp_path / "metrics.json").write_text("{}")
    assert_clean_failure(run_main(*arguments), 2, "holds no shipped model")
    assert_clean_failure(run_main("record-photos", "--photos", str(folder), "--labels", str(folder / "no.csv"),
                                  "--models-dir", str(tmp_path)), 2, "no.csv does not exist")


@pytest.mark.slow
def test_release_stores_the_crowd_and_real_photo_figures(tmp_path, photo_set, monkeypatch):
    from tunex_core.report.model_report import load_model_report
    from tunex_core.training import release

    # Neither the latency figures nor precise batch norm are checked here (test_release.py checks both): 30
    # timed calls instead of 300 and --no-precise-bn (60 training-mode passes) took this test from 27 to 13 s.
    monkeypatch.setattr(release, "LATENCY_REPEATS", 30)

    folder, labels = photo_set
    data = synthetic_training_npz(tmp_path / "fer.npz")
    with np.load(data) as archive:
        arrays = dict(archive)
    np.savez(data, **arrays, x_test=arrays["x_val"][::-1], y_test=arrays["y_val"][::-1])
    votes = np.zeros((21, len(FERPLUS_COLUMNS)), np.uint8)
    votes[:, FERPLUS_COLUMNS.index("happiness")] = 10
    np.savez(tmp_path / "votes.npz", votes_val=votes, votes_test=votes, columns=np.array(FERPLUS_COLUMNS))
    run, models = tmp_path / "run", tmp_path / "models"
    assert run_main("train", "--data", str(data), "--epochs", "1", "--batch-size", "16", "--float32",
                    "--out", str(run)).returncode == 0
    result = run_main("release", "--run", str(run), "--data", str(data), "--models-dir", str(models), "--votes",
                      str(tmp_path / "votes.npz"), "--photos", str(folder), "--labels", str(labels),
                      "--no-precise-bn")
    assert result.returncode == 0, result.stderr
    report = load_model_report(models / "metrics.json")
    assert report.crowd.splits["public_test"].n == 21 and report.crowd.splits["private_test"].n == 21
    assert (report.real_photos.photos, report.real_photos.found) == (4, 3)
    assert report.real_photos.backend == "litert"  # the shipped .tflite, as the app runs it
    assert "--votes" in report.crowd.command and f"--photos {folder}" in report.real_photos.command


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_FACES_DEV_DIR / "labels.csv").is_file(), reason="needs ../shared/data/faces_dev")
def test_the_shipped_model_on_faces_dev():
    result = run_main("evaluate", "--photos", str(SHARED_FACES_DEV_DIR / "images"), "--labels",
                      str(SHARED_FACES_DEV_DIR / "labels.csv"), "--json")
    assert result.returncode == 0, result.stderr
    payload = last_json_line(result)
    # issue 45's target: at least 55% right with the app's photo path (56.45% when small photos were enlarged and
    # each face read from two crops; 54.30% before, faces found in 795)
    assert payload["photos"] == 930 and payload["found"] >= 820
    assert payload["accuracy"] >= 0.55
