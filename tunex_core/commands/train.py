"""``train``, ``evaluate`` and ``predict``: the emotion-engine commands.

TensorFlow is imported inside the handlers only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from tunex_core.training.perturb import DESCRIPTIONS, PERTURBATIONS
from tunex_core.training.recipes import DISTILL_MODES

PERTURBATION_NAMES = tuple(PERTURBATIONS)
# The CLI reads files the user names on purpose, so it allows larger photos than uploads.
PREDICT_MAX_BYTES = 64 * 1024 * 1024
PREDICT_MAX_SIDE = 8192


def register(subparsers) -> None:
    """Add the emotion-engine sub-commands."""
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
    train_parser.add_argument("--votes", default=None, metavar="FERPLUS_NPZ",
                              help="FER+ votes aligned with --data (e.g. ferplus_votes.npz): train on the "
                                   "crowd's label distribution")
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

    evaluate_parser = subparsers.add_parser(
        "evaluate", help="accuracy, per-class scores, confusion matrix and calibration of a model")
    evaluate_parser.add_argument("--data", required=True, help="fer2013.csv, an image-folder export, or an npz")
    evaluate_parser.add_argument("--split", choices=("test", "val"), default="test",
                                 help="test = PrivateTest (default), val = PublicTest")
    evaluate_parser.add_argument("--tta", action="store_true", help="average with horizontally flipped faces")
    evaluate_parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    evaluate_parser.add_argument("--model", action="append", default=None, metavar="MODEL_OR_RUN",
                                 help="a .keras model or a run folder (its final.keras); default: the shipped "
                                      "model. Repeat to score an ensemble (the mean of the members' probabilities)")
    evaluate_parser.add_argument("--backend", choices=("tensorflow", "litert"), default="tensorflow",
                                 help="tensorflow: the .keras model (default; the model card's tables); litert: "
                                      "the .tflite file beside it, with int8 weights, which the app runs")
    evaluate_parser.add_argument("--perturb", choices=PERTURBATION_NAMES, default=None,
                                 help="score a fixed perturbed copy of the split: " + ", ".join(
                                     f"{name} = {DESCRIPTIONS[name]}" for name in PERTURBATION_NAMES))
    evaluate_parser.set_defaults(handler=run_evaluate)

    predict_parser = subparsers.add_parser("predict", help="faces and emotions in image files")
    predict_parser.add_argument("images", nargs="+", metavar="IMAGE")
    predict_parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    predict_parser.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    predict_parser.add_argument("--baseline", nargs="+", default=None, metavar="RESTING_PHOTO",
                                help="photo(s) of the same person with a relaxed, neutral face: correct every "
                                     "reading for that person's resting-face bias")
    predict_parser.set_defaults(handler=run_predict)
    register_release(subparsers)
    register_record_baseline(subparsers)
    register_export(subparsers)
    register_experiment(subparsers)


def _train_settings(arguments: argparse.Namespace) -> dict:
    """TrainConfig overrides from the command line; with ``--resume`` the run's saved votes/teachers are reused."""
    from tunex_core.training.trainer import OPTIMIZER_DEFAULTS, WEBCAM_AUGMENT, TrainConfig

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
        print(f"error: {problem}", file=sys.stderr)
        return 2
    missing = [str(run_model_file(path)) for path in settings.get("teachers", [])
               if not run_model_file(path).is_file()]
    if missing:
        print(f"error: teacher model not found: {', '.join(missing)} (give a run folder with final.keras, "
              f"or a .keras file)", file=sys.stderr)
        return 2
    if settings.get("init_model") and not run_model_file(settings["init_model"]).is_file():
        print(f"error: --init model not found: {run_model_file(settings['init_model'])} (give a run folder with "
              f"final.keras, or a .keras file)", file=sys.stderr)
        return 2
    try:
        data = load_fer(arguments.data)
        data.split("train"), data.split("val")
    except DatasetError as error:
        print(f"error: {error} (training needs the Training and PublicTest splits)", file=sys.stderr)
        return 2
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
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(report.summary(), flush=True)
        data = replace(data, train=kept)
    from tunex_core.training.trainer import train

    try:
        final = train(data, Path(arguments.out), config, resume=arguments.resume, train_targets=targets)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"final model: {final}")
    return 0


def run_evaluate(arguments: argparse.Namespace) -> int:
    """Handler of ``evaluate``."""
    import numpy as np

    from tunex_core.errors import ModelFileError
    from tunex_core.paths import run_model_file
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.evaluation import evaluate_probabilities
    from tunex_core.training.perturb import perturb
    from tunex_core.vision.pipeline import EmotionPipeline

    models = [run_model_file(path) for path in arguments.model] if arguments.model else [None]
    try:
        split = load_fer(arguments.data).split(arguments.split)
        classifiers = [EmotionPipeline.load(model, backend=arguments.backend).classifier for model in models]
    except (DatasetError, ModelFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    faces = perturb(split.faces, arguments.perturb) if arguments.perturb else split.faces
    probabilities = np.mean([classifier.predict_in_batches(faces, flip_average=arguments.tta)
                             for classifier in classifiers], axis=0)
    result = evaluate_probabilities(probabilities, split.labels)
    split_name = {"test": "PrivateTest", "val": "PublicTest"}[arguments.split]
    if arguments.perturb:
        split_name += f" {DESCRIPTIONS[arguments.perturb]}"
    if len(classifiers) > 1:
        split_name += f", ensemble of {len(classifiers)} models"
    print(f"{split_name}: {result.n} faces, accuracy {result.accuracy:.2%}"
          f"{' (flip TTA)' if arguments.tta else ''}, macro F1 {result.macro_f1:.3f}, ECE {result.ece:.3f}")
    print(f"{'class':<10}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>6}")
    for name, scores in result.per_class.items():
        print(f"{name:<10}{scores.precision:>10.3f}{scores.recall:>8.3f}{scores.f1:>7.3f}{scores.support:>6}")
    if arguments.json:
        payload = {"split": arguments.split, "tta": arguments.tta, "perturbation": arguments.perturb,
                   "backend": arguments.backend, "models": [str(model) if model else "shipped" for model in models],
                   **result.to_dict()}
        print(json.dumps(payload))
    return 0


def run_predict(arguments: argparse.Namespace) -> int:
    """Handler of ``predict``: every file is processed; any failure makes the exit status 1."""
    from tunex_core.emotions import EMOTION_NAMES
    from tunex_core.errors import ModelFileError
    from tunex_core.vision.calibration import calibrate_faces
    from tunex_core.vision.images import ImageError, decode_image, read_image_file
    from tunex_core.vision.pipeline import EmotionPipeline

    try:
        pipeline = EmotionPipeline.load(arguments.model)
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    calibration = None
    if arguments.baseline:
        calibration, problem = _resting_face_calibration(pipeline, arguments.baseline)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        print(f"calibrated to {', '.join(arguments.baseline)}: {calibration.describe()}")
        if warning := calibration.expression_warning():
            print(f"warning: {warning}", file=sys.stderr)
    results, failures = [], 0
    for name in arguments.images:
        entry: dict = {"file": name, "faces": [], "error": None}
        try:
            frame = decode_image(read_image_file(name, PREDICT_MAX_BYTES), max_bytes=PREDICT_MAX_BYTES,
                                 max_side=PREDICT_MAX_SIDE)
            faces = calibrate_faces(pipeline.process_photo(frame), calibration)
        except (OSError, ImageError, ValueError) as error:
            failures += 1
            entry["error"] = str(error)
            print(f"{name}: error: {error}", file=sys.stderr)
            results.append(entry)
            continue
        if not faces:
            print(f"{name}: no face found")
        for number, face in enumerate(faces, start=1):
            entry["faces"].append({
                "box": list(face.box), "label": face.label, "confidence": round(face.confidence, 4),
                "probabilities": {label: round(float(p), 4) for label, p in zip(EMOTION_NAMES, face.probabilities, strict=True)},
            })
            print(f"{name}: face {number} at {tuple(face.box)}: {face.label} ({face.confidence:.0%})")
        results.append(entry)
    if arguments.json:
        print(json.dumps({"results": results}))
    return 1 if failures else 0


def _resting_face_calibration(pipeline, photos: list[str]):
    """(calibration, None) from the largest face of each resting photo, or (None, one-line problem)."""
    from tunex_core.vision.calibration import RestingFaceCalibration
    from tunex_core.vision.images import ImageError, decode_image, read_image_file

    readings = []
    for name in photos:
        try:
            frame = decode_image(read_image_file(name, PREDICT_MAX_BYTES), max_bytes=PREDICT_MAX_BYTES,
                                 max_side=PREDICT_MAX_SIDE)
            faces = pipeline.process_photo(frame)
        except (OSError, ImageError, ValueError) as error:
            return None, f"resting photo {name}: {error}"
        if not faces:
            return None, (f"resting photo {name}: no face found; use a well-lit, frontal photo of the same "
                          f"person with a relaxed, neutral face")
        readings.append(faces[0].probabilities)  # the largest face
    return RestingFaceCalibration.fit(readings), None


def register_release(subparsers) -> None:
    """Add ``release``: ship a run's model into models/ with its metrics."""
    parser = subparsers.add_parser("release", help="ship a training run's model into models/ with metrics.json")
    parser.add_argument("--run", required=True, help="training run folder (holds final.keras)")
    parser.add_argument("--data", required=True, help="FER-2013 with PublicTest and PrivateTest")
    parser.add_argument("--models-dir", default=None, help="destination (default: the project's models/)")
    parser.add_argument("--baseline-run", default=None, help="a seed-baseline run folder to report beside it")
    parser.add_argument("--average-last", type=int, default=0,
                        help="ship the mean weights of the last K epoch checkpoints (default: the best epoch)")
    parser.add_argument("--no-precise-bn", action="store_true",
                        help="keep the training-time batch-norm statistics instead of re-estimating them")
    parser.add_argument("--interpolate-from", default=None, metavar="MODEL",
                        help="ship (1 - SHARE) x MODEL + SHARE x the run's weights, mixed in weight space "
                             "(MODEL: the .keras file the run was fine-tuned from)")
    parser.add_argument("--share", type=float, default=None,
                        help="the run's share of the shipped weights with --interpolate-from (0 < SHARE <= 1)")
    parser.add_argument("--shipped-tta", choices=("plain", "tta", "tta_shift"), default="plain",
                        help="the evaluation variant the product's headline number refers to")
    parser.set_defaults(handler=run_release)


def run_release(arguments: argparse.Namespace) -> int:
    """Handler of ``release``."""
    from tunex_core.paths import FIXTURE_FACES_FILE, MODEL_FILE, MODELS_DIR
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.release import baseline_summary, check_interpolation, final_weights, release

    if (arguments.interpolate_from is None) != (arguments.share is None):
        print("error: --interpolate-from and --share go together", file=sys.stderr)
        return 2
    models_dir = Path(arguments.models_dir) if arguments.models_dir else MODELS_DIR
    if arguments.interpolate_from is not None:
        base = Path(arguments.interpolate_from)
        try:
            check_interpolation(base, arguments.share)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if base.resolve() == (models_dir / MODEL_FILE.name).resolve():
            print(f"error: the release replaces {base}; copy it first (e.g. to models/members/NAME/final.keras) "
                  "and interpolate from the copy, so the recipe names a file that still holds those weights",
                  file=sys.stderr)
            return 2
    try:
        data = load_fer(arguments.data)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    baseline = baseline_summary(Path(arguments.baseline_run), data) if arguments.baseline_run else None
    interpolation = ({"interpolate_from": Path(arguments.interpolate_from), "share": arguments.share}
                     if arguments.interpolate_from else {})
    final_weights(Path(arguments.run), data, arguments.average_last, not arguments.no_precise_bn, **interpolation)
    metrics = release(Path(arguments.run), data, models_dir, FIXTURE_FACES_FILE, baseline, arguments.shipped_tta)
    for split_key, variants in metrics["evaluations"].items():
        for variant, result in variants.items():
            print(f"{split_key:<13}{variant:<6} accuracy {result['accuracy']:.2%}  macro F1 {result['macro_f1']:.3f}  "
                  f"ECE {result['ece']:.3f}")
    print(f"temperature {metrics['temperature']}; latency {metrics['latency_ms_per_face']}")
    refresh_model_card(metrics, models_dir)
    return 0


def refresh_model_card(metrics: dict, models_dir: Path) -> None:
    """Rewrite the results section of ``models_dir``'s model card from ``metrics`` (if the card is there)."""
    from tunex_core.training.release import write_model_card_results

    card = models_dir / "MODEL_CARD.md"
    if card.is_file():
        write_model_card_results(metrics, card)
        print(f"updated {card}")


def register_record_baseline(subparsers) -> None:
    """Add ``record-baseline``: score a seed-architecture run beside the shipped model."""
    parser = subparsers.add_parser(
        "record-baseline", help="score a seed-architecture run and record it as the shipped model's baseline",
        description="Evaluate a training run of the seed architecture on PublicTest and PrivateTest and record it "
                    "as the baseline in metrics.json and the model card's comparison, without re-releasing the "
                    "shipped model.")
    parser.add_argument("--run", required=True, help="the baseline's run folder (final.keras, else best.keras)")
    parser.add_argument("--data", required=True, help="FER-2013 with PublicTest and PrivateTest")
    parser.add_argument("--models-dir", default=None, help="the shipped model's folder (default: the project's models/)")
    parser.set_defaults(handler=run_record_baseline)


def run_record_baseline(arguments: argparse.Namespace) -> int:
    """Handler of ``record-baseline``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.paths import MODELS_DIR
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.experiments import ExperimentError
    from tunex_core.training.release import baseline_summary, record_baseline

    models_dir = Path(arguments.models_dir) if arguments.models_dir else MODELS_DIR
    run_dir = Path(arguments.run)
    try:
        data = load_fer(arguments.data)
        baseline = baseline_summary(run_dir, data)
        metrics = record_baseline(models_dir / "metrics.json", baseline)
    except (DatasetError, ModelFileError, ExperimentError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {run_dir}: {error.strerror or error} ({error.filename})", file=sys.stderr)
        return 2
    for split_key, variants in baseline["evaluations"].items():
        for variant, result in variants.items():
            print(f"{split_key:<13}{variant:<10} accuracy {result['accuracy']:.2%}  macro F1 {result['macro_f1']:.3f}")
    print(f"{baseline['trained_epochs']} epochs, {baseline['training_minutes']} min; recorded in "
          f"{models_dir / 'metrics.json'}")
    refresh_model_card(metrics, models_dir)
    return 0


def register_export(subparsers) -> None:
    """Add ``export``: export the shipped model's LiteRT file again and measure it."""
    parser = subparsers.add_parser(
        "export", help="export the shipped model's LiteRT file again and measure it (metrics.json)",
        description="Export models/emotion_cnn.keras to emotion_cnn.tflite (int8 weights unless --float32), "
                    "measure how often it gives the Keras model's label on PublicTest and PrivateTest with the "
                    "app's mirror averaging, and its time per face; record both in metrics.json and the model "
                    "card. The weights, evaluations and temperature stay as released.")
    parser.add_argument("--data", required=True, help="FER-2013 with PublicTest and PrivateTest")
    parser.add_argument("--models-dir", default=None, help="the shipped model's folder (default: the project's models/)")
    parser.add_argument("--float32", action="store_true", help="keep float32 weights (four times the size and time)")
    parser.set_defaults(handler=run_export)


def run_export(arguments: argparse.Namespace) -> int:
    """Handler of ``export``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.paths import MODELS_DIR
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.release import reexport_shipped
    from tunex_core.vision.inference import TTA_VIEWS

    models_dir = Path(arguments.models_dir) if arguments.models_dir else MODELS_DIR
    try:
        data = load_fer(arguments.data)
        metrics = reexport_shipped(models_dir, data, quantize=not arguments.float32)
    except (DatasetError, ModelFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {models_dir}: {error.strerror or error} ({error.filename})", file=sys.stderr)
        return 2
    runtime, latency = metrics["runtime"], metrics["latency_ms_per_face"]
    for split_key in ("public_test", "private_test"):
        result = runtime[split_key]
        print(f"{split_key:<13} LiteRT accuracy {result['accuracy']:.2%} (Keras {result['keras_accuracy']:.2%}), "
              f"same label {result['label_agreement']:.2%}, largest probability difference "
              f"{result['max_probability_difference']:.3f}")
    if "quantization_refused" in runtime:
        print(f"the int8 file followed the Keras model too loosely on PublicTest (same label "
              f"{runtime['quantization_refused']['label_agreement']:.2%}); the float32 file was written instead")
    print(f"{runtime['file']}: {metrics['model']['tflite_size_bytes'] / 1e6:.1f} MB, {runtime['quantization']}; "
          f"{latency['app_p50']:.2f} ms per face as the app runs it ({TTA_VIEWS[latency['app_tta']]}; "
          f"{latency['batch_1_p50']:.2f} ms per view)")
    refresh_model_card(metrics, models_dir)
    return 0


def register_experiment(subparsers) -> None:
    """Add ``experiment``: score a model or ensemble the same way as every other and record it."""
    parser = subparsers.add_parser(
        "experiment", help="score a model or an ensemble side by side with the others (metrics.json)",
        description="Score a model or an ensemble with flip TTA on PublicTest, its five webcam-like copies "
                    "(rotated, darkened, blurred, JPEG, mouth covered), "
                    "and (with --private) PrivateTest, and record it in metrics.json's experiments for the model "
                    "card and the Model page. Choose on PublicTest; score PrivateTest once, at the end.")
    parser.add_argument("--data", required=True, help="FER-2013 with PublicTest (and PrivateTest for --private)")
    parser.add_argument("--name", required=True, help="the experiment's name in the table (replaces one of that name)")
    parser.add_argument("--model", action="append", default=None, metavar="MODEL_OR_RUN",
                        help="a .keras model or a run folder (final.keras, else best.keras); default: the shipped "
                             "model. Repeat for an ensemble")
    parser.add_argument("--private", action="store_true", help="score PrivateTest too (the final comparison)")
    parser.add_argument("--metrics", default=None, help="the metrics file (default: the shipped models/metrics.json)")
    parser.add_argument("--recipe", default="", help="a few words on what differs (shown in the table)")
    parser.add_argument("--votes", default=None, metavar="FERPLUS_NPZ",
                        help="FER+ votes aligned with --data: also score against the crowd's majority label "
                             "(PublicTest, and PrivateTest with --private)")
    parser.set_defaults(handler=run_experiment)


def _crowd_labels(votes: str, data, include_private: bool) -> dict:
    """FER+ majority labels for PublicTest (and PrivateTest) of ``data``; ``DatasetError`` if unusable."""
    from tunex_core.training.ferplus import crowd_labels

    split_names = ("val", "test") if include_private else ("val",)
    return {name: crowd_labels(votes, name, len(data.split(name))) for name in split_names}


def run_experiment(arguments: argparse.Namespace) -> int:
    """Handler of ``experiment``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.paths import METRICS_FILE, MODEL_FILE
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.experiments import (
        ExperimentError,
        experiment_entry,
        member_file,
        record_experiment,
        recorded_minutes,
        score_experiment,
        training_minutes,
    )
    from tunex_core.vision.inference import EmotionClassifier
    from tunex_core.vision.model import count_parameters, load_model

    members = arguments.model or [str(MODEL_FILE)]
    try:
        files = [member_file(member) for member in members]
        data = load_fer(arguments.data)
        models = [load_model(file) for file in files]
    except (DatasetError, ModelFileError, ExperimentError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    classifiers = [EmotionClassifier.from_keras_model(model) for model in models]
    predictors = [lambda faces, flip, classifier=classifier: classifier.predict_in_batches(faces, flip_average=flip)
                  for classifier in classifiers]
    try:
        crowd = _crowd_labels(arguments.votes, data, arguments.private) if arguments.votes else None
        scores = score_experiment(predictors, data, include_private=arguments.private, crowd=crowd)
    except (DatasetError, KeyError) as error:
        print(f"error: {arguments.data}: {error}", file=sys.stderr)
        return 2
    shipped_minutes = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        # The shipped model's run folder is not shipped; its release wrote the training time.
        shipped_minutes = float(json.loads(METRICS_FILE.read_text())["model"]["training_minutes"])

    metrics_file = Path(arguments.metrics) if arguments.metrics else METRICS_FILE

    def minutes_of(member: str) -> float | None:
        if member_file(member).resolve() == MODEL_FILE.resolve():
            return shipped_minutes
        minutes = training_minutes(member)
        return minutes if minutes is not None else recorded_minutes(metrics_file, member)

    entry = experiment_entry(arguments.name, members, scores, sum(count_parameters(model) for model in models),
                             arguments.recipe, minutes_of=minutes_of)
    try:
        record_experiment(metrics_file, entry)
    except ExperimentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    public = scores["public_test"]
    line = (f"{arguments.name}: PublicTest {public['plain']:.2%} plain, {public['tta']:.2%} flip TTA; "
            + ", ".join(f"{name} {value:.2%}" for name, value in scores["robustness"].items()))
    if scores["private_test"]:
        line += f"; PrivateTest {scores['private_test']['tta']:.2%} flip TTA"
    for split_key, accuracy in (scores.get("crowd") or {}).items():
        line += f"; {'PublicTest' if split_key == 'public_test' else 'PrivateTest'} vs FER+ majority {accuracy:.2%}"
    print(line)
    print(f"recorded in {metrics_file}")
    return 0
