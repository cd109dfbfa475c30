"""ANAF's published call limits on e-Factura (limiteApeluriAPI), kept by counting each
call in the database as it is claimed, before it is sent: a call over a limit is not made,
and its work waits for the window to turn.

- every method: 1000 calls a minute (counted per CIF here, the unit ANAF counts the rest in);
- stareMesaj: 100 a day for one message;
- descarcare: 10 a day for one message;
- listaMesajeFactura: 1500 a day per CIF;
- upload: no limit on invoices (1000 a day per CIF on buyers' answers, which are not sent).

ANAF's day is Romania's (Europe/Bucharest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura.db.models import AnafCall
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import repository

ROMANIA = ZoneInfo("Europe/Bucharest")
PER_MINUTE = 1000


@dataclass(frozen=True, slots=True)
class Limit:
    per_day: int
    per_message: bool


LIMITS = {
    "stareMesaj": Limit(100, per_message=True),
    "descarcare": Limit(10, per_message=True),
    "listaMesajeFactura": Limit(1500, per_message=False),
}


def day_of(now: datetime) -> str:
    return now.astimezone(ROMANIA).date().isoformat()


def next_day(now: datetime) -> datetime:
    """The start of Romania's next day, when the daily counts start again."""
    local = now.astimezone(ROMANIA)
    return datetime.combine(local.date() + timedelta(days=1), time(), ROMANIA)


def _minute(now: datetime) -> str:
    return now.astimezone(ROMANIA).strftime("%Y-%m-%dT%H:%M")


def reserve(
    session: Session,
    account_id: str,
    livemode: bool,
    cif: str,
    method: str,
    subject: str,
    now: datetime,
) -> datetime | None:
    """Count one call of `method` (about message `subject`) if the limits allow it; else
    return when to try again (nothing counted)."""
    minute = _minute(now)
    per_minute = _count(session, account_id, livemode, cif, minute, "*", "")
    if per_minute.count >= PER_MINUTE:
        return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = LIMITS.get(method)
    daily = None
    if limit is not None:
        daily = _count(
            session,
            account_id,
            livemode,
            cif,
            day_of(now),
            method,
            subject if limit.per_message else "",
        )
        if daily.count >= limit.per_day:
            return next_day(now)
        daily.count += 1
    per_minute.count += 1
    session.flush()
    return None


def exhaust(
    session: Session,
    account_id: str,
    livemode: bool,
    cif: str,
    method: str,
    subject: str,
    now: datetime,
) -> None:
    """ANAF said the day's limit is reached (its count and ours differ, e.g. calls made by
    another application of the company): ours says so too, until the day turns."""
    limit = LIMITS.get(method)
    if limit is None:
        return
    row = _count(
        session,
        account_id,
        livemode,
        cif,
        day_of(now),
        method,
        subject if limit.per_message else "",
    )
    row.count = max(row.count, limit.per_day)
    session.flush()


def _count(
    session: Session,
    account_id: str,
    livemode: bool,
    cif: str,
    window: str,
    method: str,
    subject: str,
) -> AnafCall:
    return repository.call_count(session, account_id, livemode, cif, window, method, subject)


def used_today(session: Session, account_id: str, livemode: bool, now: datetime) -> dict[str, int]:
    """Calls counted today per method, for the settings page."""
    totals: dict[str, int] = {}
    for row in repository.calls_on(session, Tenant(account_id, livemode), day_of(now)):
        totals[row.method] = totals.get(row.method, 0) + row.count
    return totals


def forget_old(session: Session, now: datetime) -> int:
    """Yesterday's counts and older (minutes included) are dropped."""
    return repository.forget_calls_before(session, day_of(now))
