"""The Customers section: the list (search by name, email and VAT id / CUI, the standing
filter, pages), a customer's page with each of its sections, another account's customer
as a 404, and emailing a portal link (customers.write, with its form key and audit entry)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.console import customers as section
from recura.db.models import AuditEntry, Event
from recura.db.unit_of_work import unit_of_work
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.console.conftest import Operator, signed_in
from tests.factories import open_support_request
from tests.portal.conftest import MINUTE, PRICE, Page, subscriber
from tests.scenarios.world import World


def customer(api: Api, **body: object) -> str:
    return str(api.ok("POST", "/v1/customers", 201, json=body)["id"])


def listed(browser: TestClient, **params: str) -> Page:
    response = browser.get("/console/customers", params={"mode": "test", **params})
    assert response.status_code == 200, response.text
    return Page(response)


def names(page: Page) -> list[str]:
    return [str(a.text_content()) for a in page.tree.xpath("//table//td[1]//a")]


def test_search_by_name_email_and_vat_id(owner: tuple[TestClient, Operator], api: Api) -> None:
    browser, _ = owner
    customer(api, name="Ana Popescu", email="ana.popescu@example.ro", country="RO")
    customer(
        api,
        name="Norditech SRL",
        email="facturi@norditech.example",
        kind="company",
        legal_name="Norditech SRL",
        country="RO",
        vat_id="RO18547290",
    )
    customer(api, name="Ion Ionescu", email="ion@example.com")
    assert names(listed(browser)) == ["Ion Ionescu", "Norditech SRL", "Ana Popescu"]
    assert names(listed(browser, q="popes")) == ["Ana Popescu"]
    assert names(listed(browser, q="ANA.POPESCU@")) == ["Ana Popescu"]
    assert names(listed(browser, q="facturi@")) == ["Norditech SRL"]
    # An address matches from its start only (the index's way), a name anywhere.
    assert names(listed(browser, q="popescu@example")) == []
    assert names(listed(browser, q="18547290")) == ["Norditech SRL"]
    assert names(listed(browser, q="ro18547290")) == ["Norditech SRL"]
    assert names(listed(browser, q="100%_")) == []
    assert "No customer matches this search." in listed(browser, q="nobody").text
    # Live data is apart: none of these test customers there.
    live = Page(browser.get("/console/customers"))
    assert names(live) == []
    assert "No customers yet." in live.text


def test_pages_follow_one_another(owner: tuple[TestClient, Operator], api: Api) -> None:
    browser, _ = owner
    for n in range(section.PER_PAGE + 2):
        customer(api, name=f"Client {n:02}")
    first = listed(browser)
    assert len(names(first)) == section.PER_PAGE
    assert names(first)[0] == f"Client {section.PER_PAGE + 1:02}"
    (more,) = first.tree.xpath('//a[@rel="next"]')
    second = Page(browser.get(str(more.get("href"))))
    assert names(second) == ["Client 01", "Client 00"]
    assert not second.tree.xpath('//a[@rel="next"]')


def test_the_standing_filter(owner: tuple[TestClient, Operator], api: Api) -> None:
    browser, _ = owner
    world = World(api, T0)
    plan = world.plan(PRICE)
    paying = world.customer(name="Plătește")
    world.subscribe(paying, plan)
    late = world.customer(card="tok_sandbox_declined", name="Întârzie")
    world.subscribe(late, plan)
    world.advance_to(T0 + MINUTE)
    idle = customer(api, name="Fără Abonament")

    def ids(standing: str) -> set[str]:
        page = listed(browser, status=standing)
        return {str(a.get("href")).rsplit("/", 1)[1] for a in page.tree.xpath("//table//td[1]//a")}

    assert ids("active") == {paying}
    assert ids("past_due") == {late}
    assert ids("none") == {idle}


def test_the_customer_page_shows_each_section(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    browser, _ = owner
    ana = subscriber(api, "ro")
    api.ok(
        "PATCH",
        f"/v1/customers/{ana.customer}",
        json={"vat_id": "RO18547290", "country": "RO", "national_id": "1630615123457"},
    )
    api.ok("POST", f"/v1/customers/{ana.customer}/activity", json={"feature": "reports"})
    open_support_request(session_factory, merchant.account_id, ana.customer)
    response = browser.get(f"/console/customers/{ana.customer}")
    assert response.status_code == 200, response.text
    page = Page(response)
    text = page.text
    assert "Ana Popescu" in text
    assert ana.email in text
    assert "RO18547290" in text
    assert "(not checked in VIES yet)" in text
    assert "1630615123457" in text
    sub = api.ok("GET", f"/v1/subscriptions/{ana.subscription}")
    assert sub["status"] == "active"
    rows = {
        h2: " ".join(table.text_content().split())
        for h2, table in zip(
            page.tree.xpath("//h2/@id"),
            page.tree.xpath("//h2/following-sibling::*[1]"),
            strict=True,
        )
    }
    assert "Status: active MRR: RON 49.00" in rows["subscriptions"]
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    assert invoice["number"] in text
    assert "RON 59.29" in text
    assert "Status: succeeded Amount: RON 59.29 Processor: sandbox" in rows["payments"]
    assert "RON 59.29" in rows["invoices"]
    assert "Active on 1 of the last 30 days" in text
    assert "Plată dublă în februarie" in text
    timeline = [str(code.text) for code in page.tree.xpath('//ol[@class="timeline"]//code')]
    assert {"customer.updated", "subscription.created", "invoice.paid"} <= set(timeline), timeline


def test_another_accounts_customer_is_not_found(
    owner: tuple[TestClient, Operator],
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    browser, _ = owner
    other = make_merchant(session_factory, client)
    theirs = customer(other.api, name="Not Yours", email="not.yours@example.ro")
    response = browser.get(f"/console/customers/{theirs}")
    assert response.status_code == 404
    assert "Not Yours" not in response.text
    assert browser.get("/console/customers/cus_nothing").status_code == 404
    assert names(listed(browser, q="not")) == []
    sent = browser.post(
        f"/console/customers/{theirs}/portal-link",
        data={"form_key": "anything"},
        follow_redirects=False,
    )
    assert sent.status_code in (403, 404)


def test_an_operator_emails_a_portal_link(
    owner: tuple[TestClient, Operator],
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    browser, operator = owner
    ana = customer(api, name="Ana", email="ana@example.ro")
    page = Page(browser.get(f"/console/customers/{ana}"))
    form = page.form("form-portal-link")
    # Without the form's key: refused, nothing sent.
    refused = browser.post(f"/console/customers/{ana}/portal-link", data={})
    assert refused.status_code == 403
    sent = browser.post(f"/console/customers/{ana}/portal-link", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/console/customers/{ana}?done=link_sent"
    done = Page(browser.get(sent.headers["location"]))
    assert "A portal sign-in link was emailed to ana@example.ro" in done.text
    with unit_of_work(session_factory) as session:
        created = session.scalars(
            select(Event).where(
                Event.account_id == merchant.account_id, Event.type == "portal_session.created"
            )
        ).all()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.account_id == merchant.account_id)
        ).all()
        assert [(e.object_id, e.data["customer"], e.data["origin"]) for e in created] == [
            (created[0].object_id, ana, "email")
        ]
        assert created[0].actor_id == operator.user_id
        (entry,) = [e for e in entries if e.action == "portal_session.create"]
        assert (entry.actor_kind, entry.actor_id, entry.target_id) == (
            "user",
            operator.user_id,
            created[0].object_id,
        )


def test_no_link_for_a_customer_without_an_address(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    browser, _ = owner
    nameless = customer(api, name="Fără Email")
    form = Page(browser.get(f"/console/customers/{nameless}")).form("form-portal-link")
    refused = browser.post(f"/console/customers/{nameless}/portal-link", data=form)
    assert refused.status_code == 422
    assert "has no email address" in Page(refused).text


def test_the_analyst_reads_but_sends_no_link(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    analyst, _ = signed_in(client, session_factory, merchant, "analyst")
    ana = customer(api, name="Ana", email="ana@example.ro")
    page = Page(analyst.get(f"/console/customers/{ana}"))
    assert "Ana" in page.text
    assert not page.tree.xpath('//form[@id="form-portal-link"]')
    support, _ = signed_in(client, session_factory, merchant, "support")
    form = Page(support.get(f"/console/customers/{ana}")).form("form-portal-link")
    refused = analyst.post(f"/console/customers/{ana}/portal-link", data=form)
    assert refused.status_code == 403
    assert "Not allowed" in Page(refused).text


def test_support_notes_show_on_the_customer_page_newest_first(
    owner: tuple[TestClient, Operator],
    client: TestClient,
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
) -> None:
    browser, operator = owner
    late = subscriber(api, "en", card="tok_sandbox_declined")
    path = f"/console/customers/{late.customer}"
    assert "No note yet." in Page(browser.get(path)).text
    # One note from the at-risk list, one from the customer's page.
    risk = Page(browser.get("/console/customers/at-risk", params={"mode": "test"}))
    first = {**risk.form(f"note-{late.customer}"), "note": "Called: card expired"}
    added = browser.post(f"/console/customers/at-risk/{late.customer}/note", data=first)
    assert added.status_code == 200, added.text
    form = Page(browser.get(path)).form("form-note")
    empty = browser.post(f"{path}/notes", data={**form, "note": " \n "})
    assert empty.status_code == 422
    assert Page(empty).tree.xpath('//*[@id="note-text-error"]')[0].text == "Write the note first."
    done = browser.post(
        f"{path}/notes", data={**form, "note": "Sent a new\ncard link"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{path}?done=note_added#notes"
    page = Page(browser.get(done.headers["location"]))
    assert "The note was added." in page.text
    shown = [str(p.text_content()) for p in page.tree.xpath('//ol[@class="notes"]/li/p[1]')]
    assert shown == ["Sent a new card link", "Called: card expired"]
    (by,) = {str(p.text_content()) for p in page.tree.xpath('//ol[@class="notes"]/li/p[2]')}
    assert by.startswith("Owner, ")  # the author's name, then the time
    # The at-risk list shows the newest, from the same table.
    assert "Sent a new card link" in Page(browser.get(risk.response.url)).text
    # Each note is audited as the customer's.
    with unit_of_work(session_factory) as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.account_id == merchant.account_id,
                AuditEntry.action == "customer.support_note",
            )
        ).all()
        assert sorted(e.changes["note"]["after"] for e in entries if e.changes) == [
            "Called: card expired",
            "Sent a new card link",
        ]
        assert {(e.actor_id, e.target_id, e.livemode) for e in entries} == {
            (operator.user_id, late.customer, False)
        }
    # An analyst reads the notes and writes none; another account sees none of them.
    analyst, _ = signed_in(client, session_factory, merchant, "analyst")
    read = Page(analyst.get(path))
    assert "Called: card expired" in read.text
    assert not read.tree.xpath('//form[@id="form-note"]')
    assert analyst.post(f"{path}/notes", data={**form, "note": "x"}).status_code == 403
    other = make_merchant(session_factory, client)
    stranger, _ = signed_in(client, session_factory, other, "owner")
    assert stranger.get(path).status_code == 404
    refused = stranger.post(f"{path}/notes", data={"note": "x"}, follow_redirects=False)
    assert refused.status_code in (403, 404)
