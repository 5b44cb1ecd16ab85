"""Generated model-card tables beyond the release's own results: the seed baseline and the resting-face study.

Both are written from ``metrics.json`` (its ``baseline`` and ``resting_calibration`` sections) into the
model card's RESULTS block by ``release.results_markdown``, so every figure in the card has one source.
"""

from __future__ import annotations

from tunex_core.emotions import EMOTION_NAMES

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
