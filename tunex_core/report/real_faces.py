"""The model's figures beyond FER-2013's own labels, as ``metrics.json`` holds them.

- ``crowd``: the held-out splits scored against the FER+ crowd's majority label (10 annotators per face,
  Barsoum et al. 2016), written by ``release --votes`` (``tunex_core.training.ferplus.CrowdScore``);
- ``real_photos``: a labelled set of real photos read through the app's still-photo path, largest face,
  written by ``release --photos`` (``tunex_core.training.photos.PhotoEvaluation``).

The writer's dataclasses (with more fields than the page reads) live in ``training``; a test checks that
what ``release`` writes parses here. A present but malformed section raises ``ValueError`` naming its key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tunex_core.report.json_checks import integer, mapping

CROWD_SECTION = "crowd"
PHOTOS_SECTION = "real_photos"


@dataclass(frozen=True)
class CrowdFigure:
    """One split read against the crowd's majority: accuracy over the ``n`` faces the crowd labelled."""

    accuracy: float
    n: int
    dropped: int  # faces the crowd called unknown or not a face (or with no votes)
    ties: int  # kept faces whose top emotions tie (the first in FER-2013's order counts)


@dataclass(frozen=True)
class CrowdFigures:
    """``metrics.json``'s ``crowd`` section."""

    votes: str
    tta: str | None
    command: str
    splits: dict[str, CrowdFigure]  # by split key: public_test, private_test


@dataclass(frozen=True)
class PhotoClassFigure:
    """One emotion's photos: how many, with a face found, read right; recall over all its photos."""

    photos: int
    found: int
    right: int
    recall: float


@dataclass(frozen=True)
class PhotoFigures:
    """``metrics.json``'s ``real_photos`` section."""

    set_name: str
    command: str
    backend: str
    photos: int
    found: int
    right: int
    accuracy: float  # right of all labelled photos (a photo with no face found is a miss)
    accuracy_of_found: float | None
    per_class: dict[str, PhotoClassFigure]
    confusion: tuple[tuple[int, ...], ...] | None
    contempt: str
    contempt_photos: int
    margins: tuple[float, ...] = ()  # the crop margins whose readings are averaged (none recorded: one crop)
    enlarged_side: int | None = None  # a smaller photo is enlarged to this side before faces are found


def parse_crowd(value: Any) -> CrowdFigures | None:
    """The ``crowd`` section (None when absent)."""
    if value is None:
        return None
    section = mapping(value, CROWD_SECTION)
    splits = {}
    for split_key in ("public_test", "private_test"):
        if split_key not in section:
            continue
        key = f"{CROWD_SECTION}.{split_key}"
        figure = mapping(section[split_key], key)
        splits[split_key] = CrowdFigure(
            accuracy=_fraction(figure.get("accuracy"), f"{key}.accuracy"), n=integer(figure.get("n"), f"{key}.n"),
            dropped=integer(figure.get("dropped", 0), f"{key}.dropped"), ties=integer(figure.get("ties", 0), f"{key}.ties"))
    if not splits:
        raise ValueError(f"{CROWD_SECTION} scores neither public_test nor private_test")
    tta = section.get("tta")
    return CrowdFigures(votes=str(section.get("votes") or "FER+ votes"), tta=tta if isinstance(tta, str) else None,
                        command=str(section.get("command") or ""), splits=splits)


def parse_photos(value: Any, labels: tuple[str, ...]) -> PhotoFigures | None:
    """The ``real_photos`` section (None when absent)."""
    if value is None:
        return None
    key = PHOTOS_SECTION
    section = mapping(value, key)
    photos = integer(section.get("photos"), f"{key}.photos")
    found, right = integer(section.get("found"), f"{key}.found"), integer(section.get("right"), f"{key}.right")
    if not right <= found <= photos or photos == 0:
        raise ValueError(f"{key}: need 0 <= right <= found <= photos and photos > 0, got {right}, {found}, {photos}")
    per_class = {}
    for label, figure in mapping(section.get("per_class") or {}, f"{key}.per_class").items():
        class_key = f"{key}.per_class.{label}"
        if label not in labels:
            raise ValueError(f"{class_key}: unknown class (labels: {', '.join(labels)})")
        figure = mapping(figure, class_key)
        per_class[label] = PhotoClassFigure(
            photos=integer(figure.get("photos"), f"{class_key}.photos"),
            found=integer(figure.get("found"), f"{class_key}.found"),
            right=integer(figure.get("right"), f"{class_key}.right"),
            recall=_fraction(figure.get("recall"), f"{class_key}.recall"))
    confusion = section.get("confusion")
    if confusion is not None:
        rows = confusion if isinstance(confusion, list) else None
        if rows is None or len(rows) != len(labels) or any(
                not isinstance(row, list) or len(row) != len(labels) for row in rows):
            raise ValueError(f"{key}.confusion must be a {len(labels)}x{len(labels)} list of counts")
        confusion = tuple(tuple(integer(cell, f"{key}.confusion") for cell in row) for row in rows)
    of_found = section.get("accuracy_of_found")
    return PhotoFigures(
        set_name=str(section.get("set") or "real photos"), command=str(section.get("command") or ""),
        backend=str(section.get("backend") or ""), photos=photos, found=found, right=right,
        accuracy=_fraction(section.get("accuracy"), f"{key}.accuracy"),
        accuracy_of_found=None if of_found is None else _fraction(of_found, f"{key}.accuracy_of_found"),
        per_class=per_class, confusion=confusion, contempt=str(section.get("contempt") or "disgust"),
        contempt_photos=integer(section.get("contempt_photos", 0), f"{key}.contempt_photos"),
        margins=tuple(_margin(margin, f"{key}.margins") for margin in section.get("margins") or ()),
        enlarged_side=None if section.get("enlarged_side") is None
        else integer(section["enlarged_side"], f"{key}.enlarged_side"))


def _margin(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{key} must hold non-negative numbers, got {value!r}")
    return value


def _fraction(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must be a number in 0..1, got {value!r}")
    return float(value)
