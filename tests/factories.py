"""Rows inserted straight through the models, for tests that need them but don't test them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0

from recura.db.models import Plan, Product
from recura.db.unit_of_work import unit_of_work
from recura.ids import new_id


def insert_plan(factory: sessionmaker[Session], account_id: str, *, livemode: bool = False) -> str:
    """A monthly plan of a fresh product; returns the plan id."""
    keys = {"account_id": account_id, "livemode": livemode, "created_at": T0, "updated_at": T0}
    product_id, plan_id = new_id("product"), new_id("plan")
    with unit_of_work(factory) as session:
        session.add(
            Product(
                id=product_id,
                **keys,
                name="Norditech CRM",
                description=None,
                metadata_={},
                archived_at=None,
            )
        )
        session.flush()
        session.add(
            Plan(
                id=plan_id,
                **keys,
                product_id=product_id,
                code=plan_id.lower(),
                name="Pro monthly",
                description=None,
                interval_unit="month",
                interval_count=1,
                billing_timing="in_advance",
                trial_days=0,
                metadata_={},
                archived_at=None,
            )
        )
    return plan_id
