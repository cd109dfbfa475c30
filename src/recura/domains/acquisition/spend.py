"""Acquisition spend: recorded per (month, channel, currency), replaced when sent again,
listed, deleted. Amounts are integer minor units in their own currency; nothing here adds
amounts of different currencies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from recura.db.models import AcquisitionSpend
from recura.domains.acquisition import repository
from recura.domains.acquisition.repository import SpendRow
from recura.domains.acquisition.schemas import (
    AcquisitionSpendCreate,
    AcquisitionSpendOut,
    first_day,
    month_text,
)
from recura.domains.common.errors import NotFoundError
from recura.domains.common.fields import money_out
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant


def record(
    session: Session, tenant: Tenant, data: AcquisitionSpendCreate, now: datetime
) -> tuple[AcquisitionSpend, bool]:
    """The month's spend on the channel in the currency, and whether it is new (False: an
    amount stored before was replaced)."""
    row = SpendRow(
        first_day(data.month), data.channel, data.amount.currency, data.amount.amount, data.note
    )
    created = not repository.existing_keys(session, tenant, [row])
    repository.upsert(session, tenant, [row], now)
    found = repository.by_key(session, tenant, row.month, row.channel, row.currency)
    assert found is not None
    return found, created


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    month_from: str | None = None,
    month_to: str | None = None,
    channel: str | None = None,
) -> Page[AcquisitionSpend]:
    return repository.page(
        session,
        tenant,
        limit,
        starting_after,
        _month(month_from),
        _month(month_to),
        channel,
    )


def delete(session: Session, tenant: Tenant, spend_id: str) -> None:
    if not repository.remove(session, tenant, spend_id):
        raise NotFoundError("acquisition spend", spend_id)


def _month(value: str | None) -> date | None:
    return None if value is None else first_day(value)


def to_out(spend: AcquisitionSpend) -> AcquisitionSpendOut:
    return AcquisitionSpendOut(
        id=spend.id,
        month=month_text(spend.month),
        channel=spend.channel,
        amount=money_out(spend.amount, spend.currency),
        note=spend.note,
        livemode=spend.livemode,
        created_at=spend.created_at,
        updated_at=spend.updated_at,
    )
