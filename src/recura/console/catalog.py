"""The Catalog section: what the business sells. Products, plans (with their versions),
features, billable metrics, add-ons, coupons and promotion codes each have a list (newest
first, a page at a time, test or live data) and a page per object, which shows it as the
API returns it (`*_out`, so the two never disagree) with what hangs off it: a product's
plans, a plan's versions, a coupon's promotion codes.

The forms that create and change them are `catalog_forms.py` (a price's tiers:
`catalog_tiers.py`); archiving is `catalog_archive.py`, an add-on's features
`catalog_grants.py`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.console import auth, catalog_tiers, modes, operations, pages
from recura.console.auth import Operator
from recura.db.base import TenantColumns
from recura.db.models import AddOn, BillableMetric, Coupon, Feature, Plan, Product, PromotionCode
from recura.domains.add_ons import service as add_ons
from recura.domains.billable_metrics import service as metrics
from recura.domains.common import lookup
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import service as coupons
from recura.domains.features import service as features
from recura.domains.plans import service as plans
from recura.domains.products import service as products

router = APIRouter(prefix="/console/catalog")
READ = auth.require("catalog.read")
SHOWN = 100

Lister = Callable[[Session, Tenant, int, str | None], Page[Any]]
Shower = Callable[[Session, Tenant, list[Any]], Sequence[BaseModel]]


@dataclass(frozen=True, slots=True)
class Kind:
    key: str  # the path's segment and the sentences' prefix: "products"
    param: str  # the page's path parameter: "product_id"
    model: type[TenantColumns]
    listed: Lister
    shown: Shower
    columns: tuple[str, ...]  # fields of the API's object the list shows after the name
    creatable: bool = False


KINDS = (
    Kind(
        "products",
        "product_id",
        Product,
        lambda s, t, n, a: products.page(s, t, n, a),
        lambda s, t, rows: [products.to_out(r) for r in rows],
        ("description",),
        creatable=True,
    ),
    Kind(
        "plans",
        "plan_id",
        Plan,
        lambda s, t, n, a: plans.page(s, t, limit=n, starting_after=a),
        lambda s, t, rows: plans.plans_out(s, t, rows),
        ("code", "interval_unit", "current_version"),
        creatable=True,
    ),
    Kind(
        "features",
        "feature_id",
        Feature,
        lambda s, t, n, a: features.page(s, t, n, a, None),
        lambda s, t, rows: [features.to_out(r) for r in rows],
        ("code", "kind"),
        creatable=True,
    ),
    Kind(
        "billable_metrics",
        "metric_id",
        BillableMetric,
        lambda s, t, n, a: metrics.page(s, t, limit=n, starting_after=a),
        lambda s, t, rows: [metrics.to_out(r) for r in rows],
        ("code", "aggregation"),
        creatable=True,
    ),
    Kind(
        "add_ons",
        "add_on_id",
        AddOn,
        lambda s, t, n, a: add_ons.page(s, t, n, a, None),
        lambda s, t, rows: add_ons.to_out(s, t, rows),
        ("code", "prices"),
        creatable=True,
    ),
    Kind(
        "coupons",
        "coupon_id",
        Coupon,
        lambda s, t, n, a: coupons.coupon_page(s, t, limit=n, starting_after=a),
        lambda s, t, rows: [coupons.coupon_out(r) for r in rows],
        ("code", "percent_off", "amounts_off", "duration", "times_redeemed"),
        creatable=True,
    ),
    Kind(
        "promotion_codes",
        "promotion_code_id",
        PromotionCode,
        lambda s, t, n, a: coupons.promotion_page(s, t, limit=n, starting_after=a),
        lambda s, t, rows: [coupons.promotion_out(r) for r in rows],
        ("coupon", "active", "times_redeemed", "expires_at"),
        creatable=True,
    ),
)
BY_KEY = {kind.key: kind for kind in KINDS}
# The kinds whose domain can archive them (`catalog_archive`); a promotion code is turned
# off instead.
ARCHIVABLE = ("products", "plans", "features", "billable_metrics", "add_ons", "coupons")


def path_of(kind: str) -> str:
    return f"/console/catalog/{kind.replace('_', '-')}"


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    path: str


TABS = tuple(Tab(kind.key, path_of(kind.key)) for kind in KINDS)


def render(
    request: Request, operator: Operator, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """A Catalog page, with the section's tabs."""
    return operations.render(request, operator, template, status, kinds_nav=TABS, **values)


def value_text(
    value: Any, t: Callable[..., str], money: Callable[[int, str], str], locale: str = "en"
) -> str:
    """One field of an API object as a sentence fragment: money as money, lists joined,
    a price by its amounts (or its tiers in words), yes or no for a flag."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return t("catalog.yes") if value else t("catalog.no")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, BaseModel):
        return value_text(value.model_dump(), t, money, locale)
    if isinstance(value, dict):
        if set(value) >= {"amount", "currency"} and isinstance(value["amount"], int):
            return money(value["amount"], value["currency"])
        if {"feature", "code", "kind", "value"} <= set(value):  # a feature an object grants
            granted = value["value"]
            amount = (
                t("catalog.unlimited") if granted is None else value_text(granted, t, money, locale)
            )
            return f"{value['code']}: {amount}"
        if value.get("tiers") and "currency" in value:  # a tiered price: its tiers in words
            return "; ".join(catalog_tiers.described(value, t, money, locale))
        if "currency" in value:  # a price: its amounts by what the model reads
            parts = [
                f"{k} {value_text(v, t, money, locale)}" for k, v in value.items() if v is not None
            ]
            return ", ".join(p for p in parts if not p.startswith("currency"))
        if "version" in value and "prices" in value:
            return (
                t("catalog.version_prices", version=value["version"])
                + " "
                + value_text(value["prices"], t, money, locale)
            )
        return ", ".join(f"{k}: {value_text(v, t, money, locale)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(value_text(v, t, money, locale) for v in value)
    if isinstance(value, str) and operations.known(f"catalog.option.{value}"):
        return t(f"catalog.option.{value}")  # an enum's value: "month", "in_advance"
    return str(value)


def _tenant_row(
    session: Session, account_id: str, model: type[TenantColumns], object_id: str
) -> Any:
    return lookup.by_keys(session, model, [(account_id, object_id)]).get((account_id, object_id))


@router.get("")
def overview(request: Request, mode: str = "", operator: Operator = Depends(READ)) -> HTMLResponse:
    test = mode == modes.TEST
    tenant = operations.tenant(operator, test)
    with pages.unit(request) as session:
        firsts = {kind.key: kind.listed(session, tenant, 5, None) for kind in KINDS}
        shown = {key: _names(found.items) for key, found in firsts.items()}
        session.expunge_all()
    return render(
        request,
        operator,
        "catalog.html",
        kinds=KINDS,
        shown=shown,
        more={key: found.has_more for key, found in firsts.items()},
        path_of=path_of,
        test=test,
        other_mode="/console/catalog" + ("" if test else "?mode=test"),
    )


def _names(rows: Sequence[Any]) -> list[tuple[str, str]]:
    return [(row.id, getattr(row, "name", None) or getattr(row, "code", row.id)) for row in rows]


def _list_endpoint(kind: Kind) -> Callable[..., HTMLResponse]:
    def listing(
        request: Request,
        after: str = "",
        mode: str = "",
        done: str = "",
        operator: Operator = Depends(READ),
    ) -> HTMLResponse:
        test = mode == modes.TEST
        tenant = operations.tenant(operator, test)
        with pages.unit(request) as session:
            found = kind.listed(session, tenant, operations.PER_PAGE, after[:64] or None)
            rows = kind.shown(session, tenant, found.items)
            session.expunge_all()
        base = path_of(kind.key)
        mode = modes.TEST if test else ""
        more = None
        if found.has_more:
            more = operations.link(base, mode=mode, after=found.items[-1].id)
        return render(
            request,
            operator,
            "catalog_list.html",
            kind=kind,
            rows=rows,
            base=base,
            value_text=partial(value_text, locale=operator.locale),
            test=test,
            first_page=operations.link(base, mode=mode) if after else None,
            more=more,
            other_mode=base + ("" if test else "?mode=test"),
        )

    return listing


def _page_endpoint(kind: Kind) -> Callable[..., HTMLResponse]:
    def detail(
        request: Request, done: str = "", operator: Operator = Depends(READ)
    ) -> HTMLResponse:
        object_id = str(request.path_params[kind.param])[:64]
        with pages.unit(request) as session:
            row = _tenant_row(session, operator.account.id, kind.model, object_id)
            if row is None:
                return auth.render(request, operator, "not_found.html", 404)
            tenant = Tenant(row.account_id, row.livemode)
            (shown,) = kind.shown(session, tenant, [row])
            related = _related(session, tenant, kind, row)
            session.expunge_all()
        fields = shown.model_dump(exclude={"object"})
        return render(
            request,
            operator,
            "catalog_object.html",
            kind=kind,
            row=row,
            fields={name: getattr(shown, name) for name in fields},
            related=related,
            value_text=partial(value_text, locale=operator.locale),
            base=path_of(kind.key),
            path_of=path_of,
            done=done if done in ("created", "updated", "versioned", "archived") else None,
            archivable=ARCHIVABLE,
            tier_lines=partial(catalog_tiers.described, locale=operator.locale),
        )

    detail.__name__ = f"catalog_{kind.key}_page"
    return detail


def _related(session: Session, tenant: Tenant, kind: Kind, row: Any) -> dict[str, Any]:
    """What the object's page lists below it."""
    if kind.key == "products":
        of_product = plans.page(session, tenant, limit=SHOWN, starting_after=None, product=row.id)
        return {"plans": [(p.id, p.name) for p in of_product.items]}
    if kind.key == "plans":
        found_versions = plans.versions(session, tenant, row.id)
        versions = plans.versions_out(session, tenant, found_versions)
        current = max(versions, key=lambda v: v.version)
        tiered = [p.model_dump() for p in current.prices if p.tiers]
        return {"versions": versions, "tiers": (current.pricing_model.value, tiered)}
    if kind.key == "coupons":
        codes = coupons.promotion_page(
            session, tenant, limit=SHOWN, starting_after=None, coupon=row.id
        )
        return {"promotion_codes": [(p.id, p.code) for p in codes.items]}
    return {}


for _kind in KINDS:
    router.add_api_route(
        path_of(_kind.key).removeprefix("/console/catalog"),
        _list_endpoint(_kind),
        methods=["GET"],
        name=f"console_catalog_{_kind.key}",
    )

# An object's page comes after the forms' own paths (`…/new`), which would otherwise be
# taken for an id: routes.py includes this router after catalog_forms'.
object_router = APIRouter(prefix="/console/catalog")
for _kind in KINDS:
    object_router.add_api_route(
        path_of(_kind.key).removeprefix("/console/catalog") + "/{" + _kind.param + "}",
        _page_endpoint(_kind),
        methods=["GET"],
        name=f"console_catalog_{_kind.key}_page",
    )
