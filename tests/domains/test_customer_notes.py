"""Support notes through the domain: kept on one line and at most 1000 characters, a
customer's newest first, and each customer's newest for a list in one statement, in the
mode they were written in. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Customer
from recura.db.unit_of_work import unit_of_work
from recura.domains.audit import changes
from recura.domains.common.tenant import Tenant
from recura.domains.customer_notes import repository as notes_repository
from recura.domains.customer_notes import service as notes
from tests.conftest import T0, Api, Merchant


def test_notes_newest_first_and_each_customers_latest(
    session_factory: sessionmaker[Session], merchant: Merchant, api: Api
) -> None:
    ana = api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
    ion = api.ok("POST", "/v1/customers", 201, json={"name": "Ion"})["id"]
    tenant = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        for customer_id, body, minutes in (
            (ana, "  first\n note  ", 0),
            (ion, "ion's", 1),
            (ana, "x" * 1500, 2),
        ):
            customer = session.get(Customer, (merchant.account_id, customer_id))
            assert customer is not None
            note = notes.add(
                session, tenant, customer, "usr_1", "Maria", body, T0 + timedelta(minutes=minutes)
            )
        assert changes.take(session) == {"note": {"before": None, "after": note.body[:500] + "…"}}
    with unit_of_work(session_factory) as session:
        found = notes_repository.newest(session, tenant, ana, 20)
        assert [len(n.body) for n in found] == [1000, len("first note")]
        assert found[1].body == "first note"
        assert found[0].author_name == "Maria"
        latest = notes_repository.latest_of(session, tenant, [ana, ion, "cus_none"])
        assert {key: note.body[:5] for key, note in latest.items()} == {
            ana: "xxxxx",
            ion: "ion's",
        }
        # Live data sees none of them.
        live = Tenant(merchant.account_id, livemode=True)
        assert notes_repository.newest(session, live, ana, 20) == []
        assert notes_repository.latest_of(session, tenant, []) == {}


def test_a_note_is_one_line() -> None:
    assert notes.tidy("  Called:\n card\texpired  ") == "Called: card expired"
    assert notes.tidy(" \n ") == ""
    assert len(notes.tidy("y" * 2000)) == notes.NOTE_MAX
