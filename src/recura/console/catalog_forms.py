"""The Catalog's forms: a product (new, edit), a plan (new, and a new version of its price),
a feature, a billable metric and an add-on (new, and their name and description), a
coupon and a promotion code (new, edit).

Each form's fields become the API's own request schema (`ProductCreate`, `PlanUpdate`, …)
and go to the service the API calls, so the rules are the API's; what either refuses is
shown beside its field in the operator's language (`form_errors`). Amounts are typed in
the currency's major unit ("49.90") and sent in minor units, as the API takes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, catalog_tiers, form_errors, modes, operations, pages
from recura.console.auth import Operator
from recura.console.catalog import path_of, render
from recura.console.catalog_tiers import FieldProblem
from recura.core.money import exponent, is_currency
from recura.db.base import TenantColumns
from recura.db.models import (
    AddOn,
    BillableMetric,
    Coupon,
    Feature,
    Plan,
    Product,
    PromotionCode,
)
from recura.domains.add_ons import service as add_ons
from recura.domains.add_ons.schemas import AddOnCreate, AddOnUpdate
from recura.domains.billable_metrics import service as metrics
from recura.domains.billable_metrics.schemas import BillableMetricCreate, BillableMetricUpdate
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import service as coupons
from recura.domains.coupons.schemas import (
    CouponCreate,
    CouponUpdate,
    PromotionCodeCreate,
    PromotionCodeUpdate,
)
from recura.domains.features import service as features
from recura.domains.features.schemas import FeatureCreate, FeatureUpdate
from recura.domains.plans import service as plans
from recura.domains.plans.schemas import PlanCreate, PlanUpdate
from recura.domains.products import service as products
from recura.domains.products.schemas import ProductCreate, ProductUpdate

router = APIRouter(prefix="/console/catalog")
WRITE = auth.require("catalog.write")
CHOICES = 100
PRICING_MODELS = ("flat", "per_unit", "free")
# Plans take tiers too (add-ons could, through the API; their form keeps the simple ones).
PLAN_PRICING_MODELS = ("flat", "per_unit", *catalog_tiers.TIERED, "free")
INTERVALS = ("month", "year", "week", "day")
DURATIONS = ("once", "repeating", "forever")
FEATURE_KINDS = ("boolean", "limit", "metered")
AGGREGATIONS = ("count", "sum", "max", "unique_count", "latest")
RATE_KINDS = ("standard", "reduced", "reduced_lower")
NATURES = ("electronic", "services", "goods")


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    kind: str = "text"  # text | textarea | number | amount | date | select | checkbox | tiers
    required: bool = False
    options: tuple[str, ...] = ()  # a select's fixed values, named by `catalog.option.*`
    source: str = ""  # a select whose values are the account's objects: "products"
    max_length: int = 200


@dataclass(frozen=True, slots=True)
class Form:
    key: str  # "product_new": the form key, title and sentence prefix
    kind: str  # the catalog kind it makes or changes
    inputs: tuple[Input, ...]
    build: Callable[[dict[str, str], str], BaseModel]  # fields, timezone → schema
    act: Callable[[Session, Tenant, BaseModel, str, datetime], TenantColumns]
    action: str  # the audit entry's
    done: str = "created"
    model: type[TenantColumns] | None = None  # the object an edit form changes
    # Schema locations named by another field (`prices` is typed as `amount`).
    aliases: dict[str, str] = field(default_factory=dict)
    # An edit form's values from the object (and the account's time zone, for days).
    prefill: Callable[[Any, str], dict[str, str]] | None = None


def _text(fields: dict[str, str], name: str) -> str | None:
    value = fields.get(name, "").strip()
    return value or None


def _minor(fields: dict[str, str], amount: str = "amount", currency: str = "currency") -> int:
    """A major-unit amount ("49.90") in the currency's minor units."""
    code = (fields.get(currency) or "").strip().upper()
    if not is_currency(code):
        raise FieldProblem(currency, "currency")
    try:
        value = Decimal((fields.get(amount) or "").strip().replace(",", "."))
    except InvalidOperation:
        raise FieldProblem(amount, "amount") from None
    minor = value.scaleb(exponent(code))
    if not value.is_finite() or minor != minor.to_integral_value() or value < 0:
        raise FieldProblem(amount, "amount")
    return int(minor)


def _end_of(fields: dict[str, str], name: str, timezone: str) -> datetime | None:
    """A day typed as YYYY-MM-DD: its last moment in the account's zone."""
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    day = operations.parse_day(raw)
    if day is None:
        raise FieldProblem(name, "date")
    return operations.day_bounds(None, day, timezone)[1]


def _price(fields: dict[str, str]) -> dict[str, Any]:
    """One price of the chosen model. Tiers and an amount are sent whenever they are filled
    in, so one the model does not use is refused beside it rather than quietly dropped."""
    model = fields.get("pricing_model", "")
    currency = (fields.get("currency") or "").strip().upper()
    price: dict[str, Any] = {"currency": currency}
    if catalog_tiers.filled(fields):
        price["tiers"] = catalog_tiers.read(fields, currency)
    if model == "free" or (model in catalog_tiers.TIERED and not _text(fields, "amount")):
        return price
    minor = _minor(fields)
    if model == "per_unit":
        price["unit_amount"] = str(minor)
    else:
        price["amount"] = minor
    return price


def _names(input: Input) -> tuple[str, ...]:
    """The fields an input is sent as: a tiers input is a few rows of cells."""
    return catalog_tiers.NAMES if input.kind == "tiers" else (input.name,)


def _product(fields: dict[str, str], _: str) -> BaseModel:
    return ProductCreate(name=fields.get("name", ""), description=_text(fields, "description"))


def _product_edit(fields: dict[str, str], _: str) -> BaseModel:
    return ProductUpdate(name=fields.get("name", ""), description=_text(fields, "description"))


def _plan(fields: dict[str, str], _: str) -> BaseModel:
    return PlanCreate.model_validate(
        {
            "product": fields.get("product", ""),
            "code": fields.get("code", "").strip(),
            "name": fields.get("name", ""),
            "description": _text(fields, "description"),
            "interval_unit": fields.get("interval_unit", ""),
            "interval_count": fields.get("interval_count", "").strip() or "1",
            "trial_days": fields.get("trial_days", "").strip() or "0",
            "tax_rate_kind": fields.get("tax_rate_kind", "").strip() or "standard",
            "supply_nature": fields.get("supply_nature", "").strip() or "electronic",
            "pricing_model": fields.get("pricing_model", ""),
            "prices": [_price(fields)],
        }
    )


def _plan_version(fields: dict[str, str], _: str) -> BaseModel:
    return PlanUpdate.model_validate(
        {"pricing_model": fields.get("pricing_model", ""), "prices": [_price(fields)]}
    )


def _feature(fields: dict[str, str], _: str) -> BaseModel:
    return FeatureCreate.model_validate(
        {
            "code": fields.get("code", "").strip(),
            "name": fields.get("name", ""),
            "description": _text(fields, "description"),
            "kind": fields.get("kind", ""),
            "billable_metric": _text(fields, "billable_metric"),
        }
    )


def _metric(fields: dict[str, str], _: str) -> BaseModel:
    """A metric with at most one filter: a property and the values it may take, separated
    by commas (the API takes up to 20 filters)."""
    prop = _text(fields, "filter_property")
    values = [v.strip() for v in fields.get("filter_values", "").split(",") if v.strip()]
    if prop and not values:
        raise FieldProblem("filter_values", "missing")
    if values and not prop:
        raise FieldProblem("filter_property", "missing")
    return BillableMetricCreate.model_validate(
        {
            "code": fields.get("code", "").strip(),
            "name": fields.get("name", ""),
            "description": _text(fields, "description"),
            "aggregation": fields.get("aggregation", ""),
            "field_name": _text(fields, "field_name"),
            "filters": [{"property": prop, "values": values}] if prop else [],
        }
    )


def _metric_edit(fields: dict[str, str], _: str) -> BaseModel:
    return BillableMetricUpdate(
        name=fields.get("name", ""), description=_text(fields, "description")
    )


def _add_on(fields: dict[str, str], _: str) -> BaseModel:
    return AddOnCreate.model_validate(
        {
            "code": fields.get("code", "").strip(),
            "name": fields.get("name", ""),
            "description": _text(fields, "description"),
            "pricing_model": fields.get("pricing_model", ""),
            "tax_rate_kind": fields.get("tax_rate_kind", "").strip() or "standard",
            "supply_nature": fields.get("supply_nature", "").strip() or "electronic",
            "prices": [_price(fields)],
        }
    )


def _add_on_edit(fields: dict[str, str], _: str) -> BaseModel:
    return AddOnUpdate(name=fields.get("name", ""), description=_text(fields, "description"))


def _named(row: Any, _: str) -> dict[str, str]:
    """An edit form of a name and a description, as the object has them."""
    return {"name": row.name, "description": row.description or ""}


def _coupon(fields: dict[str, str], timezone: str) -> BaseModel:
    body: dict[str, Any] = {
        "code": fields.get("code", "").strip(),
        "name": fields.get("name", ""),
        "duration": fields.get("duration", ""),
        "duration_in_periods": _text(fields, "duration_in_periods"),
        "max_redemptions": _text(fields, "max_redemptions"),
        "redeem_by": _end_of(fields, "redeem_by", timezone),
    }
    if _text(fields, "percent_off"):
        body["percent_off"] = fields["percent_off"].strip().replace(",", ".")
    if _text(fields, "amount"):
        body["amounts_off"] = [
            {"amount": _minor(fields), "currency": fields.get("currency", "").strip().upper()}
        ]
    return CouponCreate.model_validate(body)


def _feature_edit(fields: dict[str, str], _: str) -> BaseModel:
    return FeatureUpdate(name=fields.get("name", ""), description=_text(fields, "description"))


def _coupon_edit(fields: dict[str, str], timezone: str) -> BaseModel:
    """Empty limits clear them: no cap on uses, no last day."""
    return CouponUpdate.model_validate(
        {
            "name": fields.get("name", ""),
            "max_redemptions": _text(fields, "max_redemptions"),
            "redeem_by": _end_of(fields, "redeem_by", timezone),
        }
    )


def _promotion_edit(fields: dict[str, str], timezone: str) -> BaseModel:
    return PromotionCodeUpdate.model_validate(
        {
            "active": fields.get("active") == "on",
            "max_redemptions": _text(fields, "max_redemptions"),
            "expires_at": _end_of(fields, "expires_at", timezone),
        }
    )


def _last_day(at: datetime | None, timezone: str) -> str:
    """The day a stored deadline (the end of a day, `_end_of`) was typed as."""
    if at is None:
        return ""
    return (at.astimezone(ZoneInfo(timezone)) - timedelta(seconds=1)).date().isoformat()


def _limit(value: int | None) -> str:
    return "" if value is None else str(value)


def _promotion(fields: dict[str, str], timezone: str) -> BaseModel:
    return PromotionCodeCreate.model_validate(
        {
            "code": fields.get("code", "").strip(),
            "coupon": fields.get("coupon", ""),
            "max_redemptions": _text(fields, "max_redemptions"),
            "expires_at": _end_of(fields, "expires_at", timezone),
            "first_time_only": fields.get("first_time_only") == "on",
        }
    )


FORMS = (
    Form(
        "product_new",
        "products",
        (Input("name", required=True), Input("description", "textarea", max_length=1000)),
        _product,
        lambda s, t, data, _, now: products.create(s, t, data, now),  # type: ignore[arg-type]
        "product.create",
    ),
    Form(
        "product_edit",
        "products",
        (Input("name", required=True), Input("description", "textarea", max_length=1000)),
        _product_edit,
        lambda s, t, data, object_id, now: products.update(s, t, object_id, data, now),  # type: ignore[arg-type]
        "product.update",
        done="updated",
        model=Product,
        prefill=lambda row, _: {"name": row.name, "description": row.description or ""},
    ),
    Form(
        "plan_new",
        "plans",
        (
            Input("product", "select", required=True, source="products"),
            Input("code", required=True, max_length=64),
            Input("name", required=True),
            Input("description", "textarea", max_length=1000),
            Input("interval_unit", "select", required=True, options=INTERVALS),
            Input("interval_count", "number"),
            Input("trial_days", "number"),
            Input("tax_rate_kind", "select", required=True, options=RATE_KINDS),
            Input("supply_nature", "select", required=True, options=NATURES),
            Input("pricing_model", "select", required=True, options=PLAN_PRICING_MODELS),
            Input("currency", required=True, max_length=3),
            Input("amount", "amount"),
            Input("tiers", "tiers", max_length=40),
        ),
        _plan,
        lambda s, t, data, _, now: plans.create(s, t, data, now),  # type: ignore[arg-type]
        "plan.create",
        aliases={"prices": "amount"},
    ),
    Form(
        "plan_version",
        "plans",
        (
            Input("pricing_model", "select", required=True, options=PLAN_PRICING_MODELS),
            Input("currency", required=True, max_length=3),
            Input("amount", "amount"),
            Input("tiers", "tiers", max_length=40),
        ),
        _plan_version,
        lambda s, t, data, object_id, now: plans.update(s, t, object_id, data, now),  # type: ignore[arg-type]
        "plan.update",
        done="versioned",
        model=Plan,
        aliases={"prices": "amount"},
        prefill=lambda row, _: {"currency": "", "pricing_model": "flat"},
    ),
    Form(
        "feature_new",
        "features",
        (
            Input("code", required=True, max_length=64),
            Input("name", required=True),
            Input("description", "textarea", max_length=1000),
            Input("kind", "select", required=True, options=FEATURE_KINDS),
            Input("billable_metric", "select", source="billable_metrics"),
        ),
        _feature,
        lambda s, t, data, _, now: features.create(s, t, data, now),  # type: ignore[arg-type]
        "feature.create",
    ),
    Form(
        "feature_edit",
        "features",
        (Input("name", required=True), Input("description", "textarea", max_length=1000)),
        _feature_edit,
        lambda s, t, data, object_id, now: features.update(s, t, object_id, data, now),  # type: ignore[arg-type]
        "feature.update",
        done="updated",
        model=Feature,
        prefill=lambda row, _: {"name": row.name, "description": row.description or ""},
    ),
    Form(
        "billable_metric_new",
        "billable_metrics",
        (
            Input("code", required=True, max_length=64),
            Input("name", required=True),
            Input("description", "textarea", max_length=1000),
            Input("aggregation", "select", required=True, options=AGGREGATIONS),
            Input("field_name", max_length=64),
            Input("filter_property", max_length=64),
            Input("filter_values", max_length=2000),
        ),
        _metric,
        lambda s, t, data, _, now: metrics.create(s, t, data, now),  # type: ignore[arg-type]
        "billable_metric.create",
        aliases={"filters": "filter_property"},
    ),
    Form(
        "billable_metric_edit",
        "billable_metrics",
        (Input("name", required=True), Input("description", "textarea", max_length=1000)),
        _metric_edit,
        lambda s, t, data, object_id, now: metrics.update(s, t, object_id, data, now),  # type: ignore[arg-type]
        "billable_metric.update",
        done="updated",
        model=BillableMetric,
        prefill=_named,
    ),
    Form(
        "add_on_new",
        "add_ons",
        (
            Input("code", required=True, max_length=64),
            Input("name", required=True),
            Input("description", "textarea", max_length=1000),
            Input("tax_rate_kind", "select", required=True, options=RATE_KINDS),
            Input("supply_nature", "select", required=True, options=NATURES),
            Input("pricing_model", "select", required=True, options=PRICING_MODELS),
            Input("currency", required=True, max_length=3),
            Input("amount", "amount"),
        ),
        _add_on,
        lambda s, t, data, _, now: add_ons.create(s, t, data, now),  # type: ignore[arg-type]
        "add_on.create",
        aliases={"prices": "amount"},
    ),
    Form(
        "add_on_edit",
        "add_ons",
        (Input("name", required=True), Input("description", "textarea", max_length=1000)),
        _add_on_edit,
        lambda s, t, data, object_id, now: add_ons.update(s, t, object_id, data, now),  # type: ignore[arg-type]
        "add_on.update",
        done="updated",
        model=AddOn,
        prefill=_named,
    ),
    Form(
        "coupon_edit",
        "coupons",
        (
            Input("name", required=True),
            Input("max_redemptions", "number"),
            Input("redeem_by", "date"),
        ),
        _coupon_edit,
        lambda s, t, data, object_id, now: coupons.update_coupon(s, t, object_id, data, now),  # type: ignore[arg-type]
        "coupon.update",
        done="updated",
        model=Coupon,
        prefill=lambda row, zone: {
            "name": row.name,
            "max_redemptions": _limit(row.max_redemptions),
            "redeem_by": _last_day(row.redeem_by, zone),
        },
    ),
    Form(
        "promotion_code_edit",
        "promotion_codes",
        (
            Input("active", "checkbox"),
            Input("max_redemptions", "number"),
            Input("expires_at", "date"),
        ),
        _promotion_edit,
        lambda s, t, data, object_id, now: coupons.update_promotion(s, t, object_id, data, now),  # type: ignore[arg-type]
        "promotion_code.update",
        done="updated",
        model=PromotionCode,
        prefill=lambda row, zone: {
            "active": "on" if row.active else "",
            "max_redemptions": _limit(row.max_redemptions),
            "expires_at": _last_day(row.expires_at, zone),
        },
    ),
    Form(
        "coupon_new",
        "coupons",
        (
            Input("code", required=True, max_length=64),
            Input("name", required=True),
            Input("percent_off", "number"),
            Input("amount", "amount"),
            Input("currency", max_length=3),
            Input("duration", "select", required=True, options=DURATIONS),
            Input("duration_in_periods", "number"),
            Input("max_redemptions", "number"),
            Input("redeem_by", "date"),
        ),
        _coupon,
        lambda s, t, data, _, now: coupons.create_coupon(s, t, data, now),  # type: ignore[arg-type]
        "coupon.create",
        aliases={"amounts_off": "amount"},
    ),
    Form(
        "promotion_code_new",
        "promotion_codes",
        (
            Input("code", required=True, max_length=40),
            Input("coupon", "select", required=True, source="coupons"),
            Input("max_redemptions", "number"),
            Input("expires_at", "date"),
            Input("first_time_only", "checkbox"),
        ),
        _promotion,
        lambda s, t, data, _, now: coupons.create_promotion(s, t, data, now),  # type: ignore[arg-type]
        "promotion_code.create",
    ),
)


def _choices(session: Session, tenant: Tenant, source: str) -> list[tuple[str, str]]:
    """A select's values: the account's objects of a kind (not archived), newest first."""
    if source == "products":
        rows: list[Any] = products.page(session, tenant, CHOICES, None).items
    elif source == "coupons":
        rows = coupons.coupon_page(
            session, tenant, limit=CHOICES, starting_after=None, archived=False
        ).items
    else:
        rows = metrics.page(
            session, tenant, limit=CHOICES, starting_after=None, archived=False
        ).items
    return [
        (row.id, f"{getattr(row, 'name', '')} ({getattr(row, 'code', row.id)})")
        for row in rows
        if getattr(row, "archived_at", None) is None
    ]


def _show(
    request: Request,
    operator: Operator,
    form: Form,
    tenant: Tenant,
    values: dict[str, str],
    *,
    object_id: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with pages.unit(request) as session:
        choices = {i.name: _choices(session, tenant, i.source) for i in form.inputs if i.source}
        session.expunge_all()
    action = path_of(form.kind) + (f"/{object_id}/" if object_id else "/") + _verb(form)
    return render(
        request,
        operator,
        "catalog_form.html",
        status,
        form=form,
        values=values,
        errors=errors or {},
        choices=choices,
        action=action,
        back=path_of(form.kind) + (f"/{object_id}" if object_id else ""),
        form_name=form.key + (f"_{object_id}" if object_id else ""),
        test=not tenant.livemode,
        tier_rows=catalog_tiers.ROWS,
        tier_columns=catalog_tiers.COLUMNS,
    )


def _verb(form: Form) -> str:
    if form.key.endswith("_edit"):
        return "edit"
    return "version" if form.key == "plan_version" else "new"


def _find(
    request: Request, operator: Operator, form: Form, object_id: str
) -> tuple[Tenant, Any] | None:
    assert form.model is not None
    with pages.unit(request) as session:
        key = (operator.account.id, object_id)
        row = lookup.by_keys(session, form.model, [key]).get(key)
        if row is None:
            return None
        session.expunge_all()
    return Tenant(row.account_id, row.livemode), row


def _get_endpoint(form: Form) -> Callable[..., HTMLResponse]:
    def show(request: Request, mode: str = "", operator: Operator = Depends(WRITE)) -> HTMLResponse:
        test = mode == modes.TEST
        object_id = str(request.path_params.get("object_id", ""))[:64]
        tenant = operations.tenant(operator, test)
        # A link may choose some fields ahead (a coupon's page: `?coupon=cpn_…`).
        values = {
            i.name: request.query_params[i.name][: i.max_length]
            for i in form.inputs
            if i.name in request.query_params
        }
        if object_id:
            found = _find(request, operator, form, object_id)
            if found is None:
                return auth.render(request, operator, "not_found.html", 404)
            tenant, row = found
            values = form.prefill(row, operator.account.timezone) if form.prefill else {}
        return _show(request, operator, form, tenant, values, object_id=object_id)

    return show


def _post_endpoint(form: Form) -> Callable[..., Any]:
    async def submit(request: Request, operator: Operator = Depends(WRITE)) -> Response:
        fields = await pages.form(request)
        object_id = str(request.path_params.get("object_id", ""))[:64]
        return await run_in_threadpool(_submit, request, operator, form, object_id, fields)

    return submit


def _submit(
    request: Request, operator: Operator, form: Form, object_id: str, fields: dict[str, str]
) -> Response:
    values = {n: fields.get(n, "")[: i.max_length] for i in form.inputs for n in _names(i)}
    tenant = operations.tenant(operator, fields.get(modes.PARAMETER) == modes.TEST)
    if object_id:
        found = _find(request, operator, form, object_id)
        if found is None:
            return auth.render(request, operator, "not_found.html", 404)
        tenant = found[0]
    locale = operator.locale

    def again(errors: dict[str, str], status: int) -> HTMLResponse:
        return _show(
            request,
            operator,
            form,
            tenant,
            values,
            object_id=object_id,
            errors=errors,
            status=status,
        )

    if not auth.form_accepted(
        request, operator, form.key + (f"_{object_id}" if object_id else ""), fields
    ):
        return again({"": operations.text("page.form_expired", locale)}, 403)
    try:
        data = form.build(values, operator.account.timezone)
    except FieldProblem as problem:
        return again({problem.field: operations.text(f"error.{problem.kind}", locale)}, 422)
    except ValidationError as error:
        return again(form_errors.of_validation(error, locale, form.aliases), 422)
    try:
        with pages.unit(request) as session:
            row = form.act(session, tenant, data, object_id, request.app.state.clock.now())
            audit.record(
                session,
                request,
                operator,
                form.action,
                form.action.split(".")[0],
                row.id,
                livemode=tenant.livemode,
            )
            made = row.id
    except (InvalidError, ConflictError) as error:
        return again(form_errors.of_domain(error, locale, form.aliases), 422)
    return RedirectResponse(f"{path_of(form.kind)}/{made}?done={form.done}", status_code=303)


for _form in FORMS:
    _path = path_of(_form.kind).removeprefix("/console/catalog")
    _path += "/{object_id}/" if _form.model else "/"
    _path += _verb(_form)
    router.add_api_route(_path, _get_endpoint(_form), methods=["GET"], name=f"console_{_form.key}")
    router.add_api_route(
        _path, _post_endpoint(_form), methods=["POST"], name=f"console_{_form.key}_post"
    )
