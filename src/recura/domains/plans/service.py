"""Plans and their versions: a price change adds a version, nothing already sold changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from recura.core.pricing import PricingModel
from recura.core.tax import Nature, RateKind
from recura.db.models import BillableMetric, MeteredCharge, Plan, PlanVersion, Product
from recura.domains.common import lookup
from recura.domains.common.errors import FieldError, InvalidError, NotFoundError, invalid
from recura.domains.common.fields import MoneyIn, money_out
from recura.domains.common.metadata import merge_metadata
from recura.domains.common.pages import Page
from recura.domains.common.prices import PriceIn, check_prices, prices_out
from recura.domains.common.tenant import Tenant
from recura.domains.features import grants
from recura.domains.plans import repository
from recura.domains.plans.schemas import (
    MAX_INTERVAL_COUNT,
    VERSIONED_FIELDS,
    ChargeIn,
    ChargeOut,
    PlanCreate,
    PlanOut,
    PlanUpdate,
    PlanVersionOut,
)
from recura.ids import new_id


def get(session: Session, tenant: Tenant, plan_id: str) -> Plan:
    return lookup.require(session, tenant, Plan, plan_id, "plan")


def create(session: Session, tenant: Tenant, data: PlanCreate, now: datetime) -> Plan:
    lookup.referenced(session, tenant, Product, data.product, "product", "/product")
    if data.interval_count > MAX_INTERVAL_COUNT[data.interval_unit]:
        limit = MAX_INTERVAL_COUNT[data.interval_unit]
        raise invalid("/interval_count", f"at most {limit} for {data.interval_unit} intervals")
    terms = _checked_terms(session, tenant, data.model_dump(include=set(VERSIONED_FIELDS)))
    checked_grants = grants.check(session, tenant, data.features, "/features")
    lookup.ensure_code_free(session, tenant, Plan, data.code, "plan")
    plan = Plan(
        id=new_id("plan"),
        **tenant.row_keys(),
        product_id=data.product,
        code=data.code,
        name=data.name,
        description=data.description,
        interval_unit=data.interval_unit.value,
        interval_count=data.interval_count,
        billing_timing=data.billing_timing.value,
        trial_days=data.trial_days,
        tax_rate_kind=data.tax_rate_kind.value,
        supply_nature=data.supply_nature.value,
        metadata_=data.metadata,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.flush()
    _add_version(session, tenant, plan, 1, terms, now)
    grants.replace(session, tenant, checked_grants, now, plan_id=plan.id)
    return plan


def update(session: Session, tenant: Tenant, plan_id: str, data: PlanUpdate, now: datetime) -> Plan:
    plan = get(session, tenant, plan_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "trial_days"):
        if changes.get(field) is not None:
            setattr(plan, field, changes[field])
    if data.tax_rate_kind is not None:
        plan.tax_rate_kind = data.tax_rate_kind.value
    if data.supply_nature is not None:
        plan.supply_nature = data.supply_nature.value
    if "metadata" in changes:
        plan.metadata_ = merge_metadata(plan.metadata_, changes["metadata"])
    if "description" in changes:
        plan.description = changes["description"]
    if data.features is not None:
        checked = grants.check(session, tenant, data.features, "/features")
        grants.replace(session, tenant, checked, now, plan_id=plan.id)
    if any(field in changes for field in VERSIONED_FIELDS):
        current = _current(session, tenant, plan)
        proposed = {**_stored_terms(session, tenant, current), **changes}
        terms = _checked_terms(session, tenant, {f: proposed[f] for f in VERSIONED_FIELDS})
        if terms != _stored_terms(session, tenant, current):
            _add_version(session, tenant, plan, current.version + 1, terms, now)
    plan.updated_at = now
    session.flush()
    return plan


def archive(session: Session, tenant: Tenant, plan_id: str, now: datetime) -> Plan:
    return lookup.archive(get(session, tenant, plan_id), "plan", now)


def page(session: Session, tenant: Tenant, **filters: Any) -> Page[Plan]:
    return repository.page(session, tenant, **filters)


def version(session: Session, tenant: Tenant, plan_id: str, number: int) -> PlanVersion:
    get(session, tenant, plan_id)
    found = repository.version(session, tenant, plan_id, number)
    if found is None:
        raise NotFoundError("plan version", f"{plan_id}/versions/{number}")
    return found


def versions(session: Session, tenant: Tenant, plan_id: str) -> list[PlanVersion]:
    get(session, tenant, plan_id)
    return repository.versions(session, tenant, plan_id)


def _current(session: Session, tenant: Tenant, plan: Plan) -> PlanVersion:
    return repository.current_versions(session, tenant, [plan.id])[plan.id]


def _checked_terms(session: Session, tenant: Tenant, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate the versioned fields together; return them as a version stores them."""
    model = PricingModel(raw["pricing_model"])
    min_q, max_q = _decimal(raw.get("min_quantity")), _decimal(raw.get("max_quantity"))
    errors: list[FieldError] = []
    terms: dict[str, Any] = {
        "pricing_model": model.value,
        "min_quantity": min_q,
        "max_quantity": max_q,
    }
    if min_q is not None and max_q is not None and min_q > max_q:
        errors.append(FieldError("/max_quantity", "must not be below min_quantity"))
    prices = [PriceIn.model_validate(p) for p in raw.get("prices") or []]
    try:
        terms["prices"] = check_prices(model, prices, "/prices", min_q, max_q)
    except InvalidError as exc:
        errors += exc.errors
    fees = [MoneyIn.model_validate(f) for f in raw.get("setup_fees") or []]
    if len({f.currency for f in fees}) != len(fees):
        errors.append(FieldError("/setup_fees", "one setup fee per currency"))
    terms["setup_fees"] = [f.model_dump() for f in fees]
    charges: list[dict[str, Any]] = []
    metrics_seen: set[str] = set()
    for index, item in enumerate(raw.get("charges") or []):
        charge = ChargeIn.model_validate(item)
        here = f"/charges/{index}"
        try:
            lookup.referenced(
                session,
                tenant,
                BillableMetric,
                charge.billable_metric,
                "billable metric",
                f"{here}/billable_metric",
            )
            if charge.billable_metric in metrics_seen:
                raise invalid(f"{here}/billable_metric", "is charged twice in this plan")
            metrics_seen.add(charge.billable_metric)
            stored = check_prices(charge.pricing_model, charge.prices, f"{here}/prices")
        except InvalidError as exc:
            errors += exc.errors
            continue
        charges.append(
            {
                "billable_metric": charge.billable_metric,
                "pricing_model": charge.pricing_model.value,
                "prices": stored,
            }
        )
    terms["charges"] = charges
    if errors:
        raise InvalidError(errors)
    return terms


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _stored_terms(session: Session, tenant: Tenant, version: PlanVersion) -> dict[str, Any]:
    stored = repository.charges(session, tenant, [version.id]).get(version.id, [])
    return {
        "pricing_model": version.pricing_model,
        "min_quantity": _decimal(version.min_quantity),
        "max_quantity": _decimal(version.max_quantity),
        "prices": version.prices,
        "setup_fees": version.setup_fees,
        "charges": [
            {
                "billable_metric": charge.billable_metric_id,
                "pricing_model": charge.pricing_model,
                "prices": charge.prices,
            }
            for charge, _metric in stored
        ],
    }


def _add_version(
    session: Session, tenant: Tenant, plan: Plan, number: int, terms: dict[str, Any], now: datetime
) -> PlanVersion:
    version = PlanVersion(
        id=new_id("plan_version"),
        **tenant.row_keys(),
        plan_id=plan.id,
        version=number,
        pricing_model=terms["pricing_model"],
        prices=terms["prices"],
        setup_fees=terms["setup_fees"],
        min_quantity=terms["min_quantity"],
        max_quantity=terms["max_quantity"],
        created_at=now,
    )
    session.add(version)
    session.flush()
    for position, charge in enumerate(terms["charges"]):
        session.add(
            MeteredCharge(
                id=new_id("charge"),
                **tenant.row_keys(),
                plan_version_id=version.id,
                billable_metric_id=charge["billable_metric"],
                position=position,
                pricing_model=charge["pricing_model"],
                prices=charge["prices"],
                created_at=now,
            )
        )
    session.flush()
    return version


def versions_out(
    session: Session, tenant: Tenant, found: list[PlanVersion]
) -> list[PlanVersionOut]:
    charges = repository.charges(session, tenant, [v.id for v in found])
    return [
        PlanVersionOut(
            id=v.id,
            plan=v.plan_id,
            version=v.version,
            pricing_model=PricingModel(v.pricing_model),
            prices=prices_out(v.prices),
            setup_fees=[money_out(f["amount"], f["currency"]) for f in v.setup_fees],
            min_quantity=v.min_quantity,
            max_quantity=v.max_quantity,
            charges=[
                ChargeOut(
                    id=c.id,
                    billable_metric=c.billable_metric_id,
                    billable_metric_code=m.code,
                    pricing_model=PricingModel(c.pricing_model),
                    prices=prices_out(c.prices),
                )
                for c, m in charges.get(v.id, [])
            ],
            created_at=v.created_at,
        )
        for v in found
    ]


def plans_out(session: Session, tenant: Tenant, plans: list[Plan]) -> list[PlanOut]:
    """Plans with their current version and grants, in a fixed number of queries per page."""
    ids = [p.id for p in plans]
    current = repository.current_versions(session, tenant, ids)
    version_out = {v.plan: v for v in versions_out(session, tenant, list(current.values()))}
    granted = grants.of_owners(session, tenant, plan_ids=ids)
    return [
        PlanOut(
            id=p.id,
            product=p.product_id,
            code=p.code,
            name=p.name,
            description=p.description,
            interval_unit=p.interval_unit,
            interval_count=p.interval_count,
            billing_timing=p.billing_timing,
            trial_days=p.trial_days,
            tax_rate_kind=RateKind(p.tax_rate_kind),
            supply_nature=Nature(p.supply_nature),
            features=granted.get(p.id, []),
            current_version=version_out[p.id],
            metadata=p.metadata_,
            livemode=p.livemode,
            archived=p.archived_at is not None,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in plans
    ]
