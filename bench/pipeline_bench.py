"""Per-frame latency of the emotion pipeline and Haar detection recall on synthetic frames.

Latency: p50/p95 of ``EmotionPipeline.process`` (detect + crop + classify), with and
without ``draw_faces``, for 640x480 frames with 0, 1 and 3 faces and a 1280x720 frame
with 1 face; beside it, the Haar cascade alone on the full 640x480 gray frame at
scaleFactor 1.1 (the anchor, ~25 ms on the idle reference machine) against the
product's downscaled ``FaceDetector``.

Each timed call is followed by a timed call of the anchor, and the median of the
per-pair ratios, times 25 ms, is reported as ``@25``: the latency on the reference
machine with no other load. On a busy machine (a training job, a browser test run)
the raw wall-clock numbers swing by 2-10x; the ``@25`` column does not.

Recall: the share of pasted faces found on synthetic 640x480 frames. The face of
``tests/fixtures/face.jpg`` is resized so that its face box is a random 150-260 px
wide, blended in at a random position onto one of four backgrounds (plain, gradient,
noise, a blurred collage of FER-2013 faces), brightness -25%..+15%; a face counts as
found when some detected box has IoU >= 0.4 with it. Boxes matching no pasted face
are counted separately for the collage (whose blurred faces are still faces) and the
other backgrounds (true false positives). A second set with 60-150 px faces is
reported for information (far-away faces; not a target).

    python bench/pipeline_bench.py [--backend auto|tensorflow|litert] [--iterations 200]
        [--detection-width 256] [--scale-factor 1.1] [--min-neighbors 5] [--min-face-fraction 0.12]
        [--threads N] [--sweep | --sweep-only] [--sweep-widths 256 320] [--sweep-scales 1.1 1.15 1.2]
        [--sweep-fractions 0.08 0.12] [--sweep-neighbors 3 5]

``--sweep`` also measures recall and detection latency for a grid of FaceDetector
settings and lists those meeting both targets (p50 <= 10 ms @25 for 640x480 with one
face, recall >= 90% on 150-260 px faces).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tunex_core.paths import FIXTURE_FACES_FILE, TESTS_FIXTURES_DIR
from tunex_core.vision.drawing import draw_faces
from tunex_core.vision.faces import FaceDetector, to_gray
from tunex_core.vision.pipeline import EmotionPipeline

FACE_PHOTO = TESTS_FIXTURES_DIR / "face.jpg"
PHOTO_FACE_BOX = (137, 68, 93, 93)  # where Haar finds the face in face.jpg (x, y, w, h)
CONTEXT = 0.25  # context pasted around the face box, as a fraction of its width
FEATHER = 0.12  # share of the patch side over which it is blended into the background
RECALL_WIDTHS = (150, 260)
SMALL_WIDTHS = (60, 150)
IOU_FOUND = 0.4
BACKGROUNDS = ("plain", "gradient", "noise", "fer-collage")
TARGET_P50_MS = 10.0
TARGET_RECALL = 0.90
# The anchor: OpenCV's Haar cascade on the full 640x480 gray frame at scaleFactor 1.1 (minNeighbors 5,
# minSize 30 px), ~25 ms on the idle reference 2-core machine.
ANCHOR_MS = 25.0


# --- synthetic frames -----------------------------------------------------------------------------

class FaceSource:
    """Pastes the face of face.jpg, at a chosen face-box width, onto frames."""

    def __init__(self) -> None:
        photo = cv2.imread(str(FACE_PHOTO), cv2.IMREAD_COLOR)
        if photo is None:
            raise SystemExit(f"cannot read {FACE_PHOTO}")
        x, y, w, h = PHOTO_FACE_BOX
        pad = round(CONTEXT * w)
        self.patch = photo[y - pad: y + h + pad, x - pad: x + w + pad].astype(np.float32)
        self.box_width = w
        self.pad = pad

    def paste(self, frame: np.ndarray, x: int, y: int, width: int, gain: float = 1.0) -> tuple[int, int, int, int]:
        """Blend the face so that its box is (x, y, width, width); return that box."""
        scale = width / self.box_width
        side = round(self.patch.shape[0] * scale)
        patch = cv2.resize(self.patch, (side, side), interpolation=cv2.INTER_AREA) * gain
        ramp = np.clip(np.minimum(np.arange(side), np.arange(side)[::-1]) / max(1.0, FEATHER * side), 0.0, 1.0)
        alpha = np.minimum.outer(ramp, ramp)[..., None]
        offset = round(self.pad * scale)
        top, left = y - offset, x - offset
        region = frame[top: top + side, left: left + side].astype(np.float32)
        frame[top: top + side, left: left + side] = np.clip(alpha * patch + (1 - alpha) * region, 0, 255).astype(np.uint8)
        return x, y, width, width

    def patch_side(self, width: int) -> int:
        return round(self.patch.shape[0] * width / self.box_width)

    def offset(self, width: int) -> int:
        return round(self.pad * width / self.box_width)


def background(kind: str, width: int, height: int, rng: np.random.Generator, fer_faces: np.ndarray) -> np.ndarray:
    """A BGR uint8 background of the given kind."""
    if kind == "plain":
        colour = rng.integers(30, 226, 3)
        return np.broadcast_to(colour.astype(np.uint8), (height, width, 3)).copy()
    if kind == "gradient":
        start, stop = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        angle = rng.uniform(0, 2 * np.pi)
        xs, ys = np.meshgrid(np.linspace(0, 1, width), np.linspace(0, 1, height))
        t = (np.cos(angle) * xs + np.sin(angle) * ys)
        t = (t - t.min()) / (t.max() - t.min())
        return (start + t[..., None] * (stop - start)).astype(np.uint8)
    if kind == "noise":
        noise = rng.integers(0, 256, (height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
        noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_LINEAR)  # 4-px grain
        return cv2.addWeighted(noise, 0.6, np.full_like(noise, 110), 0.4, 0)
    if kind == "fer-collage":
        tile = int(rng.integers(96, 161))
        rows, columns = height // tile + 1, width // tile + 1
        picks = rng.integers(0, len(fer_faces), rows * columns)
        tiles = [cv2.resize(fer_faces[i], (tile, tile), interpolation=cv2.INTER_LINEAR) for i in picks]
        collage = np.vstack([np.hstack(tiles[r * columns: (r + 1) * columns]) for r in range(rows)])[:height, :width]
        collage = cv2.GaussianBlur(collage, (0, 0), sigmaX=tile / 24)
        tint = rng.uniform(0.7, 1.1, 3)
        return np.clip(collage[..., None] * tint, 0, 255).astype(np.uint8)
    raise ValueError(kind)


def latency_frame(source: FaceSource, width: int, height: int, face_widths: tuple[int, ...]) -> np.ndarray:
    """A gradient-and-grain frame with faces laid out left to right."""
    rng = np.random.default_rng(width)  # the same background whatever the number of faces
    frame = background("gradient", width, height, rng, np.zeros((1, 48, 48), np.uint8))
    frame = cv2.add(frame, rng.integers(0, 12, frame.shape, dtype=np.uint8))
    slot = width // max(1, len(face_widths))
    for index, face_width in enumerate(face_widths):
        side = source.patch_side(face_width)
        left = max(0, index * slot + (slot - side) // 2)
        top = (height - side) // 2
        source.paste(frame, left + source.offset(face_width), top + source.offset(face_width), face_width)
    return frame


def recall_frames(source: FaceSource, count: int, seed: int, fer_faces: np.ndarray,
                  widths: tuple[int, int] = RECALL_WIDTHS) -> list[tuple[str, np.ndarray, tuple[int, int, int, int]]]:
    """``count`` 640x480 frames, each with one face ``widths`` px wide at a random position.

    Backgrounds cycle through ``BACKGROUNDS``; the face's brightness varies by -25%..+15%.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for index in range(count):
        kind = BACKGROUNDS[index % len(BACKGROUNDS)]
        frame = background(kind, 640, 480, rng, fer_faces)
        face_width = int(rng.integers(widths[0], widths[1] + 1))
        side, offset = source.patch_side(face_width), source.offset(face_width)
        left, top = int(rng.integers(0, 640 - side + 1)), int(rng.integers(0, 480 - side + 1))
        gain = float(rng.uniform(0.75, 1.15))  # lighting
        box = source.paste(frame, left + offset, top + offset, face_width, gain)
        frames.append((kind, frame, box))
    return frames


def iou(first, second) -> float:
    ax, ay, aw, ah = first
    bx, by, bw, bh = second
    inter = max(0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0, min(ay + ah, by + bh) - max(ay, by))
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


# --- measurement ----------------------------------------------------------------------------------

@dataclass
class Timing:
    p50: float  # wall-clock milliseconds (time.perf_counter)
    p95: float
    cpu_p50: float  # CPU milliseconds of this process, all threads (time.process_time)
    ratio_p50: float | None = None  # median of (call / following anchor call), when timed against the anchor
    anchor_p50: float | None = None

    @property
    def scaled_p50(self) -> float | None:
        """p50 on the reference machine (anchor = ``ANCHOR_MS``), other load cancelled out."""
        return self.ratio_p50 * ANCHOR_MS if self.ratio_p50 is not None else None


def time_call(function, iterations: int, warmup: int, reference=None) -> Timing:
    """Wall p50/p95 and CPU p50, in milliseconds, of ``function()`` over ``iterations`` calls after ``warmup``.

    With ``reference`` (the anchor), every call is followed by a timed call of ``reference``; both see
    the same machine load, so the median ratio is stable even when the raw times are not.
    """
    for _ in range(warmup):
        function()
        if reference is not None:
            reference()
    wall, cpu, anchor = np.empty(iterations), np.empty(iterations), np.empty(iterations)
    for index in range(iterations):
        cpu_started, started = time.process_time(), time.perf_counter()
        function()
        wall[index] = (time.perf_counter() - started) * 1000.0
        cpu[index] = (time.process_time() - cpu_started) * 1000.0
        if reference is not None:
            started = time.perf_counter()
            reference()
            anchor[index] = (time.perf_counter() - started) * 1000.0
    timing = Timing(float(np.percentile(wall, 50)), float(np.percentile(wall, 95)), float(np.percentile(cpu, 50)))
    if reference is not None:
        timing.ratio_p50 = float(np.median(wall / anchor))
        timing.anchor_p50 = float(np.percentile(anchor, 50))
    return timing


@dataclass
class RecallResult:
    recall: float
    found: int
    total: int
    by_background: dict[str, float]
    other_boxes: dict[str, int]  # boxes matching no pasted face, per background
    missed_widths: list[int]

    @property
    def false_positives(self) -> int:
        """Boxes matching no face on the backgrounds that hold no other face (all but the collage)."""
        return sum(count for kind, count in self.other_boxes.items() if kind != "fer-collage")


def measure_recall(detector: FaceDetector, frames) -> RecallResult:
    found = 0
    per_kind: dict[str, list[bool]] = {kind: [] for kind in BACKGROUNDS}
    other = dict.fromkeys(BACKGROUNDS, 0)
    missed = []
    for kind, frame, box in frames:
        boxes = detector.detect(frame)
        hit = any(iou(candidate, box) >= IOU_FOUND for candidate in boxes)
        found += hit
        per_kind[kind].append(hit)
        other[kind] += sum(iou(candidate, box) < IOU_FOUND for candidate in boxes)
        if not hit:
            missed.append(box[2])
    return RecallResult(found / len(frames), found, len(frames),
                        {kind: float(np.mean(hits)) for kind, hits in per_kind.items() if hits}, other, sorted(missed))


def describe(detector: FaceDetector) -> str:
    return (f"detection_width={detector.detection_width}, scale_factor={detector.scale_factor}, "
            f"min_neighbors={detector.min_neighbors}, min_face_fraction={detector.min_face_fraction}")


# --- main -----------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("auto", "tensorflow", "litert"), default="auto")
    parser.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    parser.add_argument("--iterations", type=int, default=200, help="timed calls per row (default 200, at least 100)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--recall-faces", type=int, default=240, help="synthetic 150-260 px faces (default 240)")
    parser.add_argument("--small-faces", type=int, default=120, help="synthetic 60-150 px faces (default 120)")
    parser.add_argument("--seed", type=int, default=2026)
    defaults = FaceDetector.__dataclass_fields__
    parser.add_argument("--detection-width", type=int, default=defaults["detection_width"].default)
    parser.add_argument("--scale-factor", type=float, default=defaults["scale_factor"].default)
    parser.add_argument("--min-neighbors", type=int, default=defaults["min_neighbors"].default)
    parser.add_argument("--min-face-fraction", type=float, default=defaults["min_face_fraction"].default)
    parser.add_argument("--threads", type=int, default=None, help="cv2.setNumThreads (default: OpenCV's own)")
    parser.add_argument("--sweep", action="store_true", help="also try a grid of FaceDetector settings")
    parser.add_argument("--sweep-only", action="store_true",
                        help="only the sweep (times the default pipeline with one face as its reference)")
    parser.add_argument("--sweep-widths", type=int, nargs="+", default=[256, 320])
    parser.add_argument("--sweep-scales", type=float, nargs="+", default=[1.1, 1.15, 1.2])
    parser.add_argument("--sweep-fractions", type=float, nargs="+", default=[0.08, 0.12])
    parser.add_argument("--sweep-neighbors", type=int, nargs="+", default=[3, 5])
    arguments = parser.parse_args()
    if arguments.iterations < 100:
        parser.error("--iterations must be at least 100")
    if arguments.recall_faces < 200:
        parser.error("--recall-faces must be at least 200")

    if arguments.threads is not None:
        cv2.setNumThreads(arguments.threads)
    detector = FaceDetector(detection_width=arguments.detection_width, scale_factor=arguments.scale_factor,
                            min_neighbors=arguments.min_neighbors, min_face_fraction=arguments.min_face_fraction)
    pipeline = EmotionPipeline.load(arguments.model, backend=arguments.backend, detector=detector)
    source = FaceSource()
    with np.load(FIXTURE_FACES_FILE) as archive:
        fer_faces = archive["faces"]

    print(f"TuneX pipeline benchmark: backend {pipeline.classifier.backend}; {arguments.iterations} iterations per row "
          f"after {arguments.warmup} warm-up calls; {os.cpu_count()} CPUs ({platform.machine()}); "
          f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads")
    print(f"FaceDetector({describe(detector)})")
    with contextlib.suppress(OSError):
        print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}", flush=True)

    rows = [
        ("640x480, 0 faces", latency_frame(source, 640, 480, ())),
        ("640x480, 1 face", latency_frame(source, 640, 480, (180,))),
        ("640x480, 3 faces", latency_frame(source, 640, 480, (130, 110, 90))),
        ("1280x720, 1 face", latency_frame(source, 1280, 720, (300,))),
    ]
    anchor_gray = to_gray(rows[1][1])
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"))

    def anchor() -> None:
        cascade.detectMultiScale(anchor_gray, scaleFactor=1.1, minNeighbors=5, minSize=(30, 30))

    iterations, warmup = arguments.iterations, arguments.warmup
    scaled = f"@{ANCHOR_MS:.0f}"
    if arguments.sweep_only:
        frame = rows[1][1]
        one_face = time_call(lambda: pipeline.process(frame), iterations, warmup, reference=anchor)
        product = time_call(lambda: detector.detect(frame), iterations, warmup, reference=anchor)
        print(f"reference, 640x480 with 1 face: pipeline p50 {one_face.p50:.2f} ms ({one_face.scaled_p50:.2f} {scaled}), "
              f"detect p50 {product.p50:.2f} ms ({product.scaled_p50:.2f} {scaled})", flush=True)
        frames = recall_frames(source, arguments.recall_faces, arguments.seed, fer_faces)
        small = recall_frames(source, arguments.small_faces, arguments.seed + 1, fer_faces, SMALL_WIDTHS)
        sweep(arguments, frames, small, frame, one_face, product, anchor)
        return 0
    print()
    print(f"per-frame latency, ms: wall clock (perf_counter); '{scaled}' = median(call / anchor call) x {ANCHOR_MS:.0f} ms")
    print(f"{'frame':<18}{'faces':>6}{'p50':>8}{'p95':>8}{'+draw p50':>11}{'+draw p95':>11}{'anchor':>8}"
          f"{'p50 ' + scaled:>9}{'+draw ' + scaled:>10}")
    one_face = None
    for name, frame in rows:
        found = len(pipeline.process(frame))
        plain = time_call(lambda frame=frame: pipeline.process(frame), iterations, warmup, reference=anchor)
        drawn = time_call(lambda frame=frame: draw_faces(frame, pipeline.process(frame)), iterations, warmup,
                          reference=anchor)
        print(f"{name:<18}{found:>6}{plain.p50:>8.2f}{plain.p95:>8.2f}{drawn.p50:>11.2f}{drawn.p95:>11.2f}"
              f"{plain.anchor_p50:>8.2f}{plain.scaled_p50:>9.2f}{drawn.scaled_p50:>10.2f}", flush=True)
        if name == "640x480, 1 face":
            one_face = plain

    # detection alone: the anchor (full-frame Haar at 1.1) against the product's downscaled detector
    frame = rows[1][1]
    anchor_alone = time_call(anchor, iterations, warmup)
    product = time_call(lambda: detector.detect(frame), iterations, warmup, reference=anchor)
    print()
    print(f"{'detection only, 640x480 with 1 face':<44}{'p50':>8}{'p95':>8}{'cpu p50':>9}{'p50 ' + scaled:>9}{'faces':>7}")
    print(f"{'Haar full frame, scaleFactor 1.1 (anchor)':<44}{anchor_alone.p50:>8.2f}{anchor_alone.p95:>8.2f}"
          f"{anchor_alone.cpu_p50:>9.2f}{ANCHOR_MS:>9.2f}"
          f"{len(cascade.detectMultiScale(anchor_gray, scaleFactor=1.1, minNeighbors=5, minSize=(30, 30))):>7}")
    print(f"{'FaceDetector.detect (product, downscaled)':<44}{product.p50:>8.2f}{product.p95:>8.2f}"
          f"{product.cpu_p50:>9.2f}{product.scaled_p50:>9.2f}{len(detector.detect(frame)):>7}", flush=True)

    frames = recall_frames(source, arguments.recall_faces, arguments.seed, fer_faces)
    small = recall_frames(source, arguments.small_faces, arguments.seed + 1, fer_faces, SMALL_WIDTHS)
    result, small_result = measure_recall(detector, frames), measure_recall(detector, small)
    print()
    print(f"detection recall, faces {RECALL_WIDTHS[0]}-{RECALL_WIDTHS[1]} px wide on 640x480 (IoU >= {IOU_FOUND}): "
          f"{result.recall:.1%} ({result.found}/{result.total}); false positives (plain/gradient/noise): "
          f"{result.false_positives} in {sum(kind != 'fer-collage' for kind, _, _ in frames)} frames; "
          f"boxes on the collage's blurred faces: {result.other_boxes['fer-collage']}")
    print("  recall by background: " + ", ".join(f"{kind} {value:.1%}" for kind, value in result.by_background.items()))
    if result.missed_widths:
        print(f"  missed face widths: {result.missed_widths}")
    print(f"  for information, faces {SMALL_WIDTHS[0]}-{SMALL_WIDTHS[1]} px: {small_result.recall:.1%} "
          f"({small_result.found}/{small_result.total}); missed widths {small_result.missed_widths}")
    for label, p50 in (("measured", one_face.p50), (scaled, one_face.scaled_p50)):
        meets = p50 <= TARGET_P50_MS and result.recall >= TARGET_RECALL
        print(f"targets (p50 <= {TARGET_P50_MS:.0f} ms for 640x480 with one face, recall >= {TARGET_RECALL:.0%}) "
              f"with the {label} p50 {p50:.2f} ms: {'met' if meets else 'NOT met'}")
    with contextlib.suppress(OSError):
        print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}", flush=True)
    if arguments.sweep:
        sweep(arguments, frames, small, frame, one_face, product, anchor)
    return 0


def sweep(arguments, frames, small, frame, one_face: Timing, default_detect: Timing, anchor) -> None:
    """Recall, false positives and detection time (@25) for a grid of detector settings.

    A setting's pipeline p50 is estimated as the measured pipeline p50 plus the difference between
    its detection p50 and the default detector's (cropping and classification do not change).
    """
    widths, scales = arguments.sweep_widths, arguments.sweep_scales
    fractions, neighbours_options = arguments.sweep_fractions, arguments.sweep_neighbors
    scaled = f"@{ANCHOR_MS:.0f}"
    print()
    print(f"sweep: timings {scaled}; 'pipe p50~' = pipeline p50 + (detect p50 - default detect p50); "
          f"FP = false positives on plain/gradient/noise; 'collage' = boxes on the collage's blurred faces")
    print(f"{'width':>6}{'scale':>7}{'minfrac':>8}{'neigh':>6}{'detect':>8}{'pipe p50~':>10}{'recall':>8}{'FP':>4}"
          f"{'collage':>8}{'small':>7}  both targets", flush=True)
    candidates = []
    for width, scale, fraction in itertools.product(widths, scales, fractions):
        timed = FaceDetector(detection_width=width, scale_factor=scale, min_face_fraction=fraction)
        detect = time_call(lambda timed=timed: timed.detect(frame), 100, 5, reference=anchor)
        estimate = one_face.scaled_p50 + detect.scaled_p50 - default_detect.scaled_p50
        for neighbours in neighbours_options:
            detector = FaceDetector(detection_width=width, scale_factor=scale, min_neighbors=neighbours,
                                    min_face_fraction=fraction)
            result, small_result = measure_recall(detector, frames), measure_recall(detector, small)
            ok = estimate <= TARGET_P50_MS and result.recall >= TARGET_RECALL
            candidates.append((ok, result.recall, small_result.recall, result.false_positives,
                               result.other_boxes["fer-collage"], estimate, describe(detector)))
            print(f"{width:>6}{scale:>7.2f}{fraction:>8.2f}{neighbours:>6}{detect.scaled_p50:>8.2f}{estimate:>10.2f}"
                  f"{result.recall:>8.1%}{result.false_positives:>4}{result.other_boxes['fer-collage']:>8}"
                  f"{small_result.recall:>7.1%}  {'yes' if ok else ''}", flush=True)
    good = sorted((c for c in candidates if c[0]), key=lambda c: (-c[1], -c[2], c[3], c[4], c[5]))
    print()
    print("settings meeting both targets, best first (recall, then small-face recall, false positives, "
          "collage boxes, speed):")
    for _, recall, small_recall, false_positives, collage, estimate, text in good[:8]:
        print(f"  {text}: recall {recall:.1%}, small faces {small_recall:.1%}, FP {false_positives}, "
              f"collage boxes {collage}, pipeline p50 ~{estimate:.1f} ms {scaled}")
    if not good:
        print("  none")


if __name__ == "__main__":
    raise SystemExit(main())
