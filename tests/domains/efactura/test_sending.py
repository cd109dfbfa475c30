"""Uploading e-invoices to ANAF (a local fake), asking about them and archiving the answer,
end to end through the worker's staged handler, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import AnafCall, Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import limits, sending
from recura.domains.efactura.connections import Anaf
from tests.conftest import T0, Merchant, make_merchant
from tests.domains.efactura.conftest import CIF, connect
from tests.domains.efactura.documents import add_einvoice, row
from tests.event_contract import check_recorded
from tests.fakes.anaf_server import FakeAnaf
from tests.scenarios.world import World


def first_invoice(merchant: Merchant, **customer: object) -> dict:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    world = World(merchant.api, T0)
    body = {"kind": "company", "legal_name": "Client SRL", "country": "RO", **customer}
    sub = world.subscribe(world.customer(**body), world.plan(4900))
    return world.invoices(sub["id"])[0]


def run(factory: sessionmaker[Session], clock: FixedClock, anaf: Anaf) -> int:
    return sending.upload_due(lambda: unit_of_work(factory), clock, anaf=anaf)


def events_of(factory: sessionmaker[Session], account_id: str) -> list[tuple[str, str]]:
    with unit_of_work(factory) as session:
        stmt = select(Event.type, Event.object_id).where(
            Event.account_id == account_id, Event.type.like("einvoice.%")
        )
        return [(kind, obj) for kind, obj in session.execute(stmt.order_by(Event.id))]


def test_an_invoice_is_uploaded_polled_accepted_and_its_answer_archived(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    client: TestClient,
) -> None:
    invoice = first_invoice(merchant)
    tenant = Tenant(merchant.account_id, False)
    connect(session_factory, tenant, anaf, clock.now())
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())

    assert run(session_factory, clock, anaf) == 1
    uploaded = row(session_factory, merchant.account_id, einvoice)
    assert (uploaded.state, uploaded.upload_index) == ("uploaded", "5000000001")
    assert fake_anaf.calls == [
        ("POST", "/anaf-oauth2/v1/token"),
        ("POST", "/test/FCTEL/rest/upload"),
    ]
    assert fake_anaf.messages["5000000001"].standard == "UBL"
    assert not fake_anaf.messages["5000000001"].extern

    # Not due yet: nothing is asked before the backoff's first step.
    assert run(session_factory, clock, anaf) == 0
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)  # in prelucrare
    waiting = row(session_factory, merchant.account_id, einvoice)
    assert waiting.state == "uploaded"
    assert waiting.download_id is None
    assert waiting.next_attempt_at == clock.now() + sending.BACKOFF[0]
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)  # ok, with the download id
    run(session_factory, clock, anaf)  # the ZIP
    accepted = row(session_factory, merchant.account_id, einvoice)
    assert accepted.state == "accepted"
    assert accepted.decided_at == clock.now()
    assert accepted.answer is not None
    names = zipfile.ZipFile(io.BytesIO(accepted.answer)).namelist()
    assert names == ["5000000001.xml", "semnatura_5000000001.xml"]
    assert fake_anaf.calls_to("stareMesaj") == 2
    assert fake_anaf.calls_to("descarcare") == 1

    assert events_of(session_factory, merchant.account_id) == [
        ("einvoice.uploaded", einvoice),
        ("einvoice.accepted", einvoice),
    ]
    check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    # Through the API: the e-invoice and its archived answer.
    shown = merchant.api.ok("GET", f"/v1/einvoices/{einvoice}")
    assert (shown["state"], shown["has_answer"], shown["upload_index"]) == (
        "accepted",
        True,
        "5000000001",
    )
    answer = merchant.api.get(f"/v1/einvoices/{einvoice}/answer")
    assert answer.headers["content-type"] == "application/zip"
    assert answer.content == accepted.answer
    # Counted: one status question per poll and one download, per message and per CIF.
    with unit_of_work(session_factory) as session:
        counted = {
            (c.method, c.subject): c.count
            for c in session.scalars(select(AnafCall).where(AnafCall.method != "*"))
        }
    assert counted == {("stareMesaj", "5000000001"): 2, ("descarcare", "5000000001"): 1}


def test_individuals_go_to_uploadb2c_and_foreign_buyers_with_extern(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    world = World(merchant.api, T0)
    person = world.customer(kind="individual", country="RO")
    foreign = world.customer(kind="company", legal_name="Kunde GmbH", country="DE")
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    for customer in (person, foreign):
        invoice = world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]
        add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    assert run(session_factory, clock, anaf) == 2
    paths = [path for _, path in fake_anaf.calls if "upload" in path]
    assert sorted(paths) == ["/test/FCTEL/rest/upload", "/test/FCTEL/rest/uploadb2c"]
    by_kind = {m.b2c: m for m in fake_anaf.messages.values()}
    assert by_kind[True].extern is False
    assert by_kind[False].extern is True


def test_a_rejection_keeps_anafs_messages_and_the_error_zip(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.processing_polls = 0
    errors = [
        "[BR-RO-010] Numarul de inregistrare al vanzatorului nu este valid",
        "[BR-CO-15] Total cu TVA = Total fara TVA + TVA",
    ]
    fake_anaf.reject(invoice["number"], errors)
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    run(session_factory, clock, anaf)
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)
    run(session_factory, clock, anaf)
    rejected = row(session_factory, merchant.account_id, einvoice)
    assert rejected.state == "rejected"
    assert rejected.anaf_messages == [
        {"rule": "BR-RO-010", "message": errors[0]},
        {"rule": "BR-CO-15", "message": errors[1]},
    ]
    assert rejected.answer is not None  # the signed errors are proof too
    assert events_of(session_factory, merchant.account_id)[-1] == ("einvoice.rejected", einvoice)
    shown = merchant.api.ok("GET", "/v1/einvoices", params={"state": "rejected"})["data"]
    assert [e["id"] for e in shown] == [einvoice]
    assert shown[0]["messages"][0]["rule"] == "BR-RO-010"


def test_a_document_anaf_refuses_at_upload_is_rejected_at_once(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    with unit_of_work(session_factory) as session:
        found = row(session_factory, merchant.account_id, einvoice)
        found.xml = b"<Invoice><unclosed></Invoice>"
        session.merge(found)
    run(session_factory, clock, anaf)
    refused = row(session_factory, merchant.account_id, einvoice)
    assert refused.state == "rejected"
    assert "nu este valid" in refused.anaf_messages[0]["message"]
    assert refused.upload_index is None


def test_without_a_connection_nothing_is_sent_and_it_waits(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    run(session_factory, clock, anaf)
    waiting = row(session_factory, merchant.account_id, einvoice)
    assert waiting.state == "pending"
    assert waiting.next_attempt_at == clock.now() + sending.NOT_CONNECTED_WAIT
    assert fake_anaf.calls == []


def test_over_a_daily_limit_the_question_waits_for_romanias_next_day(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.processing_polls = 1000
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    run(session_factory, clock, anaf)
    # Today's questions about this message are used up (by us, say, or another program).
    with unit_of_work(session_factory) as session:
        session.add(
            AnafCall(
                account_id=merchant.account_id,
                livemode=False,
                cif=CIF,
                window=limits.day_of(clock.now()),
                method="stareMesaj",
                subject="5000000001",
                count=limits.LIMITS["stareMesaj"].per_day,
            )
        )
    clock.advance(sending.BACKOFF[0])
    asked = fake_anaf.calls_to("stareMesaj")
    run(session_factory, clock, anaf)
    assert fake_anaf.calls_to("stareMesaj") == asked  # not asked: over the limit
    deferred = row(session_factory, merchant.account_id, einvoice)
    # 09:31 UTC on 15 January is 11:31 in Bucharest: the next day starts at 22:00 UTC.
    assert deferred.next_attempt_at == limits.next_day(clock.now())
    assert deferred.next_attempt_at.isoformat() == "2026-01-15T22:00:00+00:00"
    assert deferred.attempts == 0
    clock.advance(deferred.next_attempt_at - clock.now())
    run(session_factory, clock, anaf)
    assert fake_anaf.calls_to("stareMesaj") == asked + 1


def test_anafs_own_limit_answer_also_defers_to_the_next_day(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.processing_polls = 1000
    fake_anaf.status_per_message = 1  # ANAF counts calls we did not make (another program's)
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    run(session_factory, clock, anaf)
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        run(session_factory, clock, anaf)
    deferred = row(session_factory, merchant.account_id, einvoice)
    assert deferred.next_attempt_at == limits.next_day(clock.now())
    assert "limita" in deferred.anaf_messages[0]["message"]
    with unit_of_work(session_factory) as session:
        count = session.scalars(select(AnafCall.count).where(AnafCall.method == "stareMesaj")).one()
    assert count == limits.LIMITS["stareMesaj"].per_day


def test_the_at_risk_list(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    world = World(merchant.api, T0)
    customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
    # Thursday 15 January 2026: two working days on is Monday the 19th.
    deadlines = {
        "past": date(2026, 1, 14),
        "monday": date(2026, 1, 19),
        "tuesday": date(2026, 1, 20),
    }
    made = {}
    for name, deadline in deadlines.items():
        invoice = world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]
        made[name] = add_einvoice(
            session_factory, merchant.account_id, invoice["id"], clock.now(), deadline=deadline
        )
    invoice = world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]
    accepted = add_einvoice(
        session_factory,
        merchant.account_id,
        invoice["id"],
        clock.now(),
        deadline=date(2026, 1, 10),
        state="accepted",
    )
    at_risk = merchant.api.ok("GET", "/v1/einvoices", params={"at_risk": "true"})["data"]
    assert {e["id"] for e in at_risk} == {made["past"], made["monday"]}
    assert all(e["at_risk"] for e in at_risk)
    every = merchant.api.ok("GET", "/v1/einvoices")["data"]
    assert {e["id"] for e in every} == {*made.values(), accepted}
    pending_at_risk = merchant.api.ok(
        "GET", "/v1/einvoices", params={"at_risk": "true", "state": "pending"}
    )["data"]
    assert len(pending_at_risk) == 2
    bad = merchant.api.get("/v1/einvoices", params={"state": "lost"})
    assert bad.status_code == 422
    assert merchant.api.get("/v1/einvoices/einv_nope").status_code == 404


def test_when_anaf_does_not_answer_the_upload_is_tried_again_later(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    closed = Anaf(anaf.secret, anaf.oauth_base, "http://127.0.0.1:9")  # nothing listens
    assert run(session_factory, clock, closed) == 1
    waiting = row(session_factory, merchant.account_id, einvoice)
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert waiting.next_attempt_at == clock.now() + sending.BACKOFF[0]
    assert run(session_factory, clock, anaf) == 0  # not due yet
    clock.advance(sending.BACKOFF[0])
    run(session_factory, clock, anaf)
    assert row(session_factory, merchant.account_id, einvoice).state == "uploaded"


def test_one_accounts_backlog_does_not_keep_anothers_waiting(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    client: TestClient,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    other = make_merchant(session_factory, client, "Alt Client SRL")
    fake_anaf.clients["recura-app"].cifs.add("14399840")
    made = {}
    for owner, cif, count in ((merchant, CIF, 5), (other, "14399840", 1)):
        owner.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{cif}"})
        world = World(owner.api, T0)
        customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
        connect(session_factory, Tenant(owner.account_id, False), anaf, clock.now())
        made[owner.account_id] = [
            add_einvoice(
                session_factory,
                owner.account_id,
                world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]["id"],
                clock.now(),
            )
            for _ in range(count)
        ]
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    assert sending.upload_due(units, clock, 2, anaf=anaf) == 2
    states = {
        account: [row(session_factory, account, e).state for e in ids]
        for account, ids in made.items()
    }
    assert states[other.account_id] == ["uploaded"]
    assert states[merchant.account_id].count("uploaded") == 1
    # What the small one leaves, the large one takes.
    assert sending.upload_due(units, clock, 3, anaf=anaf) == 3
    left = [row(session_factory, merchant.account_id, e).state for e in made[merchant.account_id]]
    assert left.count("uploaded") == 4
