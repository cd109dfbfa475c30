"""A billable metric's value per customer over a time range, computed in SQL.

One query answers for many customers, and SQLite and PostgreSQL give the same answers:

- Filters and unique_count read a property as text: strings as they are, integers in
  decimal, booleans as "true"/"false" (SQLite would say 1), so a filter value "3" matches
  both "3" and 3. Compare on strings, integers or booleans; fractions print differently.
- sum, max and latest read only JSON numbers. Any other value (a string, even "12", a
  boolean) and a missing property are ignored rather than failing the billing run: a bad
  event must not stop every customer's invoice, and it is visible in the events.
- Ingestion keeps numbers exact on both (whole up to 10^15, fractions up to 10^9 with at most
  6 decimals). SQLite sums the whole parts as integers and the fractions as integer
  millionths, so a sum never meets a binary rounding error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import NullType

from recura.db import direct
from recura.db.models import UsageEvent
from recura.domains.common.tenant import Tenant

# Bound parameters per query stay far below SQLite's and PostgreSQL's limits.
CHUNK = 5000
_MILLIONTHS = 1_000_000
Filters = tuple[tuple[str, tuple[Any, ...]], ...]


class Metric(Protocol):
    """What aggregation reads of a billable metric: a `BillableMetric`, or its columns."""

    @property
    def code(self) -> str: ...
    @property
    def aggregation(self) -> str: ...
    @property
    def field_name(self) -> str | None: ...
    @property
    def filters(self) -> list[dict[str, Any]]: ...


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
            (kind == "real", cast(func.round((raw - cast(raw, Integer)) * _MILLIONTHS), Integer))
        )
        return [func.sum(whole), func.sum(fraction)]


def _decimal(value: Any) -> Decimal:
    """A canonical Decimal: no exponent, no trailing zeros (12.500000 and 12.5 agree)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _total(postgresql: bool, values: Sequence[Any]) -> Decimal:
    if postgresql:
        return _decimal(values[0] or 0)
    whole, millionths = values
    return _decimal(Decimal(whole or 0) + Decimal(millionths or 0) / _MILLIONTHS)


def aggregate(
    session: Session,
    tenant: Tenant,
    metric: Metric,
    customer_ids: Sequence[str],
    start: datetime,
    end: datetime,
) -> dict[str, Decimal]:
    """The metric's value per customer over [start, end); Decimal(0) for a customer without
    events. Latest is the number of the newest event that has one (ties: highest event id)."""
    result = dict.fromkeys(customer_ids, Decimal(0))
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _statement(postgresql, *_shape(metric))
    params: dict[str, Any] = {
        "account_id": tenant.account_id,
        "livemode": tenant.livemode,
        "code": metric.code,
        "start": start,
        "end": end,
    }
    wanted = list(result)
    for offset in range(0, len(wanted), CHUNK):
        params["customer_ids"] = wanted[offset : offset + CHUNK]
        for customer_id, *values in direct.rows(session, statement, params):
            result[customer_id] = _value(postgresql, metric.aggregation, values)
    return result


def aggregate_windows(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    windows: Sequence[tuple[Metric, datetime, datetime]],
) -> list[Decimal]:
    """One customer's value of each (metric, start, end), as `aggregate` gives it, in one
    query whatever the number of windows: the entitlements check asks this on every request."""
    if not windows:
        return []
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = _windows_statement(postgresql, tuple(_shape(metric) for metric, _, _ in windows))
    params: dict[str, Any] = {
        "account_id": tenant.account_id,
        "livemode": tenant.livemode,
        "customer_id": customer_id,
    }
    for index, (metric, start, end) in enumerate(windows):
        params[f"code_{index}"] = metric.code
        params[f"start_{index}"] = start
        params[f"end_{index}"] = end
    result = [Decimal(0)] * len(windows)
    # On the driver directly (`recura.db.direct`): SQLAlchemy's execution layer cost as much
    # CPU as the query, and `rows` flushes the session first, as `core_connection` would.
    for index, _customer, *values in direct.rows(session, statement, params):
        aggregation = windows[index][0].aggregation
        result[index] = _value(postgresql, aggregation, values)
    return result


def _shape(metric: Metric) -> tuple[str, str, Filters]:
    filters = tuple((item["property"], tuple(item["values"])) for item in metric.filters)
    return metric.aggregation, metric.field_name or "", filters


def _value(postgresql: bool, aggregation: str, values: Sequence[Any]) -> Decimal:
    if aggregation == "sum":
        return _total(postgresql, values)
    return _decimal(values[0] if values[0] is not None else 0)


@lru_cache(maxsize=512)
def _statement(postgresql: bool, aggregation: str, field: str, filters: Filters) -> Any:
    """The query for one metric's shape, built once: building it costs more than running it.
    Tenant, metric code, customers and the time range are bound at execution."""
    return _select(postgresql, aggregation, field, filters, "", one_customer=False)


@lru_cache(maxsize=512)
def _windows_statement(postgresql: bool, shapes: tuple[tuple[str, str, Filters], ...]) -> Any:
    """One branch per window, each tagged with its position and padded to the same columns
    (SQLite's sum takes two); values come back as the driver gives them, as in `_statement`."""
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
