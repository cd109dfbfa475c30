from __future__ import annotations

import re
import time

import pytest

from recura.ids import PREFIXES, floor, millis_of, new_id, new_ids

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


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


def test_each_call_sorts_after_the_one_before_even_within_a_millisecond() -> None:
    made = [new_id("event") for _ in range(2000)]
    assert made == sorted(made)
    batch = new_ids("event", 50)
    assert min(batch) > made[-1]


def test_every_character_of_the_random_part_is_drawn_from_the_whole_alphabet() -> None:
    tails = [made[-16:] for made in new_ids("usage_event", 2000)]
    for position in range(16):
        assert {tail[position] for tail in tails} == set(CROCKFORD)


def test_an_id_tells_the_millisecond_it_was_made_at() -> None:
    # Never before the wall clock's millisecond; ahead of it after a burst of ids.
    before = time.time_ns() // 1_000_000
    first, second = new_id("event"), new_id("event")
    assert before <= millis_of(first) < millis_of(second)
    assert millis_of(floor("event", 1_733_000_000_123)) == 1_733_000_000_123
