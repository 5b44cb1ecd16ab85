"""Tests for ``tunex_core.report.metrics_schema``: the order of evaluations, the headline, the names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunex_core.report.metrics_schema import ROBUSTNESS_NAMES, TTA_VIEWS, EvaluationKey
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.report.model_report import load_model_report

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "metrics_sample.json"


@pytest.fixture
def sample() -> dict:
    """A fresh, mutable copy of the sample metrics.json."""
    return json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))


def test_evaluation_keys_put_private_test_first_and_headline_is_the_shipped_one():
    report = load_model_report(SAMPLE_FILE)
    assert [key.display_name for key in report.evaluation_keys()] == [
        "PrivateTest · flip TTA", "PrivateTest · plain", "PublicTest · flip TTA", "PublicTest · plain"]
    assert report.headline_key() == report.shipped


def test_headline_falls_back_when_the_shipped_evaluation_is_absent(sample):
    del sample["evaluations"]["private_test"]["tta"]
    report = parse_model_report(sample)
    assert report.headline_key() == EvaluationKey("private_test", "plain")
    del sample["shipped"]
    del sample["evaluations"]["private_test"]
    assert parse_model_report(sample).headline_key() == EvaluationKey("public_test", "tta")


def test_files_measured_before_the_app_latency_report_one_view_per_face(sample):
    for name in ("app_tta", "app_p50", "app_p95"):
        del sample["latency_ms_per_face"][name]
    del sample["runtime"]
    report = parse_model_report(sample)
    assert report.latency.app_p50 is None and report.latency.per_face == pytest.approx(1.2)
    assert report.latency.per_face_views == "one view of the face"
    assert report.runtime is None


def test_every_perturbation_experiments_are_scored_on_has_a_column_title():
    from tunex_core.training.experiments import ROBUSTNESS_PERTURBATIONS

    assert list(ROBUSTNESS_NAMES) == list(ROBUSTNESS_PERTURBATIONS)


def test_the_words_for_test_time_augmentation_are_the_classifiers():
    from tunex_core.vision import inference

    assert TTA_VIEWS == inference.TTA_VIEWS and list(TTA_VIEWS) == list(inference.TTA_MODES)
