"""The console's home: the account's revenue at a glance (MRR, ARR, subscribers, this
month's movements) and two charts over the last twelve months, each beside a table of its
numbers; and the customers behind each movement. Every figure comes from the same reads
as `GET /v1/metrics/...` (`domains/metrics/reads.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_percent
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from recura.console import auth, charts, modes, pages
from recura.console.auth import Operator
from recura.core import metrics
from recura.core.money import Money
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers
from recura.domains.metrics import reads
from recura.domains.metrics.reads import Granularity, Point
from recura.domains.metrics.repository import TYPES
from recura.notifications import rendering

router = APIRouter(prefix="/console")
MONTHS = 12
PER_PAGE = 50
# Growth stacks up from zero, losses down: the order of the bars' layers and the table.
ORDER = ("new", "expansion", "reactivation", "contraction", "churn")
assert set(ORDER) == set(TYPES)


@dataclass(frozen=True, slots=True)
class View:
    """What a page reads: live or test data, in one currency."""

    tenant: Tenant
    test: bool
    currency: str
    today: date

    def query(self, **extra: str) -> str:
        values = {"currency": self.currency, **modes.query(self.test), **extra}
        return urlencode(values)


def _view(request: Request, operator: Operator, currency: str | None) -> View:
    test = modes.is_test(request)
    zone = ZoneInfo(operator.account.timezone)
    today = request.app.state.clock.now().astimezone(zone).date()
    tenant = Tenant(operator.account.id, livemode=not test)
    return View(tenant, test, currency or operator.account.default_currency, today)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _month_name(day: date, locale: str, width: str = "MMM yyyy") -> str:
    return format_date(day, width, locale=locale)


@router.get("")
def home(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    locale = operator.locale
    asked = request.query_params.get("currency")
    view = _view(request, operator, None)
    start = _months_back(view.today, MONTHS - 1)
    with pages.unit(request) as session:
        every = reads.mrr(session, view.tenant, start, view.today, Granularity.MONTH)
        currencies = sorted({p.currency for p in every} | {view.currency})
        if asked in currencies:
            view = _view(request, operator, asked)
        series = [p for p in every if p.currency == view.currency] or reads.mrr(
            session, view.tenant, start, view.today, Granularity.MONTH, view.currency
        )
        statuses = reads.subscribers_by_status(session, view.tenant, view.currency)
    return auth.render(
        request,
        operator,
        "home.html",
        **_figures(series, view, locale),
        statuses=statuses,
        currencies=currencies,
        view=view,
    )


def _figures(series: list[Point], view: View, locale: str) -> dict[str, Any]:
    currency = view.currency
    now, before = series[-1], series[-2]

    def money(amount: int) -> str:
        return rendering.money(amount, currency, locale)

    change = now.mrr - before.mrr
    growth = metrics.ratio(change, before.mrr)
    months = [_month_name(p.start, locale, "LLL") for p in series]
    full_months = [_month_name(p.start, locale, "LLLL yyyy") for p in series]
    first, last = full_months[0], full_months[-1]
    mrr_chart = charts.line(
        "mrr-chart",
        pages.text("dashboard.mrr_chart", locale),
        pages.text("dashboard.mrr_chart_desc", locale, first=first, last=last, mrr=money(now.mrr)),
        months,
        [p.mrr for p in series],
        money,
    )
    layers = [
        charts.Series(t, pages.text(f"movement.{t}", locale), [p.amounts[t] for p in series])
        for t in ORDER
    ]
    movements_chart = charts.stacked_bars(
        "movements-chart",
        pages.text("dashboard.movements_chart", locale),
        pages.text("dashboard.movements_chart_desc", locale, first=first, last=last),
        months,
        layers,
        money,
    )
    return {
        "now": now,
        "mrr": money(now.mrr),
        "arr": money(metrics.arr(Money(now.mrr, currency)).minor),
        "change": money(change),
        "growth": None if growth is None else _percent(growth, locale),
        "month": _month_name(now.start, locale, "LLLL yyyy"),
        "month_key": now.start.strftime("%Y-%m"),
        "rows": [(p.start.strftime("%Y-%m"), full_months[i], p) for i, p in enumerate(series)],
        "order": ORDER,
        "mrr_chart": mrr_chart,
        "movements_chart": movements_chart,
    }


def _percent(value: Fraction, locale: str) -> str:
    """A ratio as the locale writes percentages, to a tenth ("-50.0%", "-50,0 %")."""
    pattern = Locale.parse(locale).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return format_percent(exact, pattern, locale=locale)


def _month(value: str | None, today: date) -> date:
    """The first day of a "YYYY-MM" month (this month if missing or odd)."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@router.get("/metrics/movements")
def movements(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    params = request.query_params
    view = _view(request, operator, params.get("currency"))
    kind = params.get("type")
    type_ = kind if kind in TYPES else None
    first = _month(params.get("month"), view.today)
    last = _months_back(first, -1) - timedelta(days=1)
    try:
        page = max(int(params.get("page", "1")), 1)
    except ValueError:
        page = 1
    with pages.unit(request) as session:
        found = reads.movements(session, view.tenant, first, last, view.currency, type_)
        shown = found[(page - 1) * PER_PAGE : page * PER_PAGE]
        keys = {(operator.account.id, m.customer) for m in shown}
        people = customers.customers_by_key(session, keys)
        names = {key[1]: (c.name or c.legal_name or c.email or key[1]) for key, c in people.items()}
        session.expunge_all()
    base = {"month": first.strftime("%Y-%m"), **({"type": type_} if type_ else {})}
    return auth.render(
        request,
        operator,
        "movements.html",
        view=view,
        kind=type_,
        month=_month_name(first, operator.locale, "LLLL yyyy"),
        movements=shown,
        names=names,
        total=sum(m.amount for m in found),
        count=len(found),
        page=page,
        previous=view.query(**base, page=str(page - 1)) if page > 1 else None,
        next=view.query(**base, page=str(page + 1)) if page * PER_PAGE < len(found) else None,
        order=ORDER,
        date=lambda day: format_date(day, "long", locale=operator.locale),
    )
