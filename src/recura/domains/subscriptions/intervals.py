"""A change of billing interval (monthly to yearly and back) on a stored subscription: the
cycle it restarts and the invoice of switching now, both from `core.interval_change`.

Coupons keep counting billing periods: a coupon with periods left discounts the renewals
that follow, whatever their length (after a switch to yearly, each one is a year). The
switch invoice, like every change's invoice, is at list price.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core import interval_change
from recura.core.interval_change import Restart
from recura.core.invoicing import LineInput
from recura.core.periods import BillingAlignment, Period
from recura.domains.subscriptions import invoicing
from recura.domains.subscriptions.invoicing import InvoiceBasis
from recura.domains.subscriptions.terms import Terms


def changes(b: InvoiceBasis, new: Terms) -> bool:
    return interval_change.changes_interval(b.terms.interval, new.interval)


def cycle(b: InvoiceBasis, new: Terms, at: datetime) -> Restart:
    """The cycle `new`'s interval starts at `at`, under the subscription's alignment."""
    sub = b.sub
    return interval_change.restart(at, new.interval, sub.timezone, BillingAlignment(sub.alignment))


def moved(b: InvoiceBasis, new: Terms, at: datetime) -> InvoiceBasis:
    """The billing on `new` from `at` on: its schedule restarts there when the interval
    changes (what renewing after a scheduled change of interval bills)."""
    anchor = cycle(b, new, at).schedule.anchor if changes(b, new) else None
    return InvoiceBasis(b.account, b.customer, b.sub, new, anchor)


def switch_lines(
    session: Session, b: InvoiceBasis, new: Terms, restarted: Restart, at: datetime
) -> list[LineInput]:
    """The invoice lines of switching to `new`'s interval at `at`: the usage of the period
    cut short (it ends now, so it is billed now), the unused part of it credited, and the
    new cycle's first period."""
    current = b.current()
    lines = []
    if current.start < at:
        lines = invoicing.arrears(session, b, Period(current.start, at))
    # The credit is of a supply made at the current period's rate; the new cycle is a
    # supply from its own start.
    credit_tax, charge_tax = b.taxes(current.start), b.taxes(restarted.first.start)
    credit, charge = interval_change.switch_parts(
        b.terms.items,
        new.items,
        current,
        at,
        restarted,
        invoicing.rates(credit_tax),
        invoicing.rates(charge_tax),
        b.wording,
    )
    return lines + invoicing.taxed(credit, credit_tax) + invoicing.taxed(charge, charge_tax)
