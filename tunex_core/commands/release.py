"""``release``, ``record-baseline``, ``record-photos`` and ``export``: the commands that write the shipped model's
folder.

Each rewrites the results section of the model card from the new ``metrics.json``.
TensorFlow is imported inside the handlers only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tunex_core.commands import (
    add_models_dir_option,
    add_photo_options,
    add_shipped_model_options,
    add_votes_option,
    fail,
    models_dir_of,
)


def register(subparsers) -> None:
    """Add ``release``, ``record-baseline``, ``record-photos`` and ``export``."""
    register_release(subparsers)
    register_record_baseline(subparsers)
    register_record_photos(subparsers)
    register_export(subparsers)


def register_release(subparsers) -> None:
    """Add ``release``: ship a run's model into models/ with its metrics."""
    parser = subparsers.add_parser("release", help="ship a training run's model into models/ with metrics.json")
    parser.add_argument("--run", required=True, help="training run folder (holds final.keras)")
    add_shipped_model_options(parser, "destination (default: the project's models/)")
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
    add_votes_option(parser, "FER+ votes aligned with --data: also score PublicTest and PrivateTest against the "
                             "crowd's majority (metrics.json's crowd)")
    add_photo_options(parser, photos_help="a folder of labelled real photos: score the shipped files on them as the "
                                          "app reads a still photo (metrics.json's real_photos); needs --labels",
                      labels_help="with --photos: its file,label CSV")
    parser.set_defaults(handler=run_release)


def run_release(arguments: argparse.Namespace) -> int:
    """Handler of ``release``."""
    from tunex_core.paths import FIXTURE_FACES_FILE, MODEL_FILE
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.release import baseline_summary, check_interpolation, final_weights, release

    if (arguments.interpolate_from is None) != (arguments.share is None):
        return fail("--interpolate-from and --share go together")
    if (arguments.photos is None) != (arguments.labels is None):
        return fail("--photos and --labels go together")
    photos = None
    if arguments.photos is not None:
        from tunex_core.training.photos import PhotoSetError, read_labelled_photos

        try:
            photos = read_labelled_photos(arguments.photos, arguments.labels)
        except PhotoSetError as error:
            return fail(str(error))
    if arguments.votes is not None and not Path(arguments.votes).is_file():
        return fail(f"{arguments.votes} does not exist (the FER+ votes file, e.g. ferplus_votes.npz)")
    models_dir = models_dir_of(arguments)
    if arguments.interpolate_from is not None:
        base = Path(arguments.interpolate_from)
        try:
            check_interpolation(base, arguments.share)
        except ValueError as error:
            return fail(str(error))
        if base.resolve() == (models_dir / MODEL_FILE.name).resolve():
            return fail(f"the release replaces {base}; copy it first (e.g. to models/members/NAME/final.keras) "
                        "and interpolate from the copy, so the recipe names a file that still holds those weights")
    try:
        data = load_fer(arguments.data)
    except DatasetError as error:
        return fail(str(error))
    baseline = baseline_summary(Path(arguments.baseline_run), data) if arguments.baseline_run else None
    interpolation = ({"interpolate_from": Path(arguments.interpolate_from), "share": arguments.share}
                     if arguments.interpolate_from else {})
    final_weights(Path(arguments.run), data, arguments.average_last, not arguments.no_precise_bn, **interpolation)
    metrics = release(Path(arguments.run), data, models_dir, FIXTURE_FACES_FILE, baseline, arguments.shipped_tta,
                      votes_file=Path(arguments.votes) if arguments.votes else None, photos=photos,
                      command=release_command(arguments))
    for split_key, variants in metrics["evaluations"].items():
        for variant, result in variants.items():
            print(f"{split_key:<13}{variant:<6} accuracy {result['accuracy']:.2%}  macro F1 {result['macro_f1']:.3f}  "
                  f"ECE {result['ece']:.3f}")
    print(f"temperature {metrics['temperature']}; latency {metrics['latency_ms_per_face']}")
    return refresh_model_card(metrics, models_dir)


def release_command(arguments: argparse.Namespace) -> str:
    """The release's command line as metrics.json records it (shared data shown as ``../shared/...``)."""
    parts = ["python -m tunex_core release", f"--run {arguments.run}", f"--data {_shown(arguments.data)}"]
    for option, value in (("--average-last", arguments.average_last or None),
                          ("--interpolate-from", arguments.interpolate_from), ("--share", arguments.share),
                          ("--votes", arguments.votes), ("--photos", arguments.photos),
                          ("--labels", arguments.labels)):
        if value is not None:
            parts.append(f"{option} {_shown(value)}")
    if arguments.no_precise_bn:
        parts.append("--no-precise-bn")
    return " ".join(parts)


def _shown(value) -> str:
    """A path under a folder named ``shared`` as ``../shared/...`` (where it lies beside the project)."""
    text = str(value)
    marker = "/shared/data/"
    return "../shared/data/" + text.split(marker, 1)[1] if marker in text else text


def refresh_model_card(metrics: dict, models_dir: Path) -> int:
    """Rewrite the results section of ``models_dir``'s model card from ``metrics`` (if the card is there); the
    command's exit status: 2 with one ``error:`` line when the card cannot state what it states from ``metrics``
    (metrics.json is already written then; the card is left as it was)."""
    from tunex_core.training.model_card import write_model_card_results

    card = models_dir / "MODEL_CARD.md"
    if not card.is_file():
        return 0
    try:
        write_model_card_results(metrics, card)
    except ValueError as error:
        return fail(f"metrics.json was updated but {card} was not: {error}")
    print(f"updated {card}")
    return 0


def register_record_photos(subparsers) -> None:
    """Add ``record-photos``: score the shipped model on labelled real photos and record it in metrics.json."""
    parser = subparsers.add_parser(
        "record-photos", help="score the shipped model on labelled real photos and record it in metrics.json",
        description="Read each labelled photo as the app reads a still photo (the shipped files, largest face) and "
                    "store the result as metrics.json's real_photos and in the model card, without re-releasing the "
                    "shipped model (after a change to how still photos are read).")
    add_photo_options(parser, photos_help="a folder of labelled real photos", labels_help="its file,label CSV",
                      required=True)
    add_models_dir_option(parser)
    parser.set_defaults(handler=run_record_photos)


def run_record_photos(arguments: argparse.Namespace) -> int:
    """Handler of ``record-photos``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.training.photos import PhotoSetError, read_labelled_photos
    from tunex_core.training.release import record_real_photos

    models_dir = models_dir_of(arguments)
    command = f"python -m tunex_core record-photos --photos {_shown(arguments.photos)} --labels {_shown(arguments.labels)}"
    try:
        photos = read_labelled_photos(arguments.photos, arguments.labels)
        metrics = record_real_photos(models_dir, photos, command)
    except (PhotoSetError, ModelFileError, ValueError) as error:  # ValueError: not a release's metrics.json
        return fail(str(error))
    section = metrics["real_photos"]
    print(f"real photos ({section['set']}, {section['backend']}): a face found in {section['found']} of "
          f"{section['photos']}, right {section['right']} ({section['accuracy']:.2%})")
    return refresh_model_card(metrics, models_dir)


def register_record_baseline(subparsers) -> None:
    """Add ``record-baseline``: score a seed-architecture run beside the shipped model."""
    parser = subparsers.add_parser(
        "record-baseline", help="score a seed-architecture run and record it as the shipped model's baseline",
        description="Evaluate a training run of the seed architecture on PublicTest and PrivateTest and record it "
                    "as the baseline in metrics.json and the model card's comparison, without re-releasing the "
                    "shipped model.")
    parser.add_argument("--run", required=True, help="the baseline's run folder (final.keras, else best.keras)")
    add_shipped_model_options(parser)
    parser.set_defaults(handler=run_record_baseline)


def run_record_baseline(arguments: argparse.Namespace) -> int:
    """Handler of ``record-baseline``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.experiments import ExperimentError
    from tunex_core.training.release import baseline_summary, record_baseline

    models_dir = models_dir_of(arguments)
    run_dir = Path(arguments.run)
    try:
        data = load_fer(arguments.data)
        baseline = baseline_summary(run_dir, data)
        metrics = record_baseline(models_dir / "metrics.json", baseline)
    except (DatasetError, ModelFileError, ExperimentError, ValueError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"{run_dir}: {error.strerror or error} ({error.filename})")
    for split_key, variants in baseline["evaluations"].items():
        for variant, result in variants.items():
            print(f"{split_key:<13}{variant:<10} accuracy {result['accuracy']:.2%}  macro F1 {result['macro_f1']:.3f}")
    print(f"{baseline['trained_epochs']} epochs, {baseline['training_minutes']} min; recorded in "
          f"{models_dir / 'metrics.json'}")
    return refresh_model_card(metrics, models_dir)


def register_export(subparsers) -> None:
    """Add ``export``: export the shipped model's LiteRT file again and measure it."""
    parser = subparsers.add_parser(
        "export", help="export the shipped model's LiteRT file again and measure it (metrics.json)",
        description="Export models/emotion_cnn.keras to emotion_cnn.tflite (int8 weights unless --float32), "
                    "measure how often it gives the Keras model's label on PublicTest and PrivateTest with the "
                    "app's mirror averaging, and its time per face; record both in metrics.json and the model "
                    "card. The weights, evaluations and temperature stay as released.")
    add_shipped_model_options(parser)
    parser.add_argument("--float32", action="store_true", help="keep float32 weights (four times the size and time)")
    parser.set_defaults(handler=run_export)


def run_export(arguments: argparse.Namespace) -> int:
    """Handler of ``export``."""
    from tunex_core.errors import ModelFileError
    from tunex_core.training.dataset import DatasetError, load_fer
    from tunex_core.training.release import reexport_shipped
    from tunex_core.vision.inference import TTA_VIEWS

    models_dir = models_dir_of(arguments)
    try:
        data = load_fer(arguments.data)
        metrics = reexport_shipped(models_dir, data, quantize=not arguments.float32)
    except (DatasetError, ModelFileError, ValueError) as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"{models_dir}: {error.strerror or error} ({error.filename})")
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
    return refresh_model_card(metrics, models_dir)
