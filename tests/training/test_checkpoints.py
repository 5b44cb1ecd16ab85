"""Tests for ``tunex_core.training.checkpoints``: the log trimmed on resume, pending checkpoints, averaging, export."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tunex_core.training.trainer import TrainConfig


def test_trim_log_keeps_the_header_and_whole_rows_up_to_the_saved_epoch(tmp_path):
    from tunex_core.training.checkpoints import trim_log

    log_file = tmp_path / "log.csv"
    log_file.write_bytes(b"epoch,loss\r\n1,2.3\r\n2,1.8\r\n3,1.6\r\n4,1.")
    trim_log(log_file, 2)
    assert log_file.read_bytes() == b"epoch,loss\r\n1,2.3\r\n2,1.8\r\n"
    trim_log(log_file, 2)  # nothing to drop: the file is left as it is
    assert log_file.read_bytes() == b"epoch,loss\r\n1,2.3\r\n2,1.8\r\n"
    trim_log(tmp_path / "missing.csv", 2)
    assert not (tmp_path / "missing.csv").exists()


def test_pending_checkpoints_move_into_place_only_once_state_json_names_their_epoch(tmp_path):
    from tunex_core.training.checkpoints import settle_pending_checkpoints, start_pending_checkpoints

    def pending_epoch(epoch, marker=True):
        pending = start_pending_checkpoints(tmp_path)
        (pending / "last.keras").write_text(f"epoch {epoch}")
        (pending / "best.keras").write_text(f"epoch {epoch}")
        if marker:
            (pending / "epoch.json").write_text(json.dumps({"epoch": epoch}))

    (tmp_path / "last.keras").write_text("epoch 4")
    pending_epoch(5)
    settle_pending_checkpoints(tmp_path, 4)  # killed before state.json recorded epoch 5
    assert (tmp_path / "last.keras").read_text() == "epoch 4" and not (tmp_path / "best.keras").exists()
    assert not (tmp_path / "pending").exists()
    pending_epoch(5, marker=False)  # killed while saving
    settle_pending_checkpoints(tmp_path, 5)
    assert (tmp_path / "last.keras").read_text() == "epoch 4"
    pending_epoch(5)
    (tmp_path / "pending" / "epoch.json").write_text("{")  # a marker cut short
    settle_pending_checkpoints(tmp_path, 5)
    assert (tmp_path / "last.keras").read_text() == "epoch 4"
    pending_epoch(5)
    settle_pending_checkpoints(tmp_path, 5)  # recorded, killed before the checkpoints moved: they move now
    assert (tmp_path / "last.keras").read_text() == "epoch 5" and (tmp_path / "best.keras").read_text() == "epoch 5"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best.keras", "last.keras"]
    settle_pending_checkpoints(tmp_path, 5)  # nothing pending: nothing changes
    assert (tmp_path / "last.keras").read_text() == "epoch 5"


def test_average_checkpoints_weighs_each_checkpoint_by_its_share(tmp_path):
    from tunex_core.training.checkpoints import average_checkpoints, average_weights
    from tunex_core.vision.model import build_model

    small = {"widths": (8, 8, 8, 8), "convs_per_stage": 1}
    config = TrainConfig(model_options=small)
    first, second = build_model("tunex", **small), build_model("tunex", **small)
    first.save(tmp_path / "first.keras")
    second.save(tmp_path / "second.keras")
    paths = [tmp_path / "first.keras", tmp_path / "second.keras"]
    even = average_checkpoints(paths, config)
    weighted = average_checkpoints(paths, config, shares=[3.0, 1.0])
    only_first = average_checkpoints(paths, config, shares=[1.0, 0.0])
    for mean, interpolated, kept, a, b in zip(even.get_weights(), weighted.get_weights(), only_first.get_weights(),
                                              first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_allclose(mean, (a + b) / 2, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(interpolated, 0.75 * a + 0.25 * b, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(kept, a)
        assert interpolated.dtype == a.dtype
    assert any(not np.allclose(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))
    in_memory = average_weights([first.get_weights(), second.get_weights()], config, shares=[3.0, 1.0])
    for loaded, kept in zip(weighted.get_weights(), in_memory.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, kept)
    for shares in ([1.0], [1.0, -0.5], [0.0, 0.0]):
        with pytest.raises(ValueError, match="share"):
            average_checkpoints(paths, config, shares=shares)
    with pytest.raises(ValueError, match="no weights"):
        average_weights([], config)


def test_export_inference_model_saves_a_bfloat16_checkpoint_in_float32(tmp_path):
    import keras

    from tunex_core.training.checkpoints import export_inference_model
    from tunex_core.vision.model import build_model

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        checkpoint = build_model("tunex")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    checkpoint.save(tmp_path / "best.keras")

    exported = keras.models.load_model(export_inference_model(tmp_path / "best.keras", tmp_path / "final.keras"),
                                       compile=False)

    assert {layer.dtype_policy.name for layer in exported.layers} == {"float32"}
    for saved, trained in zip(exported.get_weights(), checkpoint.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, trained)
