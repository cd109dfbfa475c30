"""Renewals, one or thousands at once: the closing period's arrears and the next period's
fees on one invoice, the subscription moved on, its events recorded.

The worker hands a whole claimed batch to `renew_many`, which reads what it needs with a
few queries for the batch (accounts, customers, add-ons, terms per plan version, usage per
metric and period) and writes with one multi-row statement per table; a single renewal
(a test clock, a change at the period's end) goes through the same function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from recura.core import lifecycle
from recura.core.invoice_lines import Metered
from recura.core.invoicing import InvoiceInput, LineInput
from recura.core.lifecycle import Status
from recura.core.periods import Period
from recura.db.models import AddOn
from recura.db.records import BilledCustomer, SubscriptionLike
from recura.domains.accounts import repository as accounts_repository
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.events import service as events
from recura.domains.invoices import issuing, taxes
from recura.domains.plans import repository as plans_repository
from recura.domains.subscriptions import invoicing, repository, service, state, terms
from recura.domains.subscriptions.invoicing import AnyBasis, InvoiceBasis

S = TypeVar("S", bound=SubscriptionLike)


def renewal(
    session: Session,
    b: AnyBasis,
    closing: AnyBasis,
    used: tuple[Metered, ...],
    now: datetime,
    *,
    consume: bool,
) -> tuple[Period, int, InvoiceInput]:
    """The next period, how many periods were skipped to reach it, and the renewal
    invoice: the closing period's arrears (`used` is its usage) and the next one's fees."""
    following, skipped, lines = _priced(b, closing, used, now)
    coupon = service.period_coupon(session, b.tenant, b.sub, consume=consume)
    return following, skipped, b.inputs(lines, coupon)


def _priced(
    b: AnyBasis, closing: AnyBasis, used: tuple[Metered, ...], now: datetime
) -> tuple[Period, int, list[LineInput]]:
    """`renewal` before the coupon: the next period, the periods skipped, the lines."""
    ended = b.current()
    following = b.full_period(ended.end)
    skipped = 0
    if following.end <= now and b.account.catch_up == "current_period":
        # Back from an outage: bill the period running now, not each one missed.
        latest = b.full_period(now)
        skipped = len(b.schedule().periods_between(following.start, latest.start))
        following = latest
    lines = []
    if b.sub.status != Status.TRIALING:  # a trial's usage is free
        lines = invoicing.arrears_lines(closing, ended, used)
    lines += invoicing.advance_lines(b, following)
    return following, skipped, lines


def _metered(closing: AnyBasis, lines: list[LineInput]) -> int | None:
    """The usage the ending period was charged, before discounts and tax; None for a
    subscription without metered charges."""
    if not closing.terms.metered:
        return None
    return sum(line.amount for line in lines if line.kind == "usage")


def split_plain(subs: Sequence[S], now: datetime) -> tuple[list[S], list[S]]:
    """(those whose only due work at `now` is a renewal, the rest): the first go through
    `renew_many` together, the rest one by one through cycle.run_due."""
    plain: list[S] = []
    rest: list[S] = []
    # A batch holds thousands in a few states: each state is asked once.
    known: dict[tuple[Any, ...], bool] = {}
    for sub in subs:
        key = (state.state_key(sub), sub.trial_notice_sent)
        if key not in known:
            try:
                due = lifecycle.due_actions(
                    state.state_of(sub), now, trial_notice_sent=sub.trial_notice_sent
                )
            except ValueError:
                due = []  # a row core refuses: run_due reports it
            known[key] = due == ["renew"]
        (plain if known[key] else rest).append(sub)
    return plain, rest


@dataclass(frozen=True, slots=True)
class _Renewed:
    """What renewing comes to for any subscription with the same `_alike` key."""

    following: Period
    lines: list[LineInput]
    inputs: InvoiceInput  # without a coupon
    change: state.Change


def _alike(b: AnyBasis, closing: AnyBasis, used: tuple[Metered, ...]) -> tuple[Any, ...]:
    """Everything a renewal is computed from but the coupon and the ids: a batch renews
    thousands of subscriptions that agree on it, and computes each outcome once. The terms
    by identity: `load` gives subscriptions on the same terms one shared object, which
    lives as long as the batch."""
    sub = b.sub
    return (
        id(b.terms),
        id(closing.terms),
        sub.account_id,
        sub.livemode,
        b.customer.tax_rate,
        taxes.buyer_of(b.customer),
        b.language,
        sub.billing_anchor,
        sub.timezone,
        state.state_key(sub),
        sub.trial_notice_sent,
        tuple(m.quantity for m in used),
    )


def _renewed(b: AnyBasis, closing: AnyBasis, used: tuple[Metered, ...], now: datetime) -> _Renewed:
    following, skipped, lines = _priced(b, closing, used, now)
    new, happened = lifecycle.renew(state.state_of(b.sub), now, following.end)
    if skipped:
        new = replace(new, current_period_start=following.start)
        extra = {"current_period_start": following.start, "skipped_periods": skipped}
        happened = [lifecycle.Event(e.type, e.at, {**e.data, **extra}) for e in happened]
    found = state.change(new, happened, b.terms, trial_notice_sent=b.sub.trial_notice_sent)
    return _Renewed(following, lines, b.inputs(lines), found)


def renew_many(
    session: Session,
    due: Sequence[tuple[AnyBasis, AnyBasis]],
    now: datetime,
) -> None:
    """Renew each (billing, closing billing) pair: `closing` holds the terms the ending
    period was sold on (they differ when a change takes effect at this renewal)."""
    used = invoicing.usage_of(session, [(closing, b.current()) for b, closing in due])
    rows: list[dict[str, Any]] = []
    invoices = []
    outcomes: dict[tuple[Any, ...], _Renewed] = {}
    for (b, closing), usage in zip(due, used, strict=True):
        key = _alike(b, closing, usage)
        outcome = outcomes.get(key)
        if outcome is None:
            outcome = outcomes[key] = _renewed(b, closing, usage, now)
        coupon = service.period_coupon(session, b.tenant, b.sub, consume=True)
        inputs = outcome.inputs if coupon is None else b.inputs(outcome.lines, coupon)
        rows += state.apply_change(
            b.sub, outcome.change, now, coupon=coupon, metered=_metered(closing, outcome.lines)
        )
        if invoicing.billable(inputs):
            invoices.append(
                invoicing.issue_item(b, invoicing.CYCLE, inputs, outcome.following, now)
            )
    state.store_many(session, [b.sub for b, _ in due])
    events.record_many(session, rows)
    issuing.issue_many(session, invoices, now)


def load(session: Session, subs: Sequence[S]) -> list[InvoiceBasis[S, BilledCustomer]]:
    """The billing of each subscription, read for the whole batch at once, for `renew_many`:
    of each customer only what billing reads (`BilledCustomer`)."""
    if not subs:
        return []
    accounts = accounts_repository.accounts_by_id(session, {s.account_id for s in subs})
    customers = customers_repository.billed_customers(
        session, [(sub.account_id, sub.customer_id) for sub in subs]
    )
    plans = plans_repository.plans_by_key(session, [(s.account_id, s.plan_id) for s in subs])
    versions = plans_repository.versions_by_key(
        session, [(s.account_id, s.plan_version_id) for s in subs]
    )
    chosen: dict[tuple[str, str], list[tuple[AddOn, Decimal]]] = defaultdict(list)
    for rows in _by_account(subs):
        ids = [s.id for s in rows]
        for sub_id, quantity, add_on in repository.chosen_add_ons(session, rows[0].account_id, ids):
            chosen[(add_on.account_id, sub_id)].append((add_on, Decimal(quantity)))
    cache: dict[tuple[Any, ...], terms.Terms] = {}
    found = []
    for sub in subs:
        tenant = Tenant(sub.account_id, sub.livemode)
        add_ons = chosen[(sub.account_id, sub.id)]
        quantity = Decimal(sub.quantity)
        key = (
            tenant,
            sub.plan_version_id,
            sub.currency,
            quantity,
            tuple((a.id, q) for a, q in add_ons),
        )
        if key not in cache:
            plan = plans[(sub.account_id, sub.plan_id)]
            version = versions[(sub.account_id, sub.plan_version_id)]
            cache[key] = terms.build(
                session, tenant, plan, version, sub.currency, quantity, add_ons
            )
        customer = customers[(sub.account_id, sub.customer_id)]
        found.append(InvoiceBasis(accounts[sub.account_id], customer, sub, cache[key]))
    return found


def _by_account(subs: Sequence[SubscriptionLike]) -> list[list[SubscriptionLike]]:
    grouped: dict[str, list[SubscriptionLike]] = defaultdict(list)
    for sub in subs:
        grouped[sub.account_id].append(sub)
    return list(grouped.values())
