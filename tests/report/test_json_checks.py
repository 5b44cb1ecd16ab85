"""Tests for ``tunex_core.report.json_checks``: each check returns the value typed or names the key in one line."""

from __future__ import annotations

import math

import pytest

from tunex_core.report.json_checks import (
    integer,
    is_number,
    mapping,
    number,
    objects,
    optional_integer,
    optional_number,
    required,
    sequence,
    text,
)


def test_a_number_is_a_finite_int_or_float_but_not_a_bool():
    assert is_number(3) and is_number(0.5)
    assert not any(is_number(value) for value in (True, math.nan, math.inf, "1", None))


def test_number_returns_a_float_and_checks_its_range():
    assert number(1, "a.b") == 1.0 and isinstance(number(1, "a.b"), float)
    with pytest.raises(ValueError, match=r"^a\.b must be a number, got 'x'$"):
        number("x", "a.b")
    with pytest.raises(ValueError, match=r"^a\.b must lie in 0\.\.1, got 1\.5$"):
        number(1.5, "a.b", unit_interval=True)
    with pytest.raises(ValueError, match=r"^a\.b must be positive, got 0$"):
        number(0, "a.b", positive=True)


@pytest.mark.parametrize("value", [-1, 1.0, True, "3"])
def test_integer_must_be_a_non_negative_int(value):
    with pytest.raises(ValueError, match=r"^n must be a non-negative integer"):
        integer(value, "n")


def test_text_mapping_and_sequence_name_the_key():
    assert text("tunex", "name") == "tunex" and mapping({"a": 1}, "m") == {"a": 1} and sequence([1], "s") == [1]
    with pytest.raises(ValueError, match=r"^name must be a non-empty string, got '  '$"):
        text("  ", "name")
    with pytest.raises(ValueError, match=r"^m must be an object, got list$"):
        mapping([], "m")
    with pytest.raises(ValueError, match=r"^s must be a list, got str$"):
        sequence("abc", "s")


def test_objects_yield_each_item_with_its_key():
    assert list(objects([{"a": 1}, {"b": 2}], "runs")) == [("runs[0]", {"a": 1}), ("runs[1]", {"b": 2})]
    with pytest.raises(ValueError, match=r"^runs\[1\] must be an object, got int$"):
        list(objects([{"a": 1}, 7], "runs"))


def test_required_and_optional_values():
    section = {"seed": 11, "trait": None}
    assert required(section, "seed", "run") == 11
    with pytest.raises(ValueError, match=r"^run\.persons is missing$"):
        required(section, "persons", "run")
    assert optional_number(section, "trait", "run.trait") is None and optional_integer(section, "x", "run.x") is None
    assert optional_number(section, "seed", "run.seed", positive=True) == 11.0
    assert optional_integer(section, "seed", "run.seed") == 11
    kept = optional_number(section, "seed", "run.seed", as_written=True)
    assert kept == 11 and isinstance(kept, int)  # the model card prints it as the file spells it
    with pytest.raises(ValueError, match=r"^run\.seed must be positive"):
        optional_number({"seed": 0}, "seed", "run.seed", positive=True, as_written=True)
