"""Settling attempts whose outcome is not known: a timeout left them `unknown`, or a crash
left them `processing`. The processor is asked under the attempt's own key; nothing is ever
charged under a new one while an attempt is unsettled."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from recura.clock import Clock
from recura.db.models import Invoice, Payment, PaymentMethod
from recura.domains.common.errors import DomainError
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection, processors
from recura.domains.payments.collection import Pending, Units

log = logging.getLogger(__name__)

BATCH = 100
# How long an unknown attempt waits before it is asked about again.
ASK_AGAIN_AFTER = timedelta(minutes=1)


def claim(session: Session, now: datetime, limit: int = BATCH) -> list[Pending]:
    stmt = (
        select(Payment)
        .where(
            or_(
                (Payment.status == "processing")
                & (Payment.updated_at <= now - collection.STALE_AFTER),
                (Payment.status == "unknown") & (Payment.updated_at <= now - ASK_AGAIN_AFTER),
            )
        )
        .order_by(Payment.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    found = []
    for payment in session.scalars(stmt):
        tenant = Tenant(payment.account_id, payment.livemode)
        # Others wait a while before asking about it again.
        payment.updated_at = now
        try:
            method = session.get_one(PaymentMethod, (payment.account_id, payment.payment_method_id))
            invoice = session.get_one(Invoice, (payment.account_id, payment.invoice_id))
            request = collection.request_for(
                payment, method.reference, method.processor_customer, invoice.number
            )
            gateway = processors.gateway_for(session, tenant, payment.gateway)
        except DomainError:  # its processor is no longer connected: asked again later
            log.exception("cannot ask about payment %s", payment.id)
            continue
        found.append(Pending(tenant, payment.id, gateway, request, payment.reference))
    return found


def reconcile_unsettled(units: Units, clock: Clock, limit: int = BATCH) -> int:
    with units() as session:
        claimed = claim(session, clock.now(), limit)
    for pending in claimed:
        collection.send_and_finish(units, pending, clock, collection.lookup)
    return len(claimed)
