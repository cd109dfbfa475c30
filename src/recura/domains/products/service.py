"""Products: what the merchant sells; plans hang off them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Product
from recura.domains.common import lookup
from recura.domains.common.metadata import merge_metadata
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.products import repository
from recura.domains.products.schemas import ProductCreate, ProductOut, ProductUpdate
from recura.ids import new_id


def get(session: Session, tenant: Tenant, product_id: str) -> Product:
    return lookup.require(session, tenant, Product, product_id, "product")


def create(session: Session, tenant: Tenant, data: ProductCreate, now: datetime) -> Product:
    product = Product(
        id=new_id("product"),
        **tenant.row_keys(),
        name=data.name,
        description=data.description,
        metadata_=data.metadata,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    session.flush()
    return product


def update(
    session: Session, tenant: Tenant, product_id: str, data: ProductUpdate, now: datetime
) -> Product:
    product = get(session, tenant, product_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is not None:
        product.name = changes["name"]
    if "description" in changes:
        product.description = changes["description"]
    if "metadata" in changes:
        product.metadata_ = merge_metadata(product.metadata_, changes["metadata"])
    product.updated_at = now
    session.flush()
    return product


def archive(session: Session, tenant: Tenant, product_id: str, now: datetime) -> Product:
    return lookup.archive(get(session, tenant, product_id), "product", now)


def page(session: Session, tenant: Tenant, limit: int, starting_after: str | None) -> Page[Product]:
    return repository.page(session, tenant, limit, starting_after)


def to_out(product: Product) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        description=product.description,
        metadata=product.metadata_,
        livemode=product.livemode,
        archived=product.archived_at is not None,
        created_at=product.created_at,
    )
