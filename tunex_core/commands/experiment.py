"""``experiment``: score a model or an ensemble side by side with the others and record it in metrics.json.

TensorFlow is imported inside the handler only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

from tunex_core.commands import add_votes_option, fail


def register(subparsers) -> None:
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
    add_votes_option(parser, "FER+ votes aligned with --data: also score against the crowd's majority label "
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
        return fail(str(error))
    classifiers = [EmotionClassifier.from_keras_model(model) for model in models]
    predictors = [lambda faces, flip, classifier=classifier: classifier.predict_in_batches(faces, flip_average=flip)
                  for classifier in classifiers]
    try:
        crowd = _crowd_labels(arguments.votes, data, arguments.private) if arguments.votes else None
        scores = score_experiment(predictors, data, include_private=arguments.private, crowd=crowd)
    except (DatasetError, KeyError) as error:
        return fail(f"{arguments.data}: {error}")
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
        return fail(str(error))
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
