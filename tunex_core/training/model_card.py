"""The model card's generated section: everything between its RESULTS markers, written from ``metrics.json``.

``write_model_card_results`` replaces that section each time a command writes ``metrics.json``
(``release``, ``export``, ``record-baseline``, ``bench/calibration_study.py --record``), so every
figure in the card has one source: the recipe and its reproducing commands, the results per split,
calibration, latency, the LiteRT file's fidelity, the comparisons, the seed baseline and the
resting-face study.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from tunex_core.emotions import EMOTION_NAMES
from tunex_core.files import write_text_atomically
from tunex_core.training.recipes import DISTILL_MODES
from tunex_core.training.release import TTA_DESCRIPTIONS
from tunex_core.vision.inference import TTA_VIEWS

TUNEX_CORRECTION = "TuneX (shipped code)"
NAIVE_CORRECTION = "divide (naive prior shift)"


def baseline_lines(metrics: dict) -> list[str]:
    """The card's comparison with the recorded seed-architecture baseline ([] when none is recorded)."""
    baseline = metrics.get("baseline")
    if not baseline or not _complete(baseline.get("evaluations")) or not _complete(metrics.get("evaluations")):
        return []
    model, ours, theirs = metrics["model"], metrics["evaluations"], baseline["evaluations"]

    def accuracy(evaluations: dict, variant: str) -> str:
        return (f"{evaluations['private_test'][variant]['accuracy']:.2%} "
                f"({evaluations['public_test'][variant]['accuracy']:.2%})")

    def recalls(evaluations: dict) -> str:
        per_class = evaluations["private_test"]["tta"]["per_class"]
        return " / ".join(f"{per_class[name]['recall'] * 100:.1f}" for name in EMOTION_NAMES)

    return [
        "",
        "## Against the seed architecture",
        "",
        f"The seed projects' network ({baseline['name']}) trained on the same data with the same augmentation, "
        "schedule and PublicTest epoch choice (`python -m tunex_core record-baseline`):",
        "",
        f"| PrivateTest (PublicTest) | seed, {baseline['parameters'] / 1e6:.2f}M parameters | "
        f"TuneX, {model['parameters'] / 1e6:.2f}M parameters |",
        "|---|---|---|",
        f"| plain | {accuracy(theirs, 'plain')} | **{accuracy(ours, 'plain')}** |",
        f"| flip TTA (what the app runs) | {accuracy(theirs, 'tta')} | **{accuracy(ours, 'tta')}** |",
        f"| macro F1, flip TTA | {theirs['private_test']['tta']['macro_f1']:.3f} | "
        f"**{ours['private_test']['tta']['macro_f1']:.3f}** |",
        f"| recall with flip TTA: {' / '.join(EMOTION_NAMES)} | {recalls(theirs)} | {recalls(ours)} |",
        f"| training | {baseline['trained_epochs']} epochs, {baseline['training_minutes']} min | "
        f"{model['trained_epochs']} epochs, {model['training_minutes']} min (this run only) |",
    ]


def _complete(evaluations: dict | None) -> bool:
    """Whether ``evaluations`` has both splits with plain and flip-TTA scores and the TTA per-class recall
    (a baseline recorded by hand may have less; the card then keeps only its row in "Compared with")."""
    try:
        return all(evaluations[split][variant]["accuracy"] is not None and "per_class" in evaluations[split]["tta"]
                   for split in ("public_test", "private_test") for variant in ("plain", "tta"))
    except (KeyError, TypeError):
        return False


def _span(values: list[float], signed: bool = False) -> str:
    """``low to high`` in percentage points (``+`` sign when ``signed``), or one value when they agree."""
    low, high = min(values) * 100, max(values) * 100
    style = "{:+.1f}" if signed else "{:.1f}"
    return style.format(low) if f"{low:.1f}" == f"{high:.1f}" else f"{style.format(low)} to {style.format(high)}"


def resting_calibration_lines(metrics: dict) -> list[str]:
    """The card's summary of the recorded resting-face calibration runs ([] when none is recorded)."""
    runs = [run for run in metrics.get("resting_calibration") or [] if run.get("scenarios")]
    if not runs:
        return []
    scenario_names = [scenario["name"] for scenario in runs[0]["scenarios"]]
    rows = []
    for name in scenario_names:
        uncorrected, gains, naive_gains, reads_neutral = [], [], [], []
        for run in runs:
            scenario = next((item for item in run["scenarios"] if item["name"] == name), None)
            if scenario is None:
                continue
            corrections = {correction["name"]: correction for correction in scenario["corrections"]}
            uncorrected.append(scenario["uncorrected"])
            if TUNEX_CORRECTION in corrections:
                gains.append(corrections[TUNEX_CORRECTION]["balanced_accuracy"] - scenario["uncorrected"])
                reads_neutral.append(corrections[TUNEX_CORRECTION]["resting_reads_neutral"])
            if NAIVE_CORRECTION in corrections:
                naive_gains.append(corrections[NAIVE_CORRECTION]["balanced_accuracy"] - scenario["uncorrected"])
        rows.append(f"| {name} | {_span(uncorrected)}% | {_span(gains, signed=True) if gains else '—'} | "
                    f"{_span(naive_gains, signed=True) if naive_gains else '—'} | "
                    f"{_span(reads_neutral) + '%' if reads_neutral else '—'} |")
    traits = sorted({run["trait"] for run in runs})
    seeds = sorted({run["seed"] for run in runs})
    return [
        "",
        "## Resting-face calibration on simulated people",
        "",
        f"{len(runs)} recorded runs of `python bench/calibration_study.py --record` ({runs[0]['persons']} simulated "
        f"people each, {runs[0].get('backend', 'litert')}; traits {', '.join(f'{trait:g}' for trait in traits)}, "
        f"seeds {', '.join(str(seed) for seed in seeds)}). Balanced accuracy without a correction, and its change in "
        "points with TuneX's correction and with the naive prior shift, lowest to highest across the runs:",
        "",
        "| scenario | no correction | TuneX's correction | naive prior shift (`p / r`) | resting face reads neutral after it |",
        "|---|---|---|---|---|",
        *rows,
    ]


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
    return "\n".join(lines + real_faces_lines(metrics) + baseline_lines(metrics) + resting_calibration_lines(metrics))


def real_faces_lines(metrics: dict) -> list[str]:
    """The generated section on the crowd's labels and real photos ([] when metrics.json has neither)."""
    crowd, photos = metrics.get("crowd"), metrics.get("real_photos")
    if not crowd and not photos:
        return []
    lines = ["", "## Beyond FER-2013's labels: the crowd and real photos"]
    if crowd:
        lines += ["", "| split | FER-2013's labels, flip TTA | the FER+ crowd's majority, flip TTA | faces the crowd labelled |",
                  "|---|---|---|---|"]
        for split_key, name in (("public_test", "PublicTest (selection)"), ("private_test", "PrivateTest (held out)")):
            if split_key not in crowd:
                continue
            fer = (metrics.get("evaluations", {}).get(split_key, {}).get("tta") or {}).get("accuracy")
            lines.append(f"| {name} | {fer:.2%} | {crowd[split_key]['accuracy']:.2%} | {crowd[split_key]['n']:,} |"
                         if fer is not None else
                         f"| {name} | – | {crowd[split_key]['accuracy']:.2%} | {crowd[split_key]['n']:,} |")
        private = crowd.get("private_test") or crowd.get("public_test")
        lines += ["", "The crowd: FER+ (Barsoum et al. 2016), 10 annotators per face. A face's label is the emotion "
                  "most of them chose once single votes are dropped; faces the crowd calls unknown or not a face are "
                  "left out, contempt counts as disgust (as in training), and a tie goes to the emotion that comes "
                  f"first in FER-2013's order ({private['ties']} tied faces of {private['n']:,})."
                  + (f" Measured by `{crowd['command']}`." if crowd.get("command") else "")]
    if photos:
        share = photos["found"] / photos["photos"]
        of_found = (f", {photos['accuracy_of_found']:.2%} of the {photos['found']} photos with a face found"
                    if photos.get("accuracy_of_found") is not None else "")
        recall = " / ".join(f"{scores['recall'] * 100:.1f}" for scores in photos["per_class"].values())
        counts = " / ".join(str(scores["photos"]) for scores in photos["per_class"].values())
        contempt = (f" Its {photos['contempt_photos']} contempt photos count as disgust."
                    if photos.get("contempt_photos") and photos.get("contempt") == "disgust" else "")
        reading = "largest face, flip TTA"
        if photos.get("margins") and photos.get("enlarged_side"):
            margins = " and ".join(f"{margin:g}" for margin in photos["margins"])
            reading = (f"a photo under {photos['enlarged_side']} px enlarged to it, the largest face read from its crops "
                       f"at margin{'s' if len(photos['margins']) > 1 else ''} {margins}"
                       f"{', averaged' if len(photos['margins']) > 1 else ''}, each with flip TTA")
        lines += ["", f"Real photos ({photos['set']}): {photos['photos']} labelled photos read as the app reads a still "
                  f"photo ({photos.get('backend') or 'the shipped file'}; {reading}). A face was found in "
                  f"{photos['found']} ({share:.1%}); the reading was right for **{photos['accuracy']:.2%} of all the "
                  f"photos**{of_found} (a photo with no face found counts as a miss).{contempt} Recall per emotion, "
                  f"{' / '.join(photos['per_class'])}: {recall} (photos: {counts})."
                  + (f" Measured by `{photos['command']}`." if photos.get("command") else "")]
    return lines


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
