"""Tests for ``tunex_core.report.real_faces``: the crowd and real-photo sections of metrics.json.

What ``release`` writes (``CrowdScore.to_dict``, ``PhotoEvaluation.to_dict``) must parse here: the
writer and the reader live in parts that may not import each other.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.report.model_report import parse_model_report
from tunex_core.report.real_faces import parse_crowd, parse_photos
from tunex_core.training.ferplus import CrowdScore
from tunex_core.training.photos import PhotoFaces, score_photo_faces


def photo_section() -> dict:
    labels = np.array([3, 3, 4, 6])
    faces = PhotoFaces(files=("a", "b", "c", "d"), labels=labels, found=np.array([True, False, True, True]),
                       crops=np.zeros((3, 48, 48), np.uint8), unreadable=(("e", "the file is empty"),))
    probabilities = np.eye(7)[[3, 4, 3]]
    evaluation = score_photo_faces(faces, probabilities, contempt_photos=2)
    return {"set": "faces_dev", "command": "python -m tunex_core release …", "backend": "litert", "tta": "flip",
            **json.loads(json.dumps(evaluation.to_dict()))}


def crowd_section() -> dict:
    score = CrowdScore(accuracy=0.8, n=3553, dropped=36, ties=134, recall={"happy": 0.9})
    return {"votes": "ferplus_votes.npz", "tta": "flip", "command": "…",
            "public_test": score.to_dict(), "private_test": {**score.to_dict(), "accuracy": 0.79}}


def test_what_release_writes_parses():
    report = parse_model_report({"crowd": crowd_section(), "real_photos": photo_section()})
    assert report.crowd.splits["private_test"].accuracy == 0.79
    assert (report.crowd.splits["public_test"].n, report.crowd.splits["public_test"].ties) == (3553, 134)
    photos = report.real_photos
    assert (photos.set_name, photos.photos, photos.found, photos.right) == ("faces_dev", 4, 3, 2)
    assert photos.accuracy == 0.5 and photos.accuracy_of_found == pytest.approx(0.6667)
    assert photos.per_class["happy"].recall == 0.5
    assert photos.per_class["sad"].right == 1 and photos.per_class["neutral"].right == 0
    assert photos.contempt_photos == 2 and len(photos.confusion) == len(EMOTION_NAMES)


def test_absent_sections_are_none():
    report = parse_model_report({})
    assert report.crowd is None and report.real_photos is None


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda section: section.update(accuracy=1.5), "real_photos.accuracy must be a number in 0..1"),
    (lambda section: section.update(found=9), "right <= found <= photos"),
    (lambda section: section["per_class"].update(bored={"photos": 1, "found": 1, "right": 1, "recall": 1.0}),
     "per_class.bored: unknown class"),
    (lambda section: section.update(confusion=[[1, 2]]), "7x7"),
    (lambda section: section["per_class"]["happy"].update(right=-1), "happy.right must be a non-negative integer"),
])
def test_malformed_photo_sections_name_the_key(change, complaint):
    section = photo_section()
    change(section)
    with pytest.raises(ValueError, match=complaint):
        parse_photos(section, EMOTION_NAMES)


def test_malformed_crowd_sections_name_the_key():
    with pytest.raises(ValueError, match=r"crowd\.public_test\.accuracy"):
        parse_crowd({"public_test": {"accuracy": "high", "n": 3}})
    with pytest.raises(ValueError, match="neither public_test nor private_test"):
        parse_crowd({"votes": "x"})
    with pytest.raises(ValueError, match="crowd must be an object"):
        parse_crowd([0.8])


def test_the_photo_readings_crops_parse_and_a_bad_margin_names_its_key():
    photos = parse_photos({**photo_section(), "margins": [0.0, 0.05], "enlarged_side": 96}, EMOTION_NAMES)
    assert photos.margins == (0.0, 0.05) and photos.enlarged_side == 96
    assert parse_photos(photo_section(), EMOTION_NAMES).margins == ()
    with pytest.raises(ValueError, match=r"real_photos\.margins must hold non-negative numbers, got 'wide'"):
        parse_photos({**photo_section(), "margins": ["wide"]}, EMOTION_NAMES)
    with pytest.raises(ValueError, match=r"real_photos\.enlarged_side must be a non-negative integer"):
        parse_photos({**photo_section(), "enlarged_side": 9.5}, EMOTION_NAMES)
