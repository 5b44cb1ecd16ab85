"""How much flip test-time augmentation can add to a model: its readings of a face and its mirror image.

For each model, on PublicTest: accuracy on the faces, on their mirror images and on the mean of
both (flip TTA, what the app runs), how often the two readings name the same emotion, the mean L1
distance between the two probability vectors, and the mean top probability. Flip TTA gains where
the two readings differ; a model whose readings of a face and its mirror agree gains little.

    python bench/mirror_agreement.py --data fer2013.npz --model models/emotion_cnn.keras \
        --model models/members/ferplus-mix [--split val]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.training.dataset import load_fer
from tunex_core.training.experiments import member_file
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.model import load_model


def mirror_scores(classifier: EmotionClassifier, faces: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy on faces, mirrors and their mean; agreement and L1 distance between the two readings."""
    as_is = classifier.predict_in_batches(faces)
    mirrored = classifier.predict_in_batches(np.ascontiguousarray(faces[:, :, ::-1]))
    return {
        "faces": float(np.mean(as_is.argmax(1) == labels)),
        "mirrors": float(np.mean(mirrored.argmax(1) == labels)),
        "flip TTA": float(np.mean((as_is + mirrored).argmax(1) == labels)),
        "same emotion": float(np.mean(as_is.argmax(1) == mirrored.argmax(1))),
        "L1 apart": float(np.abs(as_is - mirrored).sum(1).mean()),
        "top probability": float(as_is.max(1).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="FER-2013 npz or csv")
    parser.add_argument("--model", action="append", required=True, help="a .keras model or a run folder; repeat")
    parser.add_argument("--split", choices=("val", "test"), default="val", help="val = PublicTest (default)")
    arguments = parser.parse_args()
    split = load_fer(arguments.data).split(arguments.split)
    print(f"{'model':<44} {'faces':>7} {'mirrors':>8} {'flip TTA':>9} {'same':>6} {'L1':>6} {'top p':>6}")
    for model in arguments.model:
        classifier = EmotionClassifier.from_keras_model(load_model(member_file(model)))
        scores = mirror_scores(classifier, split.faces, split.labels)
        print(f"{model:<44} {scores['faces']:>7.2%} {scores['mirrors']:>8.2%} {scores['flip TTA']:>9.2%} "
              f"{scores['same emotion']:>6.1%} {scores['L1 apart']:>6.3f} {scores['top probability']:>6.3f}")


if __name__ == "__main__":
    main()
