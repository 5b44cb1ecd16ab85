"""A small thread-safe pool of objects that must not be used by two threads at once.

OpenCV's ``CascadeClassifier`` and LiteRT's ``Interpreter`` keep per-call state
inside themselves, so threads sharing one instance corrupt each other's
results. ``ObjectPool`` lends each caller an instance of its own: an idle one
if there is one, else a new one from the factory, else (at ``max_size``) it
waits until one is returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

Item = TypeVar("Item")


class ObjectPool(Generic[Item]):
    """Lends objects made by ``factory`` to one thread at a time; at most ``max_size`` exist,
    at most ``max_idle`` are kept while unused."""

    def __init__(self, factory: Callable[[], Item], max_size: int | None = None, max_idle: int | None = None,
                 first: Item | None = None):
        """``max_idle``: objects returned while this many are already idle are dropped (memory back)."""
        if max_size is not None and max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        if max_idle is not None and max_idle < 1:
            raise ValueError(f"max_idle must be at least 1, got {max_idle}")
        self._factory = factory
        self.max_size = max_size
        self.max_idle = max_idle
        self._idle: list[Item] = [] if first is None else [first]
        self._created = 0 if first is None else 1
        self._condition = threading.Condition()

    @property
    def created(self) -> int:
        """How many objects the pool holds (lent or idle)."""
        with self._condition:
            return self._created

    def shrink(self, keep: int = 1) -> int:
        """Drop idle objects beyond ``keep`` (e.g. when the viewers that needed them have left); returns how many."""
        with self._condition:
            dropped = max(0, len(self._idle) - max(0, keep))
            if dropped:
                del self._idle[:dropped]  # the least recently used ones
                self._created -= dropped
            return dropped

    @contextmanager
    def borrow(self) -> Iterator[Item]:
        """Use an object exclusively inside the ``with`` block."""
        item = self._take()
        try:
            yield item
        finally:
            with self._condition:
                if self.max_idle is not None and len(self._idle) >= self.max_idle:
                    self._created -= 1
                else:
                    self._idle.append(item)
                self._condition.notify()

    def _take(self) -> Item:
        with self._condition:
            while True:
                if self._idle:
                    return self._idle.pop()  # the most recently used one: its memory is warm
                if self.max_size is None or self._created < self.max_size:
                    self._created += 1
                    break
                self._condition.wait()
        try:
            return self._factory()
        except BaseException:
            with self._condition:
                self._created -= 1
                self._condition.notify()
            raise
