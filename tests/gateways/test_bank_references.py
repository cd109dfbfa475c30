"""RF payment references: making them, and finding them in what banks pass on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from recura.gateways.bank_transfer.references import (
    display,
    find_references,
    new_reference,
    normalize,
)

# The example of ISO 11649 itself, and one of ours.
RF = "RF18539007547034"
OURS = new_reference("acct_1:inv_1")

seeds = st.text(min_size=1, max_size=60)
words = st.lists(st.sampled_from(["plata", "factura", "nr", "2026", "multumesc", "abonament"]))


def test_new_reference_is_a_valid_rf_reference_of_twenty_characters() -> None:
    assert OURS.startswith("RF")
    assert len(OURS) == 20
    assert iso11649.is_valid(OURS)
    assert normalize(OURS) == OURS


def test_new_reference_is_the_same_for_the_same_seed_only() -> None:
    assert new_reference("acct_1:inv_1") == OURS
    assert new_reference("acct_1:inv_2") != OURS
    assert new_reference("acct_2:inv_1") != OURS


def test_new_reference_needs_a_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        new_reference("")


@given(seeds)
def test_every_seed_gives_a_valid_reference_without_confusable_letters(seed: str) -> None:
    reference = new_reference(seed)
    assert iso11649.is_valid(reference)
    assert 5 <= len(reference) <= 25
    assert not set(reference[4:]) & set("ILOU")


def test_normalize_strips_whitespace_and_upper_cases() -> None:
    assert normalize(" rf18 5390\t0754\n7034 ") == RF


def test_display_groups_by_four() -> None:
    assert display(RF) == "RF18 5390 0754 7034"
    assert display(OURS) == " ".join(OURS[i : i + 4] for i in range(0, 20, 4))


@pytest.mark.parametrize(
    "text",
    [
        RF,
        "RF18 5390 0754 7034",
        "Plata factura rf18 5390 0754 7034 multumesc",
        "factura RF18539007547034",
        "facturaRF18539007547034",  # the bank removed the space before it
        "RF18539007547034multumesc",  # and after it
        "RF1853 900754 7034",  # regrouped
        "RF18 5390 0754\n7034",  # wrapped over two lines
        "RF18 5390 07 54 7034",
        "(ref. RF18-5390-0754-7034).",
        "R F 1 8 5 3 9 0 0 7 5 4 7 0 3 4",
    ],
)
def test_finds_a_reference_however_the_bank_mangled_it(text: str) -> None:
    assert RF in find_references(text)


def test_finds_every_reference_in_order_once() -> None:
    text = f"Plata {OURS.lower()} si {display(RF)}; din nou {RF}"
    assert find_references(text) == [OURS, RF]


def test_two_references_glued_together_are_both_found() -> None:
    assert find_references(OURS + RF) == [OURS, RF]


@pytest.mark.parametrize(
    "text",
    [
        "RF17 5390 0754 7034",  # wrong check digits
        "RF18 5390 0754 7035",  # a typo in the body
        "RF18 5390 0754 7043",  # two digits swapped
        "Plata factura 2026/0012, abonament ianuarie",
        "",
        "RF",
        "TRANSFER RF12",
    ],
)
def test_text_without_a_valid_reference_gives_none(text: str) -> None:
    assert find_references(text) == []


def test_a_mistyped_reference_is_not_read_as_the_real_one() -> None:
    mistyped = OURS[:10] + ("0" if OURS[10] != "0" else "1") + OURS[11:]
    assert not iso11649.is_valid(mistyped)
    found = find_references(f"plata {mistyped} multumesc")
    assert OURS not in found
    assert mistyped not in found


@given(
    seed=seeds,
    before=words,
    after=words,
    cuts=st.lists(st.integers(min_value=1, max_value=19), max_size=6),
    lower=st.lists(st.integers(min_value=0, max_value=19), max_size=20),
    separator=st.sampled_from([" ", "\n", "  ", "-"]),
)
def test_a_reference_survives_spaces_case_and_surrounding_words(
    seed: str,
    before: list[str],
    after: list[str],
    cuts: list[int],
    lower: list[int],
    separator: str,
) -> None:
    reference = new_reference(seed)
    chars = [c.lower() if i in lower else c for i, c in enumerate(reference)]
    for cut in sorted(set(cuts), reverse=True):
        chars.insert(cut, separator)
    text = " ".join([*before, "".join(chars), *after])
    assert reference in find_references(text)


@given(st.text(max_size=200))
def test_whatever_is_found_is_a_valid_normalized_reference(text: str) -> None:
    for reference in find_references(text):
        assert iso11649.is_valid(reference)
        assert reference == normalize(reference)
        assert reference.startswith("RF")
