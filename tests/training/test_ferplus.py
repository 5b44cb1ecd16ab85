"""Tests for ``tunex_core.training.ferplus``: FER+ votes → 7-class soft targets (synthetic votes only)."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.training.dataset import DatasetError, Split
from tunex_core.training.ferplus import (
    FERPLUS_COLUMNS,
    load_votes,
    mixed_targets,
    soft_training_split,
    vote_targets,
)

INDEX = EMOTION_NAMES.index


def votes_row(**counts) -> list[int]:
    """One row of FER+ votes in FER+ column order, e.g. ``votes_row(happiness=8, neutral=2)``."""
    return [counts.get(name, 0) for name in FERPLUS_COLUMNS]


def write_votes(path, rows, valid=None, columns=FERPLUS_COLUMNS, key="votes_train"):
    votes = np.array(rows, dtype=np.uint8)
    arrays = {key: votes, "columns": np.array(columns)}
    if valid is not None:
        arrays[key.replace("votes", "valid")] = np.array(valid, dtype=bool)
    np.savez(path, **arrays)
    return path


def test_columns_map_to_fer_label_order():
    rows = [votes_row(neutral=10), votes_row(happiness=10), votes_row(surprise=10), votes_row(sadness=10),
            votes_row(anger=10), votes_row(disgust=10), votes_row(fear=10)]
    targets = vote_targets(np.array(rows), np.ones(7, bool))
    expected = ["neutral", "happy", "surprise", "sad", "angry", "disgust", "fear"]
    assert [EMOTION_NAMES[index] for index in targets.distributions.argmax(axis=1)] == expected
    np.testing.assert_allclose(targets.distributions.max(axis=1), 1.0)


def test_distribution_is_the_share_of_votes_after_removing_single_votes():
    targets = vote_targets(np.array([votes_row(happiness=6, surprise=3, fear=1)]), np.ones(1, bool))
    expected = np.zeros(7)
    expected[INDEX("happy")], expected[INDEX("surprise")] = 6 / 9, 3 / 9  # the single fear vote is an outlier
    np.testing.assert_allclose(targets.distributions[0], expected, atol=1e-6)
    assert targets.distributions.dtype == np.float32


def test_contempt_folds_into_disgust_or_is_dropped():
    row = np.array([votes_row(contempt=4, anger=4, neutral=2)])
    folded = vote_targets(row, np.ones(1, bool), contempt="disgust").distributions[0]
    assert folded[INDEX("disgust")] == pytest.approx(0.4) and folded[INDEX("angry")] == pytest.approx(0.4)
    dropped = vote_targets(row, np.ones(1, bool), contempt="drop").distributions[0]
    assert dropped[INDEX("disgust")] == 0 and dropped[INDEX("angry")] == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="contempt"):
        vote_targets(row, np.ones(1, bool), contempt="angry")


def test_drop_rules():
    rows = [
        votes_row(happiness=10),  # kept
        votes_row(),  # no votes at all: invalid
        votes_row(sadness=9, neutral=1),  # flagged invalid by the file: dropped whatever its votes
        votes_row(NF=7, neutral=3),  # majority not a face
        votes_row(unknown=6, fear=4),  # majority unknown
        votes_row(unknown=4, fear=4, neutral=2),  # tie: the emotion wins, kept
        votes_row(contempt=9, unknown=1),  # only contempt: kept as disgust, or dropped with contempt="drop"
    ]
    valid = [True, True, False, True, True, True, True]
    targets = vote_targets(np.array(rows), np.array(valid))
    assert targets.keep.tolist() == [True, False, False, False, False, True, True]
    assert (targets.dropped_invalid, targets.dropped_not_a_face, targets.dropped_no_emotion) == (2, 2, 0)
    assert targets.kept == 3 and targets.distributions.shape == (3, 7)
    np.testing.assert_allclose(targets.distributions.sum(axis=1), 1.0, atol=1e-6)
    assert "3 of 7 faces kept" in targets.summary()
    dropped = vote_targets(np.array(rows), np.array(valid), contempt="drop")
    assert dropped.keep.tolist()[-1] is False and dropped.dropped_no_emotion == 1


def test_columns_are_matched_by_name_not_position(tmp_path):
    shuffled = tuple(reversed(FERPLUS_COLUMNS))
    row = [0] * 10
    row[shuffled.index("happiness")] = 10
    path = write_votes(tmp_path / "votes.npz", [row], columns=shuffled)
    votes, valid, columns = load_votes(path)
    targets = vote_targets(votes, valid, columns)
    assert EMOTION_NAMES[int(targets.distributions[0].argmax())] == "happy"


def test_mixed_targets():
    distributions = np.array([[0.5, 0, 0, 0, 0, 0, 0.5]], dtype=np.float32)
    np.testing.assert_allclose(mixed_targets(distributions, np.array([3]), 1.0), distributions)
    np.testing.assert_allclose(mixed_targets(distributions, np.array([3]), 0.0)[0], np.eye(7)[3])
    half = mixed_targets(distributions, np.array([3]), 0.5)[0]
    np.testing.assert_allclose(half, [0.25, 0, 0, 0.5, 0, 0, 0.25])
    assert half.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        mixed_targets(distributions, np.array([3]), 1.5)


def test_soft_training_split_keeps_rows_aligned(tmp_path):
    faces = np.stack([np.full((48, 48), value, np.uint8) for value in (10, 20, 30, 40)])
    split = Split(faces, np.array([3, 6, 0, 4]))
    rows = [votes_row(happiness=10), votes_row(NF=10), votes_row(anger=5, neutral=5), votes_row(sadness=10)]
    path = write_votes(tmp_path / "votes.npz", rows, valid=[True, True, True, True])
    kept, targets, report = soft_training_split(split, path, votes_weight=0.5)
    assert kept.faces[:, 0, 0].tolist() == [10, 30, 40] and kept.labels.tolist() == [3, 0, 4]
    assert targets.shape == (3, 7)
    np.testing.assert_allclose(targets[1], 0.5 * np.array([0.5, 0, 0, 0, 0, 0, 0.5]) + 0.5 * np.eye(7)[0])
    assert report.dropped_not_a_face == 1


def test_soft_training_split_refuses_misaligned_votes(tmp_path):
    split = Split(np.zeros((3, 48, 48), np.uint8), np.array([0, 1, 2]))
    path = write_votes(tmp_path / "votes.npz", [votes_row(happiness=10)] * 2)
    with pytest.raises(DatasetError, match="2 vote rows but the training split has 3 faces"):
        soft_training_split(split, path)


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    (b"", "the file is empty"),
    (b"PK\x03\x04 truncated", "cannot read"),
])
def test_load_votes_unreadable_files(tmp_path, content, message):
    path = tmp_path / "votes.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        load_votes(path)


def test_load_votes_malformed_arrays(tmp_path):
    with pytest.raises(DatasetError, match="no 'votes_train' array"):
        load_votes(write_votes(tmp_path / "a.npz", [votes_row(happiness=10)], key="votes_test"))
    with pytest.raises(DatasetError, match=r"expected shape \(N, 10\)"):
        np.savez(tmp_path / "b.npz", votes_train=np.zeros((2, 8)), columns=np.array(FERPLUS_COLUMNS))
        load_votes(tmp_path / "b.npz")
    with pytest.raises(DatasetError, match="columns lack contempt"):
        columns = tuple(name if name != "contempt" else "scorn" for name in FERPLUS_COLUMNS)
        load_votes(write_votes(tmp_path / "c.npz", [votes_row(happiness=10)], columns=columns))
    with pytest.raises(DatasetError, match="non-negative counts"):
        np.savez(tmp_path / "d.npz", votes_train=np.full((1, 10), np.nan), columns=np.array(FERPLUS_COLUMNS))
        load_votes(tmp_path / "d.npz")
    with pytest.raises(DatasetError, match="true/false flags"):
        load_votes(write_votes(tmp_path / "e.npz", [votes_row(happiness=10)] * 2, valid=[True]))


def test_crowd_labels_are_the_kept_faces_majority(tmp_path):
    from tunex_core.training.ferplus import crowd_labels

    columns = np.array(FERPLUS_COLUMNS)
    votes = np.zeros((4, 10), np.uint8)
    votes[0, FERPLUS_COLUMNS.index("anger")] = 6
    votes[0, FERPLUS_COLUMNS.index("neutral")] = 4
    votes[1, FERPLUS_COLUMNS.index("NF")] = 10  # not a face: left out
    votes[2, FERPLUS_COLUMNS.index("contempt")] = 7  # contempt counts as disgust
    votes[2, FERPLUS_COLUMNS.index("sadness")] = 3
    votes[3, FERPLUS_COLUMNS.index("happiness")] = 10
    path = tmp_path / "votes.npz"
    np.savez(path, votes_val=votes, valid_val=np.ones(4, bool), columns=columns)
    keep, majority = crowd_labels(path, "val", 4)
    assert keep.tolist() == [True, False, True, True]
    assert [EMOTION_NAMES[label] for label in majority] == ["angry", "disgust", "happy"]
    with pytest.raises(DatasetError, match="4 val vote rows but the data's split has 5"):
        crowd_labels(path, "val", 5)
    with pytest.raises(DatasetError, match="no 'votes_test' array"):
        crowd_labels(path, "test", 4)


def test_crowd_score_counts_kept_faces_ties_and_recall(tmp_path):
    from tunex_core.training.ferplus import crowd_score

    rows = [votes_row(anger=6, neutral=4),  # angry
            votes_row(NF=10),  # not a face: left out
            votes_row(contempt=7, sadness=3),  # contempt counts as disgust
            votes_row(happiness=5, surprise=5),  # a tie: the first in FER order (happy) is the majority
            votes_row(neutral=9, happiness=1)]  # the single happiness vote is noise
    path = write_votes(tmp_path / "votes.npz", rows, valid=[True] * 5, key="votes_val")
    predicted = ["angry", "happy", "sad", "happy", "neutral"]
    probabilities = np.eye(7)[[INDEX(name) for name in predicted]]
    score = crowd_score(probabilities, path, "val")
    assert (score.n, score.dropped, score.ties) == (4, 1, 1)
    assert score.accuracy == 0.75  # disgust read as sad is the one miss; the left-out face is not scored
    assert score.recall == {"angry": 1.0, "disgust": 0.0, "happy": 1.0, "neutral": 1.0}
    assert score.to_dict()["accuracy"] == 0.75
    probabilities[3] = np.eye(7)[INDEX("surprise")]  # the other tied emotion does not count
    assert crowd_score(probabilities, path, "val").accuracy == 0.5
    with pytest.raises(DatasetError, match="5 val vote rows but 4 faces"):
        crowd_score(probabilities[:4], path, "val")
