"""Checks of decoded JSON values, each naming its key on failure (``runtime.file must be a non-empty string``).

Shared by the readers of ``metrics.json``'s sections (``metrics_validation``, ``real_faces``, the Model page's
live history); each check returns the value typed or raises ``ValueError`` with one line naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite int or float (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, key: str, *, unit_interval: bool = False, positive: bool = False) -> float:
    """``value`` as a float; with ``unit_interval`` it must lie in 0..1, with ``positive`` above 0."""
    if not is_number(value):
        raise ValueError(f"{key} must be a number, got {value!r}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise ValueError(f"{key} must lie in 0..1, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{key} must be positive, got {value!r}")
    return float(value)


def integer(value: Any, key: str) -> int:
    """``value`` as a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a non-negative integer, got {value!r}")
    return value


def text(value: Any, key: str) -> str:
    """``value`` as a string with something besides white space."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string, got {value!r}")
    return value


def mapping(value: Any, key: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be an object, got {type(value).__name__}")
    return value


def sequence(value: Any, key: str) -> Sequence[Any]:
    """``value`` as a JSON list (a string is not one)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{key} must be a list, got {type(value).__name__}")
    return value


def objects(value: Any, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each item of the list ``value`` with its key (``key[position]``); each must be an object."""
    for position, item in enumerate(sequence(value, key)):
        item_key = f"{key}[{position}]"
        yield item_key, mapping(item, item_key)


def required(section: Mapping[str, Any], name: str, key: str) -> Any:
    """``section[name]``; missing, ``key.name is missing``."""
    if name not in section:
        raise ValueError(f"{key}.{name} is missing")
    return section[name]


def optional_number(section: Mapping[str, Any], name: str, key: str, *, as_written: bool = False,
                    **checks: bool) -> float | None:
    """``section[name]`` checked as ``number``, or None when absent or null; ``as_written`` keeps an int an int
    (for a figure printed as the file holds it, e.g. ``104`` minutes in the model card)."""
    value = section.get(name)
    if value is None:
        return None
    checked = number(value, key, **checks)
    return value if as_written else checked


def optional_integer(section: Mapping[str, Any], name: str, key: str) -> int | None:
    """``section[name]`` checked as ``integer``, or None when absent or null."""
    value = section.get(name)
    return None if value is None else integer(value, key)
