"""Subscriptions (and what billing reads of customers) as plain typed records, for the
renewal batch.

A billing batch reads thousands of due subscriptions, and an ORM instance's bookkeeping
(identity map, instrumented attributes, flush) costs more than what renewing does with it.
`SubscriptionRow` holds the same columns under the model's attribute names; the renewal
code accepts either (`SubscriptionLike`). Nothing tracks a record: whoever changes one
writes it back (`bulk.update_rows`), and `changed` says which columns differ from the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from recura.db.models import Customer, Subscription
from recura.db.unit_of_work import core_connection


@dataclass(slots=True, eq=False)
class SubscriptionRow:
    """A `subscriptions` row as plain attributes, outside the session; the model's
    attribute names and types (a test compares them)."""

    account_id: str
    id: str
    livemode: bool
    created_at: datetime
    customer_id: str
    plan_id: str
    plan_version_id: str
    status: str
    currency: str
    quantity: Decimal
    interval_unit: str
    interval_count: int
    alignment: str
    timezone: str
    billing_anchor: datetime
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    paused_at: datetime | None
    resume_at: datetime | None
    pending_change: dict[str, Any] | None
    pending_change_at: datetime | None
    trial_notice_sent: bool
    renewal_notice_for: datetime | None
    coupon_id: str | None
    promotion_code_id: str | None
    discount_periods_left: int | None
    mrr: int
    collection_method: str
    next_action_at: datetime | None
    test_clock_id: str | None
    metadata_: dict[str, str]
    updated_at: datetime
    # The values as read, in the order of the fields above: `changed` compares with them.
    loaded: Sequence[Any] = field(default=(), repr=False, kw_only=True)


# What the renewal code reads and sets: the session's object or a record of the same row.
SubscriptionLike = Subscription | SubscriptionRow

_NAMES = tuple(f.name for f in fields(SubscriptionRow) if f.name != "loaded")
_INDEX = {name: i for i, name in enumerate(_NAMES)}
SUBSCRIPTION_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = tuple(
    getattr(Subscription, name) for name in _NAMES
)


def subscription_rows(session: Session, stmt: Select[Any]) -> list[SubscriptionRow]:
    """The rows of `stmt`, which selects `SUBSCRIPTION_COLUMNS`, as records."""
    # On the session's connection, fetched at once: the ORM's handling of a statement and
    # of each row, and a fetch per row, cost more than the query; records need none of it.
    result = core_connection(session).execute(stmt).all()
    return [SubscriptionRow(*row, loaded=row) for row in result]


def changed(rows: Sequence[SubscriptionRow], names: Sequence[str]) -> list[str]:
    """Which of `names` differ on any of `rows` from what was read (all of them for a
    record made, not read)."""
    return [
        name
        for name in names
        if any(not row.loaded or getattr(row, name) != row.loaded[_INDEX[name]] for row in rows)
    ]


@dataclass(frozen=True, slots=True)
class BilledCustomer:
    """What computing a subscription's invoices reads of its customer (its VAT decision's
    inputs, `InvoiceBasis.language`): a batch reads thousands, and the rest of their rows
    would only cost reading."""

    tax_rate: Decimal | None
    locale: str | None
    country: str | None = None
    kind: str = "individual"
    vat_id: str | None = None
    vat_id_validated_at: datetime | None = None
    vat_check: str | None = None


# An InvoiceBasis's customer: the session's object or the batch's record of it.
CustomerLike = Customer | BilledCustomer
