"""The entitlements read usage directly on the driver: always what the usage domain's own
aggregation answers, for every aggregation, filter and range, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.entitlements import repository
from recura.domains.entitlements.repository import MetricRef
from recura.domains.usage.aggregation import aggregate_windows
from tests.domains.test_usage_aggregation import END, START, Usage, metric
from tests.domains.test_usage_aggregation import usage as usage  # the fixture

H = timedelta(hours=1)
SHAPES = [
    ("count", None, {}),
    ("sum", "gb", {}),
    ("max", "gb", {}),
    ("unique_count", "user", {}),
    ("latest", "gb", {}),
    ("latest", "nothing", {}),
    ("count", None, {"region": ["eu"]}),
    ("sum", "gb", {"tier": ["3", "4"], "region": ["eu"]}),
    ("latest", "gb", {"region": ["us"]}),
]


@pytest.mark.parametrize(
    "shapes",
    # Without filters the statement is read directly; filters' IN lists keep SQLAlchemy's path.
    [SHAPES[:6], SHAPES],
    ids=["direct", "with-filters"],
)
def test_usage_is_what_aggregation_answers(
    session_factory: sessionmaker[Session], usage: Usage, shapes: list[Any]
) -> None:
    ranges = [(START, END), (START - timedelta(days=2), START), (START + H, END)]
    windows = []
    for number, (aggregation, field, filters) in enumerate(shapes):
        m = metric(aggregation, field, **filters)
        ref = MetricRef(f"bm_{number}", m.code, m.aggregation, m.field_name, m.filters)
        windows += [(ref, start, end) for start, end in ranges]
    with unit_of_work(session_factory) as session:
        for customer in (usage.a, usage.b, usage.c):
            expected = aggregate_windows(session, usage.tenant, customer, windows)
            found = repository.usage(session, usage.tenant, customer, windows)
            assert [str(v) for v in found] == [str(v) for v in expected]
            assert any(found) or customer == usage.c
        assert repository.usage(session, usage.tenant, usage.a, []) == []
