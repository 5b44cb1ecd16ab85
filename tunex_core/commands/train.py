"""``train``: train the emotion CNN on FER-2013.

TensorFlow is imported inside the handler only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tunex_core.commands import add_votes_option, fail
from tunex_core.training.recipes import DISTILL_MODES


def register(subparsers) -> None:
    """Add ``train``."""
    train_parser = subparsers.add_parser(
        "train", help="train the emotion CNN on FER-2013",
        description="Train on FER-2013 Training, select the epoch on PublicTest (PrivateTest is never used).")
    train_parser.add_argument("--data", required=True, help="fer2013.csv, an image-folder export, or an npz")
    train_parser.add_argument("--epochs", type=int, default=None, help="number of epochs (default 48)")
    train_parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    train_parser.add_argument("--out", default="runs/tunex", help="run folder (default runs/tunex)")
    train_parser.add_argument("--architecture", choices=("tunex", "seed"), default="tunex")
    train_parser.add_argument("--batch-size", type=int, default=None)
    train_parser.add_argument("--learning-rate", type=float, default=None,
                              help="peak learning rate (default 0.002 with adamw, 0.05 with sgd)")
    train_parser.add_argument("--weight-decay", type=float, default=None,
                              help="decoupled weight decay: each step shrinks weights by learning rate x this "
                                   "(default 0.05 with adamw, 0.002 with sgd)")
    precision = train_parser.add_mutually_exclusive_group()
    precision.add_argument("--float32", action="store_true",
                           help="train in float32 (default where bfloat16 is not fast: no GPU and no AVX-512)")
    precision.add_argument("--bfloat16", action="store_true",
                           help="train with bfloat16 mixed precision (default with a GPU or an AVX-512 CPU)")
    train_parser.add_argument("--seed", type=int, default=None, help="random seed (vary it for ensemble members)")
    train_parser.add_argument("--optimizer", choices=("adamw", "sgd"), default=None,
                              help="adamw (default) or sgd with Nesterov momentum 0.9")
    add_votes_option(train_parser, "FER+ votes aligned with --data (e.g. ferplus_votes.npz): train on the crowd's "
                                   "label distribution")
    train_parser.add_argument("--votes-weight", type=float, default=None,
                              help="weight of the vote distribution against the FER label, 0..1 (default 1)")
    train_parser.add_argument("--contempt", choices=("disgust", "drop"), default=None,
                              help="FER+ contempt votes: fold into disgust (default) or drop them")
    train_parser.add_argument("--teacher", action="append", default=None, metavar="RUN_OR_MODEL",
                              help="distil from this run folder (its final.keras) or .keras file; repeat for an "
                                   "ensemble of teachers")
    train_parser.add_argument("--distill-weight", type=float, default=None,
                              help="weight of the teachers' predictions in the targets, 0..1 (default 0.7)")
    train_parser.add_argument("--distill-temperature", type=float, default=None,
                              help="soften the teachers' predictions by this temperature (default 1)")
    train_parser.add_argument("--distill-mode", choices=tuple(DISTILL_MODES), default=None,
                              help="online (default): the teachers see every augmented batch (each float32 teacher "
                                   "adds 25-37%% to an epoch on a 2-core CPU); offline: their flip-averaged "
                                   "predictions on the clean faces, computed once; offline-per-view: their "
                                   "predictions on the face or its mirror image, whichever the student is shown, "
                                   "computed once")
    train_parser.add_argument("--init", default=None, metavar="RUN_OR_MODEL",
                              help="start from this model's weights (same architecture) instead of random ones, "
                                   "e.g. to distil an ensemble into one of its members with a short schedule")
    train_parser.add_argument("--webcam-augment", action="store_true",
                              help="add webcam-like augmentation: blur, JPEG, low light, stronger tilt, occlusion")
    train_parser.set_defaults(handler=run_train)


def _train_settings(arguments: argparse.Namespace) -> dict:
    """TrainConfig overrides from the command line; with ``--resume`` the run's saved votes/teachers are reused."""
    from tunex_core.training.augment import WEBCAM_AUGMENT
    from tunex_core.training.trainer import OPTIMIZER_DEFAULTS, TrainConfig

    overrides: dict = {"architecture": arguments.architecture}
    for name in ("epochs", "batch_size", "learning_rate", "weight_decay", "seed", "optimizer", "votes_weight",
                 "contempt", "distill_weight", "distill_temperature", "distill_mode"):
        if getattr(arguments, name) is not None:
            overrides[name] = getattr(arguments, name)
    for name, value in OPTIMIZER_DEFAULTS[overrides.get("optimizer", TrainConfig.optimizer)].items():
        overrides.setdefault(name, value)
    if arguments.float32 or arguments.bfloat16:
        overrides["mixed_precision"] = arguments.bfloat16
    if arguments.votes is not None:
        overrides["votes_file"] = str(arguments.votes)
    if arguments.teacher:
        overrides["teachers"] = [str(path) for path in arguments.teacher]
    if arguments.init is not None:
        overrides["init_model"] = str(arguments.init)
    if arguments.webcam_augment:
        overrides["augment"] = {**TrainConfig().augment, **WEBCAM_AUGMENT}
    saved_file = Path(arguments.out) / "hyperparameters.json"
    if arguments.resume and saved_file.is_file():
        try:
            saved = json.loads(saved_file.read_text())
        except (OSError, ValueError):
            saved = {}
        for name in ("votes_file", "votes_weight", "contempt", "teachers", "distill_weight", "distill_temperature",
                     "distill_mode", "mixed_precision"):
            if name not in overrides and saved.get(name) not in (None, []):
                overrides[name] = saved[name]
    return overrides


def _check_train_settings(settings: dict) -> str | None:
    """A one-line complaint about out-of-range numbers, or None."""
    checks = {"epochs": lambda v: v >= 1, "batch_size": lambda v: v >= 1, "learning_rate": lambda v: v > 0,
              "weight_decay": lambda v: 0 <= v < 1,
              "votes_weight": lambda v: 0 <= v <= 1, "distill_weight": lambda v: 0 <= v <= 1,
              "distill_temperature": lambda v: v > 0}
    for name, valid in checks.items():
        if name in settings and not valid(settings[name]):
            ranges = {"votes_weight": "between 0 and 1", "distill_weight": "between 0 and 1",
                      "weight_decay": "from 0 up to 1"}
            return f"--{name.replace('_', '-')} {settings[name]} is out of range ({ranges.get(name, 'must be positive')})"
    return None


def run_train(arguments: argparse.Namespace) -> int:
    """Handler of ``train``."""
    from dataclasses import replace

    from tunex_core.errors import ModelFileError
    from tunex_core.paths import run_model_file
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.trainer import TrainConfig

    settings = _train_settings(arguments)
    problem = _check_train_settings(settings)
    if problem:
        return fail(problem)
    missing = [str(run_model_file(path)) for path in settings.get("teachers", [])
               if not run_model_file(path).is_file()]
    if missing:
        return fail(f"teacher model not found: {', '.join(missing)} (give a run folder with final.keras, "
                    f"or a .keras file)")
    if settings.get("init_model") and not run_model_file(settings["init_model"]).is_file():
        return fail(f"--init model not found: {run_model_file(settings['init_model'])} (give a run folder with "
                    f"final.keras, or a .keras file)")
    try:
        data = load_fer(arguments.data)
        data.split("train"), data.split("val")
    except DatasetError as error:
        return fail(f"{error} (training needs the Training and PublicTest splits)")
    if "mixed_precision" not in settings:
        from tunex_core.training.trainer import automatic_precision

        settings["mixed_precision"], reason = automatic_precision()
        print(f"precision: {reason}", flush=True)
    config = TrainConfig(**settings)
    targets = None
    if config.votes_file:
        from tunex_core.training.ferplus import soft_training_split

        try:
            kept, targets, report = soft_training_split(data.train, config.votes_file, config.votes_weight,
                                                        config.contempt)
        except DatasetError as error:
            return fail(str(error))
        print(report.summary(), flush=True)
        data = replace(data, train=kept)
    from tunex_core.training.trainer import train

    try:
        final = train(data, Path(arguments.out), config, resume=arguments.resume, train_targets=targets)
    except ModelFileError as error:
        return fail(str(error))
    print(f"final model: {final}")
    return 0
