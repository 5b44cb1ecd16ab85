"""``evaluate``: accuracy, per-class scores, confusion matrix and calibration of a model on FER-2013.

TensorFlow is imported inside the handler only.
"""

from __future__ import annotations

import argparse
import json

from tunex_core.commands import fail
from tunex_core.training.perturb import DESCRIPTIONS, PERTURBATIONS

PERTURBATION_NAMES = tuple(PERTURBATIONS)


def register(subparsers) -> None:
    """Add ``evaluate``."""
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
        return fail(str(error))
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
