"""FER+ crowd labels as soft training targets.

FER+ (Barsoum et al., ICMI 2016; github.com/microsoft/FERPlus, MIT licence) had 10
annotators label every FER-2013 face again. A votes file is an npz with
``votes_<split>`` (N, 10) vote counts aligned row by row with the FER-2013 data,
optional ``valid_<split>`` flags, and ``columns`` naming the vote columns
(FER+ order: neutral, happiness, surprise, sadness, anger, disgust, fear,
contempt, unknown, NF). Columns are matched by name, never by position, because
FER+'s order differs from FER-2013's label order.

From votes to a 7-class target, per face (the FER+ reference code's rules, kept
simple):

1. faces flagged invalid, or with no votes, are dropped;
2. single votes are removed as outliers (a count of 1 becomes 0);
3. faces whose remaining majority is ``unknown`` or ``NF`` (not a face) are dropped
   (ties go to the emotion, as ``argmax`` over FER+'s column order does);
4. ``contempt`` has no FER-2013 class: by default its votes are folded into
   ``disgust`` (FER-2013's disgust faces carry the largest share of contempt votes,
   8.3% against 3.2% for angry, and both are "rejection" expressions); with
   ``contempt="drop"`` its votes are ignored;
5. the remaining votes, normalised, are the face's label distribution; a face
   with no emotion votes left is dropped.

Only the training split is relabelled: PublicTest (model selection) and
PrivateTest (the reported score) stay scored on FER-2013's own labels.
``crowd_labels`` gives the crowd's majority for a test split, a second lens on
the same faces (``tunex_core experiment --votes``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.training.dataset import DatasetError, Split, open_npz, read_npz_array

FERPLUS_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
                   "unknown", "NF")
FERPLUS_TO_FER = {"neutral": "neutral", "happiness": "happy", "surprise": "surprise", "sadness": "sad",
                  "anger": "angry", "disgust": "disgust", "fear": "fear"}
NOT_AN_EMOTION = ("unknown", "NF")
CONTEMPT_CHOICES = ("disgust", "drop")
OUTLIER_VOTES = 1  # a class with this many votes or fewer is treated as annotator noise


@dataclass(frozen=True)
class VoteTargets:
    """Soft targets from votes: which rows are kept, their 7-class distributions, and why rows were dropped."""

    keep: np.ndarray  # (N,) bool over the split's rows
    distributions: np.ndarray  # (kept, 7) float32, rows sum to 1, FER label order
    dropped_invalid: int
    dropped_not_a_face: int
    dropped_no_emotion: int

    @property
    def kept(self) -> int:
        """Number of faces kept."""
        return int(self.keep.sum())

    def summary(self) -> str:
        """One line: how many faces were kept and why the others were dropped."""
        return (f"FER+ votes: {self.kept} of {self.keep.size} faces kept; dropped {self.dropped_invalid} invalid, "
                f"{self.dropped_not_a_face} with an unknown/not-a-face majority, "
                f"{self.dropped_no_emotion} with no emotion votes left")


def load_votes(path: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(votes (N, C), valid (N,) bool, column names) of one split of a FER+ votes npz; ``DatasetError`` if unusable."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DatasetError(f"{path} does not exist (the FER+ votes file, e.g. ferplus_votes.npz)")
    archive = open_npz(path)
    with archive:
        key = f"votes_{split}"
        if key not in archive.files:
            raise DatasetError(f"{path} has no {key!r} array (expected votes_train, votes_val, votes_test)")
        votes = read_npz_array(archive, key, path)
        valid_key = f"valid_{split}"
        valid = read_npz_array(archive, valid_key, path) if valid_key in archive.files else None
        columns = tuple(str(name) for name in read_npz_array(archive, "columns", path)) \
            if "columns" in archive.files else FERPLUS_COLUMNS
    if votes.ndim != 2 or votes.shape[1] != len(columns):
        raise DatasetError(f"{path}[{key}]: expected shape (N, {len(columns)}) to match its columns, got {votes.shape}")
    if votes.dtype.kind not in "iuf" or not np.all(np.isfinite(votes)) or np.any(votes < 0):
        raise DatasetError(f"{path}[{key}]: votes must be non-negative counts")
    missing = [name for name in (*FERPLUS_TO_FER, "contempt", *NOT_AN_EMOTION) if name not in columns]
    if missing:
        raise DatasetError(f"{path}: columns lack {', '.join(missing)} (have {', '.join(columns)})")
    if valid is None:
        valid = np.ones(len(votes), dtype=bool)
    valid = np.asarray(valid).reshape(-1)
    if valid.shape[0] != votes.shape[0] or valid.dtype.kind not in "biu":
        raise DatasetError(f"{path}[{valid_key}]: expected {votes.shape[0]} true/false flags")
    return votes.astype(np.float64), valid.astype(bool), columns


def vote_targets(votes: np.ndarray, valid: np.ndarray, columns: tuple[str, ...] = FERPLUS_COLUMNS,
                 contempt: str = "disgust") -> VoteTargets:
    """Apply the drop rules of this module's docstring and return the kept faces' 7-class distributions."""
    if contempt not in CONTEMPT_CHOICES:
        raise ValueError(f"contempt must be one of {', '.join(CONTEMPT_CHOICES)}")
    votes = np.asarray(votes, dtype=np.float64)
    invalid = ~np.asarray(valid, dtype=bool) | (votes.sum(axis=1) <= 0)
    cleaned = np.where(votes <= OUTLIER_VOTES, 0.0, votes)
    # Majority over FER+'s own column order, so that ties go to the emotion columns, which come first.
    order = [columns.index(name) for name in FERPLUS_COLUMNS]
    majority = np.array(FERPLUS_COLUMNS)[cleaned[:, order].argmax(axis=1)]
    not_a_face = ~invalid & np.isin(majority, NOT_AN_EMOTION) & (cleaned.sum(axis=1) > 0)
    distributions = np.zeros((len(votes), NUM_EMOTIONS))
    for ferplus_name, fer_name in FERPLUS_TO_FER.items():
        distributions[:, EMOTION_NAMES.index(fer_name)] += cleaned[:, columns.index(ferplus_name)]
    if contempt == "disgust":
        distributions[:, EMOTION_NAMES.index("disgust")] += cleaned[:, columns.index("contempt")]
    no_emotion = ~invalid & ~not_a_face & (distributions.sum(axis=1) <= 0)
    keep = ~(invalid | not_a_face | no_emotion)
    kept = distributions[keep]
    kept /= kept.sum(axis=1, keepdims=True)
    return VoteTargets(keep=keep, distributions=kept.astype(np.float32), dropped_invalid=int(invalid.sum()),
                       dropped_not_a_face=int(not_a_face.sum()), dropped_no_emotion=int(no_emotion.sum()))


def mixed_targets(distributions: np.ndarray, labels: np.ndarray, votes_weight: float) -> np.ndarray:
    """``votes_weight`` x the vote distribution + (1 - ``votes_weight``) x the one-hot FER-2013 label."""
    if not 0.0 <= votes_weight <= 1.0:
        raise ValueError("the votes weight must be between 0 and 1")
    one_hot = np.eye(NUM_EMOTIONS, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]
    return (votes_weight * np.asarray(distributions, dtype=np.float32) + (1.0 - votes_weight) * one_hot
            ).astype(np.float32)


def _aligned_vote_targets(votes_path: str | Path, split_name: str, faces: int, contempt: str,
                          mismatch: Callable[[int], str], hint: str = "") -> VoteTargets:
    """``vote_targets`` of one split's votes, which must hold one row per face (``faces``): else ``DatasetError``
    with ``mismatch(rows)`` (and ``hint``)."""
    votes, valid, columns = load_votes(votes_path, split_name)
    if len(votes) != faces:
        raise DatasetError(f"{votes_path}: {mismatch(len(votes))}; the votes must be aligned row by row with the "
                           f"data{hint}")
    return vote_targets(votes, valid, columns, contempt)


def soft_training_split(split: Split, votes_path: str | Path, votes_weight: float = 1.0,
                        contempt: str = "disgust") -> tuple[Split, np.ndarray, VoteTargets]:
    """The training faces kept by the vote rules, their soft targets (kept, 7) and the drop report.

    The votes must be aligned row by row with ``split`` (same number of faces, same order).
    """
    targets = _aligned_vote_targets(
        votes_path, "train", len(split), contempt,
        lambda rows: f"{rows} vote rows but the training split has {len(split)} faces", " (e.g. the shared fer2013.npz)")
    if targets.kept == 0:
        raise DatasetError(f"{votes_path}: no training face is left after the FER+ drop rules")
    kept = Split(split.faces[targets.keep], split.labels[targets.keep])
    return kept, mixed_targets(targets.distributions, kept.labels, votes_weight), targets


def crowd_labels(votes_path: str | Path, split_name: str, count: int,
                 contempt: str = "disgust") -> tuple[np.ndarray, np.ndarray]:
    """(keep (count,) bool, majority label per kept face) of one split by the drop rules above.

    The majority is the most-voted of the 7 classes after the rules (ties go to the
    class that comes first in FER-2013's order). ``DatasetError`` when the votes
    are unusable or not aligned with a split of ``count`` faces.
    """
    targets = _aligned_vote_targets(votes_path, split_name, count, contempt,
                                    lambda rows: f"{rows} {split_name} vote rows but the data's split has {count} faces")
    return targets.keep, targets.distributions.argmax(axis=1)


@dataclass(frozen=True)
class CrowdScore:
    """Predictions scored against the FER+ crowd's majority label (``crowd_labels``' rules).

    ``accuracy`` is over the ``n`` faces kept; ``dropped`` faces (invalid, or a crowd majority of
    unknown / not a face) are left out; ``ties`` of the kept faces have two or more emotions tied
    for the most votes: their majority is the tied emotion that comes first in FER-2013's order.
    """

    accuracy: float
    n: int
    dropped: int
    ties: int
    recall: dict[str, float]  # per crowd-majority emotion: share of its faces read as it

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        return asdict(self)


def crowd_score(probabilities: np.ndarray, votes_path: str | Path, split_name: str,
                contempt: str = "disgust") -> CrowdScore:
    """Score ``probabilities`` (N, 7) for every face of a split against the crowd's majority label.

    ``DatasetError`` when the votes are unusable or not aligned with the split (N rows).
    """
    probabilities = np.asarray(probabilities)
    targets = _aligned_vote_targets(
        votes_path, split_name, len(probabilities), contempt,
        lambda rows: f"{rows} {split_name} vote rows but {len(probabilities)} faces were scored")
    if targets.kept == 0:
        raise DatasetError(f"{votes_path}: no {split_name} face is left after the FER+ drop rules")
    distributions = targets.distributions
    majority = distributions.argmax(axis=1)
    ties = int(((distributions == distributions.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum())
    predicted = probabilities[targets.keep].argmax(axis=1)
    right = predicted == majority
    recall = {name: round(float(right[majority == index].mean()), 4)
              for index, name in enumerate(EMOTION_NAMES) if np.any(majority == index)}
    return CrowdScore(accuracy=round(float(right.mean()), 4), n=targets.kept,
                      dropped=int(targets.keep.size - targets.kept), ties=ties, recall=recall)
