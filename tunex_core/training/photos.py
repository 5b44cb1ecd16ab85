"""Scoring the face model on labelled real photos, the way the app reads a still photo.

A labelled photo set is a folder of images and a CSV with a header ``file,label`` (one row per
photo; ``file`` relative to the folder; ``label`` one of FER-2013's seven emotions, or
``contempt``). Each photo goes through the app's still-photo path: decoded and scaled like an
upload on the Live page (``decode_image(..., fit_side=ANALYSIS_SIDE)``), then
``EmotionPipeline.process_photo``'s steps (a small photo enlarged, the still-photo detector, each face's
crops read and averaged); the **largest** face is the photo's reading.

Two accuracies, because a photo where no face is found is a miss for the user:

- ``accuracy``: right of all labelled (readable) photos: the headline;
- ``accuracy_of_found``: right of the photos where a face was found (the classifier alone).

``contempt`` has no FER-2013 class: by default its photos count as ``disgust``, as FER+ and the
training recipe fold its votes (``contempt="drop"`` leaves them out). The detection step
(``find_photo_faces``) does not depend on the model, so several models can be scored on its crops.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES, NUM_EMOTIONS
from tunex_core.training.evaluation import confusion_matrix
from tunex_core.vision.faces import FACE_SIZE
from tunex_core.vision.images import ANALYSIS_SIDE, ImageError, decode_image, read_image_file

CONTEMPT = "contempt"
CONTEMPT_CHOICES = ("disgust", "drop")
LABELS_COLUMNS = ("file", "label")
MAX_LABELS_BYTES = 16 * 1024 * 1024
SHOWN_PROBLEMS = 3  # rows named in a one-line error; the rest are counted


class PhotoSetError(ValueError):
    """The photo folder or its labels file cannot be used (one line, fit for an ``error:`` message)."""


@dataclass(frozen=True)
class LabelledPhotos:
    """The photos of a labelled set that are scored, with their labels (FER order indices)."""

    directory: Path
    files: tuple[str, ...]
    labels: tuple[int, ...]
    contempt: str  # "disgust": contempt photos count as disgust; "drop": left out
    contempt_photos: int  # photos labelled contempt (folded or left out)


@dataclass(frozen=True)
class PhotoFaces:
    """The detection step: which readable photos have a face, and the crop of each largest face."""

    files: tuple[str, ...]  # readable photos, in the labels file's order
    labels: np.ndarray  # (N,) int, FER order
    found: np.ndarray  # (N,) bool: a face was found
    crops: np.ndarray  # (found, views, 48, 48) uint8: the crops of each photo's largest face, in order
    unreadable: tuple[tuple[str, str], ...]  # (file, reason) of photos that could not be read


@dataclass(frozen=True)
class PhotoClassScores:
    """One emotion's photos: how many, with a face found, read right; recall over all its photos."""

    photos: int
    found: int
    right: int
    recall: float  # right / photos (a photo with no face found is a miss)
    recall_of_found: float | None  # right / found (None without a found face)


@dataclass(frozen=True)
class PhotoEvaluation:
    """A model's score on a labelled photo set (the still-photo path, largest face)."""

    photos: int  # readable labelled photos scored
    found: int  # photos where a face was found
    right: int  # photos whose largest face was read as the label
    accuracy: float  # right / photos: the headline
    accuracy_of_found: float | None  # right / found
    per_class: dict[str, PhotoClassScores]
    confusion: list[list[int]]  # photos with a face: rows = label, columns = reading (FER order)
    unreadable: tuple[tuple[str, str], ...]
    contempt: str
    contempt_photos: int
    predicted: tuple[str | None, ...]  # the reading of each scored photo (None: no face found)

    @property
    def macro_recall(self) -> float:
        """Mean recall of the emotions with photos (over all photos, misses included)."""
        recalls = [scores.recall for scores in self.per_class.values() if scores.photos]
        return round(float(np.mean(recalls)), 4) if recalls else 0.0

    def to_dict(self) -> dict:
        """JSON-ready summary (per-photo readings left out)."""
        summary = asdict(self)
        summary.pop("predicted")
        summary["unreadable"] = [{"file": name, "reason": reason} for name, reason in self.unreadable]
        summary["macro_recall"] = self.macro_recall
        return summary


def read_labelled_photos(directory: str | Path, labels_file: str | Path, contempt: str = "disgust") -> LabelledPhotos:
    """The photos named by ``labels_file`` in ``directory``; ``PhotoSetError`` with one line if unusable.

    Refused: a missing folder or labels file, a file that is not a ``file,label`` CSV, a row with an
    empty field or an unknown label, a file named twice, a name outside the folder, files that are
    not in the folder, and a set with no photo left.
    """
    if contempt not in CONTEMPT_CHOICES:
        raise ValueError(f"contempt must be one of {', '.join(CONTEMPT_CHOICES)}")
    directory, labels_file = Path(directory).expanduser(), Path(labels_file).expanduser()
    if not directory.is_dir():
        raise PhotoSetError(f"{directory} is not a folder of photos")
    rows = _labels_rows(labels_file)
    files, labels, problems, seen, contempt_photos = [], [], [], set(), 0
    root = directory.resolve()
    for line, name, label in rows:
        if not name or not label:
            problems.append(f"line {line}: empty {'file' if not name else 'label'}")
            continue
        label = label.lower()
        if label != CONTEMPT and label not in EMOTION_NAMES:
            problems.append(f"line {line}: unknown label {label!r}")
            continue
        if name in seen:
            problems.append(f"line {line}: {name} is named twice")
            continue
        seen.add(name)
        if not (directory / name).resolve().is_relative_to(root):
            problems.append(f"line {line}: {name} is outside {directory}")
            continue
        if label == CONTEMPT:
            contempt_photos += 1
            if contempt == "drop":
                continue
            label = "disgust"
        files.append(name)
        labels.append(EMOTION_NAMES.index(label))
    if problems:
        raise PhotoSetError(f"{labels_file}: {_count(problems, 'bad row')}: {'; '.join(problems[:SHOWN_PROBLEMS])}"
                            f"{' …' if len(problems) > SHOWN_PROBLEMS else ''} (labels: "
                            f"{', '.join(EMOTION_NAMES)} or {CONTEMPT})")
    missing = [name for name in files if not (directory / name).is_file()]
    if missing:
        raise PhotoSetError(f"{_count(missing, 'photo')} of {labels_file} not found in {directory}: "
                            f"{', '.join(missing[:SHOWN_PROBLEMS])}{' …' if len(missing) > SHOWN_PROBLEMS else ''}")
    if not files:
        raise PhotoSetError(f"{labels_file} names no photo to score")
    return LabelledPhotos(directory, tuple(files), tuple(labels), contempt, contempt_photos)


def _labels_rows(labels_file: Path) -> list[tuple[int, str, str]]:
    """(line number, file, label) of each data row of a ``file,label`` CSV."""
    if not labels_file.is_file():
        raise PhotoSetError(f"{labels_file} does not exist (a CSV with the columns file,label)")
    if labels_file.stat().st_size > MAX_LABELS_BYTES:
        raise PhotoSetError(f"{labels_file} is larger than {MAX_LABELS_BYTES // 1_048_576} MB; is it a labels CSV?")
    try:
        text = labels_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise PhotoSetError(f"{labels_file} is not UTF-8 text (a CSV with the columns file,label)") from error
    except OSError as error:
        raise PhotoSetError(f"{labels_file}: cannot read it ({error.strerror or error})") from error
    reader = csv.reader(text.splitlines())
    header = [column.strip().lower() for column in next(reader, [])]
    if any(column not in header for column in LABELS_COLUMNS):
        raise PhotoSetError(f"{labels_file} needs a header with the columns file,label (found: "
                            f"{','.join(header) or 'nothing'})")
    file_column, label_column = (header.index(column) for column in LABELS_COLUMNS)
    rows = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * len(header)
        rows.append((line, cells[file_column], cells[label_column]))
    return rows


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def find_photo_faces(pipeline, photos: LabelledPhotos,
                     progress: Callable[[int, int], None] | None = None) -> PhotoFaces:
    """Read every photo as the app reads an upload and keep the crop of its largest face.

    ``pipeline``: an ``EmotionPipeline`` (its still-photo steps and crops are used). A file that cannot
    be decoded is listed in ``unreadable`` with the reason, and not scored; a photo the app refuses to
    analyse (smaller than ``PHOTO_MIN_SIDE`` px) is scored as one where no face was found.
    ``progress(done, total)`` is called after each photo.
    """
    files, labels, found, crops, unreadable = [], [], [], [], []
    for number, (name, label) in enumerate(zip(photos.files, photos.labels, strict=True), start=1):
        try:
            frame = decode_image(read_image_file(photos.directory / name), fit_side=ANALYSIS_SIDE)
        except (ImageError, OSError) as error:
            unreadable.append((name, str(error)))
            if progress is not None:
                progress(number, len(photos.files))
            continue
        try:
            photo = pipeline.still_photo(frame)
        except ValueError:  # the app refuses it (e.g. a few pixels wide): no reading for the user, a miss
            photo, boxes = None, []
        else:
            boxes = pipeline.detect_photo(photo.gray)[:1]  # largest first
        files.append(name)
        labels.append(label)
        found.append(bool(boxes))
        if boxes:
            crops.append(pipeline.crop_photo_boxes(photo.gray, boxes)[0])
        if progress is not None:
            progress(number, len(photos.files))
    return PhotoFaces(
        files=tuple(files), labels=np.asarray(labels, dtype=np.int64), found=np.asarray(found, dtype=bool),
        crops=np.stack(crops) if crops else np.zeros((0, len(pipeline.photo_margins), FACE_SIZE, FACE_SIZE),
                                                     dtype=np.uint8),
        unreadable=tuple(unreadable))


def score_photo_faces(faces: PhotoFaces, probabilities: np.ndarray, contempt: str = "disgust",
                      contempt_photos: int = 0) -> PhotoEvaluation:
    """Score a model's probabilities (found faces, 7) for ``faces.crops`` against the photos' labels."""
    probabilities = np.asarray(probabilities)
    if probabilities.shape != (len(faces.crops), NUM_EMOTIONS):
        raise ValueError(f"need ({len(faces.crops)}, {NUM_EMOTIONS}) probabilities, one row per found face; "
                         f"got {probabilities.shape}")
    if not len(faces.labels):
        raise ValueError("no readable photo to score")
    predicted = np.full(len(faces.labels), -1, dtype=np.int64)
    predicted[faces.found] = probabilities.argmax(axis=1)
    right = predicted == faces.labels
    per_class = {}
    for index, name in enumerate(EMOTION_NAMES):
        members = faces.labels == index
        count, found_count, right_count = int(members.sum()), int((members & faces.found).sum()), int(right[members].sum())
        per_class[name] = PhotoClassScores(
            photos=count, found=found_count, right=right_count,
            recall=round(right_count / count, 4) if count else 0.0,
            recall_of_found=round(right_count / found_count, 4) if found_count else None)
    found_count, right_count = int(faces.found.sum()), int(right.sum())
    return PhotoEvaluation(
        photos=len(faces.labels), found=found_count, right=right_count,
        accuracy=round(right_count / len(faces.labels), 4),
        accuracy_of_found=round(right_count / found_count, 4) if found_count else None,
        per_class=per_class,
        confusion=confusion_matrix(faces.labels[faces.found], predicted[faces.found]).tolist(),
        unreadable=faces.unreadable, contempt=contempt, contempt_photos=contempt_photos,
        predicted=tuple(EMOTION_NAMES[value] if value >= 0 else None for value in predicted))


def evaluate_photos(pipeline, photos: LabelledPhotos, faces: PhotoFaces | None = None) -> PhotoEvaluation:
    """``pipeline``'s score on ``photos`` (detection reused from ``faces`` when given): what
    ``process_photo`` would read for each photo's largest face, with the pipeline's test-time augmentation."""
    faces = faces if faces is not None else find_photo_faces(pipeline, photos)
    probabilities = pipeline.classify_photo_crops(faces.crops)
    return score_photo_faces(faces, probabilities, photos.contempt, photos.contempt_photos)


def photo_report_lines(evaluation: PhotoEvaluation, name: str = "photos") -> list[str]:
    """The evaluation as text: headline, per-class table and confusion matrix (``evaluate --photos``)."""
    found_share = evaluation.found / evaluation.photos
    of_found = (f"; {evaluation.accuracy_of_found:.2%} of the {evaluation.found} found faces"
                if evaluation.accuracy_of_found is not None else "")
    contempt = (f"; {evaluation.contempt_photos} contempt photo(s) "
                + ("counted as disgust" if evaluation.contempt == "disgust" else "left out")
                if evaluation.contempt_photos else "")
    lines = [f"{name}: {evaluation.photos} labelled photos, a face found in {evaluation.found} ({found_share:.1%}); "
             f"right (largest face): {evaluation.right}, {evaluation.accuracy:.2%} of all labelled photos{of_found}; "
             f"macro recall {evaluation.macro_recall:.2%}{contempt}"]
    if evaluation.unreadable:
        lines.append(f"{len(evaluation.unreadable)} photo(s) could not be read and were not scored: " + "; ".join(
            f"{file}: {reason}" for file, reason in evaluation.unreadable[:SHOWN_PROBLEMS])
            + (" …" if len(evaluation.unreadable) > SHOWN_PROBLEMS else ""))
    lines.append(f"{'class':<10}{'photos':>7}{'found':>7}{'right':>7}{'recall':>8}{'of found':>10}")
    for label, scores in evaluation.per_class.items():
        of_found_text = f"{scores.recall_of_found:.3f}" if scores.recall_of_found is not None else "-"
        lines.append(f"{label:<10}{scores.photos:>7}{scores.found:>7}{scores.right:>7}{scores.recall:>8.3f}"
                     f"{of_found_text:>10}")
    lines.append("confusion (found faces; rows = label, columns = reading): "
                 + " ".join(f"{label[:3]:>4}" for label in EMOTION_NAMES))
    for label, row in zip(EMOTION_NAMES, evaluation.confusion, strict=True):
        lines.append(f"  {label:<8}" + " ".join(f"{count:>4}" for count in row))
    return lines
