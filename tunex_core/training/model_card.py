"""The model card's generated section: everything between its RESULTS markers, written from ``metrics.json``.

``write_model_card_results`` replaces that section each time a command writes ``metrics.json`` (``release``, ``export``,
``record-baseline``, ``bench/calibration_study.py --record``), so every figure in the card has one source: the recipe and
its reproducing commands, the results per split, calibration, latency, the LiteRT file's fidelity, the comparisons, the
seed baseline and the resting-face study. The file is read as the Model page reads it, into ``report.metrics_schema``'s
typed sections (``parse_model_report``); a figure the card states and the file lacks is a ``ValueError`` naming its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.files import write_text_atomically
from tunex_core.report import metrics_schema as schema
from tunex_core.report.metrics_validation import parse_model_report
from tunex_core.training.recipes import DISTILL_MODES
from tunex_core.training.release import TTA_DESCRIPTIONS
from tunex_core.vision.inference import TTA_VIEWS

TUNEX_CORRECTION = "TuneX (shipped code)"
NAIVE_CORRECTION = "divide (naive prior shift)"
SPLIT_NAMES = {"public_test": "PublicTest (selection)", "private_test": "PrivateTest (held out)"}

Figure = TypeVar("Figure")
Evaluations = Mapping[str, Mapping[str, schema.Evaluation]]


def _needed(value: Figure | None, key: str) -> Figure:
    """``value``, a figure the card states; None (``metrics.json`` lacks ``key``) is an error naming it."""
    if value is None:
        raise ValueError(f"metrics.json has no {key}, which the model card states")
    return value


def _result(evaluations: Evaluations, split: str, variant: str, key: str = "evaluations") -> schema.Evaluation:
    return _needed(evaluations.get(split, {}).get(variant), f"{key}.{split}.{variant}")


def baseline_lines(report: schema.ModelReport) -> list[str]:
    """The card's comparison with the recorded seed-architecture baseline ([] when none is recorded)."""
    baseline = report.baseline
    if baseline is None or not _complete(baseline.evaluations) or not _complete(report.evaluations):
        return []
    model, ours, theirs = _needed(report.model, "model"), report.evaluations, baseline.evaluations
    theirs_f1, ours_f1 = (_needed(_result(evaluations, "private_test", "tta").macro_f1, f"{key}.private_test.tta.macro_f1")
                          for evaluations, key in ((theirs, "baseline.evaluations"), (ours, "evaluations")))

    def accuracy(evaluations: Evaluations, variant: str) -> str:
        return (f"{_result(evaluations, 'private_test', variant).accuracy:.2%} "
                f"({_result(evaluations, 'public_test', variant).accuracy:.2%})")

    def recalls(evaluations: Evaluations) -> str:
        per_class = _needed(_result(evaluations, "private_test", "tta").per_class, "private_test.tta.per_class")
        return " / ".join(f"{per_class[name].recall * 100:.1f}" for name in EMOTION_NAMES)

    return [
        "",
        "## Against the seed architecture",
        "",
        f"The seed projects' network ({baseline.name}) trained on the same data with the same augmentation, "
        "schedule and PublicTest epoch choice (`python -m tunex_core record-baseline`):",
        "",
        f"| PrivateTest (PublicTest) | seed, {_needed(baseline.parameters, 'baseline.parameters') / 1e6:.2f}M "
        f"parameters | TuneX, {_needed(model.parameters, 'model.parameters') / 1e6:.2f}M parameters |",
        "|---|---|---|",
        f"| plain | {accuracy(theirs, 'plain')} | **{accuracy(ours, 'plain')}** |",
        f"| flip TTA (what the app runs) | {accuracy(theirs, 'tta')} | **{accuracy(ours, 'tta')}** |",
        f"| macro F1, flip TTA | {theirs_f1:.3f} | **{ours_f1:.3f}** |",
        f"| recall with flip TTA: {' / '.join(EMOTION_NAMES)} | {recalls(theirs)} | {recalls(ours)} |",
        f"| training | {_needed(baseline.trained_epochs, 'baseline.trained_epochs')} epochs, "
        f"{baseline.training_minutes} min | {_needed(model.trained_epochs, 'model.trained_epochs')} epochs, "
        f"{model.training_minutes} min (this run only) |",
    ]


def _complete(evaluations: Evaluations) -> bool:
    """Whether ``evaluations`` has both splits with plain and flip-TTA scores and the TTA per-class recall
    (a baseline recorded by hand may have less; the card then keeps only its row in "Compared with")."""
    return all(evaluations.get(split, {}).get("plain") is not None
               and getattr(evaluations.get(split, {}).get("tta"), "per_class", None) is not None for split in SPLIT_NAMES)


def _span(values: list[float], signed: bool = False) -> str:
    """``low to high`` in percentage points (``+`` sign when ``signed``), or one value when they agree."""
    low, high = min(values) * 100, max(values) * 100
    style = "{:+.1f}" if signed else "{:.1f}"
    return style.format(low) if f"{low:.1f}" == f"{high:.1f}" else f"{style.format(low)} to {style.format(high)}"


def resting_calibration_lines(report: schema.ModelReport) -> list[str]:
    """The card's summary of the recorded resting-face calibration runs ([] when none is recorded)."""
    runs = [run for run in report.resting_study if run.scenarios]
    if not runs:
        return []
    scenario_names = [scenario.name for scenario in runs[0].scenarios]
    rows = []
    for name in scenario_names:
        uncorrected, gains, naive_gains, reads_neutral = [], [], [], []
        for run in runs:
            scenario = next((item for item in run.scenarios if item.name == name), None)
            if scenario is None:
                continue
            corrections = {correction.name: correction for correction in scenario.corrections}
            uncorrected.append(scenario.uncorrected)
            if TUNEX_CORRECTION in corrections:
                gains.append(corrections[TUNEX_CORRECTION].balanced_accuracy - scenario.uncorrected)
                reads_neutral.append(corrections[TUNEX_CORRECTION].resting_reads_neutral)
            if NAIVE_CORRECTION in corrections:
                naive_gains.append(corrections[NAIVE_CORRECTION].balanced_accuracy - scenario.uncorrected)
        rows.append(f"| {name} | {_span(uncorrected)}% | {_span(gains, signed=True) if gains else '—'} | "
                    f"{_span(naive_gains, signed=True) if naive_gains else '—'} | "
                    f"{_span(reads_neutral) + '%' if reads_neutral else '—'} |")
    traits, seeds = sorted({run.trait for run in runs}), sorted({run.seed for run in runs})
    return [
        "",
        "## Resting-face calibration on simulated people",
        "",
        f"{len(runs)} recorded runs of `python bench/calibration_study.py --record` ({runs[0].persons} simulated "
        f"people each, {runs[0].backend}; traits {', '.join(f'{trait:g}' for trait in traits)}, "
        f"seeds {', '.join(str(seed) for seed in seeds)}). Balanced accuracy without a correction, and its change in "
        "points with TuneX's correction and with the naive prior shift, lowest to highest across the runs:",
        "",
        "| scenario | no correction | TuneX's correction | naive prior shift (`p / r`) | resting face reads neutral after it |",
        "|---|---|---|---|---|",
        *rows,
    ]


RESULTS_START, RESULTS_END = "<!-- RESULTS -->", "<!-- /RESULTS -->"


def recipe_extras(hyper: schema.TrainingRecipe) -> str:
    """Sentences for the recipe options beyond the defaults (FER+ votes, teachers), or ''."""
    extras = []
    if hyper.votes_file:
        extras.append(f" Targets: FER+ vote distributions (weight {hyper.votes_weight} against the "
                      f"FER-2013 label; contempt votes: {hyper.contempt}).")
    if hyper.teachers:
        mode = DISTILL_MODES.get(hyper.distill_mode, hyper.distill_mode)
        extras.append(f" Distilled from {len(hyper.teachers)} teacher model(s) (weight "
                      f"{hyper.distill_weight}, temperature {hyper.distill_temperature}; {mode}).")
    if hyper.init_model:
        extras.append(f" Started from the weights of {hyper.init_model}.")
    return "".join(extras)


def recipe_flags(hyper: schema.TrainingRecipe) -> str:
    """The ``train`` options that reproduce the recipe beyond the defaults ('' for a default run)."""
    from tunex_core.training.trainer import OPTIMIZER_DEFAULTS, TrainConfig

    optimizer = hyper.optimizer or "adamw"
    defaults = {**asdict(TrainConfig()), **OPTIMIZER_DEFAULTS.get(optimizer, {})}
    flags = [f"--{name.replace('_', '-')} {getattr(hyper, name)}"
             for name in ("seed", "learning_rate", "weight_decay", "batch_size")
             if getattr(hyper, name) is not None and getattr(hyper, name) != defaults[name]]
    if hyper.architecture != "tunex":
        flags.append(f"--architecture {hyper.architecture}")
    if optimizer != "adamw":
        flags.append(f"--optimizer {optimizer}")
    if hyper.votes_file:
        flags.append(f"--votes ferplus_votes.npz --votes-weight {hyper.votes_weight}")
    flags.extend(f"--teacher {teacher}" for teacher in hyper.teachers)
    if hyper.teachers:
        flags.append(f"--distill-weight {hyper.distill_weight} --distill-temperature "
                     f"{hyper.distill_temperature} --distill-mode {hyper.distill_mode}")
    if hyper.init_model:
        flags.append(f"--init {hyper.init_model}")
    if (hyper.augment or {}).get("jpeg_probability"):
        flags.append("--webcam-augment")
    return "".join(f" {flag}" for flag in flags)


def results_markdown(report: schema.ModelReport) -> str:
    """The model card's results section, written from ``metrics.json``'s typed sections."""
    model = _needed(report.model, "model")
    hyper = _needed(model.hyperparameters, "model.hyperparameters")
    final = model.final_weights or schema.FinalWeights()

    def option(name: str) -> Any:
        return _needed(getattr(hyper, name), f"model.hyperparameters.{name}")

    lines = [
        "## Training recipe",
        "",
        f"{_needed(model.trained_epochs, 'model.trained_epochs')} epochs, batch {option('batch_size')}, "
        f"{option('optimizer')} (peak learning rate {option('learning_rate')}, weight decay "
        f"{option('weight_decay')}), {option('warmup_epochs')} warm-up epochs then cosine decay to zero, label "
        f"smoothing {option('label_smoothing')}, "
        + ("bfloat16 mixed precision" if hyper.mixed_precision else "float32")
        + ". Augmentation: "
        + ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in option("augment").items())
        + f".{recipe_extras(hyper)} Trained on a 2-core CPU in {model.training_minutes} minutes. "
        f"{final_weights_sentence(final)} {_needed(model.parameters, 'model.parameters'):,} parameters, "
        f"{_needed(model.size_bytes, 'model.size_bytes') / 1e6:.1f} MB (`.keras`), "
        f"{_needed(model.tflite_size_bytes, 'model.tflite_size_bytes') / 1e6:.1f} MB (`.tflite`).",
        "",
        "Reproduce: `python -m tunex_core train --data fer2013.npz --out runs/tunex-main --epochs "
        f"{option('epochs')}{recipe_flags(hyper)}` then `python -m tunex_core release --run runs/tunex-main "
        f"--data fer2013.npz{release_flags(final)}`.",
        "",
        "## Results",
        "",
        "| split | test-time augmentation | accuracy | macro F1 | ECE (calibrated) |",
        "|---|---|---|---|---|",
    ]
    for split_key, split_name in SPLIT_NAMES.items():
        for variant, result in _needed(report.evaluations.get(split_key), f"evaluations.{split_key}").items():
            key = f"evaluations.{split_key}.{variant}"
            lines.append(f"| {split_name} | {TTA_DESCRIPTIONS.get(variant, variant)} | "
                         f"{result.accuracy:.2%} | {_needed(result.macro_f1, f'{key}.macro_f1'):.3f} | "
                         f"{_needed(result.ece, f'{key}.ece'):.3f} |")
    private = _result(report.evaluations, "private_test", "plain")
    lines += ["", "Per class on PrivateTest (no TTA):", "",
              "| class | precision | recall | F1 | faces |", "|---|---|---|---|---|"]
    for name, scores in _needed(private.per_class, "evaluations.private_test.plain.per_class").items():
        lines.append(f"| {name} | {scores.precision:.3f} | {scores.recall:.3f} | {scores.f1:.3f} | {scores.support} |")
    calibration = _needed(report.calibration, "calibration")
    temperature = _needed(report.temperature, "temperature")
    lines += [
        "",
        f"Calibration: the temperature fitted on PublicTest is {temperature} (1 = unchanged); with it, "
        f"PrivateTest's expected calibration error goes from {calibration.private_test_ece_before:.3f} to "
        f"{calibration.private_test_ece_after:.3f}. {_confidence_sentence(temperature)} "
        "TuneX applies the temperature to every prediction.",
        "",
        latency_sentence(_needed(report.latency, "latency_ms_per_face"),
                         _needed(report.latency_tensorflow, "latency_ms_per_face_tensorflow")),
        "",
        *runtime_lines(report.runtime),
        "## Compared with",
        "",
        "| model | PrivateTest accuracy | note |",
        "|---|---|---|",
        f"| **TuneX CNN (this model)** | **{private.accuracy:.1%}** (TTA "
        f"{_result(report.evaluations, 'private_test', 'tta').accuracy:.1%}) | "
        f"{_needed(model.parameters, 'model.parameters') / 1e6:.2f}M parameters, "
        f"{model.trained_epochs} epochs on a 2-core CPU"
        + (f", starting from {hyper.init_model}" if hyper.init_model else "")
        + _interpolation_note(final) + " |",
    ]
    if (baseline := report.baseline) is not None:
        plain, tta = (_result(baseline.evaluations, "private_test", variant, "baseline.evaluations")
                      for variant in ("plain", "tta"))
        lines.append(f"| {baseline.name} | {plain.accuracy:.1%} (TTA {tta.accuracy:.1%}) | "
                     f"{_needed(baseline.parameters, 'baseline.parameters') / 1e6:.2f}M parameters, "
                     f"{_needed(baseline.trained_epochs, 'baseline.trained_epochs')} epochs "
                     f"({baseline.training_minutes} min) with the same data, augmentation and schedule |")
    for anchor in report.anchors:
        lines.append(f"| {anchor.name} | {anchor.accuracy:.1%} | {anchor.note} |")
    return "\n".join(lines + real_faces_lines(report) + baseline_lines(report) + resting_calibration_lines(report))


def real_faces_lines(report: schema.ModelReport) -> list[str]:
    """The generated section on the crowd's labels and real photos ([] when metrics.json has neither)."""
    crowd, photos = report.crowd, report.real_photos
    if crowd is None and photos is None:
        return []
    lines = ["", "## Beyond FER-2013's labels: the crowd and real photos"]
    if crowd is not None:
        lines += ["", "| split | FER-2013's labels, flip TTA | the FER+ crowd's majority, flip TTA | faces the crowd labelled |",
                  "|---|---|---|---|"]
        for split_key, name in SPLIT_NAMES.items():
            figure = crowd.splits.get(split_key)
            if figure is None:
                continue
            fer = report.evaluation(schema.EvaluationKey(split_key, "tta"))
            lines.append(f"| {name} | {fer.accuracy:.2%} | {figure.accuracy:.2%} | {figure.n:,} |"
                         if fer is not None else
                         f"| {name} | – | {figure.accuracy:.2%} | {figure.n:,} |")
        private = crowd.splits.get("private_test") or crowd.splits.get("public_test")
        lines += ["", "The crowd: FER+ (Barsoum et al. 2016), 10 annotators per face. A face's label is the emotion "
                  "most of them chose once single votes are dropped; faces the crowd calls unknown or not a face are "
                  "left out, contempt counts as disgust (as in training), and a tie goes to the emotion that comes "
                  f"first in FER-2013's order ({private.ties} tied faces of {private.n:,})."
                  + (f" Measured by `{crowd.command}`." if crowd.command else "")]
    if photos is not None:
        share = photos.found / photos.photos
        of_found = (f", {photos.accuracy_of_found:.2%} of the {photos.found} photos with a face found"
                    if photos.accuracy_of_found is not None else "")
        recall = " / ".join(f"{scores.recall * 100:.1f}" for scores in photos.per_class.values())
        counts = " / ".join(str(scores.photos) for scores in photos.per_class.values())
        contempt = (f" Its {photos.contempt_photos} contempt photos count as disgust."
                    if photos.contempt_photos and photos.contempt == "disgust" else "")
        reading = "largest face, flip TTA"
        if photos.margins and photos.enlarged_side:
            margins = " and ".join(f"{margin:g}" for margin in photos.margins)
            reading = (f"a photo under {photos.enlarged_side} px enlarged to it, the largest face read from its crops "
                       f"at margin{'s' if len(photos.margins) > 1 else ''} {margins}"
                       f"{', averaged' if len(photos.margins) > 1 else ''}, each with flip TTA")
        lines += ["", f"Real photos ({photos.set_name}): {photos.photos} labelled photos read as the app reads a still "
                  f"photo ({photos.backend or 'the shipped file'}; {reading}). A face was found in "
                  f"{photos.found} ({share:.1%}); the reading was right for **{photos.accuracy:.2%} of all the "
                  f"photos**{of_found} (a photo with no face found counts as a miss).{contempt} Recall per emotion, "
                  f"{' / '.join(photos.per_class)}: {recall} (photos: {counts})."
                  + (f" Measured by `{photos.command}`." if photos.command else "")]
    return lines


def final_weights_sentence(recipe: schema.FinalWeights) -> str:
    """What ``final_weights`` kept (its ``final.json``), as the model card's sentence."""
    checkpoints = list(recipe.checkpoints) or ["best.keras"]
    kept = ("the epoch with the best PublicTest accuracy" if checkpoints == ["best.keras"]
            else f"the mean weights of the last {len(checkpoints)} epochs")
    interpolation = recipe.interpolation
    if interpolation:
        share = interpolation.share
        kept = (f"the shipped weights are {round(1 - share, 4)} · `{interpolation.base}` + {share} · {kept} of this "
                "run (in weight space)")
    else:
        kept = f"{kept} {'was' if checkpoints == ['best.keras'] else 'were'} kept"
    statistics = ("batch-norm statistics re-estimated on clean training faces" if recipe.precise_batch_norm
                  else "batch-norm statistics " + ("mixed the same way" if interpolation else "as trained"))
    return f"{kept[0].upper()}{kept[1:]}, {statistics}."


def release_flags(recipe: schema.FinalWeights) -> str:
    """The ``release`` options that rebuild ``final_weights``' choice ('' for the best epoch, re-estimated;
    a release from before ``final.json`` shipped the best epoch with its training-time statistics)."""
    flags = []
    checkpoints = list(recipe.checkpoints) or ["best.keras"]
    if checkpoints != ["best.keras"]:
        flags.append(f"--average-last {len(checkpoints)}")
    if not recipe.precise_batch_norm:
        flags.append("--no-precise-bn")
    if recipe.interpolation:
        flags.append(f"--interpolate-from {recipe.interpolation.base} --share {recipe.interpolation.share}")
    return "".join(f" {flag}" for flag in flags)


def _interpolation_note(recipe: schema.FinalWeights) -> str:
    interpolation = recipe.interpolation
    if not interpolation:
        return ""
    return f", then {round(1 - interpolation.share, 4)} · {interpolation.base} + {interpolation.share} · these weights"


def latency_sentence(latency: schema.Latency, tensorflow: schema.Latency) -> str:
    """The model card's sentence on time per face (LiteRT file, and the Keras model for comparison)."""
    app_figures = ("app_p95",) if latency.app_p50 is not None else ()
    for name in ("backend", "batch_1_p50", "batch_1_p95", "batch_8_p50_per_face", *app_figures):
        _needed(getattr(latency, name), f"latency_ms_per_face.{name}")
    app = (f"{latency.app_p50:.2f} ms median ({latency.app_p95:.2f} ms 95th percentile) for what the app "
           f"runs per face, {TTA_VIEWS[latency.app_tta]}; " if latency.app_p50 is not None else "")
    return (f"Latency per face ({latency.backend}, this 2-core CPU, one thread): {app}"
            f"{latency.batch_1_p50:.2f} ms median, {latency.batch_1_p95:.2f} ms 95th percentile for one "
            f"view of one face; {latency.batch_8_p50_per_face:.2f} ms per face in a batch of 8 (TensorFlow "
            f"`tf.function`: {_needed(tensorflow.batch_1_p50, 'latency_ms_per_face_tensorflow.batch_1_p50'):.2f} ms "
            "for one view).")


def runtime_lines(runtime: schema.Runtime | None) -> list[str]:
    """The model card's paragraph on the LiteRT file against the Keras model ([] before it was measured)."""
    if runtime is None:
        return []
    public, private = runtime.public_test, runtime.private_test
    return [
        f"The app runs `{runtime.file}` ({runtime.quantization}). Averaging {TTA_VIEWS[runtime.tta]}, "
        f"as the app does, it gives the Keras model's label on {public.label_agreement:.1%} of PublicTest and "
        f"{private.label_agreement:.1%} of PrivateTest faces (largest difference of one probability "
        f"{max(public.max_probability_difference, private.max_probability_difference):.2f}); accuracy "
        f"{public.accuracy:.2%} on PublicTest and {private.accuracy:.2%} on PrivateTest, against the "
        f"Keras model's {public.keras_accuracy:.2%} and {private.keras_accuracy:.2%}. The tables above "
        "are the Keras model's." + _refused_sentence(runtime.quantization_refused),
        "",
    ]


def _refused_sentence(refused: schema.RuntimeFidelity | None) -> str:
    """Why the int8 file was not shipped ('' when it was, or was not tried)."""
    if refused is None:
        return ""
    return (f" An int8 file was tried and not shipped: on PublicTest it gave the Keras model's label on "
            f"{refused.label_agreement:.1%} of the faces, accuracy {refused.accuracy:.2%} against "
            f"{refused.keras_accuracy:.2%}.")


def _confidence_sentence(temperature: float) -> str:
    """What the fitted temperature says about the raw model's confidence, in one sentence."""
    if temperature < 0.95:
        return "The raw model is under-confident (its probabilities are too flat), so the temperature sharpens them."
    if temperature > 1.05:
        return "The raw model is over-confident, so the temperature softens its probabilities."
    return "The raw model is already close to calibrated."


def write_model_card_results(metrics: Mapping[str, Any], card: Path) -> None:
    """Replace the section between the RESULTS markers of the model card (or fill in after the start marker)."""
    before, marker, rest = card.read_text().partition(RESULTS_START)
    if not marker:
        raise ValueError(f"{card} has no {RESULTS_START} marker")
    _, found, after = rest.partition(RESULTS_END)
    if not found:
        after = rest
    section = results_markdown(parse_model_report(metrics))
    write_text_atomically(card, before + RESULTS_START + "\n" + section + "\n" + RESULTS_END + after)
