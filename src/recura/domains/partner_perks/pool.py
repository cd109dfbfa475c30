"""Voucher pools: codes uploaded by the merchant, each given to one customer, never twice.

A customer whose live subscriptions grant a voucher perk gets one code of it, in the
transaction that starts the subscription or changes its plan or add-ons (`grant`, called
by every subscription change that can change what is granted). The code is the
customer's for good: one per customer and perk, even across subscriptions.

When the pool is empty the subscription starts all the same and the customer waits,
without anything stored: waiting is being granted the perk without holding a code, read
from the subscriptions. Uploading codes serves the waiting customers at once, longest
waiting first (`upload`).

Giving a code locks a free one, skipping codes other transactions hold (PostgreSQL's
SKIP LOCKED; SQLite has one writer at a time), and gives it only while it is still free;
the unique (perk, customer) stops a customer from getting two when two of its
subscriptions start at once: the second attempt is undone in its savepoint.

What judges or changes the pool as a whole takes the perk's row lock until commit
(PostgreSQL; SQLite's writers already take turns): an upload, and a grant that found no
free code before it tries again (so a subscription starting during an upload either sees
its codes or is seen by it, and never waits beside free codes).

A pool is low at or below its perk's `low_stock_threshold` free codes. Going low records
`partner_perk.pool_low` (and so emails the account) once; the mark on the perk is
cleared when codes lift the pool above the threshold, so the next crossing warns again.
Until it is marked, each code given is followed by a count of the free ones under the
perk's lock: transactions giving codes at once count one after the other, and the last
sees what all the others gave, so no crossing goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.models import PartnerPerk, PerkVoucher
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.partner_perks import repository
from recura.domains.partner_perks.schemas import PerkKind, VoucherUploadOut
from recura.ids import new_ids

VOUCHER = PerkKind.VOUCHER.value
# Attempts at a free code before giving up on this transaction: another can give away the
# one found between the lock and the update only if the database skipped the lock.
_TRIES = 3


class _Outcome(Enum):
    EMPTY = "empty"  # no free code: the customer waits
    HELD = "held"  # the customer got a code of the perk elsewhere meanwhile


Terms = Sequence[tuple[str, str, list[str]]]


def granting(
    perks: Sequence[PartnerPerk], terms: Terms, prefer: str | None = None
) -> dict[str, tuple[PartnerPerk, str]]:
    """Perk id -> (perk, the subscription granting it) of the perks that the subscriptions
    (`repository.live_terms`) grant; `prefer`, when it grants one, names it."""
    found: dict[str, tuple[PartnerPerk, str]] = {}
    for perk in perks:
        plans, add_ons = set(perk.plan_ids), set(perk.add_on_ids)
        for sub_id, plan_id, chosen in terms:
            grants = plan_id in plans or add_ons.intersection(chosen)
            if grants and (perk.id not in found or sub_id == prefer):
                found[perk.id] = (perk, sub_id)
    return found


def grant(
    session: Session, tenant: Tenant, customer_id: str, subscription_id: str | None, now: datetime
) -> None:
    """Give the customer a code of each voucher perk its live subscriptions grant that it
    does not hold yet, as far as the pools go."""
    perks = repository.active(session, tenant, VOUCHER)
    if not perks:
        return
    granted = granting(perks, repository.live_terms(session, tenant, customer_id), subscription_id)
    if not granted:
        return
    held = repository.held(session, tenant, customer_id, list(granted))
    for perk_id in sorted(set(granted) - set(held)):  # perks locked in one order
        perk, sub_id = granted[perk_id]
        outcome = _assign(session, tenant, perk, customer_id, sub_id, now)
        if outcome is _Outcome.EMPTY:
            # Perhaps an upload is under way: once it has committed, its codes are there.
            repository.lock(session, tenant, perk.id)
            outcome = _assign(session, tenant, perk, customer_id, sub_id, now)
        if outcome is not _Outcome.HELD:
            _warn_if_low(session, tenant, perk, now)


def _assign(
    session: Session,
    tenant: Tenant,
    perk: PartnerPerk,
    customer_id: str,
    subscription_id: str | None,
    now: datetime,
) -> PerkVoucher | _Outcome:
    for _ in range(_TRIES):
        voucher_id = repository.lock_free(session, tenant, perk.id)
        if voucher_id is None:
            return _Outcome.EMPTY
        try:
            with session.begin_nested():
                given = repository.give(
                    session, tenant, voucher_id, customer_id, subscription_id, now
                )
        except IntegrityError:
            return _Outcome.HELD
        if given is not None:
            events.record(
                session,
                tenant,
                payloads.PartnerPerkAssigned(
                    id=given.id,
                    object="perk_voucher",
                    perk=perk.id,
                    customer=customer_id,
                    subscription=subscription_id,
                    code=given.code,
                    assigned_at=now,
                ),
                now,
            )
            return given
    return _Outcome.EMPTY


def _warn_if_low(session: Session, tenant: Tenant, perk: PartnerPerk, now: datetime) -> None:
    """After giving (or failing to give) a code: record the crossing if the pool went low."""
    if perk.low_stock_threshold is None or perk.pool_low_at is not None:
        return  # never warned, or warned already: nothing to count
    settle(session, tenant, perk, now)


def settle(session: Session, tenant: Tenant, perk: PartnerPerk, now: datetime) -> None:
    """Mark the pool low, recording `partner_perk.pool_low`, when it went low; clear the
    mark when it is no longer low."""
    locked = repository.lock(session, tenant, perk.id)
    threshold = perk.low_stock_threshold
    if locked is None or perk.kind != VOUCHER or threshold is None:
        repository.clear_pool_low(session, tenant, perk.id)
        return
    free = repository.count_free(session, tenant, perk.id)
    if free > threshold:
        repository.clear_pool_low(session, tenant, perk.id)
        return
    if perk.archived_at is not None or not repository.mark_pool_low(session, tenant, perk.id, now):
        return
    events.record(
        session,
        tenant,
        payloads.PartnerPerkPoolLow(
            id=perk.id,
            object="partner_perk",
            name=perk.name,
            partner_name=perk.partner_name,
            available=free,
            low_stock_threshold=threshold,
            waiting=repository.count_waiting(session, tenant, perk),
        ),
        now,
    )


def serve_waiting(session: Session, tenant: Tenant, perk: PartnerPerk, now: datetime) -> int:
    """Give free codes to the customers granted the perk without one, longest waiting
    first; how many got one."""
    if perk.kind != VOUCHER or perk.archived_at is not None:
        return 0
    repository.lock(session, tenant, perk.id)
    free = repository.count_free(session, tenant, perk.id)
    served = 0
    for customer_id, sub_id in repository.waiting(session, tenant, perk, free) if free else []:
        outcome = _assign(session, tenant, perk, customer_id, sub_id, now)
        if outcome is _Outcome.EMPTY:
            break  # taken by subscriptions starting meanwhile
        if isinstance(outcome, PerkVoucher):
            served += 1
    return served


def upload(
    session: Session, tenant: Tenant, perk_id: str, codes: Sequence[str], now: datetime
) -> VoucherUploadOut:
    """Add codes to the perk's pool (those already in it skipped), then serve the
    customers who waited."""
    perk = repository.lock(session, tenant, perk_id)
    if perk is None:
        raise NotFoundError("partner perk", perk_id)
    if perk.kind != VOUCHER:
        raise ConflictError(f"Partner perk '{perk.id}' is a link: it has no voucher codes.")
    if perk.archived_at is not None:
        raise ConflictError(f"Partner perk '{perk.id}' is archived.")
    distinct = list(dict.fromkeys(codes))
    keys = {**tenant.row_keys(), "perk_id": perk.id, "created_at": now}
    rows = [
        {
            **keys,
            "id": voucher_id,
            "code": code,
            "customer_id": None,
            "subscription_id": None,
            "assigned_at": None,
        }
        for code, voucher_id in zip(distinct, new_ids("perk_voucher", len(distinct)), strict=True)
    ]
    added = repository.insert_codes(session, rows)
    assigned = serve_waiting(session, tenant, perk, now)
    settle(session, tenant, perk, now)
    return VoucherUploadOut(
        perk=perk.id,
        added=added,
        skipped=len(codes) - added,
        assigned=assigned,
        available=repository.count_free(session, tenant, perk.id),
    )
