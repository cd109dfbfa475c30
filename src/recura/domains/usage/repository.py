"""Usage queries: who may receive events since when, the batch insert, live subscriptions,
and the statements that aggregate a billable metric's events (see usage.aggregation)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    Select,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import NullType

from recura.db import direct
from recura.db.models import Customer, Subscription, TestClock, UsageEvent
from recura.domains.common.tenant import Tenant
from recura.ids import new_ids

# Subscriptions whose current period still takes usage.
LIVE_STATUSES = ("trialing", "active", "past_due", "paused")

_TABLE: Table = UsageEvent.__table__  # type: ignore[assignment]  # typed as any FromClause
_UNIQUE = ["account_id", "livemode", "transaction_id"]
_COLUMNS = ["id", "customer_id", "code", "transaction_id", "timestamp", "properties"]
_TRANSACTION_ID = attrgetter("transaction_id")


class EventRow(NamedTuple):
    """An event as stored, without the keys and ids the insert adds. A tuple: a batch makes
    a thousand at once, and the insert sends each as it is."""

    customer_id: str
    code: str
    transaction_id: str
    timestamp: datetime
    properties: dict[str, Any]


def _period_floors(among_customers: ColumnElement[bool]) -> Select[str, datetime, datetime]:
    # Core columns, not the ORM's: rows come back as tuples without the ORM's loading.
    customer, subscription = Customer.__table__.c, Subscription.__table__.c
    clock = TestClock.__table__.c
    live = (
        (subscription.account_id == customer.account_id)
        & (subscription.customer_id == customer.id)
        & subscription.status.in_(LIVE_STATUSES)
    )
    own_clock = (clock.account_id == customer.account_id) & (clock.id == customer.test_clock_id)
    return (
        select(customer.id, func.min(subscription.current_period_start), clock.frozen_time)
        .select_from(Customer.__table__)
        .outerjoin(Subscription.__table__, live)
        .outerjoin(TestClock.__table__, own_clock)
        .where(
            customer.account_id == bindparam("account_id"),
            customer.livemode == bindparam("livemode"),
            among_customers,
        )
        .group_by(customer.id, clock.frozen_time)
    )


# Built once, as the inserts are: building the statement cost as much as running it. On
# PostgreSQL `= ANY(array)`, one parameter however many customers (see `bulk.among`).
_PG_FLOORS = _period_floors(
    Customer.__table__.c.id == any_(bindparam("customer_ids", type_=ARRAY(Text)))
)
_SQLITE_FLOORS = _period_floors(
    Customer.__table__.c.id.in_(bindparam("customer_ids", expanding=True))
)


def period_floors(
    session: Session, tenant: Tenant, customer_ids: Sequence[str]
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """The tenant's customers among `customer_ids`, each with the earliest start of its live
    subscriptions' current periods (None without a live subscription) and its test clock's
    time (None for real time). One query."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    params = {**tenant.row_keys(), "customer_ids": list(customer_ids)}
    # On the driver directly and fetched at once: through the ORM and a row at a time, the
    # couple of hundred rows of a batch's customers cost more than the query.
    statement = _PG_FLOORS if postgresql else _SQLITE_FLOORS
    rows = direct.rows(session, statement, params)
    return {customer_id: (start, at) for customer_id, start, at in rows}


def _postgresql_insert() -> Select[str]:
    # The batch travels as one JSON document, a list of [id, customer_id, code,
    # transaction_id, timestamp, properties]: psycopg spends more time taking apart a
    # statement with 9,000 placeholders than PostgreSQL spends inserting its rows.
    records = cast(bindparam("records", type_=Text), JSONB)
    item = func.jsonb_array_elements(records).table_valued(column("value", JSONB)).c.value
    rows = select(
        bindparam("account_id", type_=String),
        bindparam("livemode", type_=Boolean),
        bindparam("created_at", type_=_TABLE.c.created_at.type),
        *(item[index].astext for index in range(4)),
        cast(item[4].astext, DateTime(timezone=True)),
        item[5],
    )
    insert = pg_insert(_TABLE).from_select(
        ["account_id", "livemode", "created_at", *_COLUMNS], rows
    )
    stored = (
        insert.on_conflict_do_nothing(index_elements=_UNIQUE)
        .returning(_TABLE.c.transaction_id)
        .cte("stored")
    )
    # Only the few transaction ids that did not go in come back, not the thousand that did:
    # fetching every row of a batch's RETURNING was a tenth of the server's time.
    # The ids sent as a JSON list too: psycopg adapts a Python list one element at a time.
    sent_ids = cast(bindparam("transaction_ids", type_=Text), JSONB)
    sent = func.jsonb_array_elements_text(sent_ids).table_valued(column("value", Text))
    return select(sent.c.value).where(sent.c.value.not_in(select(stored.c.transaction_id)))


_PG_INSERT = _postgresql_insert()
_SQLITE_INSERT = (
    sqlite_insert(_TABLE)
    .on_conflict_do_nothing(index_elements=_UNIQUE)
    .returning(_TABLE.c.transaction_id)
)


def insert_events(
    session: Session, tenant: Tenant, rows: Sequence[EventRow], now: datetime
) -> set[str]:
    """Insert the rows in one statement, skipping transaction ids already stored; return the
    transaction ids skipped. The rows' own transaction ids must be distinct."""
    ids = new_ids("usage_event", len(rows))
    # In transaction id order: two requests that share events (a retry, a resent batch)
    # then wait for each other's rows in the same order, never in a cycle (a deadlock).
    rows = sorted(rows, key=_TRANSACTION_ID)
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, Any] = {
            # orjson writes instants as RFC 3339 itself, faster than json.dumps (bench/README.md).
            "records": orjson.dumps(
                [(event_id, *row) for event_id, row in zip(ids, rows, strict=True)]
            ).decode(),
            "transaction_ids": orjson.dumps([row.transaction_id for row in rows]).decode(),
            **tenant.row_keys(),
            "created_at": now,
        }
        return {transaction_id for (transaction_id,) in direct.rows(session, _PG_INSERT, params)}
    keys = {**tenant.row_keys(), "created_at": now}
    values = [
        {
            **keys,
            "id": event_id,
            "customer_id": row.customer_id,
            "code": row.code,
            "transaction_id": row.transaction_id,
            "timestamp": row.timestamp,
            "properties": row.properties,
        }
        for event_id, row in zip(ids, rows, strict=True)
    ]
    # One multi-row INSERT ... VALUES (SQLAlchemy's "insertmanyvalues" for RETURNING).
    stored = set(session.execute(_SQLITE_INSERT, values).scalars())
    return {row.transaction_id for row in rows if row.transaction_id not in stored}


def live_subscriptions(session: Session, tenant: Tenant, customer_id: str) -> list[Subscription]:
    stmt = (
        tenant.scope(select(Subscription), Subscription)
        .where(Subscription.customer_id == customer_id, Subscription.status.in_(LIVE_STATUSES))
        .order_by(Subscription.created_at, Subscription.id)
    )
    return list(session.scalars(stmt))


# A metric's shape: its aggregation, the property it reads ("" for none) and its filters
# (property, accepted values); the statements are built once per shape and dialect.
Filters = tuple[tuple[str, tuple[Any, ...]], ...]
Shape = tuple[str, str, Filters]
# SQLite sums a property's fractions as integer millionths (see _Reader.sums).
MILLIONTHS = 1_000_000


def metric_rows(session: Session, shape: Shape, params: dict[str, Any]) -> list[direct.Row]:
    """(customer_id, *values) of the metric's aggregate per customer; `params` binds the
    tenant, metric code, customer ids and time range."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    # On the driver directly (`recura.db.direct`): SQLAlchemy's execution layer cost as much
    # CPU as the query, and `rows` flushes the session first, as `core_connection` would.
    return direct.rows(session, metric_statement(postgresql, *shape), params)


def window_rows(
    session: Session, shapes: tuple[Shape, ...], params: dict[str, Any]
) -> list[direct.Row]:
    """(window index, customer_id, *values) of one customer's aggregate per window."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    return direct.rows(session, windows_statement(postgresql, shapes), params)


@lru_cache(maxsize=512)
def metric_statement(postgresql: bool, aggregation: str, field: str, filters: Filters) -> Any:
    """The query for one metric's shape, built once: building it costs more than running it.
    Tenant, metric code, customers and the time range are bound at execution."""
    return _select(postgresql, aggregation, field, filters, "", one_customer=False)


@lru_cache(maxsize=512)
def windows_statement(postgresql: bool, shapes: tuple[Shape, ...]) -> Any:
    """One branch per window, each tagged with its position and padded to the same columns
    (SQLite's sum takes two); values come back as the driver gives them, as in
    `metric_statement`."""
    width = 1 if postgresql else 2
    branches = []
    for index, shape in enumerate(shapes):
        inner = _select(postgresql, *shape, f"_{index}", one_customer=True).subquery(f"w{index}")
        values: list[ColumnElement[Any]] = [
            type_coerce(column, NullType()) for column in list(inner.c)[1:]
        ]
        values += [null()] * (width - len(values))
        branches.append(select(literal_column(str(index)), inner.c[0], *values))
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _select(
    postgresql: bool,
    aggregation: str,
    field: str,
    filters: Filters,
    suffix: str,
    *,
    one_customer: bool,
) -> Any:
    reader = _Reader("postgresql" if postgresql else "sqlite")
    # Never an expanding list, which is rendered on every execution: one customer is
    # compared, many are one array on PostgreSQL (so the statement runs on the driver).
    if one_customer:
        customers = UsageEvent.customer_id == bindparam("customer_id", type_=String)
    elif postgresql:
        customers = UsageEvent.customer_id == any_(bindparam("customer_ids", type_=ARRAY(Text())))
    else:
        customers = UsageEvent.customer_id.in_(bindparam("customer_ids", expanding=True))
    conditions = [
        UsageEvent.account_id == bindparam("account_id", type_=String),
        UsageEvent.livemode == bindparam("livemode", type_=Boolean),
        customers,
        UsageEvent.code == bindparam(f"code{suffix}", type_=String),
        UsageEvent.timestamp >= bindparam(f"start{suffix}", type_=UsageEvent.timestamp.type),
        UsageEvent.timestamp < bindparam(f"end{suffix}", type_=UsageEvent.timestamp.type),
    ]
    for name, values in filters:
        conditions.append(reader.text(name).in_(values))
    where = and_(*conditions)
    customer = UsageEvent.customer_id
    if aggregation == "count":
        return select(customer, func.count()).where(where).group_by(customer)
    if aggregation == "sum":
        return select(customer, *reader.sums(field)).where(where).group_by(customer)
    if aggregation == "max":
        return select(customer, func.max(reader.number(field))).where(where).group_by(customer)
    if aggregation == "unique_count":
        distinct = func.count(reader.text(field).distinct())
        return select(customer, distinct).where(where).group_by(customer)
    if aggregation == "latest":
        value = reader.number(field)
        newest_first = (UsageEvent.timestamp.desc(), UsageEvent.id.desc())
        rank = func.row_number().over(partition_by=customer, order_by=newest_first)
        ranked = (
            select(customer.label("customer_id"), value.label("value"), rank.label("rank"))
            .where(where, value.is_not(None))
            .subquery()
        )
        return select(ranked.c.customer_id, ranked.c.value).where(ranked.c.rank == 1)
    raise ValueError(f"unknown aggregation {aggregation!r}")


class _Reader:
    """Dialect-specific reads of one event property, with the same results on both."""

    def __init__(self, dialect: str) -> None:
        self.postgresql = dialect == "postgresql"

    def _kind(self, name: str) -> ColumnElement[Any]:
        if self.postgresql:
            return func.jsonb_typeof(UsageEvent.properties[name])
        return func.json_type(UsageEvent.properties, f'$."{name}"')

    @staticmethod
    def _sqlite_value(name: str) -> ColumnElement[Any]:
        # Typed Float (not Numeric) so no result processing: SQLite's int or float as it is.
        return func.json_extract(UsageEvent.properties, f'$."{name}"', type_=Float())

    def text(self, name: str) -> ColumnElement[Any]:
        if self.postgresql:
            text: ColumnElement[Any] = UsageEvent.properties[name].as_string()
            return text
        kind = self._kind(name)
        return case(
            (kind == "true", "true"),
            (kind == "false", "false"),
            else_=cast(self._sqlite_value(name), Text),
        )

    def number(self, name: str) -> ColumnElement[Any]:
        """The property if it is a JSON number, else NULL."""
        if self.postgresql:
            value = UsageEvent.properties[name].as_numeric(28, 6)
            return case((self._kind(name) == "number", value))
        return case((self._kind(name).in_(("integer", "real")), self._sqlite_value(name)))

    def sums(self, name: str) -> list[ColumnElement[Any]]:
        """Aggregates whose values add up (see _total) to the exact sum."""
        if self.postgresql:
            return [func.sum(self.number(name))]
        kind, raw = self._kind(name), self._sqlite_value(name)
        whole = case((kind == "integer", raw), (kind == "real", cast(raw, Integer)))
        fraction = case(
            (kind == "real", cast(func.round((raw - cast(raw, Integer)) * MILLIONTHS), Integer))
        )
        return [func.sum(whole), func.sum(fraction)]
