"""Classification metrics: accuracy, per-class scores, confusion matrix, calibration.

Pure numpy; nothing here loads a model. The results are ``metrics.json``'s own types
(``tunex_core.report.metrics_schema``): what is written here is what the Model page reads back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.report.metrics_schema import ClassMetrics, Evaluation, Reliability

RELIABILITY_BINS = 10


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray) -> np.ndarray:
    """7x7 counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((NUM_EMOTIONS, NUM_EMOTIONS), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels, dtype=np.int64), np.asarray(predicted_labels, dtype=np.int64)), 1)
    return matrix


def class_scores(matrix: np.ndarray) -> dict[str, ClassMetrics]:
    """Per-class precision/recall/F1 from a confusion matrix (0 where undefined)."""
    scores = {}
    for index, name in enumerate(EMOTION_NAMES):
        true_positive = float(matrix[index, index])
        predicted = float(matrix[:, index].sum())
        actual = float(matrix[index, :].sum())
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[name] = ClassMetrics(round(precision, 4), round(recall, 4), round(f1, 4), int(actual))
    return scores


def reliability(probabilities: np.ndarray, true_labels: np.ndarray, bins: int = RELIABILITY_BINS
                ) -> tuple[float, Reliability]:
    """Expected calibration error (top-label, equal-width bins) and the reliability diagram."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == true_labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece, accuracies, confidences, counts = 0.0, [], [], []
    for index in range(bins):
        members = which == index
        count = int(members.sum())
        counts.append(count)
        if count == 0:
            accuracies.append(None)
            confidences.append(None)
            continue
        bin_accuracy, bin_confidence = float(correct[members].mean()), float(confidence[members].mean())
        accuracies.append(round(bin_accuracy, 4))
        confidences.append(round(bin_confidence, 4))
        ece += count / len(true_labels) * abs(bin_accuracy - bin_confidence)
    return round(ece, 4), Reliability(tuple(round(float(edge), 2) for edge in edges), tuple(accuracies),
                                      tuple(confidences), tuple(counts))


def evaluate_probabilities(probabilities: np.ndarray, true_labels: np.ndarray) -> Evaluation:
    """All metrics for predicted probabilities (N, 7) against true labels (N,)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    true_labels = np.asarray(true_labels, dtype=np.int64)
    if probabilities.ndim != 2 or probabilities.shape[1] != NUM_EMOTIONS:
        raise ValueError(f"probabilities must have shape (N, {NUM_EMOTIONS}); got {probabilities.shape}")
    if len(probabilities) != len(true_labels) or len(true_labels) == 0:
        raise ValueError("need the same, non-zero number of predictions and labels")
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(true_labels, predicted)
    scores = class_scores(matrix)
    ece, diagram = reliability(probabilities, true_labels)
    likelihood = probabilities[np.arange(len(true_labels)), true_labels]
    return Evaluation(
        accuracy=round(float((predicted == true_labels).mean()), 4),
        n=len(true_labels),
        macro_f1=round(float(np.mean([score.f1 for score in scores.values()])), 4),
        per_class=scores,
        confusion=tuple(tuple(row) for row in matrix.tolist()),
        ece=ece,
        reliability=diagram,
        negative_log_likelihood=round(float(-np.log(np.clip(likelihood, 1e-12, 1.0)).mean()), 4),
    )


def fit_temperature(probabilities: np.ndarray, true_labels: np.ndarray) -> float:
    """Temperature minimising negative log-likelihood (grid then refinement), fitted on held-out data."""
    logits = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0))
    true_labels = np.asarray(true_labels, dtype=np.int64)

    def loss(temperature: float) -> float:
        scaled = logits / temperature
        scaled -= scaled.max(axis=1, keepdims=True)
        log_normaliser = np.log(np.exp(scaled).sum(axis=1))
        return float((log_normaliser - scaled[np.arange(len(true_labels)), true_labels]).mean())

    grid = np.linspace(0.3, 3.0, 55)
    best = float(grid[np.argmin([loss(value) for value in grid])])
    fine = np.linspace(max(0.05, best - 0.05), best + 0.05, 21)
    return round(float(fine[np.argmin([loss(value) for value in fine])]), 3)


@dataclass(frozen=True)
class PairedComparison:
    """Two models scored on the same faces: is the second one's accuracy really different?

    Only the faces exactly one model gets right tell the models apart; ``p_value`` is the exact
    two-sided McNemar test on them (how often a split at least this uneven happens when neither
    model is better), ``interval`` the 95% confidence interval of ``difference``.
    """

    n: int
    first_accuracy: float
    second_accuracy: float
    only_first_right: int
    only_second_right: int
    p_value: float
    interval: tuple[float, float]

    @property
    def difference(self) -> float:
        """The second model's accuracy minus the first's."""
        return (self.only_second_right - self.only_first_right) / self.n


def mcnemar_p_value(only_first_right: int, only_second_right: int) -> float:
    """The exact two-sided McNemar p-value: twice the binomial(n, ½) tail at the smaller count (at most 1)."""
    if min(only_first_right, only_second_right) < 0:
        raise ValueError("counts of faces cannot be negative")
    discordant = only_first_right + only_second_right
    smaller = min(only_first_right, only_second_right)
    tail = sum(math.comb(discordant, count) for count in range(smaller + 1))
    return min(1.0, float(Fraction(2 * tail, 2**discordant)))


def compare_paired(first_predicted: np.ndarray, second_predicted: np.ndarray,
                   true_labels: np.ndarray) -> PairedComparison:
    """Compare two models' predicted labels for the same faces (``PairedComparison``)."""
    first_predicted, second_predicted, true_labels = (
        np.asarray(values, dtype=np.int64).ravel() for values in (first_predicted, second_predicted, true_labels))
    if not len(true_labels) or not len(first_predicted) == len(second_predicted) == len(true_labels):
        raise ValueError(f"need one prediction of each model per face; got {len(first_predicted)} and "
                         f"{len(second_predicted)} for {len(true_labels)} faces")
    first_right, second_right = first_predicted == true_labels, second_predicted == true_labels
    count = len(true_labels)
    only_first, only_second = int((first_right & ~second_right).sum()), int((second_right & ~first_right).sum())
    per_face = second_right.astype(np.float64) - first_right
    margin = 1.96 * float(per_face.std(ddof=1)) / math.sqrt(count) if count > 1 else math.inf
    difference = float(per_face.mean())
    return PairedComparison(
        n=count, first_accuracy=float(first_right.mean()), second_accuracy=float(second_right.mean()),
        only_first_right=only_first, only_second_right=only_second,
        p_value=mcnemar_p_value(only_first, only_second), interval=(difference - margin, difference + margin))
