"""Subscription records hold exactly the model's columns, read the values the ORM reads, and
say which columns a change touched, on both databases."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import seed_due_subscriptions

from recura.db import records
from recura.db.models import Subscription
from recura.db.records import SUBSCRIPTION_COLUMNS, SubscriptionRow, subscription_rows
from recura.db.unit_of_work import unit_of_work

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _model_annotations() -> dict[str, str]:
    found: dict[str, str] = {}
    for cls in reversed(Subscription.__mro__):
        for name, annotation in getattr(cls, "__annotations__", {}).items():
            if isinstance(annotation, str) and annotation.startswith("Mapped["):
                found[name] = re.sub(r"^Mapped\[(.*)\]$", r"\1", annotation)
    return found


def test_a_record_has_every_column_of_the_model_with_its_type() -> None:
    names = [f.name for f in fields(SubscriptionRow) if f.name != "loaded"]
    columns = {prop.key for prop in inspect(Subscription).column_attrs}
    assert sorted(names) == sorted(columns)
    assert len(names) == len(set(names))
    annotations = _model_annotations()
    for name in names:
        assert SubscriptionRow.__annotations__[name] == annotations[name], name
    assert [c.key for c in SUBSCRIPTION_COLUMNS] == names


def test_records_read_what_the_orm_reads(session_factory: sessionmaker[Session]) -> None:
    account_id = seed_due_subscriptions(
        session_factory, 2, (T0, T0 + timedelta(days=31)), metered=False
    )
    mine = Subscription.account_id == account_id
    with unit_of_work(session_factory) as session:
        rows = subscription_rows(session, select(*SUBSCRIPTION_COLUMNS).where(mine))
        models = {s.id: s for s in session.scalars(select(Subscription).where(mine))}
        assert len(rows) == 2
        for row in rows:
            model = models[row.id]
            for f in fields(SubscriptionRow):
                if f.name != "loaded":
                    assert getattr(row, f.name) == getattr(model, f.name), f.name
        # A record is nobody's: reading it put nothing in the session.
        assert all(inspect(row, raiseerr=False) is None for row in rows)


def test_changed_names_only_what_differs_from_the_row_read(
    session_factory: sessionmaker[Session],
) -> None:
    account_id = seed_due_subscriptions(
        session_factory, 2, (T0, T0 + timedelta(days=31)), metered=False
    )
    with unit_of_work(session_factory) as session:
        rows = subscription_rows(
            session,
            select(*SUBSCRIPTION_COLUMNS).where(Subscription.account_id == account_id),
        )
    names = ["mrr", "status", "next_action_at", "pending_change"]
    assert records.changed(rows, names) == []
    rows[1].next_action_at = T0 + timedelta(days=62)
    rows[0].mrr += 1
    rows[0].status = rows[0].status  # set, but to the same value
    assert records.changed(rows, names) == ["mrr", "next_action_at"]
    made = SubscriptionRow(
        **{f.name: getattr(rows[0], f.name) for f in fields(SubscriptionRow) if f.name != "loaded"}
    )
    assert records.changed([made], names) == names
