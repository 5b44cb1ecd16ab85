"""The release helpers: confident mistakes, final weights, carried sections, the crowd section."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tunex_core.training.release import confident_mistakes, final_weights


def test_confident_mistakes_are_wrong_and_sorted():
    probabilities = np.array([[0.9, 0.1, 0, 0, 0, 0, 0], [0.2, 0.8, 0, 0, 0, 0, 0],
                              [0.1, 0.0, 0.6, 0.3, 0, 0, 0], [0, 0, 0, 0, 0.95, 0.05, 0]])
    labels = np.array([0, 0, 3, 4])
    mistakes = confident_mistakes(probabilities, labels)
    assert [mistake["index"] for mistake in mistakes] == [1, 2]
    assert mistakes[0] == {"index": 1, "true": "angry", "predicted": "disgust", "confidence": 0.8}


def test_a_release_keeps_the_recorded_experiments(tmp_path):
    from tunex_core.training.release import carried_sections

    metrics = tmp_path / "metrics.json"
    assert carried_sections(metrics) == {}
    metrics.write_text("{broken")
    assert carried_sections(metrics) == {}
    metrics.write_text(json.dumps({"evaluations": {}, "experiments": [{"name": "A"}], "baseline": {"name": "B"}}))
    assert carried_sections(metrics) == {"experiments": [{"name": "A"}], "baseline": {"name": "B"}}
    study = [{"trait": 0.3, "seed": 11, "persons": 50, "scenarios": []}]
    metrics.write_text(json.dumps({"evaluations": {}, "resting_calibration": study}))
    assert carried_sections(metrics) == {"resting_calibration": study}


def test_final_weights_interpolate_from_the_model_a_run_started_from(tmp_path):
    from dataclasses import asdict

    from tunex_core.training.trainer import TrainConfig
    from tunex_core.vision.model import build_model, load_model

    small = {"widths": (8, 8, 8, 8), "convs_per_stage": 1}
    run = tmp_path / "run"
    run.mkdir()
    (run / "hyperparameters.json").write_text(json.dumps(asdict(TrainConfig(model_options=small))))
    fine_tune, base = build_model("tunex", **small), build_model("tunex", **small)
    fine_tune.save(run / "best.keras")
    base.save(tmp_path / "base.keras")
    final_weights(run, data=None, precise_batch_norm=False, interpolate_from=tmp_path / "base.keras", share=0.25)
    for mixed, start, tuned in zip(load_model(run / "final.keras").get_weights(), base.get_weights(),
                                   fine_tune.get_weights(), strict=True):
        np.testing.assert_allclose(mixed, 0.75 * start + 0.25 * tuned, rtol=1e-5, atol=1e-6)
    recipe = json.loads((run / "final.json").read_text())
    assert recipe == {"checkpoints": ["best.keras"], "precise_batch_norm": False,
                      "interpolation": {"base": str(tmp_path / "base.keras"), "share": 0.25}}
    final_weights(run, data=None, precise_batch_norm=False)  # no interpolation: the best epoch as it is
    for kept, tuned in zip(load_model(run / "final.keras").get_weights(), fine_tune.get_weights(), strict=True):
        np.testing.assert_allclose(kept, tuned, rtol=1e-6, atol=1e-7)
    assert "interpolation" not in json.loads((run / "final.json").read_text())
    for share, base_file, message in ((0.0, tmp_path / "base.keras", "share"), (1.5, tmp_path / "base.keras", "share"),
                                      (0.5, None, "needs a model"), (0.5, tmp_path / "missing.keras", "no such model")):
        with pytest.raises(ValueError, match=message):
            final_weights(run, data=None, precise_batch_norm=False, interpolate_from=base_file, share=share)


def test_crowd_section_scores_each_held_out_split_against_its_votes(tmp_path):
    from tunex_core.report.real_faces import parse_crowd
    from tunex_core.training.ferplus import FERPLUS_COLUMNS
    from tunex_core.training.release import crowd_section

    happy, neutral = FERPLUS_COLUMNS.index("happiness"), FERPLUS_COLUMNS.index("neutral")
    votes = np.zeros((3, 10), np.uint8)
    votes[:, happy] = 10
    votes_test = votes.copy()
    votes_test[2] = 0
    votes_test[2, neutral] = 10
    path = tmp_path / "votes.npz"
    np.savez(path, votes_val=votes, votes_test=votes_test, columns=np.array(FERPLUS_COLUMNS))
    reads_happy = np.tile(np.eye(7)[3], (3, 1))
    section = crowd_section({"public_test": reads_happy, "private_test": reads_happy}, path, "release …")
    assert section["public_test"]["accuracy"] == 1.0 and section["private_test"]["accuracy"] == pytest.approx(0.6667)
    assert section["votes"] == "votes.npz" and section["tta"] == "flip" and section["command"] == "release …"
    assert parse_crowd(json.loads(json.dumps(section))).splits["private_test"].n == 3
