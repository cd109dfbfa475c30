"""What the Payments, Catalog and Support sections share: their sentences (the `operations`
catalog, over the console's own), rendering with the helpers their templates use, test or
live data, filters kept in links, and days in the account's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse

from recura import i18n
from recura.console import auth
from recura.console.auth import Operator
from recura.domains.common.tenant import Tenant

DOMAIN = "operations"
PER_PAGE = 25


def text(key: str, locale: str, **values: object) -> str:
    """A sentence of these sections, else of the console (the layout's, the states')."""
    for domain in (DOMAIN, "console"):
        if key in i18n.catalog(domain, i18n.SOURCE):
            return i18n.text(domain, key, locale, **values)
    raise KeyError(key)


def known(key: str) -> bool:
    return any(key in i18n.catalog(domain, i18n.SOURCE) for domain in (DOMAIN, "console"))


def state(value: str, locale: str) -> str:
    """A status in the operator's language; one no catalog has, as its code."""
    key = f"state.{value}"
    return text(key, locale) if known(key) else value


def render(
    request: Request, operator: Operator, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    locale = operator.locale
    zone = ZoneInfo(operator.account.timezone)

    def moment(at: datetime | None) -> str:
        if at is None:
            return "—"
        return format_datetime(at.astimezone(zone), "medium", locale=locale)

    def calendar_day(on: date | None) -> str:
        return format_date(on, "long", locale=locale) if on else "—"

    return auth.render(
        request,
        operator,
        template,
        status,
        t=lambda key, **fill: text(key, locale, **fill),
        moment=moment,
        calendar_day=calendar_day,
        state=lambda value: state(value, locale),
        known=known,
        **values,
    )


def tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


def link(path: str, **params: str) -> str:
    """`path` with the parameters that have a value."""
    kept = {name: value for name, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10]) if value.strip() else None
    except ValueError:
        return None


def day_bounds(
    first: date | None, last: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """From the start of `first` to the end of `last` (both included) in the account's zone."""
    zone = ZoneInfo(timezone)
    since = datetime.combine(first, time(), zone) if first else None
    before = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return since, before
