"""Choose the shipped weights and test-time augmentation on PublicTest (never PrivateTest).

Candidates: the best single epoch (``best.keras``), as trained and with its batch-norm
statistics re-estimated on clean training faces, and the average of the last K
epoch checkpoints (``epoch_NN.keras``, stochastic weight averaging, batch-norm
statistics refreshed on training faces), each with no TTA, flip TTA and
flip+shift TTA. Prints PublicTest accuracy and log loss for each.

    python bench/select_final.py --run runs/tunex-main [--data ../shared/data/fer2013/fer2013.npz] [--last 4 8 12]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import SHARED_FER_FILE
from tunex_core.training.checkpoints import average_checkpoints, export_inference_model
from tunex_core.training.dataset import load_fer
from tunex_core.training.evaluation import evaluate_probabilities
from tunex_core.training.trainer import TrainConfig
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.model import load_model


def main() -> int:
    """Print the PublicTest table of candidates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--last", type=int, nargs="*", default=[4, 8, 12])
    parser.add_argument("--limit", type=int, default=None, help="only N PublicTest faces, spread across it (smoke runs)")
    arguments = parser.parse_args()
    run = Path(arguments.run)
    data = load_fer(arguments.data)
    sample = data.split("val").spread_sample(arguments.limit)
    faces, labels = sample.faces, sample.labels
    config = TrainConfig.from_run(run)
    candidates = {"best epoch": export_inference_model(run / "best.keras", run / "selection_best.keras")}
    refreshed = average_checkpoints([run / "best.keras"], config, refresh_faces=data.split("train").faces)
    refreshed.save(run / "selection_best_refreshed.keras")
    candidates["best epoch, BN refreshed"] = run / "selection_best_refreshed.keras"
    epochs = sorted(run.glob("epoch_*.keras"))
    for count in arguments.last:
        if len(epochs) >= count:
            model = average_checkpoints(epochs[-count:], config, refresh_faces=data.split("train").faces)
            path = run / f"selection_average_{count}.keras"
            model.save(path)
            candidates[f"average of last {count}"] = path
    width = max(len(name) for name in candidates) + 2
    print(f"{'candidate':<{width}}{'TTA':<7}{'PublicTest acc':>15}{'log loss':>10}")
    for name, path in candidates.items():
        classifier = EmotionClassifier.from_keras_model(load_model(path))
        for tta in (None, "flip", "shift"):
            result = evaluate_probabilities(classifier.predict_in_batches(faces, tta=tta), labels)
            print(f"{name:<{width}}{tta or 'none':<7}{result.accuracy:>15.2%}{result.negative_log_likelihood:>10.4f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
