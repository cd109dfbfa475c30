"""What a page may show a few seconds old, kept in this process: a value per key until it is
`seconds` old, at most `size` of them (all dropped when full: simple, and a page that keeps
anything keeps only a little)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    def __init__(self, seconds: float, size: int = 1024) -> None:
        self.seconds = seconds
        self.size = size
        self._values: dict[Hashable, tuple[float, V]] = {}

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        now = time.monotonic()
        found = self._values.get(key)
        if found is not None and found[0] > now:
            return found[1]
        value = make()
        if len(self._values) >= self.size:
            self._values.clear()
        self._values[key] = (now + self.seconds, value)
        return value

    def clear(self) -> None:
        self._values.clear()

    def forget(self, key: Hashable) -> None:
        self._values.pop(key, None)
