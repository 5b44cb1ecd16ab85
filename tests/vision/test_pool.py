"""Tests for ``tunex_core.vision.pool.ObjectPool``: exclusive loans, reuse, limits, failures."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from tunex_core.vision.pool import ObjectPool


def counter_factory():
    numbers = itertools.count()
    return lambda: {"number": next(numbers), "users": 0}


def test_an_idle_object_is_reused():
    pool = ObjectPool(counter_factory())
    with pool.borrow() as first:
        pass
    with pool.borrow() as second:
        assert second is first
    assert pool.created == 1


def test_concurrent_borrowers_never_share_an_object():
    pool = ObjectPool(counter_factory())
    overlaps = []
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        for _ in range(200):
            with pool.borrow() as item:
                item["users"] += 1
                if item["users"] != 1:
                    overlaps.append(item["number"])
                time.sleep(0)
                item["users"] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert 1 <= pool.created <= 4


def test_max_size_makes_callers_wait_for_a_returned_object():
    pool = ObjectPool(counter_factory(), max_size=1)
    taken = threading.Event()
    finished = []

    def second_borrower() -> None:
        with pool.borrow() as item:
            finished.append(item["number"])

    with pool.borrow():
        thread = threading.Thread(target=second_borrower)
        thread.start()
        taken.wait(0.2)
        assert finished == []  # still waiting
    thread.join(timeout=5)
    assert finished == [0] and pool.created == 1


def test_objects_beyond_max_idle_are_dropped_when_returned():
    pool = ObjectPool(counter_factory(), max_idle=1)
    with pool.borrow(), pool.borrow(), pool.borrow():
        assert pool.created == 3
    assert pool.created == 1


def test_first_object_is_lent_before_any_is_made():
    made = []
    pool = ObjectPool(lambda: made.append(1) or object(), first="seed")
    with pool.borrow() as item:
        assert item == "seed"
    assert made == []


def test_a_failing_factory_frees_its_place():
    attempts = []

    def factory():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("no memory")
        return "ok"

    pool = ObjectPool(factory, max_size=1)
    with pytest.raises(RuntimeError, match="no memory"), pool.borrow():
        pass
    with pool.borrow() as item:
        assert item == "ok"


@pytest.mark.parametrize("arguments", [{"max_size": 0}, {"max_idle": 0}])
def test_limits_below_one_are_refused(arguments):
    with pytest.raises(ValueError):
        ObjectPool(object, **arguments)


def test_shrink_drops_idle_objects_beyond_keep():
    pool = ObjectPool(counter_factory())
    with pool.borrow(), pool.borrow(), pool.borrow():
        pass
    assert pool.created == 3
    assert pool.shrink(keep=1) == 2
    assert pool.created == 1
    with pool.borrow() as item:
        assert item["number"] == 0  # the one returned last (the outermost loan) was kept
    assert pool.shrink(keep=1) == 0
