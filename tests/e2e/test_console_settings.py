"""The Settings section in a real browser: an owner walks every settings page, saves the VAT
form (a refused value first, named beside its field), sends a failed webhook delivery
again from the endpoint's log, and changes an endpoint and replaces its secret, in English
and Romanian; every page has no serious or critical accessibility
violation (axe-core) at a desktop and a phone width. Screenshots are left in the test's
temporary folder for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.notifications.webhooks_out import Sender
from tests.conftest import Api, Merchant
from tests.console.conftest import PASSWORD, add_user
from tests.console.test_settings import entries
from tests.e2e.test_console_sign_in import check, page, site  # noqa: F401 (fixtures)
from tests.fakes.webhook_receiver import Answer, Receiver, serve_receiver
from tests.notifications.test_webhooks_out import add_endpoint, record, run

PAGES = [
    ("settings", "/console/settings"),
    ("legal", "/console/settings/legal"),
    ("vat", "/console/settings/vat"),
    ("invoicing", "/console/settings/invoicing"),
    ("processors", "/console/settings/processors?mode=test"),
    ("webhooks", "/console/settings/webhooks?mode=test"),
    ("emails", "/console/settings/emails?mode=test"),
    ("email", "/console/settings/emails/welcome/ro?mode=test"),
    ("branding", "/console/settings/branding"),
    ("portal", "/console/settings/portal"),
    ("steps", "/console/settings/portal/steps?mode=test"),
    ("announcements", "/console/settings/portal/announcements?mode=test"),
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as receiver:
        yield receiver


def test_an_owner_walks_the_settings_saves_vat_and_replays_a_delivery(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    clock: FixedClock,
    receiver: Receiver,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    endpoint = add_endpoint(api, receiver)
    receiver.answer(Answer(500, body="down"))
    record(session_factory, merchant, "invoice.paid")
    sender = Sender(allow_private=True)
    try:
        run(session_factory, clock, sender)
    finally:
        sender.close()
    operator = add_user(session_factory, merchant, "owner")
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(operator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    for name, path in PAGES:
        page.goto(site + path)
        check(page, tmp_path, f"settings-{name}")

    page.goto(site + "/console/settings/vat")
    page.get_by_label("VAT rate (%)").fill("0.21")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-tax-rate-error")
    assert "write 21 for 21 %" in error.inner_text()
    check(page, tmp_path, "settings-vat-refused")
    page.get_by_label("VAT rate (%)").fill("21")
    page.get_by_label("Registered for VAT").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/console/settings/vat?done=saved")
    assert page.get_by_role("status").inner_text() == "Saved."
    assert page.get_by_label("Registered for VAT").is_checked()
    assert api.ok("GET", "/v1/account")["tax_rate"] == "21"

    page.goto(site + f"/console/settings/webhooks/{endpoint['id']}")
    assert "answered 500" in page.content()
    check(page, tmp_path, "settings-webhook-log")
    page.get_by_role("button", name="Send invoice.paid again").click()
    page.wait_for_url("**done=replayed")
    assert page.get_by_role("status").inner_text().startswith("Queued to be sent again")
    check(page, tmp_path, "settings-webhook-replayed")
    sender = Sender(allow_private=True)
    try:
        run(session_factory, clock, sender)
    finally:
        sender.close()
    assert len(receiver.received) == 2  # refused once, then delivered on the replay
    assert sum(receiver.processed.values()) == 1


# What the endpoint's page says, in the operator's language.
SAID = {
    "en": {
        "save": "Save the changes",
        "saved": "Saved: what is sent from now on",
        "events": "Events to send",
        "batch": "Events per request",
        "rotate": "Replace the signing secret…",
        "overlap": "The previous secret keeps signing too",
        "confirm": "Replace the secret",
        "rotated": "The signing secret was replaced.",
        "refused": "Not a valid batch size.",
    },
    "ro": {
        "save": "Salvați modificările",
        "saved": "Salvat: ce se trimite de acum",
        "events": "Evenimentele trimise",
        "batch": "Evenimente pe cerere",
        "rotate": "Înlocuiți secretul de semnare…",
        "overlap": "Secretul anterior semnează în continuare",
        "confirm": "Înlocuiți secretul",
        "rotated": "Secretul de semnare a fost înlocuit.",
        "refused": "Dimensiune de lot invalidă.",
    },
}


@pytest.mark.parametrize("language", ["en", "ro"])
def test_an_owner_changes_an_endpoint_and_replaces_its_secret(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    language: str,
    site: str,  # noqa: F811
    page: Page,  # noqa: F811
    tmp_path: Path,
) -> None:
    said = SAID[language]
    made = api.ok("POST", "/v1/webhook_endpoints", 201, json={"url": "https://hooks.example.ro/a"})
    operator = add_user(session_factory, merchant, "owner", locale=language)
    page.goto(site + "/console/sign-in")
    page.locator("#email").fill(operator.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console")

    page.goto(site + f"/console/settings/webhooks/{made['id']}")
    assert made["secret"] not in page.content()
    check(page, tmp_path, f"webhook-edit-{language}")
    page.get_by_label(said["batch"]).fill("500")
    page.get_by_role("button", name=said["save"]).click()
    assert page.locator("#webhook-batch-size-error").inner_text() == said["refused"]
    check(page, tmp_path, f"webhook-edit-refused-{language}")
    page.get_by_label(said["events"]).fill("invoice.* subscription.canceled")
    page.get_by_label(said["batch"]).fill("10")
    page.get_by_role("button", name=said["save"]).click()
    page.wait_for_url("**done=updated")
    assert page.get_by_role("status").inner_text().startswith(said["saved"])
    saved = api.ok("GET", f"/v1/webhook_endpoints/{made['id']}")
    assert saved["enabled_events"] == ["invoice.*", "subscription.canceled"]
    assert saved["batch_size"] == 10
    (entry,) = entries(session_factory, merchant, "webhook_endpoint.update")
    assert entry.actor_id == operator.user_id
    assert entry.changes is not None
    assert entry.changes["batch_size"] == {"before": 1, "after": 10}

    page.get_by_role("link", name=said["rotate"]).click()
    page.wait_for_url("**/rotate")
    check(page, tmp_path, f"webhook-rotate-{language}")
    page.get_by_label(said["overlap"]).select_option("0")
    page.get_by_role("button", name=said["confirm"], exact=True).click()
    assert page.get_by_role("status").inner_text() == said["rotated"]
    secret = page.locator("#webhook-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    assert secret != made["secret"]
    check(page, tmp_path, f"webhook-rotated-{language}")
    (rotated,) = entries(session_factory, merchant, "webhook_endpoint.rotate_secret")
    assert rotated.changes == {"secret": {"before": "••••", "after": "••••"}}
    page.goto(site + f"/console/settings/webhooks/{made['id']}")
    assert secret not in page.content()
