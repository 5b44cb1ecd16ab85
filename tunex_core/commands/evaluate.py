"""``evaluate``: how often a model reads faces right: FER-2013 (its labels, and with ``--votes`` the FER+
crowd's) or, with ``--photos``, labelled real photos read as the app reads a still photo.

The scoring is in ``tunex_core.training`` (``evaluation``, ``ferplus.crowd_score``, ``photos``); this
module only wires the options. TensorFlow is imported inside the handler only.
"""

from __future__ import annotations

import argparse
import json
import sys

from tunex_core.commands import add_json_option, add_photo_options, add_votes_option, fail
from tunex_core.training.perturb import DESCRIPTIONS, PERTURBATIONS

PERTURBATION_NAMES = tuple(PERTURBATIONS)


def register(subparsers) -> None:
    """Add ``evaluate``."""
    evaluate_parser = subparsers.add_parser(
        "evaluate", help="accuracy, per-class scores, confusion matrix and calibration of a model")
    evaluate_parser.add_argument("--data", default=None,
                                 help="fer2013.csv, an image-folder export, or an npz (or give --photos)")
    evaluate_parser.add_argument("--split", choices=("test", "val"), default="test",
                                 help="test = PrivateTest (default), val = PublicTest")
    evaluate_parser.add_argument("--tta", action="store_true", help="average with horizontally flipped faces")
    add_json_option(evaluate_parser, last_line=True)
    evaluate_parser.add_argument("--model", action="append", default=None, metavar="MODEL_OR_RUN",
                                 help="a .keras model or a run folder (its final.keras); default: the shipped "
                                      "model. Repeat to score an ensemble (the mean of the members' probabilities)")
    evaluate_parser.add_argument("--backend", choices=("tensorflow", "litert"), default="tensorflow",
                                 help="tensorflow: the .keras model (default; the model card's tables); litert: "
                                      "the .tflite file beside it, with int8 weights, which the app runs")
    evaluate_parser.add_argument("--perturb", choices=PERTURBATION_NAMES, default=None,
                                 help="score a fixed perturbed copy of the split: " + ", ".join(
                                     f"{name} = {DESCRIPTIONS[name]}" for name in PERTURBATION_NAMES))
    add_votes_option(evaluate_parser,
                     "FER+ votes aligned with --data (e.g. ferplus_votes.npz): also score the split against the "
                     "crowd's majority label (crowd_accuracy in --json; faces the crowd calls unknown or not a face "
                     "left out, contempt counted as disgust, a tie goes to the emotion first in FER-2013's order)")
    add_photo_options(evaluate_parser,
                      photos_help="score labelled real photos instead of FER-2013, each read as the app reads a "
                                  "still photo (the largest face, flip TTA); needs --labels",
                      labels_help="with --photos: a CSV with the columns file,label (file relative to DIR; label "
                                  "one of the seven emotions, or contempt)")
    evaluate_parser.add_argument("--contempt", choices=("disgust", "drop"), default="disgust",
                                 help="with --photos: photos labelled contempt count as disgust (default, as FER+ "
                                      "and training fold it) or are left out")
    evaluate_parser.set_defaults(handler=run_evaluate)


def run_evaluate(arguments: argparse.Namespace) -> int:
    """Handler of ``evaluate``."""
    if arguments.photos is not None or arguments.labels is not None:
        return run_evaluate_photos(arguments)
    if arguments.data is None:
        return fail("give --data (FER-2013) or --photos DIR with --labels CSV")
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
        return fail(str(error))
    faces = perturb(split.faces, arguments.perturb) if arguments.perturb else split.faces
    probabilities = np.mean([classifier.predict_in_batches(faces, flip_average=arguments.tta)
                             for classifier in classifiers], axis=0)
    result = evaluate_probabilities(probabilities, split.labels)
    crowd = None
    if arguments.votes is not None:
        from tunex_core.training.ferplus import crowd_score

        try:
            crowd = crowd_score(probabilities, arguments.votes, arguments.split)
        except DatasetError as error:
            return fail(str(error))
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
    if crowd is not None:
        print(f"against the FER+ crowd's majority: {crowd.accuracy:.2%} of {crowd.n} faces ({crowd.dropped} the crowd "
              f"called unknown or not a face left out; {crowd.ties} ties counted for the emotion first in FER-2013's "
              f"order)")
    if arguments.json:
        payload = {"split": arguments.split, "tta": arguments.tta, "perturbation": arguments.perturb,
                   "backend": arguments.backend, "models": [str(model) if model else "shipped" for model in models],
                   **result.to_dict()}
        if crowd is not None:
            payload |= {"crowd_accuracy": crowd.accuracy, "crowd": crowd.to_dict()}
        print(json.dumps(payload))
    return 0


def run_evaluate_photos(arguments: argparse.Namespace) -> int:
    """``evaluate --photos DIR --labels CSV``: a labelled photo set through the app's still-photo path."""
    if arguments.photos is None or arguments.labels is None:
        return fail("--photos and --labels go together (a folder of photos and its file,label CSV)")
    clashing = [option for option, value in (("--data", arguments.data), ("--votes", arguments.votes),
                                             ("--perturb", arguments.perturb)) if value is not None]
    if clashing:
        return fail(f"--photos scores real photos; leave out {', '.join(clashing)} (FER-2013 options)")
    if arguments.model and len(arguments.model) > 1:
        return fail("--photos scores one model at a time (give --model once)")
    from tunex_core.errors import ModelFileError
    from tunex_core.paths import run_model_file
    from tunex_core.training.photos import PhotoSetError, evaluate_photos, photo_report_lines, read_labelled_photos
    from tunex_core.vision.pipeline import EmotionPipeline

    model = run_model_file(arguments.model[0]) if arguments.model else None
    try:
        photos = read_labelled_photos(arguments.photos, arguments.labels, arguments.contempt)
        pipeline = EmotionPipeline.load(model, backend=arguments.backend)
        evaluation = evaluate_photos(pipeline, photos)
    except (PhotoSetError, ModelFileError) as error:
        return fail(str(error))
    except ValueError as error:  # no photo could be read
        return fail(f"{arguments.photos}: {error}")
    for line in photo_report_lines(evaluation, str(arguments.photos)):
        print(line)
    if evaluation.unreadable:
        print(f"warning: {len(evaluation.unreadable)} photo(s) could not be read and were not scored",
              file=sys.stderr)
    if arguments.json:
        print(json.dumps({"photos_dir": str(arguments.photos), "labels": str(arguments.labels),
                          "models": [str(model) if model else "shipped"], "backend": pipeline.classifier.backend,
                          "tta": pipeline.tta, **evaluation.to_dict()}))
    return 0
