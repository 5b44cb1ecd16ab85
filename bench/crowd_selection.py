"""Choose the face model by the crowd and by real photos (issue 45's selection rule).

Scores candidate models (``.keras`` files, run folders, or weight-space mixes of two models) on what
the rule may look at: PublicTest read against the FER+ crowd's majority (flip TTA, as the app runs)
and the ``faces_dev`` photos through the app's still-photo path (largest face). FER-2013's own
labels on PublicTest are reported beside them, not used to choose. PrivateTest (FER labels with flip
TTA, and the crowd) is scored only for the candidates named with ``--private``: the chosen one, once.

    python bench/crowd_selection.py --candidate shipped=models/emotion_cnn.keras \
        --candidate ferplus-mix=models/members/ferplus-mix \
        --mix 'half=models/members/ferplus-mix/final.keras:runs/crowd-ft/epoch_06.keras:0.5' \
        [--private ferplus-mix] [--out runs/crowd_selection.json]

A mix ``NAME=BASE:OTHER:SHARE`` is ``(1 - SHARE) · BASE + SHARE · OTHER`` in weight space, batch-norm
statistics mixed the same way (``--refresh-batch-norm`` re-estimates them on clean training faces).
The detection step is run once and shared by every candidate (``training.photos.find_photo_faces``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FACES_DEV_DIR, SHARED_FER_FILE, SHARED_VOTES_FILE, run_model_file
from tunex_core.training.dataset import load_fer
from tunex_core.training.ferplus import crowd_score
from tunex_core.training.photos import evaluate_photos, find_photo_faces, read_labelled_photos
from tunex_core.vision.faces import PHOTO_RETRY_PADDING, still_photo_detector
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.model import load_model
from tunex_core.vision.pipeline import DEFAULT_TTA, EmotionPipeline


def named(value: str) -> tuple[str, str]:
    """``NAME=VALUE`` from the command line."""
    name, separator, rest = value.partition("=")
    if not separator or not name or not rest:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value!r}")
    return name, rest


def mixed_model(specification: str, data):
    """The model ``(1 - share) · base + share · other`` of ``BASE:OTHER:SHARE``."""
    from tunex_core.training.checkpoints import average_weights
    from tunex_core.training.trainer import TrainConfig

    base, other, share = specification.rsplit(":", 2)
    share = float(share)
    weights = [load_model(run_model_file(path)).get_weights() for path in (base, other)]
    refresh = data.split("train").faces if ARGUMENTS.refresh_batch_norm else None
    return average_weights(weights, TrainConfig(), refresh_faces=refresh, shares=[1 - share, share])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidate", type=named, action="append", default=[], metavar="NAME=MODEL")
    parser.add_argument("--mix", type=named, action="append", default=[], metavar="NAME=BASE:OTHER:SHARE")
    parser.add_argument("--private", action="append", default=[], metavar="NAME",
                        help="also score PrivateTest for this candidate (the chosen one, once)")
    parser.add_argument("--refresh-batch-norm", action="store_true")
    parser.add_argument("--retry-padding", type=float, default=PHOTO_RETRY_PADDING,
                        help="the still-photo detector's padded second look (0: none, as before 2026-12-06)")
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--votes", default=str(SHARED_VOTES_FILE))
    parser.add_argument("--photos", default=str(SHARED_FACES_DEV_DIR / "images"))
    parser.add_argument("--labels", default=str(SHARED_FACES_DEV_DIR / "labels.csv"))
    parser.add_argument("--out", default=None, help="also write the rows as JSON here")
    global ARGUMENTS
    ARGUMENTS = parser.parse_args()
    data = load_fer(ARGUMENTS.data)
    photos = read_labelled_photos(ARGUMENTS.photos, ARGUMENTS.labels)
    rows, faces = [], None
    for name, source in [*ARGUMENTS.candidate, *((name, None) for name, _ in ARGUMENTS.mix)]:
        started = time.perf_counter()
        model = load_model(run_model_file(source)) if source else mixed_model(dict(ARGUMENTS.mix)[name], data)
        detector = dataclasses.replace(still_photo_detector(), retry_padding=ARGUMENTS.retry_padding)
        pipeline = EmotionPipeline(EmotionClassifier.from_keras_model(model), photo_detector=detector)
        if faces is None:
            faces = find_photo_faces(pipeline, photos)
        public = data.split("val")
        probabilities = pipeline.classifier.predict_in_batches(public.faces, tta=DEFAULT_TTA)
        crowd = crowd_score(probabilities, ARGUMENTS.votes, "val")
        photo = evaluate_photos(pipeline, photos, faces)
        row = {"name": name, "model": source or dict(ARGUMENTS.mix)[name],
               "public_crowd": crowd.accuracy, "faces_dev": photo.accuracy,
               "faces_dev_of_found": photo.accuracy_of_found, "faces_dev_found": photo.found,
               "faces_dev_photos": photo.photos, "faces_dev_macro_recall": photo.macro_recall,
               "faces_dev_recall": {label: scores.recall for label, scores in photo.per_class.items()},
               "public_fer": round(float((probabilities.argmax(1) == public.labels).mean()), 4),
               "public_crowd_recall": crowd.recall}
        if name in ARGUMENTS.private:
            private = data.split("test")
            private_probabilities = pipeline.classifier.predict_in_batches(private.faces, tta=DEFAULT_TTA)
            row["private_fer"] = round(float((private_probabilities.argmax(1) == private.labels).mean()), 4)
            row["private_crowd"] = crowd_score(private_probabilities, ARGUMENTS.votes, "test").accuracy
        rows.append(row)
        print(f"{name:<28} PublicTest crowd {row['public_crowd']:.2%}  faces_dev {row['faces_dev']:.2%} "
              f"({row['faces_dev_of_found']:.2%} of {row['faces_dev_found']} found)  macro recall "
              f"{row['faces_dev_macro_recall']:.2%}  PublicTest FER {row['public_fer']:.2%}"
              + (f"  PrivateTest FER {row['private_fer']:.2%} crowd {row['private_crowd']:.2%}"
                 if "private_fer" in row else "") + f"  [{time.perf_counter() - started:.0f}s]", flush=True)
    if ARGUMENTS.out:
        Path(ARGUMENTS.out).write_text(json.dumps({"photos": len(photos.files), "retry_padding": ARGUMENTS.retry_padding,
                                                   "rows": rows}, indent=1))
    return 0


ARGUMENTS: argparse.Namespace


if __name__ == "__main__":
    raise SystemExit(main())
