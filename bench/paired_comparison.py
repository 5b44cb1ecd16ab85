"""Is one model really better than another? Both scored on the same PublicTest faces, paired.

Differences of a few faces in 3,589 are what new candidates keep showing; this prints, for clean
PublicTest and each webcam-like copy, both accuracies (flip TTA, the app's setting), the faces only
one model gets right, the exact McNemar p-value and the 95% interval of the difference, so a ship
decision can tell a gain from chance. PrivateTest is never read.

    python bench/paired_comparison.py models/emotion_cnn.keras models/members/webcam-mix [--copies blur jpeg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.dataset import load_fer
from tunex_core.training.evaluation import compare_paired
from tunex_core.training.experiments import ROBUSTNESS_PERTURBATIONS, member_file
from tunex_core.training.perturb import perturb
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.model import load_model


def main() -> int:
    """Print one row per copy of PublicTest: accuracies, discordant faces, p-value, interval."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="a .keras file or a run folder (final.keras, else best)")
    parser.add_argument("second", help="the model compared with the first")
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--copies", nargs="*", default=list(ROBUSTNESS_PERTURBATIONS),
                        choices=ROBUSTNESS_PERTURBATIONS, help="the webcam-like copies to compare on too")
    parser.add_argument("--no-flip", action="store_true", help="one view per face (default: flip TTA, as the app)")
    arguments = parser.parse_args()
    first, second = member_file(arguments.first), member_file(arguments.second)
    classifiers = [EmotionClassifier.from_keras_model(load_model(path)) for path in (first, second)]
    public = load_fer(arguments.data).split("val")
    flip = not arguments.no_flip
    print(f"first {first}, second {second}; PublicTest, {'flip TTA' if flip else 'one view'} "
          f"({len(public.labels)} faces); difference = second - first, in points")
    print(f"{'copy':<8}{'first %':>9}{'second %':>10}{'only 1st':>10}{'only 2nd':>10}{'difference':>12}"
          f"{'95% interval':>18}{'p':>9}")
    for name in ["clean", *arguments.copies]:
        faces = public.faces if name == "clean" else perturb(public.faces, name)
        predicted = [classifier.predict_in_batches(faces, flip_average=flip).argmax(axis=1)
                     for classifier in classifiers]
        result = compare_paired(*predicted, public.labels)
        low, high = (100 * bound for bound in result.interval)
        print(f"{name:<8}{100 * result.first_accuracy:>9.2f}{100 * result.second_accuracy:>10.2f}"
              f"{result.only_first_right:>10}{result.only_second_right:>10}{100 * result.difference:>+12.2f}"
              f"{f'[{low:+.2f}, {high:+.2f}]':>18}{result.p_value:>9.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
