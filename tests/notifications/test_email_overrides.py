"""Operators replace an email in one language with their own version: it is checked when
saved, used for the emails sent after, and removing it brings Recura's back."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.jobs.worker import run_once
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import subscribe, write_rows

RECEIPT = {
    "subject": "Plată primită: {{ number }}",
    "html": "<p>Mulțumim, {{ customer_name }}: {{ amount }} pe {{ paid_at }}.</p>",
    "text": "Mulțumim, {{ customer_name }}: {{ amount }} pe {{ paid_at }}.",
}
PATH = "/v1/email_templates/receipt/ro"


def test_an_override_is_used_for_the_emails_sent_after_it(
    api: Api, session_factory: sessionmaker[Session], mailbox: Mailbox, mailer: Mailer
) -> None:
    saved = api.ok("PUT", PATH, 201, json=RECEIPT)
    assert saved["template"] == "receipt"
    assert saved["locale"] == "ro"
    assert "amount" in saved["variables"]
    assert api.ok("PUT", PATH, 200, json=RECEIPT)["id"] == saved["id"]  # replaced, not added
    assert api.ok("GET", PATH)["subject"] == RECEIPT["subject"]
    assert [t["id"] for t in api.ok("GET", "/v1/email_templates")["data"]] == [saved["id"]]

    to = f"override-{uuid.uuid4().hex[:8]}@example.ro"
    subscribe(api, to, "ro")
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0), mailer)
    receipt = mailbox.of("receipt", to)[0]
    assert receipt.message["Subject"].startswith("Plată primită: NDT-")
    assert "Mulțumim, Ana Popescu: 49,00\xa0RON pe 15 ianuarie 2026." in receipt.part("plain")
    assert "<p>Mulțumim, Ana Popescu: 49,00\xa0RON" in receipt.part("html")
    welcome = mailbox.of("welcome", to)[0]  # not overridden: Recura's
    assert "Bun venit" in welcome.message["Subject"]

    api.ok("DELETE", PATH)
    api.ok("GET", PATH, 404)
    api.ok("DELETE", PATH, 404)


def test_an_override_that_does_not_render_is_refused(api: Api) -> None:
    for field, source in [
        ("subject", "{{ no_such_value }}"),
        ("html", "{% if %}"),
        ("text", "{{ amount.__class__.__mro__ }}"),  # the sandbox refuses
        ("text", "{{ update_payment_method_url }}"),  # not a receipt's value
    ]:
        response = api.request("PUT", PATH, json={**RECEIPT, field: source})
        assert response.status_code == 422, (field, source, response.text)
        assert response.json()["errors"][0]["pointer"] == f"#/{field}"
    api.ok("GET", PATH, 404)
    assert api.request("PUT", "/v1/email_templates/nope/ro", json=RECEIPT).status_code == 422
    assert api.request("PUT", "/v1/email_templates/receipt/de", json=RECEIPT).status_code == 422


def test_another_accounts_overrides_are_its_own(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    api.ok("PUT", PATH, 201, json=RECEIPT)
    other = make_merchant(session_factory, api.client, name="Other SRL")
    for caller in (other.api, other.live, merchant.live):
        caller.ok("GET", PATH, 404)
        caller.ok("DELETE", PATH, 404)
        assert caller.ok("GET", "/v1/email_templates")["data"] == []
    other.api.ok("PUT", PATH, 201, json={**RECEIPT, "subject": "Alta"})
    assert api.ok("GET", PATH)["subject"] == RECEIPT["subject"]
