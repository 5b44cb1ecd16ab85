"""Tests for ``tunex_core.training.evaluation``: confusion matrix, per-class scores, ECE and temperature."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.report.metrics_schema import EvaluationKey
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.training.evaluation import (
    class_scores,
    compare_paired,
    confusion_matrix,
    evaluate_probabilities,
    fit_temperature,
    mcnemar_p_value,
    reliability,
)
from tunex_core.vision.inference import calibrate


def peaked(labels, confidence: float) -> np.ndarray:
    """Rows with ``confidence`` on ``labels`` and the rest spread evenly."""
    labels = np.asarray(labels)
    rows = np.full((len(labels), 7), (1.0 - confidence) / 6.0)
    rows[np.arange(len(labels)), labels] = confidence
    return rows


# true:      0  0  0  1  1  2  3  3  3  3
# predicted: 0  0  1  1  1  0  3  3  3  6
TRUE = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
PREDICTED = np.array([0, 0, 1, 1, 1, 0, 3, 3, 3, 6])


def test_confusion_matrix_counts():
    matrix = confusion_matrix(TRUE, PREDICTED)
    assert matrix.shape == (7, 7)
    expected = np.zeros((7, 7), dtype=int)
    expected[0, 0], expected[0, 1] = 2, 1
    expected[1, 1] = 2
    expected[2, 0] = 1
    expected[3, 3], expected[3, 6] = 3, 1
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(TRUE)
    np.testing.assert_array_equal(matrix.sum(axis=1)[:4], [3, 2, 1, 4])  # rows are true classes


def test_class_scores_known_values():
    scores = class_scores(confusion_matrix(TRUE, PREDICTED))
    assert list(scores) == list(EMOTION_NAMES)
    angry = scores["angry"]  # TP 2, predicted 3 (2 + the fear face), actual 3
    assert (angry.precision, angry.recall, angry.support) == (pytest.approx(0.6667), pytest.approx(0.6667), 3)
    assert angry.f1 == pytest.approx(0.6667)
    disgust = scores["disgust"]  # TP 2, predicted 3, actual 2
    assert (disgust.precision, disgust.recall) == (pytest.approx(0.6667), 1.0)
    assert disgust.f1 == pytest.approx(0.8)
    fear = scores["fear"]  # never predicted, one true face
    assert (fear.precision, fear.recall, fear.f1, fear.support) == (0.0, 0.0, 0.0, 1)
    happy = scores["happy"]  # TP 3, predicted 3, actual 4
    assert (happy.precision, happy.recall, happy.f1) == (1.0, 0.75, pytest.approx(0.8571))
    neutral = scores["neutral"]  # predicted once, never true
    assert (neutral.precision, neutral.recall, neutral.f1, neutral.support) == (0.0, 0.0, 0.0, 0)
    for absent in ("sad", "surprise"):  # undefined everywhere -> 0
        assert scores[absent].f1 == 0.0 and scores[absent].support == 0


def test_evaluate_probabilities_known_values():
    result = evaluate_probabilities(peaked(PREDICTED, 0.7), TRUE)
    assert result.n == 10
    assert result.accuracy == pytest.approx(0.7)
    assert [list(row) for row in result.confusion] == confusion_matrix(TRUE, PREDICTED).tolist()
    expected_macro = np.mean([0.6667, 0.8, 0.0, 0.8571, 0.0, 0.0, 0.0])
    assert result.macro_f1 == pytest.approx(expected_macro, abs=1e-3)
    # all confidences are 0.7, accuracy 0.7: perfectly calibrated
    assert result.ece == pytest.approx(0.0)
    # NLL: correct faces have p=0.7, wrong ones (1-0.7)/6 = 0.05
    assert result.negative_log_likelihood == pytest.approx(-(7 * math.log(0.7) + 3 * math.log(0.05)) / 10, abs=1e-4)
    payload = json.loads(json.dumps(result.to_dict()))
    assert {"accuracy", "n", "per_class", "confusion", "ece", "reliability"} <= set(payload)
    assert payload["per_class"]["happy"]["recall"] == 0.75


def test_what_an_evaluation_writes_the_model_report_reads_back_unchanged():
    """One schema: ``metrics.json``'s evaluation entry, as written, parses into the very ``Evaluation`` written."""
    result = evaluate_probabilities(peaked(PREDICTED, 0.7), TRUE)
    written = json.loads(json.dumps({"evaluations": {"private_test": {"tta": result.to_dict()}}}))
    assert parse_model_report(written).evaluation(EvaluationKey("private_test", "tta")) == result


def test_ece_zero_for_perfect_confident_predictions():
    labels = np.arange(7).repeat(3)
    ece, diagram = reliability(peaked(labels, 1.0), labels)
    assert ece == 0.0
    assert sum(diagram.count) == len(labels)
    assert diagram.count[-1] == len(labels)
    assert diagram.accuracy[-1] == 1.0


def test_ece_zero_for_calibrated_mixed_bins():
    # 10 faces at confidence 0.8 (8 right) and 20 at 0.35 (7 right)
    labels = np.zeros(30, dtype=int)
    predicted = np.zeros(30, dtype=int)
    predicted[8:10] = 1  # 8 of the first 10 right
    predicted[10 + 7:] = 2  # 7 of the next 20 right
    probabilities = np.concatenate([peaked(predicted[:10], 0.8), peaked(predicted[10:], 0.35)])
    ece, diagram = reliability(probabilities, labels)
    assert ece == pytest.approx(0.0, abs=1e-4)
    assert diagram.count[7] == 10 and diagram.count[3] == 20  # (0.7, 0.8] and (0.3, 0.4]
    assert diagram.accuracy[7] == pytest.approx(0.8) and diagram.accuracy[3] == pytest.approx(0.35)
    assert diagram.confidence[7] == pytest.approx(0.8)
    assert diagram.accuracy[0] is None and diagram.confidence[0] is None
    assert len(diagram.bin_edges) == 11


def test_ece_known_value():
    # 4 faces at confidence 0.95, all right (gap 0.05); 4 faces at 0.55, all wrong (gap 0.55)
    labels = np.zeros(8, dtype=int)
    predicted = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    probabilities = np.concatenate([peaked(predicted[:4], 0.95), peaked(predicted[4:], 0.55)])
    ece, _ = reliability(probabilities, labels)
    assert ece == pytest.approx(0.5 * 0.05 + 0.5 * 0.55)


def test_ece_overconfident_single_bin():
    labels = np.array([0, 1, 0, 1])
    ece, _ = reliability(peaked([0, 0, 0, 0], 0.9), labels)
    assert ece == pytest.approx(0.4)  # confidence 0.9, accuracy 0.5


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        (np.full((3, 6), 1 / 6), np.zeros(3, int), r"shape \(N, 7\)"),
        (np.full(7, 1 / 7), np.zeros(1, int), r"shape \(N, 7\)"),
        (np.full((3, 7), 1 / 7), np.zeros(2, int), "same, non-zero number"),
        (np.zeros((0, 7)), np.zeros(0, int), "same, non-zero number"),
    ],
)
def test_evaluate_probabilities_bad_input(probabilities, labels, message):
    with pytest.raises(ValueError, match=message):
        evaluate_probabilities(probabilities, labels)


@pytest.mark.parametrize("planted", [0.6, 1.0, 2.0])
def test_fit_temperature_recovers_planted_temperature(planted):
    rng = np.random.default_rng(7)
    logits = rng.normal(0.0, 2.0, size=(6000, 7))
    true_probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    true_probabilities /= true_probabilities.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(7, p=row) for row in true_probabilities])
    # The "model" reports softmax(logits / planted): calibrating with T = 1 / planted undoes it,
    # i.e. the model is overconfident when planted < 1 and the fitted temperature is 1 / planted.
    reported = calibrate(true_probabilities, planted)
    fitted = fit_temperature(reported, labels)
    assert fitted == pytest.approx(1.0 / planted, rel=0.1)
    # calibrating with the fitted temperature lowers the NLL
    before = evaluate_probabilities(reported, labels).negative_log_likelihood
    after = evaluate_probabilities(calibrate(reported, fitted), labels).negative_log_likelihood
    assert after <= before + 1e-4


def test_mcnemar_p_value_is_the_exact_two_sided_binomial_tail():
    assert mcnemar_p_value(0, 0) == 1.0  # no face tells the models apart
    assert mcnemar_p_value(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_p_value(9, 1) == mcnemar_p_value(1, 9) == pytest.approx(2 * 11 / 1024)
    assert mcnemar_p_value(6, 5) == 1.0  # twice a tail over one half is capped
    # 4 faces of 3,589 (the size of the gains we keep seeing) out of ~240 discordant ones: chance
    assert mcnemar_p_value(118, 122) > 0.8
    assert 0.005 < mcnemar_p_value(100, 140) < 0.02  # the chi-squared approximation gives ~0.01
    assert mcnemar_p_value(1000, 1100) == pytest.approx(mcnemar_p_value(1100, 1000))  # large counts stay exact
    with pytest.raises(ValueError, match="negative"):
        mcnemar_p_value(-1, 3)


def test_compare_paired_counts_the_faces_only_one_model_gets_right():
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 0, 1, 2])
    first = labels.copy()
    first[[8, 9]] = 6  # first: 8 of 10 right
    second = labels.copy()
    second[[0, 1, 2, 9]] = 6  # second: 6 of 10 right; only face 9 is wrong for both
    comparison = compare_paired(first, second, labels)
    assert (comparison.n, comparison.first_accuracy, comparison.second_accuracy) == (10, 0.8, 0.6)
    assert (comparison.only_first_right, comparison.only_second_right) == (3, 1)
    assert comparison.difference == pytest.approx(-0.2)
    assert comparison.p_value == mcnemar_p_value(3, 1)
    low, high = comparison.interval
    assert low < -0.2 < high and high - low > 0.2
    same = compare_paired(first, first, labels)
    assert (same.difference, same.p_value, same.interval) == (0.0, 1.0, (0.0, 0.0))


def test_compare_paired_refuses_predictions_that_do_not_pair_up():
    with pytest.raises(ValueError, match="one prediction of each model per face"):
        compare_paired(np.array([0, 1]), np.array([0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="one prediction"):
        compare_paired(np.array([]), np.array([]), np.array([]))
