"""Add-ons: extra priced items (seats of storage, support packs) a subscription can carry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.core.pricing import PricingModel
from recura.core.tax import Nature, RateKind
from recura.db.models import AddOn
from recura.domains.add_ons import repository
from recura.domains.add_ons.schemas import AddOnCreate, AddOnOut, AddOnUpdate
from recura.domains.common import lookup
from recura.domains.common.metadata import merge_metadata
from recura.domains.common.pages import Page
from recura.domains.common.prices import check_prices, prices_out
from recura.domains.common.tenant import Tenant
from recura.domains.features import grants
from recura.ids import new_id


def get(session: Session, tenant: Tenant, add_on_id: str) -> AddOn:
    return lookup.require(session, tenant, AddOn, add_on_id, "add-on")


def create(session: Session, tenant: Tenant, data: AddOnCreate, now: datetime) -> AddOn:
    prices = check_prices(data.pricing_model, data.prices, "/prices")
    checked = grants.check(session, tenant, data.features, "/features")
    lookup.ensure_code_free(session, tenant, AddOn, data.code, "add-on")
    add_on = AddOn(
        id=new_id("add_on"),
        **tenant.row_keys(),
        code=data.code,
        name=data.name,
        description=data.description,
        tax_rate_kind=data.tax_rate_kind.value,
        supply_nature=data.supply_nature.value,
        pricing_model=data.pricing_model.value,
        prices=prices,
        metadata_=data.metadata,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(add_on)
    session.flush()
    grants.replace(session, tenant, checked, now, add_on_id=add_on.id)
    return add_on


def update(
    session: Session, tenant: Tenant, add_on_id: str, data: AddOnUpdate, now: datetime
) -> AddOn:
    add_on = get(session, tenant, add_on_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name") is not None:
        add_on.name = changes["name"]
    if "description" in changes:
        add_on.description = changes["description"]
    if data.tax_rate_kind is not None:
        add_on.tax_rate_kind = data.tax_rate_kind.value
    if data.supply_nature is not None:
        add_on.supply_nature = data.supply_nature.value
    if "metadata" in changes:
        add_on.metadata_ = merge_metadata(add_on.metadata_, changes["metadata"])
    if data.features is not None:
        checked = grants.check(session, tenant, data.features, "/features")
        grants.replace(session, tenant, checked, now, add_on_id=add_on.id)
    add_on.updated_at = now
    session.flush()
    return add_on


def archive(session: Session, tenant: Tenant, add_on_id: str, now: datetime) -> AddOn:
    return lookup.archive(get(session, tenant, add_on_id), "add-on", now)


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None, code: str | None
) -> Page[AddOn]:
    return repository.page(session, tenant, limit, starting_after, code)


def to_out(session: Session, tenant: Tenant, add_ons: list[AddOn]) -> list[AddOnOut]:
    granted = grants.of_owners(session, tenant, add_on_ids=[a.id for a in add_ons])
    return [
        AddOnOut(
            id=a.id,
            code=a.code,
            name=a.name,
            description=a.description,
            tax_rate_kind=RateKind(a.tax_rate_kind),
            supply_nature=Nature(a.supply_nature),
            pricing_model=PricingModel(a.pricing_model),
            prices=prices_out(a.prices),
            features=granted.get(a.id, []),
            metadata=a.metadata_,
            livemode=a.livemode,
            archived=a.archived_at is not None,
            created_at=a.created_at,
        )
        for a in add_ons
    ]
