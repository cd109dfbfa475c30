"""The e-invoices page: the list with its risk filter and ANAF's messages, and correcting
a rejected invoice from it (audited); a role that only reads sees no button."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import AuditEntry, EInvoice
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, Merchant
from tests.console.conftest import Operator, signed_in
from tests.domains.efactura.documents import add_einvoice
from tests.portal.conftest import Page
from tests.scenarios.world import World


def invoices(merchant: Merchant, count: int) -> list[dict]:
    world = World(merchant.api, T0)
    customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
    return [
        world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0] for _ in range(count)
    ]


def test_the_list_filters_the_at_risk_and_a_rejected_invoice_is_corrected(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
) -> None:
    safe, risky = invoices(merchant, 2)
    add_einvoice(
        session_factory, merchant.account_id, safe["id"], clock.now(), deadline=date(2026, 1, 22)
    )
    rejected = add_einvoice(
        session_factory,
        merchant.account_id,
        risky["id"],
        clock.now(),
        deadline=date(2026, 1, 16),
        state="rejected",
    )
    with unit_of_work(session_factory) as session:
        row = session.get(EInvoice, (merchant.account_id, rejected))
        assert row is not None
        row.anaf_messages = [{"rule": "BR-RO-010", "message": "[BR-RO-010] CUI invalid"}]
    own, _ = owner
    every = Page(own.get("/console/einvoices?mode=test"))
    assert safe["number"] in every.text
    assert risky["number"] in every.text
    at_risk = Page(own.get("/console/einvoices?mode=test&at_risk=1"))
    assert safe["number"] not in at_risk.text
    assert "[BR-RO-010] CUI invalid" in at_risk.text
    assert "At risk" in at_risk.text
    form = Page(own.get("/console/einvoices?mode=test&at_risk=1")).tree.xpath(
        f'//form[@action="/console/einvoices/{rejected}/correct"]'
    )[0]
    fields = {f.get("name"): f.get("value") for f in form.xpath(".//input")}
    done = own.post(f"/console/einvoices/{rejected}/correct", data=fields, follow_redirects=False)
    assert done.status_code == 303
    after = Page(own.get(done.headers["location"]))
    assert "Corrected: the invoice was credited in full" in after.text
    assert "Issued again as" in after.text
    with unit_of_work(session_factory) as session:
        audited = session.scalars(
            select(AuditEntry.target_id).where(
                AuditEntry.account_id == merchant.account_id,
                AuditEntry.action == "einvoice.correct",
            )
        ).all()
    assert audited == [rejected]
    again = own.post(f"/console/einvoices/{rejected}/correct", data=fields, follow_redirects=False)
    assert "error=conflict" in again.headers["location"]


def test_an_analyst_reads_the_list_without_the_correct_button(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
) -> None:
    (invoice,) = invoices(merchant, 1)
    add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now(), state="rejected")
    own, _ = signed_in(client, session_factory, merchant, "analyst")
    page = Page(own.get("/console/einvoices?mode=test"))
    assert page.response.status_code == 200
    assert invoice["number"] in page.text
    assert not page.tree.xpath("//form[contains(@action, '/correct')]")
    assert own.post("/console/einvoices/einv_x/correct", data={}).status_code == 403
