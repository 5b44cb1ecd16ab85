"""Tests for ``tunex_core.training.trainer``: the tf.data pipeline, distillation targets and a tiny smoke run."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import warnings
from dataclasses import replace

import numpy as np
import pytest

from tunex_core.training.dataset import FerDataset, Split
from tunex_core.training.trainer import TrainConfig, make_dataset

NO_AUGMENT = {"flip": False, "rotation_degrees": 0.0, "zoom": 0.0, "shift": 0.0,
              "brightness": 0.0, "contrast": 0.0, "erasing_probability": 0.0}


def split_of(count: int, seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    return Split(rng.integers(0, 256, (count, 48, 48), dtype=np.uint8), np.arange(count) % 7)


def test_make_dataset_training_batches_drop_the_remainder():
    config = TrainConfig(augment=NO_AUGMENT)
    batches = list(make_dataset(split_of(10), 4, True, config))
    assert len(batches) == 2
    faces, labels = batches[0]
    assert tuple(faces.shape) == (4, 48, 48, 1) and faces.dtype.name == "float32"
    assert tuple(labels.shape) == (4, 7)
    np.testing.assert_allclose(labels.numpy().sum(axis=1), 1.0)


def test_make_dataset_evaluation_keeps_order_and_every_face():
    split = split_of(10)
    batches = list(make_dataset(split, 4, False, TrainConfig()))
    assert [int(faces.shape[0]) for faces, _ in batches] == [4, 4, 2]
    faces = np.concatenate([f.numpy() for f, _ in batches])[..., 0]
    labels = np.concatenate([y.numpy() for _, y in batches]).argmax(axis=1)
    np.testing.assert_array_equal(faces, split.faces.astype(np.float32))
    np.testing.assert_array_equal(labels, split.labels)


def synthetic_faces(count: int, seed: int) -> Split:
    """Class-dependent blobs on noise: a learnable toy problem."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 7
    faces = rng.integers(60, 120, (count, 48, 48)).astype(np.uint8)
    for face, label in zip(faces, labels, strict=True):
        face[4 + label * 6: 10 + label * 6, 10:38] = 250
    return Split(faces, labels.astype(np.int64))


def read_log(run) -> list[dict]:
    with open(run / "log.csv") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """A 1-epoch run on 64 synthetic faces, resumed to 2 epochs, then to 4; what each phase left."""
    from tunex_core.training.trainer import train

    data = FerDataset(train=synthetic_faces(64, 1), val=synthetic_faces(21, 2), test=None, source="synthetic")
    config = TrainConfig(epochs=1, batch_size=16, mixed_precision=False, warmup_epochs=0,
                         model_options={"widths": (8, 16, 16, 32), "convs_per_stage": 1})
    run = tmp_path_factory.mktemp("smoke") / "run"
    phases = {"data": data, "run": run}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        phases["final"] = train(data, run, config)
    phases["warnings_1"] = [str(warning.message) for warning in caught]
    phases["files"] = sorted(path.name for path in run.iterdir())
    phases["hyperparameters"] = json.loads((run / "hyperparameters.json").read_text())
    phases["log_1"] = read_log(run)
    phases["state_1"] = json.loads((run / "state.json").read_text())
    # killed in epoch 1 after state.json recorded it, before its checkpoints moved out of pending/
    (run / "pending").mkdir()
    (run / "last.keras").rename(run / "pending" / "last.keras")
    (run / "pending" / "epoch.json").write_text('{"epoch": 1}')
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        phases["resumed"] = train(data, run, TrainConfig(**{**phases["hyperparameters"], "epochs": 2}), resume=True)
    phases["printed_2"] = printed.getvalue()
    phases["log_2"] = read_log(run)
    phases["state_2"] = json.loads((run / "state.json").read_text())
    phases["hyperparameters_2"] = json.loads((run / "hyperparameters.json").read_text())
    # a run killed after logging epoch 3 but before recording it in state.json: the resumed run redoes epoch 3
    with open(run / "log.csv", "a", newline="") as handle:
        handle.write("3,9.99999,0.5,9.99999,0.5,0.001,1.0\r\n")
    # ... and whose epoch-3 checkpoints were still waiting for that record (a broken file: loading it would fail)
    (run / "pending").mkdir()
    (run / "pending" / "last.keras").write_bytes(b"half a checkpoint")
    (run / "pending" / "epoch.json").write_text('{"epoch": 3}')
    train(data, run, TrainConfig(**{**phases["hyperparameters"], "epochs": 4}), resume=True)
    phases["log_4"] = read_log(run)
    phases["files_4"] = sorted(path.name for path in run.iterdir())
    return phases


@pytest.mark.slow
def test_smoke_training_writes_the_run_folder(smoke_run):
    from tunex_core.vision.model import load_model

    run = smoke_run["run"]
    assert smoke_run["final"] == run / "final.keras"
    for name in ("hyperparameters.json", "log.csv", "last.keras", "best.keras", "final.keras", "state.json"):
        assert name in smoke_run["files"], name
    saved = smoke_run["hyperparameters"]
    assert saved["epochs"] == 1 and saved["batch_size"] == 16 and saved["mixed_precision"] is False
    reread = TrainConfig.from_run(run)
    assert (reread.batch_size, reread.warmup_epochs, reread.mixed_precision) == (16, 0, False)
    assert list(reread.model_options["widths"]) == [8, 16, 16, 32]
    rows = smoke_run["log_1"]
    assert len(rows) == 1 and rows[0]["epoch"] == "1"
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"} <= set(rows[0])
    assert smoke_run["state_1"]["epochs_done"] == 1
    assert not [message for message in smoke_run["warnings_1"] if "shuffle" in message]  # the dataset shuffles

    model = load_model(run / "final.keras")
    assert model.output_shape == (None, 7)
    assert model.dtype_policy.name == "float32"
    probabilities = model.predict(smoke_run["data"].val.faces[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_smoke_resume_with_one_more_epoch_appends_one_row(smoke_run):
    assert smoke_run["resumed"] == smoke_run["run"] / "final.keras"
    assert [row["epoch"] for row in smoke_run["log_2"]] == ["1", "2"]
    assert smoke_run["log_2"][0] == smoke_run["log_1"][0]  # the first row is kept as it was
    assert smoke_run["state_2"]["epochs_done"] == 2
    assert "resuming" in smoke_run["printed_2"] and "after epoch 1" in smoke_run["printed_2"]
    assert smoke_run["hyperparameters_2"]["epochs"] == 2
    assert [row["epoch"] for row in smoke_run["log_4"]] == ["1", "2", "3", "4"]
    assert smoke_run["log_4"][2]["loss"] != "9.99999"  # the half-finished epoch's row was dropped, not kept
    for files in (smoke_run["files"], smoke_run["files_4"]):
        assert not [name for name in files if name.startswith(".")]  # no temporary files left
        assert "pending" not in files


@pytest.mark.slow
def test_smoke_resume_with_more_epochs_still_learns(smoke_run):
    # resumed from 2 to 4 epochs: at the end of epoch 3 of a 4-epoch cosine schedule the rate is ~15% of the peak
    assert float(smoke_run["log_4"][2]["learning_rate"]) > 0.0


# --- webcam-like augmentation ----------------------------------------------------------------------


# --- soft targets and distillation in the tf.data pipeline ------------------------------------------

def test_make_dataset_uses_given_soft_targets():
    split = split_of(8)
    targets = np.random.default_rng(0).dirichlet(np.ones(7), 8).astype(np.float32)
    batches = list(make_dataset(split, 4, False, TrainConfig(), targets=targets))
    np.testing.assert_allclose(np.concatenate([y.numpy() for _, y in batches]), targets, rtol=1e-6)
    with pytest.raises(ValueError, match=r"targets must have shape \(8, 7\)"):
        make_dataset(split, 4, False, TrainConfig(), targets=targets[:5])


class ConstantTeacher:
    """A stand-in teacher that predicts the same distribution for every face."""

    def __init__(self, distribution):
        self.distribution = np.asarray(distribution, np.float32)

    def __call__(self, faces, training=False):
        import tensorflow as tf

        return tf.tile(tf.constant(self.distribution)[None], [tf.shape(faces)[0], 1])


def test_distillation_mixes_the_teachers_mean_into_the_targets():
    first, second = np.eye(7)[3], np.eye(7)[6]
    config = TrainConfig(augment=NO_AUGMENT, distill_weight=0.6)
    batches = list(make_dataset(split_of(8), 4, True, config,
                                teachers=[ConstantTeacher(first), ConstantTeacher(second)]))
    for _, targets in batches:
        residual = targets.numpy() - 0.6 * 0.5 * (first + second)  # what is left is 0.4 x the one-hot label
        assert residual.min() > -1e-6
        np.testing.assert_allclose(residual.max(axis=1), 0.4, atol=1e-6)
        np.testing.assert_allclose(residual.sum(axis=1), 0.4, atol=1e-6)


class LeftBrightTeacher:
    """A stand-in teacher that reads 'happy' when the left half is brighter, else 'sad' (mirror-sensitive)."""

    def __call__(self, faces, training=False):
        import tensorflow as tf

        left = tf.reduce_mean(faces[:, :, :24], axis=[1, 2, 3])
        right = tf.reduce_mean(faces[:, :, 24:], axis=[1, 2, 3])
        happy = tf.cast(left > right, tf.float32)[:, None]
        return happy * tf.one_hot([3], 7) + (1.0 - happy) * tf.one_hot([4], 7)


def test_offline_targets_average_the_teachers_and_both_mirror_images():
    from tunex_core.training.trainer import offline_teacher_targets

    faces = np.zeros((5, 48, 48), np.uint8)
    faces[:, :, :24] = 200  # left half bright: the mirror image reads the other way
    constant = np.eye(7)[6]
    targets = offline_teacher_targets([LeftBrightTeacher(), ConstantTeacher(constant)], faces, 1.0, batch_size=2)
    expected = 0.5 * (0.5 * np.eye(7)[3] + 0.5 * np.eye(7)[4]) + 0.5 * constant
    np.testing.assert_allclose(targets, np.tile(expected, (5, 1)), atol=1e-6)


def test_offline_targets_per_view_keep_the_face_and_its_mirror_image_apart():
    from tunex_core.training.trainer import offline_teacher_targets

    faces = np.zeros((5, 48, 48), np.uint8)
    faces[:, :, :24] = 200
    teachers = [LeftBrightTeacher(), ConstantTeacher(np.eye(7)[6])]
    targets = offline_teacher_targets(teachers, faces, 1.0, batch_size=2, per_view=True)
    assert targets.shape == (5, 2, 7)
    np.testing.assert_allclose(targets[:, 0], np.tile(0.5 * np.eye(7)[3] + 0.5 * np.eye(7)[6], (5, 1)), atol=1e-6)
    np.testing.assert_allclose(targets[:, 1], np.tile(0.5 * np.eye(7)[4] + 0.5 * np.eye(7)[6], (5, 1)), atol=1e-6)
    np.testing.assert_allclose(targets.mean(axis=1), offline_teacher_targets(teachers, faces, 1.0), atol=1e-6)


def test_per_view_targets_follow_the_random_flip():
    rng = np.random.default_rng(3)
    faces = rng.integers(0, 256, (64, 48, 48), dtype=np.uint8)
    split = Split(faces=faces, labels=np.zeros(64, np.int64))
    targets = np.stack([np.tile(np.eye(7)[3], (64, 1)), np.tile(np.eye(7)[4], (64, 1))], axis=1).astype(np.float32)
    config = TrainConfig(augment={**NO_AUGMENT, "flip": True})
    as_is, mirror = faces.reshape(64, -1).astype(np.float32), faces[:, :, ::-1].reshape(64, -1).astype(np.float32)
    mirrored_count = 0
    for images, batch_targets in make_dataset(split, 16, True, config, targets=targets):
        for image, target in zip(images.numpy().reshape(16, -1), batch_targets.numpy(), strict=True):
            distance_as_is = np.abs(as_is - image).max(axis=1).min()
            distance_mirrored = np.abs(mirror - image).max(axis=1).min()
            mirrored = distance_mirrored < 0.5
            assert mirrored != (distance_as_is < 0.5)  # each image is one face, either as is or mirrored
            assert target.argmax() == (4 if mirrored else 3)
            mirrored_count += mirrored
    assert 16 < mirrored_count < 48  # about half of the 64 faces were shown mirrored
    for _, batch_targets in make_dataset(split, 16, True, TrainConfig(augment=NO_AUGMENT), targets=targets):
        assert (batch_targets.numpy().argmax(axis=1) == 3).all()  # no flip: every face is shown as is
    with pytest.raises(ValueError, match="targets must have shape"):
        make_dataset(split, 16, False, config, targets=targets)  # evaluation shows faces as they are


def distil_recording_targets(tmp_path, monkeypatch, teacher, mode: str) -> tuple[dict, FerDataset]:
    """A 1-epoch offline distillation from ``teacher`` (distill weight 0.25); the training targets and
    teachers make_dataset was given, and the data."""
    import tunex_core.training.trainer as trainer

    monkeypatch.setattr(trainer, "load_teachers", lambda paths: [teacher])
    seen = {}

    def recording_dataset(split, batch_size, training, config, targets=None, teachers=None):
        if training:
            seen["targets"], seen["teachers"] = targets, teachers
        return make_dataset(split, batch_size, training, config, targets, teachers)

    monkeypatch.setattr(trainer, "make_dataset", recording_dataset)
    data = FerDataset(train=synthetic_faces(32, 1), val=synthetic_faces(14, 2), test=None, source="synthetic")
    config = TrainConfig(epochs=1, batch_size=16, mixed_precision=False, warmup_epochs=0, augment=NO_AUGMENT,
                         teachers=["teacher.keras"], distill_weight=0.25, distill_mode=mode,
                         model_options={"widths": (8, 8, 8, 8), "convs_per_stage": 1})
    trainer.train(data, tmp_path / "run", config)
    return seen, data


def test_offline_per_view_distillation_trains_on_the_view_the_student_sees(tmp_path, monkeypatch):
    import tunex_core.training.trainer as trainer

    seen, data = distil_recording_targets(tmp_path, monkeypatch, LeftBrightTeacher(), "offline-per-view")
    assert seen["targets"].shape == (32, 2, 7)
    reading = trainer.offline_teacher_targets([LeftBrightTeacher()], data.train.faces, 1.0, per_view=True)
    labels = np.eye(7)[data.train.labels][:, None]
    np.testing.assert_allclose(seen["targets"], 0.75 * labels + 0.25 * reading, atol=1e-6)
    assert not np.allclose(reading[:, 0], reading[:, 1])  # the synthetic faces are not symmetric
    with np.load(tmp_path / "run" / trainer.TEACHER_TARGETS_NAME) as cached:
        assert cached["targets"].shape == (32, 2, 7) and '"per_view": true' in str(cached["key"])


def test_offline_distillation_trains_on_the_mixed_targets(tmp_path, monkeypatch):
    import tunex_core.training.trainer as trainer

    teacher = np.eye(7)[6]
    seen, data = distil_recording_targets(tmp_path, monkeypatch, ConstantTeacher(teacher), "offline")
    assert seen["teachers"] is None  # no teacher forward passes during the epochs
    expected = 0.75 * np.eye(7)[data.train.labels] + 0.25 * teacher
    np.testing.assert_allclose(seen["targets"], expected, atol=1e-6)
    with pytest.raises(ValueError, match="unknown distill mode 'later'"):
        trainer.train(data, tmp_path / "other", TrainConfig(distill_mode="later"))


def test_initial_weights_are_copied_or_refused_with_a_clear_error(tmp_path):
    from tunex_core.errors import ModelFileError
    from tunex_core.training.trainer import load_initial_weights
    from tunex_core.vision.model import build_model

    small = {"widths": (8, 8, 8, 8), "convs_per_stage": 1}
    source = build_model("tunex", **small)
    source.save(tmp_path / "source.keras")
    target = build_model("tunex", **small)
    load_initial_weights(target, str(tmp_path / "source.keras"))
    for copied, original in zip(target.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(copied, original)
    wider = build_model("tunex", widths=(8, 16, 16, 16), convs_per_stage=1)
    with pytest.raises(ModelFileError, match="does not fit this architecture"):
        load_initial_weights(wider, str(tmp_path / "source.keras"))
    with pytest.raises(ModelFileError, match="not found"):
        load_initial_weights(target, str(tmp_path / "missing.keras"))


def test_soften_flattens_with_temperature():
    from tunex_core.training.trainer import soften

    sharp = np.array([[0.9, 0.05, 0.05, 0, 0, 0, 0]], np.float32) + 1e-6
    sharp /= sharp.sum()
    assert np.allclose(np.asarray(soften(sharp, 1.0)), sharp)
    soft = soften(sharp, 3.0).numpy()
    assert soft[0, 0] < sharp[0, 0] and soft.argmax() == 0
    np.testing.assert_allclose(soft.sum(), 1.0, atol=1e-6)


def test_offline_targets_are_kept_for_a_resumed_run_and_recomputed_when_a_teacher_changes(tmp_path, monkeypatch):
    import os

    import tunex_core.training.trainer as trainer

    teacher_file = tmp_path / "teacher.keras"
    teacher_file.write_bytes(b"weights")
    loads = []

    def counting_loader(paths):
        loads.append(list(paths))
        return [ConstantTeacher(np.eye(7)[6])]

    monkeypatch.setattr(trainer, "load_teachers", counting_loader)
    faces = synthetic_faces(6, 1).faces
    cache = tmp_path / "run" / trainer.TEACHER_TARGETS_NAME
    cache.parent.mkdir()
    first = trainer.cached_offline_targets(cache, [str(teacher_file)], faces, 1.0)
    again = trainer.cached_offline_targets(cache, [str(teacher_file)], faces, 1.0)
    np.testing.assert_array_equal(again, first)
    np.testing.assert_allclose(first, np.tile(np.eye(7)[6], (6, 1)), atol=1e-6)
    assert len(loads) == 1  # the second call read the cache and loaded no teacher
    assert sorted(path.name for path in cache.parent.iterdir()) == [trainer.TEACHER_TARGETS_NAME]

    trainer.cached_offline_targets(cache, [str(teacher_file)], faces, 2.0)  # another temperature
    trainer.cached_offline_targets(cache, [str(teacher_file)], faces[:5], 2.0)  # other faces
    status = teacher_file.stat()
    os.utime(teacher_file, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))  # the teacher was retrained
    trainer.cached_offline_targets(cache, [str(teacher_file)], faces[:5], 2.0)
    cache.write_bytes(b"PK\x03\x04 truncated")
    trainer.cached_offline_targets(cache, [str(teacher_file)], faces[:5], 2.0)
    assert len(loads) == 5
    trainer.cached_offline_targets(cache, [str(teacher_file)], faces[:5], 2.0)
    assert len(loads) == 5


def test_a_resumed_offline_distillation_does_not_load_its_teachers_again(tmp_path, monkeypatch):
    import tunex_core.training.trainer as trainer

    loads = []
    monkeypatch.setattr(trainer, "load_teachers",
                        lambda paths: loads.append(paths) or [ConstantTeacher(np.eye(7)[6])])
    data = FerDataset(train=synthetic_faces(32, 1), val=synthetic_faces(14, 2), test=None, source="synthetic")
    config = TrainConfig(epochs=1, batch_size=16, mixed_precision=False, warmup_epochs=0, augment=NO_AUGMENT,
                         teachers=["teacher.keras"], distill_weight=0.25, distill_mode="offline",
                         model_options={"widths": (8, 8, 8, 8), "convs_per_stage": 1})
    trainer.train(data, tmp_path / "run", config)
    trainer.train(data, tmp_path / "run", replace(config, epochs=2), resume=True)
    assert len(loads) == 1
    assert len((tmp_path / "run" / "log.csv").read_text().strip().splitlines()) == 3  # header + 2 epochs


def test_a_mixed_precision_run_leaves_the_process_in_float32_even_when_training_fails(tmp_path, monkeypatch):
    import keras

    from tunex_core.training.trainer import train

    data = FerDataset(train=synthetic_faces(32, 5), val=synthetic_faces(14, 6), test=None, source="synthetic")
    config = TrainConfig(epochs=1, batch_size=16, mixed_precision=True, warmup_epochs=0,
                         model_options={"widths": (8, 16, 16, 32), "convs_per_stage": 1})
    final = keras.models.load_model(train(data, tmp_path / "run", config), compile=False)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert {layer.dtype_policy.name for layer in final.layers} == {"float32"}

    def interrupted(*arguments, **options):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(keras.Model, "fit", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        train(data, tmp_path / "failed", config)
    assert keras.mixed_precision.global_policy().name == "float32"
