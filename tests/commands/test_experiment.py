"""Tests for ``tunex_core.commands.experiment``: a candidate scored and recorded beside the others."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.commands.cli_runner import assert_clean_failure, run_main, synthetic_votes_npz
from tunex_core.emotions import EMOTION_NAMES


@pytest.mark.slow
def test_experiment_records_an_ensemble_beside_the_rest(tmp_path, fer_fixture, untrained_model_file):
    faces, labels = fer_fixture
    data = tmp_path / "fixture.npz"
    np.savez(data, x_val=faces, y_val=labels, x_test=faces, y_test=labels)
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"labels": list(EMOTION_NAMES), "temperature": 1.1, "experiments": [
        {"name": "one untrained", "members": [str(untrained_model_file)], "training_minutes": 12.5}]}))
    votes = synthetic_votes_npz(tmp_path / "votes.npz", labels)
    with np.load(votes) as archive:  # the same votes for PublicTest and PrivateTest
        arrays = {name: archive[name] for name in ("votes_train", "valid_train", "columns")}
    np.savez(votes, votes_val=arrays["votes_train"], valid_val=arrays["valid_train"],
             votes_test=arrays["votes_train"], valid_test=arrays["valid_train"], columns=arrays["columns"])
    result = run_main("experiment", "--data", str(data), "--name", "two untrained", "--model",
                      str(untrained_model_file), "--model", str(untrained_model_file), "--private",
                      "--metrics", str(metrics), "--votes", str(votes))
    assert result.returncode == 0, result.stderr
    assert "two untrained: PublicTest" in result.stdout and "PrivateTest" in result.stdout
    assert "PublicTest vs FER+ majority" in result.stdout and "PrivateTest vs FER+ majority" in result.stdout
    saved = json.loads(metrics.read_text())
    assert saved["temperature"] == 1.1
    (_, entry) = saved["experiments"]
    assert entry["members"] == [str(untrained_model_file)] * 2
    assert entry["training_minutes"] == 25.0  # no run log beside the file: the minutes recorded for it alone
    assert set(entry["robustness"]) == {"rotate", "dark", "blur", "jpeg", "occlude"}
    assert 0 <= entry["private_test"]["tta"] <= 1
    assert set(entry["crowd"]) == {"public_test", "private_test"}
    # votes that do not line up with the data: one clean error line, nothing recorded
    short = tmp_path / "short.npz"
    np.savez(short, votes_val=arrays["votes_train"][:5], columns=arrays["columns"])
    result = run_main("experiment", "--data", str(data), "--name", "misaligned", "--model", str(untrained_model_file),
                      "--metrics", str(metrics), "--votes", str(short))
    assert_clean_failure(result, 2, "5 val vote rows")
    assert [item["name"] for item in json.loads(metrics.read_text())["experiments"]] == ["one untrained",
                                                                                         "two untrained"]


def test_experiment_refuses_missing_models_and_data_without_public_test(tmp_path, test_only_npz):
    missing = run_main("experiment", "--data", str(test_only_npz), "--name", "x", "--model",
                       str(tmp_path / "absent.keras"), "--metrics", str(tmp_path / "m.json"))
    assert_clean_failure(missing, 2, "absent.keras")
    no_public = run_main("experiment", "--data", str(test_only_npz), "--name", "x", "--metrics",
                         str(tmp_path / "m.json"))
    assert_clean_failure(no_public, 2, "'val'")
    assert not (tmp_path / "m.json").exists()
