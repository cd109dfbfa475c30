"""Cursor pagination, newest first: `starting_after` is the last id of the previous page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from recura.db.base import TenantColumns

T = TypeVar("T")
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool


def paginate(
    session: Session,
    stmt: Select[Any],
    model: type[TenantColumns],
    limit: int,
    starting_after: str | None,
) -> Page[Any]:
    if starting_after:
        stmt = stmt.where(model.id < starting_after)
    rows = list(session.scalars(stmt.order_by(model.id.desc()).limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)
