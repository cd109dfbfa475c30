"""An upload whose answer never came back is looked for in ANAF's message list before it is
sent again, so that one invoice is never registered twice; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.clock import FixedClock
from recura.db.models import AnafCall, EInvoice
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import sending
from recura.domains.efactura.connections import Anaf
from recura.gateways.anaf import answers
from recura.gateways.anaf.efactura import EFactura
from tests.conftest import T0, Merchant
from tests.domains.efactura.conftest import CIF, CLIENT_ID, connect
from tests.domains.efactura.documents import add_einvoice, minimal_ubl, row
from tests.domains.efactura.test_sending import events_of, first_invoice, run
from tests.event_contract import check_recorded
from tests.fakes.anaf_server import FakeAnaf
from tests.scenarios.world import World


def ready(
    factory: sessionmaker[Session], merchant: Merchant, clock: FixedClock, anaf: Anaf
) -> tuple[str, str]:
    """A connected account and one pending e-invoice: (its id, its invoice's number)."""
    invoice = first_invoice(merchant)
    connect(factory, Tenant(merchant.account_id, False), anaf, clock.now())
    return add_einvoice(factory, merchant.account_id, invoice["id"], clock.now()), invoice["number"]


def until(
    factory: sessionmaker[Session],
    clock: FixedClock,
    anaf: Anaf,
    account_id: str,
    einvoice: str,
    done: Callable[[EInvoice], bool],
) -> EInvoice:
    """Run the worker, moving the clock to each next attempt, until `done`."""
    for _ in range(50):
        found = row(factory, account_id, einvoice)
        if done(found):
            return found
        assert found.next_attempt_at is not None
        if found.next_attempt_at > clock.now():
            clock.advance(found.next_attempt_at - clock.now())
        run(factory, clock, anaf)
    raise AssertionError(f"not done: {row(factory, account_id, einvoice).state}")


def counted(factory: sessionmaker[Session]) -> dict[tuple[str, str], int]:
    with unit_of_work(factory) as session:
        return {
            (c.method, c.subject): c.count
            for c in session.scalars(select(AnafCall).where(AnafCall.method != "*"))
        }


def test_an_upload_anaf_took_without_answering_is_found_and_not_sent_twice(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    client: TestClient,
) -> None:
    einvoice, number = ready(session_factory, merchant, clock, anaf)
    fake_anaf.lose_upload_answers = 1
    fake_anaf.processing_time = sending.BACKOFF[2]  # processed unasked, after a while
    run(session_factory, clock, anaf)
    lost = row(session_factory, merchant.account_id, einvoice)
    assert (lost.state, lost.upload_index) == ("pending", None)
    assert lost.upload_unconfirmed_since == clock.now()
    (taken,) = fake_anaf.messages.values()

    accepted = until(
        session_factory,
        clock,
        anaf,
        merchant.account_id,
        einvoice,
        lambda r: r.state != "pending",
    )
    assert accepted.state == "accepted"
    assert (accepted.upload_index, accepted.download_id) == (taken.index, taken.download_id)
    assert accepted.upload_unconfirmed_since is None
    assert accepted.unconfirmed_messages is None
    assert accepted.answer is not None
    assert answers.document_in_zip(accepted.answer) == accepted.xml
    # One upload, one message for that invoice at ANAF.
    assert fake_anaf.calls_to("upload") == 1
    assert [m.number for m in fake_anaf.messages.values()] == [number]
    assert fake_anaf.calls_to("stareMesaj") == 0  # the list said it all
    assert events_of(session_factory, merchant.account_id) == [
        ("einvoice.uploaded", einvoice),
        ("einvoice.accepted", einvoice),
    ]
    check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    # Every call counted against ANAF's limits, as the others are.
    calls = counted(session_factory)
    assert calls[("listaMesajeFactura", "")] == fake_anaf.calls_to("listaMesajeFactura") >= 1
    assert calls[("descarcare", taken.index)] == fake_anaf.calls_to("descarcare") == 1
    # Nothing more to do.
    clock.advance(sending.RECOVERY_WINDOW)
    assert run(session_factory, clock, anaf) == 0


def test_an_upload_anaf_never_took_is_sent_again_once_the_window_has_passed(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    einvoice, number = ready(session_factory, merchant, clock, anaf)
    fake_anaf.refuse_uploads = [504]  # the gateway failed before e-Factura had it
    fake_anaf.processing_time = sending.BACKOFF[0]
    run(session_factory, clock, anaf)
    since = row(session_factory, merchant.account_id, einvoice).upload_unconfirmed_since
    assert since == clock.now()
    assert fake_anaf.messages == {}

    uploaded = until(
        session_factory,
        clock,
        anaf,
        merchant.account_id,
        einvoice,
        lambda r: r.state != "pending",
    )
    assert uploaded.state == "uploaded"
    assert uploaded.uploaded_at is not None
    assert uploaded.uploaded_at >= since + sending.RECOVERY_WINDOW
    assert fake_anaf.calls_to("upload") == 2
    (message,) = fake_anaf.messages.values()
    assert (message.number, message.index) == (number, uploaded.upload_index)
    # Asked with backoff, not at every pass.
    assert 2 <= fake_anaf.calls_to("listaMesajeFactura") <= 12
    assert fake_anaf.calls_to("descarcare") == 0
    assert uploaded.upload_unconfirmed_since is None
    accepted = until(
        session_factory,
        clock,
        anaf,
        merchant.account_id,
        einvoice,
        lambda r: r.state != "uploaded",
    )
    assert accepted.state == "accepted"
    assert [kind for kind, _ in events_of(session_factory, merchant.account_id)] == [
        "einvoice.uploaded",
        "einvoice.accepted",
    ]


@pytest.mark.parametrize("status", [400, 429])
def test_a_refused_upload_is_tried_again_as_before(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    status: int,
) -> None:
    einvoice, _ = ready(session_factory, merchant, clock, anaf)
    fake_anaf.refuse_uploads = [status]
    run(session_factory, clock, anaf)
    refused = row(session_factory, merchant.account_id, einvoice)
    assert (refused.state, refused.upload_unconfirmed_since) == ("pending", None)
    wait = sending.THROTTLED_WAIT if status == 429 else sending.backoff(1)
    assert refused.next_attempt_at == clock.now() + wait
    clock.advance(wait)
    run(session_factory, clock, anaf)
    assert row(session_factory, merchant.account_id, einvoice).state == "uploaded"
    assert fake_anaf.calls_to("upload") == 2
    assert fake_anaf.calls_to("listaMesajeFactura") == 0


def test_another_programs_upload_for_the_same_cif_is_not_taken_for_ours(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    einvoice, number = ready(session_factory, merchant, clock, anaf)
    fake_anaf.refuse_uploads = [502]
    fake_anaf.processing_time = sending.BACKOFF[0]
    run(session_factory, clock, anaf)
    # Meanwhile the company's accounting program uploads an invoice of its own.
    theirs = minimal_ubl("CONT-0001", date(2026, 1, 15), "RON", 12000)
    token = str(fake_anaf.issue(CLIENT_ID)["access_token"])
    other = EFactura(fake_anaf.base_url, "test", token).upload(theirs, CIF).index
    assert other is not None

    uploaded = until(
        session_factory,
        clock,
        anaf,
        merchant.account_id,
        einvoice,
        lambda r: r.state != "pending",
    )
    assert uploaded.state == "uploaded"
    assert uploaded.upload_index not in (None, other)
    ours = [m for m in fake_anaf.messages.values() if m.number == number]
    assert [m.index for m in ours] == [uploaded.upload_index]
    # Looked at once, however often the list was asked for.
    assert fake_anaf.calls_to("listaMesajeFactura") >= 2
    assert counted(session_factory)[("descarcare", other)] == 1
    assert fake_anaf.calls_to("descarcare") == 1
    assert events_of(session_factory, merchant.account_id) == [("einvoice.uploaded", einvoice)]


def test_an_upload_whose_worker_died_is_looked_for_not_sent_again(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    einvoice, _ = ready(session_factory, merchant, clock, anaf)
    # Claimed (and perhaps sent), then nothing recorded: the process was killed.
    with unit_of_work(session_factory) as session:
        (job,) = sending.Uploading(lambda: anaf).claim(session, clock.now(), sending.BATCH)
    assert job.action == "upload"
    assert row(session_factory, merchant.account_id, einvoice).upload_unconfirmed_since
    clock.advance(staged.CLAIM_EXPIRES)
    run(session_factory, clock, anaf)
    assert fake_anaf.calls_to("upload") == 0
    assert fake_anaf.calls_to("listaMesajeFactura") == 1


def test_an_upload_cut_at_the_deadline_is_looked_for(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    einvoice, _ = ready(session_factory, merchant, clock, anaf)
    fake_anaf.upload_answer_delay = 5.0  # the file is stored, the answer comes too late
    fake_anaf.processing_time = sending.BACKOFF[0]
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    staged.run(units, clock, sending.Uploading(lambda: anaf, deadline=0.5), sending.BATCH)
    cut = row(session_factory, merchant.account_id, einvoice)
    assert (cut.state, cut.upload_unconfirmed_since) == ("pending", clock.now())
    assert len(fake_anaf.messages) == 1
    fake_anaf.upload_answer_delay = 0.0
    accepted = until(
        session_factory,
        clock,
        anaf,
        merchant.account_id,
        einvoice,
        lambda r: r.state != "pending",
    )
    assert accepted.state == "accepted"
    assert fake_anaf.calls_to("upload") == 1


def test_two_lost_uploads_each_find_their_own(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    world = World(merchant.api, T0)
    customer = world.customer(kind="company", legal_name="Client SRL", country="RO")
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    made = [
        add_einvoice(
            session_factory,
            merchant.account_id,
            world.invoices(world.subscribe(customer, world.plan(4900))["id"])[0]["id"],
            clock.now(),
        )
        for _ in range(2)
    ]
    fake_anaf.lose_upload_answers = 2  # ANAF's gateway failing for a while
    fake_anaf.processing_time = sending.BACKOFF[0]
    assert run(session_factory, clock, anaf) == 2
    assert len(fake_anaf.messages) == 2
    for einvoice in made:
        until(
            session_factory,
            clock,
            anaf,
            merchant.account_id,
            einvoice,
            lambda r: r.state != "pending",
        )
    found = [row(session_factory, merchant.account_id, e) for e in made]
    assert [r.state for r in found] == ["accepted", "accepted"]
    by_index = {m.index: m.xml for m in fake_anaf.messages.values()}
    assert {r.upload_index for r in found} == set(by_index)
    assert all(by_index[r.upload_index or ""] == r.xml for r in found)
    assert fake_anaf.calls_to("upload") == 2


def test_an_upload_claimed_but_never_sent_loses_its_mark(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    einvoice, _ = ready(session_factory, merchant, clock, anaf)
    kind = sending.Uploading(lambda: anaf)
    with unit_of_work(session_factory) as session:
        jobs = kind.claim(session, clock.now(), sending.BATCH)
    with unit_of_work(session_factory) as session:  # too late in its batch to be sent
        kind.release(session, jobs, clock.now())
    released = row(session_factory, merchant.account_id, einvoice)
    assert released.upload_unconfirmed_since is None
    clock.advance(staged.CLAIM_EXPIRES)
    run(session_factory, clock, anaf)
    assert row(session_factory, merchant.account_id, einvoice).state == "uploaded"
    assert fake_anaf.calls_to("listaMesajeFactura") == 0
