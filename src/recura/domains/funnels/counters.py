"""The daily counts of checkout sessions, cancellation flows and support requests, kept in
the transaction that changes them, and their rebuild from those rows.

A session moving to a further stage, an offer answered, a first reply are not all events,
so these counts are not folded by the worker: the service that makes the change moves
the row's count in the same transaction. What a row counts for is a function of the row
alone (`counted`): made, it adds one under its key; changed, it leaves the key it
counted under and adds itself under the new one. The services call `changed` with what
the row counted before they changed it, on a row they hold locked, so a row counts once
whatever the order of the changes, and a change that moves nothing writes nothing.
`rebuild` counts the same rows with the same function and gives the same rows.

Each row of a source counts on its account's day of `created_at`, which never changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from recura.db.models import (
    CancellationFeedback,
    CheckoutSession,
    MetricCancellationDaily,
    MetricCheckoutDaily,
    MetricSupportDaily,
    SupportRequest,
)
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import repository

# A key column is not null: a session with no stage yet, a flow with no reason.
NONE = ""

# What a source row counts for: its key (after account, mode and day) and the values
# it adds there.
Counted = tuple[tuple[Any, ...], dict[str, int]]


def _checkout(c: Any) -> Counted:
    return (c.plan_id, c.stage or NONE, c.status == "complete"), {"sessions": 1}


def _flow(f: Any) -> Counted:
    return (f.reason or NONE, f.outcome, bool(f.canceled)), {"flows": 1}


def _request(r: Any) -> Counted:
    seconds = r.first_response_seconds
    answered = seconds is not None
    return (), {"requests": 1, "answered": int(answered), "seconds": seconds or 0}


@dataclass(frozen=True, slots=True)
class Kind:
    """A source of rows and the daily table that counts them."""

    source: Any
    rollup: Any
    keys: tuple[str, ...]
    # The column that is 0 exactly when a row counts nothing (and is removed).
    count: str
    of: Callable[[Any], Counted]
    # The source's columns `of` reads.
    columns: tuple[str, ...]


KINDS = (
    Kind(
        CheckoutSession,
        MetricCheckoutDaily,
        ("plan_id", "stage", "complete"),
        "sessions",
        _checkout,
        ("plan_id", "stage", "status"),
    ),
    Kind(
        CancellationFeedback,
        MetricCancellationDaily,
        ("reason", "outcome", "canceled"),
        "flows",
        _flow,
        ("reason", "outcome", "canceled"),
    ),
    Kind(
        SupportRequest,
        MetricSupportDaily,
        (),
        "requests",
        _request,
        ("first_response_seconds",),
    ),
)
_BY_SOURCE = {k.source: k for k in KINDS}


def counted(row: Any) -> Counted:
    """What a checkout session, cancellation flow or support request counts for now."""
    return _BY_SOURCE[type(row)].of(row)


def made(session: Session, row: Any) -> None:
    """A new row: count it on its day."""
    kind = _BY_SOURCE[type(row)]
    key, values = kind.of(row)
    _add(session, kind, _tenant_day(session, row), {key: values})


def changed(session: Session, row: Any, was: Counted) -> None:
    """A row changed from counting for `was` (taken before the change, the row locked):
    move its count."""
    kind = _BY_SOURCE[type(row)]
    key, values = kind.of(row)
    old_key, old_values = was
    if (key, values) == (old_key, old_values):
        return
    moves: dict[tuple[Any, ...], dict[str, int]] = defaultdict(dict)
    for name, n in old_values.items():
        moves[old_key][name] = -n
    for name, n in values.items():
        moves[key][name] = moves[key].get(name, 0) + n
    base = _tenant_day(session, row)
    _add(session, kind, base, moves)
    if old_key != key:
        left = {**base, **dict(zip(kind.keys, old_key, strict=True))}
        repository.drop_empty(session, kind.rollup, left, kind.count)


def _tenant_day(session: Session, row: Any) -> dict[str, Any]:
    zone = _zone(repository.timezone_of(session, row.account_id))
    day = row.created_at.astimezone(zone).date()
    return {"account_id": row.account_id, "livemode": row.livemode, "day": day}


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _add(
    session: Session,
    kind: Kind,
    base: dict[str, Any],
    moves: dict[tuple[Any, ...], dict[str, int]],
) -> None:
    # In key order: two transactions moving counts between the same rows lock them in
    # the same order, so they wait for each other instead of deadlocking.
    rows = [
        {**base, **dict(zip(kind.keys, key, strict=True)), **values}
        for key, values in sorted(moves.items())
    ]
    names = ("account_id", "livemode", "day", *kind.keys)
    # One statement per set of columns: a multi-row upsert takes rows of one shape.
    for shape in sorted({tuple(r) for r in rows}):
        repository.add_to_rollup(
            session, kind.rollup, names, [r for r in rows if tuple(r) == shape]
        )


def rebuild(session: Session, tenant: Tenant | None = None) -> None:
    """Recount the daily rows (of one tenant, or of every account) from the checkout
    sessions, cancellation flows and support requests, with the rule the services keep."""
    zones = {a: _zone(z) for a, z in repository.timezones(session, tenant).items()}
    for kind in KINDS:
        repository.clear_counts(session, kind.rollup, tenant)
        totals: dict[tuple[Any, ...], dict[str, int]] = {}
        for row in repository.counted_rows(session, kind.source, kind.columns, tenant):
            key, values = kind.of(row)
            day = row.created_at.astimezone(zones[row.account_id]).date()
            full = (row.account_id, row.livemode, day, *key)
            found = totals.get(full)
            if found is None:
                totals[full] = dict(values)
            else:
                for name, n in values.items():
                    found[name] += n
        names = ("account_id", "livemode", "day", *kind.keys)
        rows = [
            {**dict(zip(names, full, strict=True)), **values} for full, values in totals.items()
        ]
        repository.insert_counts(session, kind.rollup, rows)
