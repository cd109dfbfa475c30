from __future__ import annotations

import re
import time

import pytest

from recura.ids import PREFIXES, new_id


@pytest.mark.parametrize("kind", sorted(PREFIXES))
def test_ids_carry_their_prefix_and_26_crockford_characters(kind: str) -> None:
    assert re.fullmatch(rf"{PREFIXES[kind]}_[0-9A-HJKMNP-TV-Z]{{26}}", new_id(kind))


def test_ids_are_unique_and_ordered_by_time() -> None:
    first = [new_id("customer") for _ in range(1000)]
    assert len(set(first)) == 1000
    time.sleep(0.002)
    later = new_id("customer")
    assert all(earlier < later for earlier in first)


def test_prefixes_are_distinct() -> None:
    assert len(set(PREFIXES.values())) == len(PREFIXES)
