"""The schema of ``models/metrics.json``, defined once: the typed sections it holds.

The emotion engine writes the file (``tunex_core.training``: ``evaluate_probabilities`` returns an
``Evaluation`` and writes its ``to_dict()``); its two readers, the Model page and the model card
(``tunex_core.training.model_card``), read it back into the same types through one parser
(``tunex_core.report.metrics_validation.parse_model_report``). A test checks that what one writes the other
reads unchanged.
Sections written only by ``training`` as plain dictionaries (model, latency, anchors, experiments, the
resting-face study) are typed here as the reader sees them; the crowd and real-photo sections are in
``tunex_core.report.real_faces``.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

from tunex_core.report.real_faces import CrowdFigures, PhotoFigures

SPLIT_NAMES: dict[str, str] = {"public_test": "PublicTest", "private_test": "PrivateTest"}
VARIANT_NAMES: dict[str, str] = {"plain": "plain", "tta": "flip TTA", "tta_shift": "flip+shift TTA"}
# What each test-time augmentation averages, in words: tunex_core.vision.inference.TTA_VIEWS (report may not
# import vision; a test keeps the two equal).
TTA_VIEWS: dict[str | None, str] = {
    None: "one view of the face", "flip": "the face and its mirror image",
    "shift": "the face and its mirror image, each also shifted by 2 px in four directions (10 views)"}
# Column titles of the perturbed PublicTest copies experiments are scored on (tunex_core.training.perturb), in
# table order.
ROBUSTNESS_NAMES: dict[str, str] = {"rotate": "rotated ±15°", "dark": "darkened", "blur": "blurred",
                                    "jpeg": "JPEG quality 20", "occlude": "mouth covered"}


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram: per confidence bin, the mean confidence and the accuracy."""

    bin_edges: tuple[float, ...]
    accuracy: tuple[float | None, ...]
    confidence: tuple[float | None, ...]
    count: tuple[int, ...]

    @property
    def bin_centres(self) -> tuple[float, ...]:
        """The middle of each confidence bin."""
        return tuple((low + high) / 2 for low, high in itertools.pairwise(self.bin_edges))


@dataclass(frozen=True)
class Evaluation:
    """The scores of one model variant on one split; only ``accuracy`` is required."""

    accuracy: float
    n: int | None = None
    macro_f1: float | None = None
    per_class: dict[str, ClassMetrics] | None = None
    confusion: tuple[tuple[int, ...], ...] | None = None
    ece: float | None = None
    reliability: Reliability | None = None
    negative_log_likelihood: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: ``metrics.json``'s entry for one split and variant, and ``evaluate --json``."""
        return asdict(self)


@dataclass(frozen=True)
class EvaluationKey:
    """Which evaluation: a split (``public_test``/``private_test``) and a variant (``plain``/``tta``)."""

    split: str
    variant: str

    @property
    def display_name(self) -> str:
        """E.g. ``PrivateTest · TTA``."""
        return f"{SPLIT_NAMES.get(self.split, self.split)} · {VARIANT_NAMES.get(self.variant, self.variant)}"


@dataclass(frozen=True)
class TrainingRecipe:
    """``model.hyperparameters``: the training run's options (its ``TrainConfig``) that the model card states.

    Values are kept as the file writes them (an int stays an int), so the card prints them unchanged; an option
    the file lacks is None, or the training default named here.
    """

    epochs: int | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    learning_rate: float | None = None
    weight_decay: float | None = None
    warmup_epochs: int | None = None
    label_smoothing: float | None = None
    mixed_precision: bool = True
    seed: int | None = None
    architecture: str = "tunex"
    augment: dict[str, float | bool] | None = None  # augmentation name -> strength (or on/off), in file order
    votes_file: str | None = None  # FER+ vote distributions as soft targets
    votes_weight: float = 1.0
    contempt: str = "disgust"
    teachers: tuple[str, ...] = ()  # distillation teachers' model files
    distill_weight: float | None = None
    distill_temperature: float | None = None
    distill_mode: str = "online"
    init_model: str | None = None  # the model whose weights training started from


@dataclass(frozen=True)
class Interpolation:
    """Shipped weights mixed in weight space: ``(1 - share) · base + share · this run``."""

    base: str
    share: float


@dataclass(frozen=True)
class FinalWeights:
    """``model.final_weights``: which weights of the run were shipped (its ``final.json``)."""

    checkpoints: tuple[str, ...] = ("best.keras",)  # one: that epoch; several: their mean weights
    precise_batch_norm: bool = False  # batch-norm statistics re-estimated on clean training faces
    interpolation: Interpolation | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What was shipped: file, architecture, size and training effort (each may be unknown)."""

    file: str | None = None
    architecture: str | None = None
    parameters: int | None = None
    size_bytes: int | None = None
    trained_epochs: int | None = None
    training_minutes: float | None = None
    tflite_size_bytes: int | None = None
    hyperparameters: TrainingRecipe | None = None
    final_weights: FinalWeights | None = None


@dataclass(frozen=True)
class Calibration:
    """The temperature's effect: PrivateTest's expected calibration error before and after it."""

    private_test_ece_before: float
    private_test_ece_after: float
    fitted_on: str = "public_test"


@dataclass(frozen=True)
class Latency:
    """Inference time per face in milliseconds."""

    backend: str | None = None  # what ran the model: litert, tensorflow
    batch_1_p50: float | None = None  # one view of one face
    batch_1_p95: float | None = None
    batch_8_p50_per_face: float | None = None
    app_p50: float | None = None  # what the app runs per face: every view of its test-time augmentation
    app_p95: float | None = None
    app_tta: str | None = None  # that test-time augmentation (a ``TTA_VIEWS`` key; None: one view)

    @property
    def per_face(self) -> float | None:
        """The median time the app spends on one face (one view's time for files measured before that)."""
        return self.app_p50 if self.app_p50 is not None else self.batch_1_p50

    @property
    def per_face_views(self) -> str:
        """What ``per_face`` times, in words."""
        return TTA_VIEWS[self.app_tta] if self.app_p50 is not None else TTA_VIEWS[None]


@dataclass(frozen=True)
class RuntimeFidelity:
    """How the LiteRT file the app runs compares with the Keras model, on one split (app's TTA)."""

    accuracy: float
    keras_accuracy: float
    label_agreement: float
    max_probability_difference: float


@dataclass(frozen=True)
class Runtime:
    """The LiteRT file the app runs: its quantization and how closely it follows the Keras model."""

    file: str
    quantization: str
    public_test: RuntimeFidelity
    private_test: RuntimeFidelity
    tta: str | None = None  # the test-time augmentation it was measured with (a ``TTA_VIEWS`` key)
    quantization_refused: RuntimeFidelity | None = None  # an int8 file tried and not shipped, on PublicTest


@dataclass(frozen=True)
class Anchor:
    """A reference accuracy to read the model's accuracy against."""

    name: str
    accuracy: float
    note: str = ""


@dataclass(frozen=True)
class Baseline:
    """The model TuneX's CNN replaced, with its own evaluations."""

    name: str
    parameters: int | None
    evaluations: dict[str, dict[str, Evaluation]]
    trained_epochs: int | None = None
    training_minutes: float | None = None


@dataclass(frozen=True)
class FixtureMistake:
    """A confident mistake on the committed test-fixture faces (``index`` into its arrays)."""

    index: int
    true: str
    predicted: str
    confidence: float


@dataclass(frozen=True)
class Experiment:
    """One recipe, ensemble or distilled student scored like the others (``tunex_core experiment``)."""

    name: str
    members: tuple[str, ...]
    parameters: int
    training_minutes: float | None
    recipe: str
    public_plain: float
    public_tta: float
    macro_f1: float
    recall: dict[str, float]
    robustness: dict[str, float]  # flip-TTA accuracy on perturbed copies of PublicTest, by perturbation
    private_tta: float | None
    # flip-TTA accuracy against the FER+ crowd's majority label, by split key (public_test, private_test)
    crowd: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RestingCorrection:
    """One resting-face correction's result in one simulated scenario (``bench/calibration_study.py``)."""

    name: str
    balanced_accuracy: float
    resting_reads_neutral: float  # share of persons whose resting photo reads neutral after the correction
    strong_kept: float  # of the faces read right with confidence >= 0.8 before it, the share still right


@dataclass(frozen=True)
class RestingScenario:
    """One kind of simulated personal bias: balanced accuracy with no correction and with each correction."""

    name: str
    trait: float  # weight of the other face blended into each of the person's faces (0: none)
    uncorrected: float
    corrections: tuple[RestingCorrection, ...]


@dataclass(frozen=True)
class RestingStudyRun:
    """One run of the resting-face calibration study: its seed, trait weight and persons per scenario."""

    trait: float
    seed: int
    persons: int
    scenarios: tuple[RestingScenario, ...]
    backend: str = "litert"  # what ran the model


@dataclass(frozen=True)
class ModelReport:
    """Everything ``metrics.json`` says about the shipped emotion model."""

    labels: tuple[str, ...]
    model: ModelInfo | None
    evaluations: dict[str, dict[str, Evaluation]]
    shipped: EvaluationKey | None
    latency: Latency | None
    anchors: tuple[Anchor, ...]
    baseline: Baseline | None
    fixture_mistakes: tuple[FixtureMistake, ...] | None
    temperature: float | None
    experiments: tuple[Experiment, ...] = ()
    runtime: Runtime | None = None
    resting_study: tuple[RestingStudyRun, ...] = ()
    crowd: CrowdFigures | None = None  # the held-out splits against the FER+ crowd (report.real_faces)
    real_photos: PhotoFigures | None = None  # a labelled real-photo set through the app's photo path
    calibration: Calibration | None = None
    latency_tensorflow: Latency | None = None  # the Keras model under TensorFlow, for comparison

    def evaluation(self, key: EvaluationKey) -> Evaluation | None:
        """The evaluation for ``key``, or ``None`` when the file has none."""
        return self.evaluations.get(key.split, {}).get(key.variant)

    def evaluation_keys(self) -> list[EvaluationKey]:
        """Every evaluation in the file, PrivateTest first, plain before TTA."""
        split_order = ["private_test", "public_test"]
        variant_order = ["tta_shift", "tta", "plain"]

        def rank(name: str, order: list[str]) -> tuple[int, str]:
            return (order.index(name) if name in order else len(order), name)

        keys = [EvaluationKey(split, variant)
                for split, variants in self.evaluations.items() for variant in variants]
        return sorted(keys, key=lambda key: (rank(key.split, split_order), rank(key.variant, variant_order)))

    def headline_key(self) -> EvaluationKey | None:
        """The evaluation to lead with: the shipped one if present, else PrivateTest, else any."""
        if self.shipped is not None and self.evaluation(self.shipped) is not None:
            return self.shipped
        keys = self.evaluation_keys()
        return keys[0] if keys else None
