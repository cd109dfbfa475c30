from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from recura.db.models import ExchangeRate
from recura.domains.common.tenant import Tenant

_UNIQUE = ["account_id", "livemode", "base", "quote", "day"]


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rates; one already stored for its (pair, day) takes the new value and
    source (a correction published later wins)."""
    if not rows:
        return
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ExchangeRate)
    stmt = stmt.on_conflict_do_update(
        index_elements=_UNIQUE, set_={"rate": stmt.excluded.rate, "source": stmt.excluded.source}
    )
    connection.execute(stmt, list(rows))


def latest(
    session: Session, tenant: Tenant, day: date, base: str, quote: str
) -> ExchangeRate | None:
    """The pair's rate (this way round) of `day` or the last day before it that has one."""
    stmt = (
        tenant.scope(select(ExchangeRate), ExchangeRate)
        .where(ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.day <= day)
        .order_by(ExchangeRate.day.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def latest_with(session: Session, tenant: Tenant, day: date, currency: str) -> list[ExchangeRate]:
    """For each currency `currency` has rates with (either way round), the latest on or
    before `day`: what a conversion through a common currency needs, one query."""
    stmt = (
        tenant.scope(select(ExchangeRate), ExchangeRate)
        .where(
            or_(ExchangeRate.base == currency, ExchangeRate.quote == currency),
            ExchangeRate.day <= day,
        )
        .order_by(ExchangeRate.day.desc())
    )
    found: dict[tuple[str, str], ExchangeRate] = {}
    for rate in session.scalars(stmt):
        found.setdefault((rate.base, rate.quote), rate)
    return list(found.values())


def listing(
    session: Session,
    tenant: Tenant,
    base: str | None,
    quote: str | None,
    on_or_before: date | None,
    limit: int,
) -> Sequence[ExchangeRate]:
    """Rates newest day first, by pair."""
    stmt = tenant.scope(select(ExchangeRate), ExchangeRate)
    if base is not None:
        stmt = stmt.where(ExchangeRate.base == base)
    if quote is not None:
        stmt = stmt.where(ExchangeRate.quote == quote)
    if on_or_before is not None:
        stmt = stmt.where(ExchangeRate.day <= on_or_before)
    stmt = stmt.order_by(ExchangeRate.day.desc(), ExchangeRate.base, ExchangeRate.quote).limit(
        limit
    )
    return session.scalars(stmt).all()
