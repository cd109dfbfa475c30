"""The console's metric pages, linked from Home: retention (churn, NRR and GRR, cohorts),
unit economics (ARPA, LTV, CAC per channel, payback), and funnels (trials, checkouts,
dunning, voluntary and involuntary churn, cancel reasons, support response). Each chart
sits beside a table of its numbers; every figure comes from the reads the API's
`/v1/metrics/...` endpoints call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from recura.console import auth, charts, pages
from recura.console.auth import Operator
from recura.console.home import View, _month_name, _months_back, _percent, _view
from recura.core import metrics
from recura.core.funnels import CHECKOUT_STAGES
from recura.core.metrics import ChurnKind
from recura.domains.funnels import reads as funnel_reads
from recura.domains.metrics import ratios
from recura.domains.metrics.reads import Granularity
from recura.notifications import rendering

router = APIRouter(prefix="/console/metrics")
MONTHS = 12
COHORT_MONTHS = 12  # the page shows a year of each cohort; the API gives 24
PAGES = ("retention", "unit-economics", "funnels")


class Formats:
    """Numbers as the operator's language writes them."""

    def __init__(self, locale: str, currency: str) -> None:
        self.locale, self.currency = locale, currency

    def money(self, amount: int | None) -> str:
        return "—" if amount is None else rendering.money(amount, self.currency, self.locale)

    def percent(self, value: Fraction | None) -> str:
        return "—" if value is None else _percent(value, self.locale)

    def months(self, value: Fraction | None) -> str:
        if value is None:
            return "—"
        return format_decimal(round(float(value), 1), "#,##0.0", locale=self.locale)

    def number(self, value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def duration(self, seconds: int | None) -> str:
        if seconds is None:
            return "—"
        hours = Fraction(seconds, 3600)
        return pages.text("metrics.hours", self.locale, hours=self.months(hours))

    def month(self, day: date, width: str = "LLLL yyyy") -> str:
        return _month_name(day, self.locale, width)


def _range(view: View) -> tuple[date, date]:
    return _months_back(view.today, MONTHS - 1), view.today


def _per_mille(value: Fraction | None) -> int | None:
    # Charts plot integers: a ratio in tenths of a percent.
    return None if value is None else round(value * 1000)


def _rate_label(locale: str) -> Callable[[int], str]:
    return lambda v: _percent(Fraction(v, 1000), locale)


def _line(
    ident: str,
    title: str,
    months: Sequence[str],
    values: Sequence[int | None],
    f: Formats,
    label: Callable[[int], str],
    first: str,
    last: str,
) -> Markup:
    description = pages.text("metrics.chart_desc", f.locale, title=title, first=first, last=last)
    return charts.line(ident, title, description, months, values, label)


def _render(
    request: Request, operator: Operator, view: View, page: str, **values: Any
) -> HTMLResponse:
    return auth.render(
        request,
        operator,
        f"metrics_{page.replace('-', '_')}.html",
        view=view,
        page=page,
        metric_pages=PAGES,
        **values,
    )


@router.get("/retention")
def retention(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    view = _view(request, operator, request.query_params.get("currency"))
    f = Formats(operator.locale, view.currency)
    start, end = _range(view)
    with pages.unit(request) as session:
        points = ratios.flows(session, view.tenant, start, end, Granularity.MONTH, view.currency)
        cohort_start = _months_back(view.today, COHORT_MONTHS - 1)
        cohorts = ratios.cohorts(session, view.tenant, cohort_start, end, view.today, view.currency)
    months = [f.month(p.start, "LLL") for p in points]
    first, last = f.month(points[0].start), f.month(points[-1].start)
    rows = [
        {
            "month": f.month(p.start),
            "key": p.start.strftime("%Y-%m"),
            "logo": f.percent(metrics.logo_churn_rate(p.flow)),
            "gross": f.percent(metrics.gross_revenue_churn(p.flow)),
            "net": f.percent(metrics.net_revenue_churn(p.flow)),
            "nrr": f.percent(metrics.nrr(p.flow)),
            "grr": f.percent(metrics.grr(p.flow)),
            "churned": f.number(p.flow.churned_customers),
            "at_start": f.number(p.flow.customers_at_start),
        }
        for p in points
    ]
    rate = _rate_label(f.locale)
    churn_title = pages.text("metrics.logo_churn", f.locale)
    churn_chart = _line(
        "churn-chart",
        churn_title,
        months,
        [_per_mille(metrics.logo_churn_rate(p.flow)) for p in points],
        f,
        rate,
        first,
        last,
    )
    nrr_title = pages.text("metrics.nrr", f.locale)
    nrr_chart = _line(
        "nrr-chart",
        nrr_title,
        months,
        [_per_mille(metrics.nrr(p.flow)) for p in points],
        f,
        rate,
        first,
        last,
    )
    cohort_rows = [
        {
            "month": f.month(r.cohort.month, "LLL yyyy"),
            "size": f.number(r.cohort.size),
            "cells": [
                f.percent(metrics.ratio(r.cohort.customers[k], r.cohort.size))
                for k in range(min(r.months, COHORT_MONTHS))
            ],
            "revenue": [f.money(r.cohort.revenue[k]) for k in range(min(r.months, COHORT_MONTHS))],
        }
        for r in cohorts
    ]
    return _render(
        request,
        operator,
        view,
        "retention",
        rows=rows,
        churn_chart=churn_chart,
        nrr_chart=nrr_chart,
        cohorts=cohort_rows,
        offsets=list(range(COHORT_MONTHS)),
    )


@router.get("/unit-economics")
def unit_economics(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    view = _view(request, operator, request.query_params.get("currency"))
    f = Formats(operator.locale, view.currency)
    start, end = _range(view)
    with pages.unit(request) as session:
        chosen = ratios.account_metrics(session, view.tenant)
        found = ratios.unit_economics(session, view.tenant, start, end, view.currency)
    months = [f.month(u.start, "LLL") for u in found]
    first, last = f.month(found[0].start), f.month(found[-1].start)
    rows = [
        {
            "month": f.month(u.start),
            "arpa": f.money(u.arpa.minor if u.arpa else None),
            "ltv": f.money(u.ltv.minor if u.ltv else None),
            "spend": f.money(u.spend.minor),
            "acquired": f.number(u.acquired),
            "cac": f.money(u.cac.minor if u.cac else None),
            "payback": f.months(u.payback_months),
            "ltv_cac": f.months(u.ltv_to_cac),
        }
        for u in found
    ]
    channels = [
        {
            "month": f.month(u.start),
            "channel": c.channel,
            "spend": f.money(c.spend.minor),
            "acquired": f.number(c.acquired),
            "cac": f.money(c.cac.minor if c.cac else None),
            "payback": f.months(c.payback_months),
        }
        for u in reversed(found)
        for c in u.channels
    ]
    title = pages.text("metrics.ltv", f.locale)
    ltv_chart = _line(
        "ltv-chart",
        title,
        months,
        [u.ltv.minor if u.ltv else None for u in found],
        f,
        lambda v: f.money(v),
        first,
        last,
    )
    arpa_title = pages.text("metrics.arpa", f.locale)
    arpa_chart = _line(
        "arpa-chart",
        arpa_title,
        months,
        [u.arpa.minor if u.arpa else None for u in found],
        f,
        lambda v: f.money(v),
        first,
        last,
    )
    return _render(
        request,
        operator,
        view,
        "unit-economics",
        rows=rows,
        channels=channels,
        ltv_chart=ltv_chart,
        arpa_chart=arpa_chart,
        gross_margin=f.percent(chosen.settings.gross_margin),
    )


@router.get("/funnels")
def funnels(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    view = _view(request, operator, request.query_params.get("currency"))
    f = Formats(operator.locale, view.currency)
    start, end = _range(view)
    with pages.unit(request) as session:
        w = funnel_reads.window(session, view.tenant, start, end, Granularity.MONTH)
        trials = funnel_reads.trials(session, view.tenant, w, None)
        checkout = funnel_reads.checkout(session, view.tenant, w, None)
        dunning = funnel_reads.dunning(session, view.tenant, w, None)
        kinds = funnel_reads.churn_kinds(session, view.tenant, w, view.currency, None)
        flows = funnel_reads.cancellations(session, view.tenant, w)
        support = funnel_reads.support(session, view.tenant, w)
    months = [f.month(a, "LLL") for a, _, _ in trials]
    first, last = f.month(trials[0][0]), f.month(trials[-1][0])
    rate = _rate_label(f.locale)
    conversions = [
        {
            "month": f.month(a),
            "trials": f"{f.number(t.converted)} / {f.number(t.ended)}",
            "trial_rate": f.percent(t.conversion),
            "checkouts": f"{f.number(c.completed)} / {f.number(c.created)}",
            "checkout_rate": f.percent(c.conversion),
            "dunning": f"{f.number(d.recovered)} / {f.number(d.entered)}",
            "recovery_rate": f.percent(d.recovery_rate),
        }
        for (a, _, t), (_, _, c), (_, _, d) in zip(trials, checkout, dunning, strict=True)
    ]
    trial_chart = _line(
        "trial-chart",
        pages.text("metrics.trial_conversion", f.locale),
        months,
        [_per_mille(t.conversion) for _, _, t in trials],
        f,
        rate,
        first,
        last,
    )
    recovery_chart = _line(
        "recovery-chart",
        pages.text("metrics.dunning_recovery", f.locale),
        months,
        [_per_mille(d.recovery_rate) for _, _, d in dunning],
        f,
        rate,
        first,
        last,
    )
    kind_title = pages.text("metrics.churn_kinds", f.locale)
    kinds_chart = charts.stacked_bars(
        "kinds-chart",
        kind_title,
        pages.text("metrics.chart_desc", f.locale, title=kind_title, first=first, last=last),
        months,
        [
            charts.Series(
                k.value,
                pages.text(f"metrics.{k.value}", f.locale),
                [-v.mrr[k] for _, _, v in kinds],
            )
            for k in ChurnKind
        ],
        lambda v: f.money(v),
    )
    kind_rows = [
        {
            "month": f.month(a),
            **{k.value: f.number(v.subscriptions[k]) for k in ChurnKind},
            **{f"{k.value}_mrr": f.money(v.mrr[k]) for k in ChurnKind},
        }
        for a, _, v in kinds
    ]
    reasons: dict[str, int] = {}
    offered = accepted = declined = 0
    for _, _, o in flows:
        for code, count in o.reasons.items():
            reasons[code] = reasons.get(code, 0) + count
        offered, accepted, declined = (
            offered + o.offered,
            accepted + o.accepted,
            declined + o.declined,
        )
    support_rows = [
        {
            "month": f.month(a),
            "requests": f.number(t.requests),
            "answered": f.number(t.answered),
            "median": f.duration(t.median),
            "p90": f.duration(t.p90),
        }
        for a, _, t in support
    ]
    return _render(
        request,
        operator,
        view,
        "funnels",
        conversions=conversions,
        trial_chart=trial_chart,
        recovery_chart=recovery_chart,
        kinds_chart=kinds_chart,
        kind_rows=kind_rows,
        kinds=[k.value for k in ChurnKind],
        reasons=sorted(reasons.items(), key=lambda kv: -kv[1]),
        offers={
            "offered": f.number(offered),
            "accepted": f.number(accepted),
            "declined": f.number(declined),
            "rate": f.percent(metrics.ratio(accepted, accepted + declined)),
        },
        support_rows=support_rows,
        stages=CHECKOUT_STAGES,
    )
