"""A billable metric's value per customer over a time range, computed in SQL (the
statements are `usage.repository`'s, and the values they return are read here).

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
from typing import Any, Protocol

from sqlalchemy.orm import Session

from recura.domains.common.tenant import Tenant
from recura.domains.usage import repository
from recura.domains.usage.repository import MILLIONTHS, Shape

# Bound parameters per query stay far below SQLite's and PostgreSQL's limits.
CHUNK = 5000


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
    return _decimal(Decimal(whole or 0) + Decimal(millionths or 0) / MILLIONTHS)


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
    shape = _shape(metric)
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
        for customer_id, *values in repository.metric_rows(session, shape, params):
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
    shapes = tuple(_shape(metric) for metric, _, _ in windows)
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
    for index, _customer, *values in repository.window_rows(session, shapes, params):
        aggregation = windows[index][0].aggregation
        result[index] = _value(postgresql, aggregation, values)
    return result


def _shape(metric: Metric) -> Shape:
    filters = tuple((item["property"], tuple(item["values"])) for item in metric.filters)
    return metric.aggregation, metric.field_name or "", filters


def _value(postgresql: bool, aggregation: str, values: Sequence[Any]) -> Decimal:
    if aggregation == "sum":
        return _total(postgresql, values)
    return _decimal(values[0] if values[0] is not None else 0)
