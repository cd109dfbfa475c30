"""Settings, Processors and Webhooks: connecting Stripe with keys typed into the form (the
secret never shown back), refusing a key of the other mode beside its field, disconnecting;
making a webhook endpoint (its secret shown once), its delivery log with each attempt, and
sending a delivery again without a second delivery row; each action audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import WebhookDelivery
from recura.db.unit_of_work import unit_of_work
from recura.notifications.webhooks_out import Sender
from tests.conftest import Merchant
from tests.console.conftest import Operator, signed_in
from tests.console.test_settings import entries
from tests.fakes.webhook_receiver import Answer, Receiver, serve_receiver
from tests.notifications.test_webhooks_out import record, run
from tests.portal.conftest import Page

STRIPE = {
    "api_key": "sk_test_51Q0PsIJvEtkwdCNYxAbCdEf4242",
    "webhook_secret": "whsec_5f8a1c2d3e4bXy7Q",
    "publishable_key": "pk_test_51Q0PsIJvEtkwdCNYx",
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve_receiver() as receiver:
        yield receiver


@pytest.fixture
def sender() -> Iterator[Sender]:
    sender = Sender(allow_private=True)
    yield sender
    sender.close()


def test_stripe_is_connected_its_secret_never_shown_and_disconnected(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    page = Page(own.get("/console/settings/processors?mode=test"))
    form = page.form("form-connect-stripe")
    assert form["api_key"] == ""
    done = own.post(
        "/console/settings/processors/stripe", data={**form, **STRIPE}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    saved = merchant.api.ok("GET", "/v1/gateway_connections/stripe")
    assert saved["settings"]["publishable_key"] == STRIPE["publishable_key"]
    shown = Page(own.get("/console/settings/processors?mode=test&done=connected"))
    assert STRIPE["api_key"] not in shown.response.text
    assert STRIPE["webhook_secret"] not in shown.response.text
    assert saved["settings"]["api_key"] in shown.text  # first and last characters only
    assert saved["webhook_path"] in shown.text
    (entry,) = entries(session_factory, merchant, "gateway_connection.save")
    assert entry.livemode is False
    assert entry.changes is not None
    assert entry.changes["config.api_key"] == {"before": None, "after": "••••"}
    assert entry.changes["config.publishable_key"]["after"] == STRIPE["publishable_key"]
    # Live data has no connection: the modes are apart.
    assert "Not connected" in Page(own.get("/console/settings/processors")).text
    off = shown.form("form-disconnect-stripe")
    gone = own.post("/console/settings/processors/stripe/disconnect", data=off)
    assert gone.status_code == 200
    assert "Disconnected" in Page(gone).text
    assert merchant.api.get("/v1/gateway_connections/stripe").status_code == 404
    (removed,) = entries(session_factory, merchant, "gateway_connection.delete")
    assert removed.changes is not None
    assert removed.changes["config.api_key"] == {"before": "••••", "after": None}


def test_a_live_key_in_test_mode_is_refused_beside_its_field(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    form = Page(own.get("/console/settings/processors?mode=test")).form("form-connect-stripe")
    live = {**STRIPE, "api_key": "sk_live_51Q0PsIJvEtkwdCNYx"}
    refused = own.post("/console/settings/processors/stripe", data={**form, **live})
    assert refused.status_code == 422
    page = Page(refused)
    (api_key,) = page.tree.xpath('//*[@id="gw-stripe-api-key-error"]')
    assert "sk_test_" in api_key.text_content()
    assert "sk_live_51Q0PsIJvEtkwdCNYx" not in refused.text  # a secret is never echoed
    odd = {**STRIPE, "webhook_secret": "nope"}
    refused = own.post("/console/settings/processors/stripe", data={**form, **odd})
    assert refused.status_code == 422
    (secret,) = Page(refused).tree.xpath('//*[@id="gw-stripe-webhook-secret-error"]')
    assert "whsec_" in secret.text_content()
    assert merchant.api.get("/v1/gateway_connections/stripe").status_code == 404
    assert entries(session_factory, merchant, "gateway_connection.save") == []


def test_an_endpoint_is_made_its_log_shown_and_a_delivery_sent_again(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    owner: tuple[TestClient, Operator],
    receiver: Receiver,
    sender: Sender,
) -> None:
    own, _ = owner
    form = Page(own.get("/console/settings/webhooks?mode=test")).form("form-webhook-create")
    made = own.post(
        "/console/settings/webhooks",
        data={**form, "url": receiver.url, "enabled_events": "invoice.*"},
    )
    assert made.status_code == 200, made.text
    page = Page(made)
    (secret,) = page.tree.xpath('//*[@id="webhook-secret"]')
    receiver.secrets.append(secret.text_content().strip())
    (endpoint,) = merchant.api.ok("GET", "/v1/webhook_endpoints")["data"]
    assert endpoint["enabled_events"] == ["invoice.*"]
    assert secret.text_content().strip() not in own.get("/console/settings/webhooks?mode=test").text
    # One event, answered 500 the first time: the log shows the attempt and its code.
    receiver.answer(Answer(500, body="down"))
    event_id = record(session_factory, merchant, "invoice.paid")
    run(session_factory, clock, sender)
    path = f"/console/settings/webhooks/{endpoint['id']}"
    log = Page(own.get(path))
    assert "invoice.paid" in log.text
    assert "answered 500" in log.text
    with unit_of_work(session_factory) as session:
        delivery = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        ).one()
        delivery_id = delivery.id
    replay = log.form(f"form-replay-{delivery_id}")
    done = own.post(
        f"/console/settings/webhooks/{endpoint['id']}/replay", data=replay, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert "done=replayed" in done.headers["location"]
    run(session_factory, clock, sender)
    with unit_of_work(session_factory) as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        ).all()
        assert [(r.id, r.status) for r in rows] == [(delivery_id, "succeeded")]
    assert len(receiver.received) == 2  # the failed attempt and the replay
    (entry,) = entries(session_factory, merchant, "webhook_endpoint.replay")
    assert entry.changes == {"replayed_event": {"before": None, "after": event_id}}
    assert entry.livemode is False
    (created,) = entries(session_factory, merchant, "webhook_endpoint.create")
    assert created.changes is not None
    assert created.changes["url"] == {"before": None, "after": receiver.url}
    # Disabled, the replay button is off; deleted, the endpoint is gone.
    off = own.post(
        f"/console/settings/webhooks/{endpoint['id']}/disable",
        data=Page(own.get(path)).form("form-disable"),
    )
    assert "Disabled" in Page(off).text
    assert merchant.api.ok("GET", f"/v1/webhook_endpoints/{endpoint['id']}")["status"] == (
        "disabled"
    )
    gone = own.post(
        f"/console/settings/webhooks/{endpoint['id']}/delete",
        data=Page(own.get(path)).form("form-delete"),
    )
    assert "Deleted" in Page(gone).text
    assert merchant.api.get(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 404


def test_a_bad_endpoint_address_is_said_beside_its_field(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own, _ = signed_in(client, session_factory, merchant, "admin")
    form = Page(own.get("/console/settings/webhooks?mode=test")).form("form-webhook-create")
    refused = own.post("/console/settings/webhooks", data={**form, "url": "ftp://x"})
    assert refused.status_code == 422
    assert "https://" in Page(refused).tree.xpath('//*[@id="webhook-url-error"]')[0].text
    refused = own.post(
        "/console/settings/webhooks",
        data={**form, "url": "https://hooks.norditech.ro/", "enabled_events": "nope.*"},
    )
    assert refused.status_code == 422
    assert Page(refused).tree.xpath('//*[@id="webhook-enabled-events-error"]')
    assert merchant.api.ok("GET", "/v1/webhook_endpoints")["data"] == []
    assert entries(session_factory, merchant, "webhook_endpoint.create") == []


def test_finance_reads_processors_and_webhooks_without_forms(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own, _ = signed_in(client, session_factory, merchant, "finance")
    for path in ("/console/settings/processors", "/console/settings/webhooks"):
        page = Page(own.get(path))
        assert page.response.status_code == 200
        assert not page.tree.xpath("//form[starts-with(@id, 'form-connect')]")
        assert not page.tree.xpath("//form[@id='form-webhook-create']")
    refused = own.post("/console/settings/processors/stripe", data=STRIPE)
    assert refused.status_code == 403


def test_an_endpoint_is_changed_and_its_secret_replaced_after_a_confirmation(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    body = {"url": "https://hooks.norditech.ro/old", "description": "Old"}
    made = merchant.api.ok("POST", "/v1/webhook_endpoints", 201, json=body)
    path = f"/console/settings/webhooks/{made['id']}"
    shown = Page(own.get(path))
    assert made["secret"] not in shown.response.text
    form = shown.form("form-webhook-edit")
    assert form["url"] == body["url"]
    assert form["batch_size"] == "1"
    # A refused value is said beside its field and nothing changes.
    refused = own.post(f"{path}/edit", data={**form, "batch_size": "500"})
    assert refused.status_code == 422
    assert Page(refused).tree.xpath('//*[@id="webhook-batch-size-error"]')
    refused = own.post(f"{path}/edit", data={**form, "enabled_events": "nope.*"})
    assert refused.status_code == 422
    assert Page(refused).tree.xpath('//*[@id="webhook-enabled-events-error"]')
    assert entries(session_factory, merchant, "webhook_endpoint.update") == []
    changed = {
        **form,
        "url": "https://hooks.norditech.ro/new",
        "description": "",
        "enabled_events": "invoice.* customer.created",
        "batch_size": "20",
    }
    done = own.post(f"{path}/edit", data=changed, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("?done=updated")
    saved = merchant.api.ok("GET", f"/v1/webhook_endpoints/{made['id']}")
    assert saved["url"] == "https://hooks.norditech.ro/new"
    assert saved["description"] is None
    assert saved["enabled_events"] == ["invoice.*", "customer.created"]
    assert saved["batch_size"] == 20
    (entry,) = entries(session_factory, merchant, "webhook_endpoint.update")
    assert entry.target_id == made["id"]
    assert entry.changes == {
        "batch_size": {"before": 1, "after": 20},
        "description": {"before": "Old", "after": None},
        "enabled_events": {"before": ["*"], "after": ["invoice.*", "customer.created"]},
        "url": {"before": body["url"], "after": "https://hooks.norditech.ro/new"},
    }
    # Replacing the secret: a confirmation page first, then the new secret shown once.
    confirm = Page(own.get(f"{path}/rotate"))
    rotate = confirm.form("form-rotate")
    assert confirm.tree.xpath('//select[@id="overlap"]/option[@selected]/@value') == ["24"]
    answer = own.post(f"{path}/rotate", data={**rotate, "overlap": "0"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"  # the secret is not kept anywhere
    (secret,) = Page(answer).tree.xpath('//*[@id="webhook-secret"]')
    new_secret = secret.text_content().strip()
    assert new_secret.startswith("whsec_")
    assert new_secret != made["secret"]
    assert new_secret not in own.get(path).text
    (rotated,) = entries(session_factory, merchant, "webhook_endpoint.rotate_secret")
    assert rotated.changes == {"secret": {"before": "••••", "after": "••••"}}
    assert new_secret not in str(rotated.changes)


def test_finance_cannot_change_an_endpoint(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    body = {"url": "https://hooks.norditech.ro/old"}
    made = merchant.api.ok("POST", "/v1/webhook_endpoints", 201, json=body)
    finance, _ = signed_in(client, session_factory, merchant, "finance")
    page = Page(finance.get(f"/console/settings/webhooks/{made['id']}"))
    assert not page.tree.xpath("//form[@id='form-webhook-edit']")
    assert finance.get(f"/console/settings/webhooks/{made['id']}/rotate").status_code == 403
    refused = finance.post(
        f"/console/settings/webhooks/{made['id']}/edit", data={"url": "https://x.example/"}
    )
    assert refused.status_code == 403
    assert merchant.api.ok("GET", f"/v1/webhook_endpoints/{made['id']}")["url"] == body["url"]
