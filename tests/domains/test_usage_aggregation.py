"""aggregate() against hand-computed values, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.db import direct
from recura.db.models import BillableMetric, Customer
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.common.tenant import Tenant
from recura.domains.usage import aggregation, repository, service
from recura.domains.usage.aggregation import aggregate_windows
from recura.domains.usage.repository import EventRow
from recura.ids import new_id
from tests.conftest import T0

START, END = T0 - timedelta(days=1), T0 + timedelta(hours=1)


@dataclass
class Usage:
    tenant: Tenant
    a: str
    b: str
    c: str  # no events at all


def _customer(session: Session, tenant: Tenant) -> str:
    customer_id = new_id("customer")
    fields: dict[str, Any] = dict.fromkeys(
        ("external_id", "email", "country", "locale", "currency", "vat_id", "address"), None
    )
    session.add(
        Customer(
            id=customer_id,
            **tenant.row_keys(),
            **fields,
            name="Ana",
            tax_rate=None,
            test_clock_id=None,
            metadata_={},
            archived_at=None,
            created_at=T0,
            updated_at=T0,
        )
    )
    return customer_id


def _events(customer_id: str, code: str, *items: tuple[timedelta, dict[str, Any]]) -> list[Any]:
    return [
        EventRow(customer_id, code, new_id("usage_event"), T0 + delta, properties)
        for delta, properties in items
    ]


H = timedelta(hours=1)


@pytest.fixture
def usage(session_factory: sessionmaker[Session]) -> Usage:
    with unit_of_work(session_factory) as session:
        account = accounts.create_account(
            session,
            AccountCreate(
                legal_name="Usage SRL",
                country="RO",
                default_currency="RON",
                timezone="Europe/Bucharest",
                locale="ro",
                invoice_series_prefix="USG",
            ),
            T0,
        )
        tenant = Tenant(account.id, livemode=False)
        live = Tenant(account.id, livemode=True)
        a, b, c = (_customer(session, tenant) for _ in range(3))
        live_a = _customer(session, live)
        session.flush()
        rows = _events(
            a,
            "api",
            (-3 * H, {"gb": 10, "region": "eu", "user": "u1", "tier": 3}),
            (-2 * H, {"gb": 2.5, "region": "us", "user": "u2", "tier": "3"}),
            (-1 * H, {"gb": 7, "region": "eu", "user": "u1", "tier": 4}),
            (-H / 2, {"gb": "12", "region": "eu", "user": 3, "beta": True}),  # gb not a number
            (-H / 6, {"region": "eu", "user": "3", "beta": False}),  # no gb
            (-2 * timedelta(days=1), {"gb": 100, "region": "eu"}),  # before the range
            (H, {"gb": 50, "region": "eu"}),  # at its end: excluded
        )
        rows += _events(a, "other", (-H, {"gb": 1000, "region": "eu"}))
        rows += _events(
            b,
            "api",
            (-3 * H, {"gb": 0.1, "region": "eu"}),
            (-2 * H, {"gb": 0.2, "region": "eu"}),
            (-1 * H, {"gb": -0.05, "region": "us"}),
            (-H / 2, {"gb": 999999999.999999, "region": "us"}),
            (-H / 3, {"gb": 10**15, "region": "us"}),
            (-H / 4, {"gb": -(10**15), "region": "us"}),
        )
        repository.insert_events(session, tenant, rows, T0)
        live_rows = _events(live_a, "api", (-H, {"gb": 1, "region": "eu"}))
        repository.insert_events(session, live, live_rows, T0)
    return Usage(tenant, a, b, c)


def metric(aggregation: str, field: str | None = None, **filters: list[str]) -> BillableMetric:
    return BillableMetric(
        code="api",
        aggregation=aggregation,
        field_name=field,
        filters=[{"property": p, "values": v} for p, v in filters.items()],
    )


def run(factory: sessionmaker[Session], usage: Usage, m: BillableMetric) -> list[str]:
    with unit_of_work(factory) as session:
        values = service.aggregate(
            session, usage.tenant, m, [usage.a, usage.b, usage.c], START, END
        )
    assert all(isinstance(v, Decimal) for v in values.values())
    return [str(values[usage.a]), str(values[usage.b]), str(values[usage.c])]


@pytest.mark.parametrize(
    ("m", "expected"),
    [
        (metric("count"), ["5", "6", "0"]),
        # 10 + 2.5 + 7 ("12" is a string, one event has no gb); 0.1 + 0.2 - 0.05 exactly.
        (metric("sum", "gb"), ["19.5", "1000000000.249999", "0"]),
        (metric("max", "gb"), ["10", "1000000000000000", "0"]),
        # u1, u2 and 3, which the integer 3 and the string "3" share.
        (metric("unique_count", "user"), ["3", "0", "0"]),
        # The newest event with a numeric gb.
        (metric("latest", "gb"), ["7", "-1000000000000000", "0"]),
        (metric("latest", "nothing"), ["0", "0", "0"]),
    ],
)
def test_aggregations(
    session_factory: sessionmaker[Session], usage: Usage, m: BillableMetric, expected: list[str]
) -> None:
    assert run(session_factory, usage, m) == expected


@pytest.mark.parametrize(
    ("m", "expected"),
    [
        (metric("count", region=["eu"]), ["4", "2", "0"]),
        (metric("count", region=["eu", "us"]), ["5", "6", "0"]),
        (metric("sum", "gb", region=["eu"]), ["17", "0.3", "0"]),
        (metric("max", "gb", region=["eu"]), ["10", "0.2", "0"]),
        (metric("unique_count", "user", region=["eu"]), ["2", "0", "0"]),
        (metric("latest", "gb", region=["us"]), ["2.5", "-1000000000000000", "0"]),
        # Integers and booleans match their text; every filter must hold.
        (metric("count", tier=["3"]), ["2", "0", "0"]),
        (metric("sum", "gb", tier=["3", "4"], region=["eu"]), ["17", "0", "0"]),
        (metric("count", beta=["true"]), ["1", "0", "0"]),
        (metric("count", beta=["false", "true"]), ["2", "0", "0"]),
        (metric("count", region=["EU"]), ["0", "0", "0"]),
    ],
)
def test_aggregations_with_filters(
    session_factory: sessionmaker[Session], usage: Usage, m: BillableMetric, expected: list[str]
) -> None:
    assert run(session_factory, usage, m) == expected


def test_only_the_range_the_customers_and_the_mode_asked_for(
    session_factory: sessionmaker[Session], usage: Usage
) -> None:
    with unit_of_work(session_factory) as session:
        count = metric("count")
        day_before = service.aggregate(
            session, usage.tenant, count, [usage.a], START - timedelta(days=2), START
        )
        assert day_before == {usage.a: Decimal(1)}
        assert service.aggregate(session, usage.tenant, count, [], START, END) == {}
        only_b = service.aggregate(session, usage.tenant, count, [usage.b], START, END)
        assert only_b == {usage.b: Decimal(6)}
        live = Tenant(usage.tenant.account_id, livemode=True)
        assert service.aggregate(session, live, count, [usage.a], START, END) == {
            usage.a: Decimal(0)
        }


def test_metrics_of_one_shape_count_their_own_code(
    session_factory: sessionmaker[Session], usage: Usage
) -> None:
    # One statement serves every metric of a shape; the code is bound at each run.
    other = metric("sum", "gb")
    other.code = "other"
    assert run(session_factory, usage, metric("sum", "gb")) == ["19.5", "1000000000.249999", "0"]
    assert run(session_factory, usage, other) == ["1000", "0", "0"]


@pytest.mark.parametrize(
    "filtered",
    # Without filters the statements are read on the driver directly; filters' IN lists keep
    # SQLAlchemy's path (`recura.db.direct`).
    [False, True],
    ids=["direct", "with-filters"],
)
def test_windows_in_one_query_agree_with_one_query_each(
    session_factory: sessionmaker[Session], usage: Usage, filtered: bool
) -> None:
    shapes = [
        metric("count"),
        metric("sum", "gb"),
        metric("max", "gb"),
        metric("unique_count", "user"),
        metric("latest", "gb"),
        metric("latest", "nothing"),
    ]
    if filtered:
        shapes += [
            metric("count", region=["eu"]),
            metric("sum", "gb", tier=["3", "4"], region=["eu"]),
            metric("latest", "gb", region=["us"]),
        ]
    ranges = [(START, END), (START - timedelta(days=2), START), (START + H, END)]
    windows = [(m, start, end) for m in shapes for start, end in ranges]
    with unit_of_work(session_factory) as session:
        dialect = session.get_bind().dialect
        if dialect.name == "postgresql":  # each case takes the path its name says
            statement = repository.windows_statement(True, tuple(map(aggregation._shape, shapes)))
            assert direct._compiled(statement, dialect).as_compiled is not filtered
            # So does the billing run's, for many customers (an array, not an IN list).
            single = repository.metric_statement(True, *aggregation._shape(shapes[-1]))
            assert direct._compiled(single, dialect).as_compiled is not filtered
        for customer in (usage.a, usage.b, usage.c):
            one_by_one = [
                service.aggregate(session, usage.tenant, m, [customer], start, end)[customer]
                for m, start, end in windows
            ]
            together = aggregate_windows(session, usage.tenant, customer, windows)
            assert [str(v) for v in together] == [str(v) for v in one_by_one]
            assert all(isinstance(v, Decimal) for v in together)
            assert aggregate_windows(session, usage.tenant, customer, windows[4:5]) == [
                one_by_one[4]
            ]
        assert aggregate_windows(session, usage.tenant, usage.a, []) == []
