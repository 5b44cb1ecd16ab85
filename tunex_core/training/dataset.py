"""Loading FER-2013 in the three layouts people have it in.

* the Kaggle ``fer2013.csv`` (columns ``emotion``, ``pixels``, ``Usage``);
* the image-folder export (``train/<class>/*.jpg`` and ``test/<class>/*.jpg``,
  file names starting with ``Training_``, ``PublicTest_`` or ``PrivateTest_``);
* an ``.npz`` with ``x_train, y_train, x_val, y_val, x_test, y_test``
  (48x48 uint8 faces, FER label order); an npz holding only ``x_test, y_test``
  is accepted for evaluation.

Splits follow FER-2013's ``Usage``: Training -> train, PublicTest -> val
(model selection), PrivateTest -> test (reported once, never tuned on).
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tunex_core.emotions import EMOTION_NAMES

FACE_SIZE = 48
USAGE_TO_SPLIT = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}
SPLIT_NAMES = ("train", "val", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class DatasetError(ValueError):
    """The data set at the given path is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Split:
    """Faces (N, 48, 48) uint8 and labels (N,) int64 in FER label order."""

    faces: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def spread_sample(self, limit: int | None) -> Split:
        """``limit`` faces drawn evenly across the split, all of it with no limit.

        The shipped splits are sorted by label, so the first N faces of one are a single emotion.
        """
        if limit is not None and limit < 0:
            raise ValueError(f"a sample of {limit} faces; give a positive number")
        if not limit or limit >= len(self):
            return self
        chosen = np.linspace(0, len(self) - 1, limit).round().astype(int)
        return Split(self.faces[chosen], self.labels[chosen])


@dataclass(frozen=True)
class FerDataset:
    """FER-2013 splits; a split absent from the source is ``None``."""

    train: Split | None
    val: Split | None
    test: Split | None
    source: str

    def split(self, name: str) -> Split:
        """Return the split called ``name`` or raise ``DatasetError`` if absent."""
        if name not in SPLIT_NAMES:
            raise DatasetError(f"unknown split {name!r}; choose one of {', '.join(SPLIT_NAMES)}")
        result = getattr(self, name)
        if result is None:
            raise DatasetError(f"{self.source} has no {name!r} split")
        return result


# What a damaged archive raises: np.load and reading a member can fail in any of these ways.
ARCHIVE_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)


def _integer_labels(labels: np.ndarray, where: str) -> np.ndarray:
    """Labels as int64, refusing text, non-integral or non-finite values with a clear message."""
    labels = np.asarray(labels).reshape(-1)
    if labels.dtype.kind in "iub":
        return labels.astype(np.int64)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DatasetError(f"{where}: labels must be whole numbers 0..{len(EMOTION_NAMES) - 1}")
        return labels.astype(np.int64)
    raise DatasetError(f"{where}: labels must be integers 0..{len(EMOTION_NAMES) - 1}, "
                       f"got values of type {labels.dtype}")


def _checked_split(faces: np.ndarray, labels: np.ndarray, where: str) -> Split:
    faces = np.asarray(faces)
    labels = _integer_labels(labels, where)
    if faces.ndim == 4 and faces.shape[-1] == 1:
        faces = faces[..., 0]
    if faces.ndim != 3 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE):
        raise DatasetError(f"{where}: faces must have shape (N, 48, 48), got {faces.shape}")
    if faces.shape[0] != labels.shape[0]:
        raise DatasetError(f"{where}: {faces.shape[0]} faces but {labels.shape[0]} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= len(EMOTION_NAMES)):
        raise DatasetError(f"{where}: labels must be 0..{len(EMOTION_NAMES) - 1}")
    if faces.dtype != np.uint8:
        if faces.dtype.kind not in "iuf":
            raise DatasetError(f"{where}: faces must be numbers (pixels 0..255), got values of type {faces.dtype}")
        if faces.dtype.kind == "f" and not np.all(np.isfinite(faces)):
            bad = int(np.count_nonzero(~np.isfinite(faces).reshape(len(faces), -1).all(axis=1)))
            raise DatasetError(f"{where}: {bad} face(s) contain NaN or infinite pixels")
        if faces.size and (faces.min() < 0 or faces.max() > 255):
            raise DatasetError(f"{where}: pixels must be 0..255 (or 0..1 floats), "
                               f"got {faces.min():g}..{faces.max():g}")
        if faces.dtype.kind == "f" and faces.size and faces.max() <= 1.0:
            faces = faces * 255.0
        faces = np.clip(np.rint(faces), 0, 255).astype(np.uint8)
    return Split(faces=np.ascontiguousarray(faces), labels=labels)


def _dataset_from_lists(faces: dict[str, list[np.ndarray]], labels: dict[str, list[int]], path: Path) -> FerDataset:
    if not any(labels[name] for name in SPLIT_NAMES):
        raise DatasetError(f"{path} holds no faces")
    splits = {
        name: _checked_split(np.stack(faces[name]), np.array(labels[name]), f"{path}[{name}]") if labels[name] else None
        for name in SPLIT_NAMES
    }
    return FerDataset(source=str(path), **splits)


def open_npz(path: Path):
    """``np.load`` an npz without pickles; a damaged, empty or non-npz file raises ``DatasetError``."""
    try:
        with path.open("rb") as file:
            start = file.read(6)
    except OSError as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    if start and not start.startswith((b"PK", b"\x93NUMPY")):
        # numpy would call any other file "pickled (object) data", which sends people the wrong way.
        raise DatasetError(f"cannot read {path}: it is not an npz archive (no zip header)")
    try:
        archive = np.load(path, allow_pickle=False)
    except ARCHIVE_ERRORS as error:
        reason = "the file is empty" if isinstance(error, EOFError) else \
            "the archive is damaged or truncated" if isinstance(error, zipfile.BadZipFile) else str(error)
        raise DatasetError(f"cannot read {path}: {reason}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DatasetError(f"cannot read {path}: it holds a single array, not an npz archive of named arrays")
    return archive


def read_npz_array(archive, key: str, path: Path) -> np.ndarray:
    """One array from an open npz; damaged members and object arrays raise ``DatasetError``."""
    try:
        return archive[key]
    except ARCHIVE_ERRORS as error:  # object arrays (refused without pickle), CRC errors, truncated members
        raise DatasetError(f"{path}[{key}]: cannot read the array ({error})") from error


def load_npz(path: Path) -> FerDataset:
    """Load an npz with any of the ``x_<split>, y_<split>`` pairs."""
    archive = open_npz(path)
    with archive:
        splits: dict[str, Split | None] = {}
        for name in SPLIT_NAMES:
            x_key, y_key = f"x_{name}", f"y_{name}"
            if x_key in archive.files and y_key in archive.files:
                faces, labels = read_npz_array(archive, x_key, path), read_npz_array(archive, y_key, path)
                splits[name] = _checked_split(faces, labels, f"{path}[{name}]")
            else:
                splits[name] = None
    if not any(splits.values()):
        raise DatasetError(
            f"{path} holds none of x_train/y_train, x_val/y_val, x_test/y_test"
        )
    return FerDataset(source=str(path), **splits)


def load_csv(path: Path) -> FerDataset:
    """Load the Kaggle ``fer2013.csv`` (emotion, pixels, Usage)."""
    faces: dict[str, list[np.ndarray]] = {name: [] for name in SPLIT_NAMES}
    labels: dict[str, list[int]] = {name: [] for name in SPLIT_NAMES}
    reader = None
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or [])
            if missing:
                raise DatasetError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            for row in reader:
                line_number = reader.line_num  # the row's last line: a quoted field may span lines
                usage, pixel_text, emotion_text = row.get("Usage"), row.get("pixels"), row.get("emotion")
                if usage is None or pixel_text is None or emotion_text is None:
                    raise DatasetError(f"{path} line {line_number}: expected 3 fields (emotion, pixels, Usage)")
                split = USAGE_TO_SPLIT.get(usage.strip())
                if split is None:
                    raise DatasetError(f"{path} line {line_number}: unknown Usage {usage!r}")
                try:
                    pixels = np.array(pixel_text.split(), dtype=np.float32)
                    label = int(emotion_text)
                except ValueError as error:
                    raise DatasetError(f"{path} line {line_number}: emotion must be an integer and pixels "
                                       f"numbers ({error})") from error
                if pixels.size != FACE_SIZE * FACE_SIZE:
                    raise DatasetError(
                        f"{path} line {line_number}: expected 2304 pixels, got {pixels.size}"
                    )
                if not np.all(np.isfinite(pixels)) or pixels.min() < 0 or pixels.max() > 255:
                    raise DatasetError(f"{path} line {line_number}: pixels must be numbers 0..255")
                faces[split].append(pixels.reshape(FACE_SIZE, FACE_SIZE))
                labels[split].append(label)
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    except csv.Error as error:  # e.g. a field over the csv module's 131,072-character limit, a NUL byte
        # DictReader.line_num is only updated after a row parses; the inner reader's names the bad line.
        line = f" line {reader.reader.line_num}" if reader is not None else ""
        raise DatasetError(f"{path}{line}: not a well-formed fer2013.csv ({error})") from error
    return _dataset_from_lists(faces, labels, path)


def _split_for_image(file: Path, top_folder: str) -> str:
    stem = file.name
    for usage, split in USAGE_TO_SPLIT.items():
        if stem.startswith(usage):
            return split
    # Exports without Usage prefixes: train/ is Training, test/ is PrivateTest.
    return "train" if top_folder == "train" else "test"


def load_image_folders(path: Path) -> FerDataset:
    """Load the image-folder export: ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``."""
    import cv2

    faces: dict[str, list[np.ndarray]] = {name: [] for name in SPLIT_NAMES}
    labels: dict[str, list[int]] = {name: [] for name in SPLIT_NAMES}
    found_any = False
    for top_folder in ("train", "test"):
        folder = path / top_folder
        if not folder.is_dir():
            continue
        for class_folder in sorted(folder.iterdir()):
            if not class_folder.is_dir():
                continue
            name = class_folder.name.lower()
            if name not in EMOTION_NAMES:
                raise DatasetError(
                    f"{class_folder}: folder name must be one of {', '.join(EMOTION_NAMES)}"
                )
            label = EMOTION_NAMES.index(name)
            for file in sorted(class_folder.iterdir()):
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                image = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
                if image is None:
                    raise DatasetError(f"{file}: not a readable image")
                if image.shape != (FACE_SIZE, FACE_SIZE):
                    image = cv2.resize(image, (FACE_SIZE, FACE_SIZE), interpolation=cv2.INTER_AREA)
                split = _split_for_image(file, top_folder)
                faces[split].append(image)
                labels[split].append(label)
                found_any = True
    if not found_any:
        raise DatasetError(f"{path}: no images under train/<class>/ or test/<class>/")
    return _dataset_from_lists(faces, labels, path)


def load_fer(path: str | Path) -> FerDataset:
    """Load FER-2013 from a CSV, an npz or an image-folder export, chosen by what ``path`` is."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if path.is_dir():
        return load_image_folders(path)
    if path.suffix.lower() == ".npz":
        return load_npz(path)
    if path.suffix.lower() == ".csv":
        return load_csv(path)
    raise DatasetError(f"{path}: expected a .csv, a .npz or a folder with train/ and test/")
