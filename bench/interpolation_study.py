"""Interpolate in weight space between a model and its fine-tune, and score each mix on PublicTest.

A fine-tune (for example the webcam-robust student, trained from the shipped weights) and the model
it started from lie in one basin, so their weighted mean ``(1 - share) · base + share · fine-tune``
is a working network (the WiSE-FT recipe of Wortsman et al., 2022). Each share is scored the way
``experiment`` scores a candidate, PublicTest only (plain, flip TTA and the webcam-like copies),
with the checkpoints' batch-norm statistics mixed too and, separately, re-estimated on clean
training faces. PrivateTest is never read: choose here, then ``experiment --private`` the choice.

    python bench/interpolation_study.py --base models/emotion_cnn.keras --fine-tune runs/webcam-student \
        [--shares 0 0.25 0.5 0.75 1] [--save 0.5 runs/webcam-student/mix_050.keras --save-batch-norm mixed]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import MODEL_FILE, SHARED_FER_FILE
from tunex_core.training.checkpoints import average_weights
from tunex_core.training.dataset import load_fer
from tunex_core.training.experiments import ROBUSTNESS_PERTURBATIONS, member_file, score_experiment
from tunex_core.training.trainer import TrainConfig
from tunex_core.vision.inference import EmotionClassifier
from tunex_core.vision.model import load_model


def fine_tune_config(fine_tune: Path) -> TrainConfig:
    """The architecture of the fine-tune's run (its ``hyperparameters.json``), else the default one."""
    run = fine_tune.parent
    return TrainConfig.from_run(run) if (run / "hyperparameters.json").is_file() else TrainConfig()


def mixed_model(base_weights: list, fine_tune_weights: list, config: TrainConfig, share: float,
                refresh_faces=None):
    """The float32 model ``(1 - share) · base + share · fine_tune`` (same architecture, weights in memory)."""
    return average_weights([base_weights, fine_tune_weights], config, refresh_faces=refresh_faces,
                           shares=[1 - share, share])


def row(scores: dict, copies: list[str]) -> list[float]:
    """The printed columns of one ``score_experiment`` result, in percent."""
    values = [scores["public_test"]["plain"], scores["public_test"]["tta"]]
    return [100 * value for value in values + [scores["robustness"][name] for name in copies]]


def main() -> int:
    """Print one row per share and batch-norm choice; optionally save one mix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=str(MODEL_FILE))
    parser.add_argument("--fine-tune", required=True, help="a .keras file or a run folder (final.keras, else best)")
    parser.add_argument("--data", default=str(SHARED_FER_FILE))
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--save", nargs=2, metavar=("SHARE", "PATH"),
                        help="also write the mix with this share to PATH (batch norm: --save-batch-norm)")
    parser.add_argument("--save-batch-norm", default="re-estimated", choices=["mixed", "re-estimated"],
                        help="the batch-norm statistics of the --save mix (default: re-estimated)")
    parser.add_argument("--batch-norm", nargs="+", default=["mixed", "re-estimated"], choices=["mixed", "re-estimated"],
                        help="batch-norm statistics: the two models' mixed, and/or re-estimated on clean training faces")
    parser.add_argument("--copies", nargs="*", default=list(ROBUSTNESS_PERTURBATIONS),
                        choices=ROBUSTNESS_PERTURBATIONS,
                        help="the webcam-like copies to score (none: PublicTest plain and flip TTA only)")
    parser.add_argument("--limit", type=int, default=None,
                        help="only N faces of each split, spread across it (smoke runs)")
    arguments = parser.parse_args()
    if any(not 0 <= share <= 1 for share in arguments.shares):
        parser.error("shares lie between 0 (the base model) and 1 (the fine-tune)")
    base, fine_tune = member_file(arguments.base), member_file(arguments.fine_tune)
    config = fine_tune_config(fine_tune)
    base_weights, fine_tune_weights = (load_model(path).get_weights() for path in (base, fine_tune))
    data = load_fer(arguments.data)
    data = replace(data, **{name: data.split(name).spread_sample(arguments.limit) for name in ("train", "val")},
                   test=None)
    refresh_faces = data.split("train").faces
    if arguments.save:
        share, path = float(arguments.save[0]), Path(arguments.save[1])
        save_refresh = refresh_faces if arguments.save_batch_norm == "re-estimated" else None
        mixed_model(base_weights, fine_tune_weights, config, share, save_refresh).save(path)
        print(f"saved share {share} (batch norm {arguments.save_batch_norm}) to {path}")
    print(f"base {base}, fine-tune {fine_tune}; PublicTest accuracy (%), the copies with flip TTA")
    header = ["plain", "flip TTA", *arguments.copies]
    print(f"{'share':>6} {'batch norm':<13}" + "".join(f"{name:>9}" for name in header), flush=True)
    for share in arguments.shares:
        for batch_norm in arguments.batch_norm:
            model = mixed_model(base_weights, fine_tune_weights, config, share,
                                refresh_faces if batch_norm == "re-estimated" else None)
            classifier = EmotionClassifier.from_keras_model(model)
            scores = score_experiment(
                [lambda faces, flip, classifier=classifier: classifier.predict_in_batches(faces, flip_average=flip)],
                data, perturbations=arguments.copies)
            values = row(scores, arguments.copies)
            print(f"{share:>6.2f} {batch_norm:<13}" + "".join(f"{value:>9.2f}" for value in values), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
