"""What pages keep a few seconds: made once per key until it is that old, then made again."""

from __future__ import annotations

import pytest

from recura.web import kept
from recura.web.kept import Kept


def test_a_value_is_made_once_until_it_is_old(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: now[0])
    made = []
    values: Kept[int] = Kept(10.0, size=2)

    def make() -> int:
        made.append(1)
        return len(made)

    assert values.get("a", make) == 1
    now[0] += 9.9
    assert values.get("a", make) == 1
    now[0] += 0.2
    assert values.get("a", make) == 2
    values.forget("a")
    assert values.get("a", make) == 3
    # Full: everything is dropped rather than growing.
    values.get("b", make)
    values.get("c", make)
    assert values.get("a", make) == 6
