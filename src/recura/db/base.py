"""Declarative base, column types shared by every table, and the tenant columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    MetaData,
    String,
    TypeDecorator,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

# Named constraints make migrations deterministic across SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(40)
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


# Relationships load when the query asks (selectinload, joinedload): one that loads on
# attribute access hides a query per object, which a batch pays thousands of times.
NO_LAZY_LOADS = frozenset({"raise", "raise_on_sql"})


def refuse_lazy_relationships(mapper: Mapper[Any], class_: type) -> None:
    """Refuse a mapped class with a relationship that would load on attribute access."""
    for relationship in mapper.relationships:
        if relationship.lazy not in NO_LAZY_LOADS:
            raise ArgumentError(
                f"{class_.__name__}.{relationship.key} would load when read "
                f"(lazy={relationship.lazy!r}): declare it lazy='raise' and load it in the query"
            )


event.listen(Base, "mapper_configured", refuse_lazy_relationships, propagate=True)


class TenantColumns:
    """Every tenant row: the account it belongs to, test or live data, and a prefixed id.

    The primary key starts with account_id so tables can be distributed by tenant.
    """

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
