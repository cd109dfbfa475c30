"""One stale-claim rule for every staged kind: an item claimed `CLAIM_EXPIRES` ago without
an answer is abandoned, and its kind takes it again under its own rule. Until then, it is
left alone (its worker may still be sending it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura import staged
from recura.clock import FixedClock
from recura.db.models import EmailMessage, Invoice, Payment
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import collection, reconcile
from recura.jobs.worker import run_once
from recura.notifications import emails
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant
from tests.domains.payments.test_unknown_outcomes import attempts, customer_with_invoice
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import recorded, rows

Factory = sessionmaker[Session]
ALMOST = staged.CLAIM_EXPIRES - timedelta(seconds=1)


def test_a_payment_whose_worker_was_lost_is_asked_about_never_charged_anew(
    api: Api, merchant: Merchant, session_factory: Factory
) -> None:
    _, invoice_id = customer_with_invoice(api, "tok_sandbox_visa")
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    with unit_of_work(session_factory) as session:
        invoice = session.get_one(Invoice, (merchant.account_id, invoice_id))
        assert collection.start(session, Tenant(merchant.account_id, False), invoice, T0)
    # Claimed (recorded `processing`) and committed; the worker is gone before sending.
    # (Other tests' attempts may share the database: only this one is looked at.)
    reconcile.reconcile_unsettled(units, FixedClock(T0 + ALMOST))
    collection.collect_due(units, FixedClock(T0 + ALMOST))
    assert [(p["status"], p["attempt"]) for p in attempts(api, invoice_id)] == [("processing", 1)]
    reconcile.reconcile_unsettled(units, FixedClock(T0 + staged.CLAIM_EXPIRES))
    [payment] = attempts(api, invoice_id)
    assert (payment["status"], payment["attempt"]) == ("succeeded", 1)


def test_a_reconciler_lost_while_asking_leaves_the_attempt_to_the_same_rule(
    api: Api, merchant: Merchant, session_factory: Factory
) -> None:
    _, invoice_id = customer_with_invoice(api, "tok_sandbox_timeout")
    units = lambda: unit_of_work(session_factory)  # noqa: E731
    collection.collect_due(units, FixedClock(T0))
    assert [p["status"] for p in attempts(api, invoice_id)] == ["unknown"]
    asked_at = T0 + reconcile.ASK_AGAIN_AFTER
    with unit_of_work(session_factory) as session:
        found = reconcile.claim(session, asked_at)
    [claimed] = [p for p in found if p.tenant.account_id == merchant.account_id]
    # Being asked about, it is in flight: not asked about again a minute later...
    assert [p["status"] for p in attempts(api, invoice_id)] == ["processing"]
    later = asked_at + reconcile.ASK_AGAIN_AFTER
    reconcile.reconcile_unsettled(units, FixedClock(later))
    assert [p["status"] for p in attempts(api, invoice_id)] == ["processing"]
    # ...but once its claim has expired: asked (the card never answers), unknown again.
    expired = asked_at + staged.CLAIM_EXPIRES
    reconcile.reconcile_unsettled(units, FixedClock(expired))
    with unit_of_work(session_factory) as session:
        payment = session.get_one(Payment, (merchant.account_id, claimed.payment_id))
        assert (payment.status, payment.attempt, payment.updated_at) == ("unknown", 1, expired)


def test_an_email_whose_worker_was_lost_is_sent_again_under_its_message_id(
    api: Api, session_factory: Factory, mailbox: Mailbox, mailer: Mailer
) -> None:
    to, customer = recorded(api, session_factory)
    assert mailer.smtp is not None
    with unit_of_work(session_factory) as session:
        claimed = emails.Mailing(mailer, mailer.smtp).claim(session, T0, 50)
    mine = [item for item in claimed if item.envelope.recipient == to]
    assert len(mine) == 2  # marked `sending`, committed; then the worker is gone
    assert {row.status for row in rows(session_factory, customer)} == {"sending"}

    run_once(session_factory, FixedClock(T0 + ALMOST), mailer, only={"send_emails"})
    assert mailbox.templates(to) == []
    run_once(session_factory, FixedClock(T0 + staged.CLAIM_EXPIRES), mailer, only={"send_emails"})
    assert sorted(mailbox.templates(to)) == ["receipt", "welcome"]
    sent = {str(r.message["Message-ID"]) for r in mailbox.received if to in r.rcpt_tos}
    assert sent == {item.envelope.message["Message-ID"] for item in mine}
    with unit_of_work(session_factory) as session:
        stmt = select(EmailMessage.status, EmailMessage.attempts).where(
            EmailMessage.customer_id == customer
        )
        assert set(session.execute(stmt).all()) == {("sent", 2)}
