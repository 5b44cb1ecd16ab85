"""Classification metrics: accuracy, per-class scores, confusion matrix, calibration.

Pure numpy; nothing here loads a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS

RELIABILITY_BINS = 10


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall and F1 of one class, with its number of true examples."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Reliability:
    """Reliability diagram data: per confidence bin, mean confidence, accuracy and count."""

    bin_edges: list[float]
    accuracy: list[float | None]
    confidence: list[float | None]
    count: list[int]


@dataclass(frozen=True)
class EvaluationResult:
    """Everything ``evaluate`` reports for one split."""

    accuracy: float
    n: int
    macro_f1: float
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]
    ece: float
    reliability: Reliability
    negative_log_likelihood: float

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (the ``--json`` output and ``models/metrics.json`` format)."""
        return asdict(self)


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray) -> np.ndarray:
    """7x7 counts, rows = true class, columns = predicted class."""
    matrix = np.zeros((NUM_EMOTIONS, NUM_EMOTIONS), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels, dtype=np.int64), np.asarray(predicted_labels, dtype=np.int64)), 1)
    return matrix


def class_scores(matrix: np.ndarray) -> dict[str, ClassScores]:
    """Per-class precision/recall/F1 from a confusion matrix (0 where undefined)."""
    scores = {}
    for index, name in enumerate(EMOTION_NAMES):
        true_positive = float(matrix[index, index])
        predicted = float(matrix[:, index].sum())
        actual = float(matrix[index, :].sum())
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[name] = ClassScores(round(precision, 4), round(recall, 4), round(f1, 4), int(actual))
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
    return round(ece, 4), Reliability([round(edge, 2) for edge in edges], accuracies, confidences, counts)


def evaluate_probabilities(probabilities: np.ndarray, true_labels: np.ndarray) -> EvaluationResult:
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
    return EvaluationResult(
        accuracy=round(float((predicted == true_labels).mean()), 4),
        n=len(true_labels),
        macro_f1=round(float(np.mean([score.f1 for score in scores.values()])), 4),
        per_class=scores,
        confusion=matrix.tolist(),
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
