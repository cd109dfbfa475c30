"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0
from tests.domains.metrics.test_funnel_counters import kept_rows
from tests.domains.metrics.test_funnel_counts import instant
from tests.factories import create_account, insert_plan
from tests.own_database import database_url, engine, session_factory

import recura.db.models  # noqa: F401
from recura.db import bulk
from recura.db.base import Base, JSONType, UTCDateTime
from recura.db.migrate import alembic_config, upgrade
from recura.db.models import CheckoutSession, Customer, GatewayConnection, SupportRequest
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.funnels import counters
from recura.gateways.paypal_sdk import SANDBOX_API_BASE

# Each test a database of its own: a downgrade meets only the rows its test wrote, never
# what other tests left (a status longer than an older column allows, say).
__all__ = ["database_url", "engine", "session_factory"]


def test_autogenerate_finds_no_difference(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_every_tenant_table_keys_on_account_id(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        # The metrics fold's bookmark in the event log of every account: worker state, not
        # a tenant's data (with Citus, a reference table).
        if table.name in {"accounts", "metric_cursors"}:
            continue
        pk = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert pk[0] == "account_id", table.name
        for unique in inspector.get_unique_constraints(table.name):
            if unique["column_names"] != ["key_hash"]:  # a key's hash finds its account
                assert unique["column_names"][0] == "account_id", (table.name, unique)


def test_usage_event_keys_compare_byte_by_byte_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares text byte by byte already")

    def collations() -> dict[str, str | None]:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT column_name, collation_name FROM information_schema.columns "
                    "WHERE table_name = 'usage_events' AND data_type = 'character varying'"
                )
            )
            return dict(rows.all())

    keys = {"account_id": "C", "transaction_id": "C", "customer_id": "C", "code": "C"}
    assert collations() == {**keys, "id": None}
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    try:
        assert collations() == dict.fromkeys([*keys, "id"])
    finally:
        upgrade(engine)
    assert collations() == {**keys, "id": None}


def test_the_invoices_iban_becomes_a_bank_account_in_both_modes(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, legal_name, country, default_currency, timezone,"
                    " locale, invoice_series_prefix, iban, created_at, updated_at) VALUES"
                    " ('acct_migrated_iban', 'M', 'RO', 'RON', 'UTC', 'ro', 'M',"
                    " 'RO49AAAA1B31007593840000', :t, :t)"
                ),
                {"t": "2026-01-01T00:00:00+00:00"},
            )
            # A statement with a transaction referring to it: the upgrade keeps both.
            conn.execute(
                text(
                    "INSERT INTO bank_statements (account_id, id, livemode, statement_key,"
                    " message_id, statement_id, iban, entry_count, matched_count, created_at)"
                    " VALUES ('acct_migrated_iban', 'bst_migrated', false, 'k', 'm', 's',"
                    " 'RO49AAAA1B31007593840000', 1, 0, :t)"
                ),
                {"t": "2026-01-01T00:00:00+00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO bank_transactions (account_id, id, livemode, statement_id, iban,"
                    ' entry_ref, booked_on, amount, currency, "references", remittance,'
                    " debtor_name, status, applied, to_balance, created_at) VALUES"
                    " ('acct_migrated_iban', 'btx_migrated', false, 'bst_migrated',"
                    " 'RO49AAAA1B31007593840000', 'B-1', '2026-01-01', 100, 'RON', '[]', '',"
                    " 'Ana', 'unmatched', '[]', 0, :t)"
                ),
                {"t": "2026-01-01T00:00:00+00:00"},
            )
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT livemode, iban, number, currency FROM bank_accounts"
                " WHERE account_id = 'acct_migrated_iban' ORDER BY livemode"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (False, "RO49AAAA1B31007593840000", None, None),
        (True, "RO49AAAA1B31007593840000", None, None),
    ]
    with engine.connect() as conn:
        moved = conn.execute(
            text(
                "SELECT s.account_number, t.account_number, t.counterparty_name, t.credit,"
                " t.entry_status FROM bank_transactions t JOIN bank_statements s"
                " ON s.account_id = t.account_id AND s.id = t.statement_id"
                " WHERE t.id = 'btx_migrated'"
            )
        ).one()
    iban = "RO49AAAA1B31007593840000"
    assert tuple(moved) == (iban, iban, "Ana", True, "BOOK")


def test_connections_lose_only_where_their_requests_went(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        account = create_account(session, T0, prefix="MIGR")
    config = alembic_config()
    # Whatever revision comes before it once the revisions are chained.
    before = ScriptDirectory.from_config(config).get_revision("0012").down_revision
    assert isinstance(before, str)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        rows = [
            ("gwc_m1", False, "stripe", {"api_key": "sk_test_1", "api_base": "http://evil"}),
            ("gwc_m2", False, "paypal", {"client_id": "c", "api_base": "https://elsewhere"}),
            ("gwc_m3", True, "paypal", {"client_id": "c"}),
        ]
        with engine.begin() as connection:
            for id_, livemode, gateway, settings in rows:
                connection.execute(
                    insert(GatewayConnection.__table__).values(
                        account_id=account,
                        id=id_,
                        livemode=livemode,
                        gateway=gateway,
                        config=settings,
                        created_at=T0,
                        updated_at=T0,
                    )
                )
    finally:
        upgrade(engine)

    def configs() -> dict[str, dict[str, Any]]:
        with unit_of_work(session_factory) as session:
            found = session.scalars(
                select(GatewayConnection).where(GatewayConnection.account_id == account)
            )
            return {c.id: c.config for c in found}

    assert configs() == {
        "gwc_m1": {"api_key": "sk_test_1"},
        "gwc_m2": {"client_id": "c"},
        "gwc_m3": {"client_id": "c"},
    }
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        # The older code read a test-mode PayPal connection without one as PayPal's live API.
        assert configs()["gwc_m2"] == {"client_id": "c", "api_base": SANDBOX_API_BASE}
        assert configs()["gwc_m3"] == {"client_id": "c"}
    finally:
        upgrade(engine)


def test_customers_vat_numbers_get_their_vies_state(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        account = create_account(session, T0, prefix="VIES")
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("2026_12_07_1050").down_revision
    assert isinstance(before, str)
    customers = sa.table(
        "customers",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("livemode"),
        sa.column("vat_id"),
        sa.column("vat_id_validated_at", UTCDateTime()),
        sa.column("metadata", JSONType),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    rows = [
        ("cus_v1", "DE136695976", T0),
        ("cus_v2", "DE129273398", None),
        ("cus_v3", "18547290", None),
    ]
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        with engine.begin() as connection:
            for id_, vat_id, validated in rows:
                connection.execute(
                    insert(customers).values(
                        account_id=account,
                        id=id_,
                        livemode=False,
                        vat_id=vat_id,
                        vat_id_validated_at=validated,
                        metadata={},
                        created_at=T0,
                        updated_at=T0,
                    )
                )
    finally:
        upgrade(engine)
    with unit_of_work(session_factory) as session:
        found = {
            c.id: (c.vat_check, c.vat_check_due_at)
            for c in session.scalars(select(Customer).where(Customer.account_id == account))
        }
    assert found["cus_v1"] == ("validated", T0 + timedelta(days=30))
    assert found["cus_v2"][0] == "not_checked"
    assert found["cus_v2"][1] is not None
    assert found["cus_v3"] == (None, None)


def test_support_notes_kept_as_audit_entries_become_notes(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        account = create_account(session, T0, prefix="NOTES")
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("2026_12_07_1130").down_revision
    customers = sa.table(
        "customers",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("livemode"),
        sa.column("metadata", JSONType),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    entries = sa.table(
        "audit_entries",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("livemode"),
        sa.column("created_at", UTCDateTime()),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("actor_kind"),
        sa.column("actor_id"),
        sa.column("actor_label"),
        sa.column("action"),
        sa.column("target_type"),
        sa.column("target_id"),
        sa.column("changes", JSONType),
    )

    def entry(id_: str, action: str, changes: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "account_id": account,
            "id": id_,
            "livemode": False,
            "created_at": T0,
            "occurred_at": T0,
            "actor_kind": "user",
            "actor_id": "usr_gone",
            "actor_label": "ana@norditech.example",
            "action": action,
            "target_type": "customer",
            "target_id": "cus_noted",
            "changes": changes,
        }

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(customers).values(
                    account_id=account,
                    id="cus_noted",
                    livemode=False,
                    metadata={},
                    created_at=T0,
                    updated_at=T0,
                )
            )
            note = {"note": {"before": None, "after": "Called: card expired"}}
            renamed = {"name": {"before": "A", "after": "B"}}
            connection.execute(
                insert(entries),
                [
                    entry("aud_01NOTE", "customer.support_note", note),
                    entry("aud_01OTHER", "customer.update", renamed),
                ],
            )
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, livemode, customer_id, author_id, author_name, body FROM customer_notes"
                " WHERE account_id = :account"
            ),
            {"account": account},
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            "note_01NOTE",
            False,
            "cus_noted",
            "usr_gone",
            "ana@norditech.example",
            "Called: card expired",
        )
    ]


def test_answered_support_requests_get_their_wait_in_seconds(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        account = create_account(session, T0, prefix="WAIT")
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("2026_12_07_1160").down_revision
    assert isinstance(before, str)
    customers = sa.table(
        "customers",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("livemode"),
        sa.column("metadata", JSONType),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    requests = sa.table(
        "support_requests",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("livemode"),
        sa.column("customer_id"),
        sa.column("category"),
        sa.column("subject"),
        sa.column("status"),
        sa.column("first_response_at", UTCDateTime()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    answered = {"sr_waited": timedelta(hours=3, seconds=59.9), "sr_at_once": timedelta(0)}
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(customers).values(
                    account_id=account,
                    id="cus_waiting",
                    livemode=False,
                    metadata={},
                    created_at=T0,
                    updated_at=T0,
                )
            )
            for id_, wait in [*answered.items(), ("sr_open", None)]:
                connection.execute(
                    insert(requests).values(
                        account_id=account,
                        id=id_,
                        livemode=False,
                        customer_id="cus_waiting",
                        category="billing",
                        subject="?",
                        status="open" if wait is None else "answered",
                        first_response_at=None if wait is None else T0 + wait,
                        created_at=T0,
                        updated_at=T0,
                    )
                )
    finally:
        upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, first_response_seconds FROM support_requests WHERE account_id = :a"),
            {"a": account},
        ).all()
    assert dict(rows) == {"sr_waited": 3 * 3600 + 59, "sr_at_once": 0, "sr_open": None}


def test_the_daily_funnel_counts_are_filled_as_a_rebuild_fills_them(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """Checkout sessions and support requests made before the daily counts existed: the
    migration counts them on the account's days as `counters.rebuild` does."""
    with unit_of_work(session_factory) as session:
        account = create_account(session, T0, prefix="DAYS")
        session.execute(
            text("UPDATE accounts SET timezone = 'Europe/Bucharest' WHERE id = :a"), {"a": account}
        )
    plan = insert_plan(session_factory, account)
    tenant = Tenant(account, livemode=False)
    rng = random.Random(5)
    keys = {"account_id": account, "livemode": False}
    sessions, requests = [], []
    for n in range(60):
        at = instant(rng)
        sessions.append(
            {
                **keys,
                "id": f"cs_{n}",
                "created_at": at,
                "updated_at": at,
                "expires_at": at,
                "plan_id": plan,
                "quantity": 1,
                "add_ons": [],
                "allow_promotion_codes": False,
                "customer_given": False,
                "locale": "ro",
                "currency": "RON",
                "metadata": {},
                "acquisition": {},
                "status": rng.choice(("open", "expired", "complete")),
                "stage": rng.choice((None, "opened", "confirmed")),
            }
        )
        seconds = rng.choice((None, 0, 59, 3600))
        requests.append(
            {
                **keys,
                "id": f"sr_{n}",
                "created_at": at,
                "updated_at": at,
                "customer_id": "cus_days",
                "category": "billing",
                "subject": "?",
                "status": "open",
                "first_response_seconds": seconds,
            }
        )
    config = alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("2026_12_07_1210").down_revision
    assert isinstance(before, str)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    try:
        with unit_of_work(session_factory) as session:
            customer = {**keys, "id": "cus_days", "metadata": {}, "created_at": T0}
            bulk.insert_rows(session, Customer, [{**customer, "updated_at": T0}])
            bulk.insert_rows(session, CheckoutSession, sessions)
            bulk.insert_rows(session, SupportRequest, requests)
    finally:
        upgrade(engine)
    with unit_of_work(session_factory) as session:
        filled = kept_rows(session, tenant)
        counters.rebuild(session, tenant)
        assert kept_rows(session, tenant) == filled
    assert filled["metric_checkout_daily"]
    assert sum(r[-1] for r in filled["metric_support_daily"]) == sum(
        s["first_response_seconds"] or 0 for s in requests
    )
