"""Which open invoices an incoming bank transfer pays, and how much of each.

A transfer is matched only through its payment references, never by amount or payer
name alone: two customers paying the same price on the same day would otherwise be
indistinguishable. References are tried in the order the transfer gives them; each
matched invoice is paid in full before the next one gets anything, and what is left
after the last one is the customer's to keep (their balance), not the merchant's.
Anything doubtful (an unknown reference, a reference two invoices share, an invoice
in another currency) leaves the whole transfer unmatched for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from recura.core.money import Money, sum_money

__all__ = [
    "Allocation",
    "IncomingTransfer",
    "Match",
    "MatchOutcome",
    "OpenInvoice",
    "UnmatchedReason",
    "match_transfer",
    "normalize_reference",
]

MatchOutcome = Literal["matched", "partial", "overpaid", "unmatched"]
UnmatchedReason = Literal[
    "zero_amount",  # nothing to apply
    "no_reference",  # the transfer carries no reference at all
    "unknown_reference",  # none of its references is an open invoice's
    "ambiguous_reference",  # a reference belongs to more than one open invoice
    "currency_mismatch",  # a referenced invoice is due in another currency
]


def normalize_reference(reference: str) -> str:
    """Without whitespace, upper case: how banks and payers alter references harmlessly."""
    return "".join(reference.split()).upper()


@dataclass(frozen=True, slots=True)
class IncomingTransfer:
    """A booked credit on the merchant's account: what arrived and the references it named."""

    references: tuple[str, ...]
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.minor < 0:
            raise ValueError(f"an incoming transfer cannot be negative, got {self.amount}")


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice still waiting for money: `due` is what remains to be paid."""

    invoice_id: str
    reference: str
    due: Money

    def __post_init__(self) -> None:
        if self.due.minor <= 0:
            raise ValueError(f"an open invoice has something due, got {self.due}")


@dataclass(frozen=True, slots=True)
class Allocation:
    """Money from the transfer applied to one invoice, and what that invoice still owes."""

    invoice_id: str
    applied: Money
    still_due: Money


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one transfer.

    For every outcome but `unmatched`, the applied amounts and `excess` add up to
    `amount` exactly; `unmatched` applies nothing, has no excess, and `reason` says why.
    """

    outcome: MatchOutcome
    amount: Money
    allocations: tuple[Allocation, ...]
    excess: Money  # overpaid: what goes to the customer's balance; zero otherwise
    reason: UnmatchedReason | None = None

    @property
    def applied(self) -> Money:
        """Everything applied to invoices."""
        return sum_money((a.applied for a in self.allocations), self.amount.currency)


def match_transfer(transfer: IncomingTransfer, open_invoices: Iterable[OpenInvoice]) -> Match:
    """Decide what `transfer` pays among `open_invoices` (those of its merchant)."""
    amount = transfer.amount
    if amount.is_zero():
        return _unmatched(amount, "zero_amount")
    references = list(dict.fromkeys(filter(None, map(normalize_reference, transfer.references))))
    if not references:
        return _unmatched(amount, "no_reference")

    by_reference: dict[str, dict[str, OpenInvoice]] = {}
    for invoice in open_invoices:
        key = normalize_reference(invoice.reference)
        if key:
            by_reference.setdefault(key, {})[invoice.invoice_id] = invoice
    named = [by_reference[r] for r in references if r in by_reference]
    if not named:
        return _unmatched(amount, "unknown_reference")
    if any(len(invoices) > 1 for invoices in named):
        return _unmatched(amount, "ambiguous_reference")
    targets = [next(iter(invoices.values())) for invoices in named]
    if any(invoice.due.currency != amount.currency for invoice in targets):
        return _unmatched(amount, "currency_mismatch")
    return _allocate(amount, targets)


def _allocate(amount: Money, targets: list[OpenInvoice]) -> Match:
    left = amount
    allocations: list[Allocation] = []
    for invoice in targets:
        applied = min(left, invoice.due)
        if applied.is_zero():
            break
        allocations.append(Allocation(invoice.invoice_id, applied, invoice.due - applied))
        left = left - applied
    if not left.is_zero():
        outcome: MatchOutcome = "overpaid"
    elif len(allocations) < len(targets) or not allocations[-1].still_due.is_zero():
        outcome = "partial"
    else:
        outcome = "matched"
    return Match(outcome, amount, tuple(allocations), left)


def _unmatched(amount: Money, reason: UnmatchedReason) -> Match:
    return Match("unmatched", amount, (), Money.zero(amount.currency), reason)
