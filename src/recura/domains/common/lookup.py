"""Tenant-scoped lookups shared by the catalog's repositories."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from recura.db import bulk
from recura.db.base import TenantColumns
from recura.domains.common.errors import ConflictError, NotFoundError, invalid
from recura.domains.common.tenant import Tenant

M = TypeVar("M", bound=TenantColumns)


class Archivable(Protocol):
    id: str
    archived_at: datetime | None
    updated_at: datetime


A = TypeVar("A", bound=Archivable)


def find(session: Session, tenant: Tenant, model: type[M], object_id: str) -> M | None:
    return session.scalar(tenant.scope(select(model), model).where(model.id == object_id))


def by_keys(
    session: Session, model: type[M], keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], M]:
    """Rows of any account by (account_id, id), one `id IN (...)` query per account
    (cheaper to plan and to send than a list of pairs)."""
    found: dict[tuple[str, str], M] = {}
    for account_id, wanted in ids_by_account(keys).items():
        stmt = select(model).where(
            model.account_id == account_id, bulk.among(session, model.id, wanted)
        )
        found.update({(row.account_id, row.id): row for row in session.scalars(stmt)})
    return found


def locked_by_keys(session: Session, model: type[M], keys: Collection[tuple[str, str]]) -> list[M]:
    """Rows of any account by (account_id, id), locked FOR UPDATE and read afresh, in the
    keys' order: two transactions locking rows they share take them in one order."""
    if not keys:
        return []
    stmt = (
        select(model)
        .where(tuple_(model.account_id, model.id).in_(sorted(keys)))
        .order_by(model.account_id, model.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))


def ids_by_account(keys: Collection[tuple[str, str]]) -> dict[str, set[str]]:
    """(account_id, id) pairs as each account's ids."""
    ids: dict[str, set[str]] = defaultdict(set)
    for account_id, object_id in keys:
        ids[account_id].add(object_id)
    return ids


def require(session: Session, tenant: Tenant, model: type[M], object_id: str, kind: str) -> M:
    row = find(session, tenant, model, object_id)
    if row is None:
        raise NotFoundError(kind, object_id)
    return row


def referenced(
    session: Session, tenant: Tenant, model: type[M], object_id: str, kind: str, pointer: str
) -> M:
    """A row named in a request body: unknown ids are invalid input (422), not a missing page."""
    row = find(session, tenant, model, object_id)
    if row is None:
        raise invalid(pointer, f"no {kind} with id '{object_id}'")
    if getattr(row, "archived_at", None) is not None:
        raise invalid(pointer, f"{kind} '{object_id}' is archived")
    return row


def by_code(session: Session, tenant: Tenant, model: type[M], code: str) -> M | None:
    column: Any = model.code  # type: ignore[attr-defined]
    return session.scalar(tenant.scope(select(model), model).where(column == code))


def ensure_code_free(
    session: Session, tenant: Tenant, model: type[M], code: str, kind: str
) -> None:
    other = by_code(session, tenant, model, code)
    if other is not None:
        raise ConflictError(f"A {kind} with code '{code}' already exists ({other.id}).")


def archive(row: A, kind: str, now: datetime) -> A:
    if row.archived_at is not None:
        raise ConflictError(f"{kind.capitalize()} '{row.id}' is already archived.")
    row.archived_at = now
    row.updated_at = now
    return row
