"""Tests for recura.core.bank_matching: which invoices a bank transfer pays."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from recura.core.bank_matching import (
    Allocation,
    IncomingTransfer,
    Match,
    OpenInvoice,
    match_transfer,
    normalize_reference,
)
from recura.core.money import Money

A, B, C = "RF18539007547034", "RF050Z52GF59DVSZWPYA", "RF7112345"


def ron(minor: int) -> Money:
    return Money(minor, "RON")


def transfer(minor: int, *references: str, currency: str = "RON") -> IncomingTransfer:
    return IncomingTransfer(references, Money(minor, currency))


INVOICES = (
    OpenInvoice("inv_a", A, ron(4990)),
    OpenInvoice("inv_b", B, ron(10000)),
    OpenInvoice("inv_c", C, ron(2500)),
)


def test_exact_payment_is_matched() -> None:
    result = match_transfer(transfer(4990, A), INVOICES)
    assert result == Match("matched", ron(4990), (Allocation("inv_a", ron(4990), ron(0)),), ron(0))


def test_less_than_due_is_partial_and_the_rest_stays_due() -> None:
    result = match_transfer(transfer(1000, A), INVOICES)
    assert result.outcome == "partial"
    assert result.allocations == (Allocation("inv_a", ron(1000), ron(3990)),)
    assert result.excess == ron(0)


def test_more_than_due_is_overpaid_and_the_excess_returned() -> None:
    result = match_transfer(transfer(5000, A), INVOICES)
    assert result.outcome == "overpaid"
    assert result.allocations == (Allocation("inv_a", ron(4990), ron(0)),)
    assert result.excess == ron(10)


def test_references_are_compared_without_spaces_or_case() -> None:
    result = match_transfer(transfer(4990, " rf18 5390 0754 7034 "), INVOICES)
    assert result.outcome == "matched"
    invoices = [OpenInvoice("inv_a", "rf18 5390 0754 7034", ron(4990))]
    assert match_transfer(transfer(4990, A), invoices).outcome == "matched"


def test_several_references_are_paid_in_their_order() -> None:
    result = match_transfer(transfer(12500, C, A, B), INVOICES)
    assert result.outcome == "partial"
    assert result.allocations == (
        Allocation("inv_c", ron(2500), ron(0)),
        Allocation("inv_a", ron(4990), ron(0)),
        Allocation("inv_b", ron(5010), ron(4990)),
    )


def test_several_references_paid_exactly_are_matched() -> None:
    result = match_transfer(transfer(7490, A, C), INVOICES)
    assert result.outcome == "matched"
    assert [a.invoice_id for a in result.allocations] == ["inv_a", "inv_c"]


def test_the_excess_over_several_invoices_comes_at_the_end() -> None:
    result = match_transfer(transfer(20000, B, C), INVOICES)
    assert result.outcome == "overpaid"
    assert result.applied == ron(12500)
    assert result.excess == ron(7500)


def test_invoices_the_money_does_not_reach_get_nothing() -> None:
    result = match_transfer(transfer(3000, C, A, B), INVOICES)
    assert result.outcome == "partial"
    assert result.allocations == (
        Allocation("inv_c", ron(2500), ron(0)),
        Allocation("inv_a", ron(500), ron(4490)),
    )


def test_a_reference_named_twice_pays_its_invoice_once() -> None:
    result = match_transfer(transfer(6000, A, "rf18539007547034"), INVOICES)
    assert result.outcome == "overpaid"
    assert len(result.allocations) == 1
    assert result.excess == ron(1010)


def test_unknown_references_next_to_a_known_one_are_ignored() -> None:
    result = match_transfer(transfer(4990, "RF9812", "CUSTOMER-42", A), INVOICES)
    assert result.outcome == "matched"


@pytest.mark.parametrize(
    ("incoming", "invoices", "reason"),
    [
        (transfer(4990), INVOICES, "no_reference"),
        (transfer(4990, " ", ""), INVOICES, "no_reference"),
        (transfer(4990, "RF9812"), INVOICES, "unknown_reference"),
        (transfer(4990, A), (), "unknown_reference"),
        (transfer(0, A), INVOICES, "zero_amount"),
        (transfer(4990, A, currency="EUR"), INVOICES, "currency_mismatch"),
        (
            transfer(4990, A, B),
            (INVOICES[0], OpenInvoice("inv_b", B, Money(100, "EUR"))),
            "currency_mismatch",
        ),
        (
            transfer(4990, A),
            (*INVOICES, OpenInvoice("inv_other", A.lower(), ron(4990))),
            "ambiguous_reference",
        ),
    ],
)
def test_doubtful_transfers_stay_unmatched(
    incoming: IncomingTransfer, invoices: Sequence[OpenInvoice], reason: str
) -> None:
    result = match_transfer(incoming, invoices)
    assert result.outcome == "unmatched"
    assert result.reason == reason
    assert result.allocations == ()
    assert result.excess == Money.zero(incoming.amount.currency)


def test_the_same_invoice_listed_twice_is_not_ambiguous() -> None:
    assert match_transfer(transfer(4990, A), (*INVOICES, INVOICES[0])).outcome == "matched"


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="negative"):
        transfer(-1, A)
    with pytest.raises(ValueError, match="something due"):
        OpenInvoice("inv_a", A, ron(0))


# Properties: over "wild" inputs drawn from a small pool of references and currencies, so
# that unknown, shared and foreign-currency references all come up, and over "plausible"
# ones, where a transfer names some of a customer's invoices and pays about what is due.

POOL = [A, B, C, "RF9812", "rf18 5390 0754 7034"]
CURRENCIES = ["RON", "EUR", "JPY", "BHD"]
moneys = st.builds(
    Money, minor=st.integers(min_value=1, max_value=10**9), currency=st.sampled_from(CURRENCIES)
)

wild_invoices = st.lists(
    st.builds(
        OpenInvoice,
        invoice_id=st.sampled_from([f"inv_{n}" for n in range(6)]),
        reference=st.sampled_from(POOL),
        due=moneys,
    ),
    max_size=6,
    unique_by=lambda invoice: invoice.invoice_id,  # ids name one invoice each, as stored
)
wild_transfers = st.builds(
    IncomingTransfer,
    references=st.lists(st.sampled_from([*POOL, "", "RF00"]), max_size=4).map(tuple),
    amount=st.builds(
        Money,
        minor=st.integers(min_value=0, max_value=3 * 10**9),
        currency=st.sampled_from(CURRENCIES),
    ),
)


@st.composite
def plausible(draw: st.DrawFn) -> tuple[IncomingTransfer, list[OpenInvoice]]:
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(min_value=1, max_value=5))
    dues = draw(st.lists(st.integers(min_value=1, max_value=10**6), min_size=count, max_size=count))
    invoices = [
        OpenInvoice(f"inv_{n}", f"RF{n:02d}X{n}", Money(d, currency)) for n, d in enumerate(dues)
    ]
    named = draw(st.permutations(invoices))[: draw(st.integers(min_value=1, max_value=count))]
    total = sum(i.due.minor for i in named)
    minor = draw(st.one_of(st.just(total), st.integers(min_value=1, max_value=2 * total)))
    noise = draw(st.lists(st.just("RF9812"), max_size=1))  # a reference of nothing open
    references = [i.reference.lower() for i in named] + noise
    return IncomingTransfer(tuple(references), Money(minor, currency)), invoices


Case = tuple[IncomingTransfer, list[OpenInvoice]]
scenarios = st.one_of(st.tuples(wild_transfers, wild_invoices), plausible())


@given(scenarios)
def test_money_is_never_created_or_lost(case: Case) -> None:
    incoming, invoices = case
    result = match_transfer(incoming, invoices)
    assert result.amount == incoming.amount
    assert result.applied <= incoming.amount
    if result.outcome == "unmatched":
        assert result.allocations == ()
        assert result.excess.is_zero()
        assert result.reason is not None
    else:
        assert result.applied + result.excess == incoming.amount
        assert result.reason is None


@given(scenarios)
def test_currencies_never_mix(case: Case) -> None:
    incoming, invoices = case
    result = match_transfer(incoming, invoices)
    currency = incoming.amount.currency
    assert result.excess.currency == currency
    by_id = {invoice.invoice_id: invoice for invoice in invoices}
    for allocation in result.allocations:
        assert allocation.applied.currency == currency
        assert allocation.still_due.currency == currency
        assert by_id[allocation.invoice_id].due.currency == currency


@given(scenarios)
def test_allocations_respect_what_is_due_and_the_order(case: Case) -> None:
    incoming, invoices = case
    # An invoice has one id and one reference; the generator may repeat an id.
    assume(len({i.invoice_id for i in invoices}) == len(invoices))
    result = match_transfer(incoming, invoices)
    due = {(i.invoice_id, normalize_reference(i.reference)): i.due for i in invoices}
    ids = [a.invoice_id for a in result.allocations]
    assert len(ids) == len(set(ids))
    references = [normalize_reference(r) for r in incoming.references]
    positions = []
    for allocation in result.allocations:
        ((reference, owed),) = [(r, d) for (i, r), d in due.items() if i == allocation.invoice_id]
        assert allocation.applied.minor > 0
        assert allocation.applied + allocation.still_due == owed
        assert reference in references
        positions.append(references.index(reference))
    assert positions == sorted(positions)
    # Only the last invoice reached may be left with something due.
    assert all(a.still_due.is_zero() for a in result.allocations[:-1])


@given(scenarios)
def test_the_outcome_says_what_happened(case: Case) -> None:
    incoming, invoices = case
    result = match_transfer(incoming, invoices)
    if result.outcome == "matched":
        assert result.excess.is_zero()
        assert all(a.still_due.is_zero() for a in result.allocations)
    elif result.outcome == "overpaid":
        assert result.excess.minor > 0
        assert all(a.still_due.is_zero() for a in result.allocations)
    elif result.outcome == "partial":
        assert result.excess.is_zero()
        assert result.applied == incoming.amount
    if result.outcome != "unmatched":
        assert result.allocations


@given(
    minor=st.integers(min_value=1, max_value=10**12),
    due=st.integers(min_value=1, max_value=10**12),
    currency=st.sampled_from(CURRENCIES),
)
def test_one_invoice_against_a_simple_rule(minor: int, due: int, currency: str) -> None:
    invoice = OpenInvoice("inv_1", A, Money(due, currency))
    result = match_transfer(IncomingTransfer((A,), Money(minor, currency)), [invoice])
    expected = "matched" if minor == due else "partial" if minor < due else "overpaid"
    assert result.outcome == expected
    assert result.allocations == (
        Allocation("inv_1", Money(min(minor, due), currency), Money(max(due - minor, 0), currency)),
    )
    assert result.excess == Money(max(minor - due, 0), currency)


@given(scenarios, wild_invoices)
def test_invoices_nobody_referenced_change_nothing(case: Case, others: list[OpenInvoice]) -> None:
    incoming, invoices = case
    named = {normalize_reference(r) for r in incoming.references}
    unrelated = [
        OpenInvoice(f"other_{n}", f"X{n}{o.reference}", o.due) for n, o in enumerate(others)
    ]
    assert not named & {normalize_reference(o.reference) for o in unrelated}
    assert match_transfer(incoming, [*unrelated, *invoices]) == match_transfer(incoming, invoices)
