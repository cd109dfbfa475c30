"""Usage queries: who may receive events since when, the batch insert, live subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    DateTime,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

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
