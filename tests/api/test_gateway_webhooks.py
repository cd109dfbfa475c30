"""The processors' webhooks through /webhooks/{gateway}/{connection}: verified, applied once
however often or however concurrently delivered, and never rolling newer state back.

Payments are made through the Stripe SDK against localstripe; the events are what Stripe
sends, signed with the connection's webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.processor_api import ProcessorApi
from tests.own_database import database_url, engine, session_factory

from recura.clock import FixedClock
from recura.db.models import GatewayEvent as GatewayEventRow
from recura.db.models import Payment, PaymentMethod
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.payments import webhooks
from recura.gateways.stripe_webhooks import translate
from recura.jobs.worker import run_once

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

SECRET = "whsec_test_recura"
_events = count(1)
# A port nothing listens on: Stripe unreachable from here, as in an outage.
UNREACHABLE = "http://127.0.0.1:9"


def connect_stripe(api: Api, api_key: str = "sk_test_recura") -> dict[str, Any]:
    body = {"gateway": "stripe", "api_key": api_key, "webhook_secret": SECRET}
    return api.ok("POST", "/v1/gateway_connections", json=body)  # type: ignore[no-any-return]


def signed(event: dict[str, Any], at: datetime = T0, secret: str = SECRET) -> tuple[bytes, str]:
    body = json.dumps(event).encode()
    stamp = int(at.timestamp())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


def stripe_event(kind: str, obj: dict[str, Any], at: datetime = T0) -> dict[str, Any]:
    return {
        "id": f"evt_{next(_events)}",
        "object": "event",
        "type": kind,
        "created": int(at.timestamp()),
        "data": {"object": obj},
    }


def deliver(
    client: TestClient, path: str, event: dict[str, Any], at: datetime = T0, status: int = 200
) -> dict[str, Any]:
    body, header = signed(event, at)
    response = client.post(path, content=body, headers={"Stripe-Signature": header})
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


class Shop:
    """A merchant on Stripe (localstripe), with a customer paying by card."""

    def __init__(
        self, merchant: Merchant, localstripe: str, session_factory: Any, stripe_api: ProcessorApi
    ) -> None:
        self.api = merchant.api
        self.account_id = merchant.account_id
        self.client = merchant.api.client
        self.localstripe = localstripe
        self.session_factory = session_factory
        self.stripe_api = stripe_api
        self.connection = connect_stripe(self.api)
        self.path = self.connection["webhook_path"]
        stripe_client = stripe.StripeClient("sk_test_recura", base_addresses={"api": localstripe})
        self.stripe = stripe_client
        self.customer = self.api.ok("POST", "/v1/customers", 201, json={"name": "Ana"})["id"]
        setups = f"/v1/customers/{self.customer}/payment_method_setups"
        self.api.ok("POST", setups, json={"gateway": "stripe"})
        self.method = self.add_card()
        product = self.api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
        plan = {
            "product": product,
            "code": "pro",
            "name": "Pro",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 4900}],
        }
        self.plan = self.api.ok("POST", "/v1/plans", 201, json=plan)["id"]

    def add_card(self, **over: Any) -> dict[str, Any]:
        card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
        token = self.stripe.v1.payment_methods.create({"type": "card", "card": card}).id
        attach = {"gateway": "stripe", "token": token, **over}
        path = f"/v1/customers/{self.customer}/payment_methods"
        return self.api.ok("POST", path, 201, json=attach)  # type: ignore[no-any-return]

    def subscribe(self) -> str:
        body = {"customer": self.customer, "plan": self.plan}
        sub = self.api.ok("POST", "/v1/subscriptions", 201, json=body)["id"]
        invoice: str = self.api.ok("GET", "/v1/invoices", params={"subscription": sub})["data"][0][
            "id"
        ]
        return invoice

    def collect(self) -> None:
        run_once(self.session_factory, FixedClock(T0))

    def payment(self, invoice: str) -> dict[str, Any]:
        (found,) = self.api.ok("GET", "/v1/payments", params={"invoice": invoice})["data"]
        return found  # type: ignore[no-any-return]

    def invoice(self, invoice: str) -> dict[str, Any]:
        return self.api.ok("GET", f"/v1/invoices/{invoice}")  # type: ignore[no-any-return]

    def events(self, kind: str) -> list[dict[str, Any]]:
        found = self.api.ok("GET", "/v1/events", params={"type": kind, "limit": 100})["data"]
        return found  # type: ignore[no-any-return]

    def unreachable(self) -> None:
        """Stripe stops answering us; its webhooks still arrive."""
        self.stripe_api.point("stripe", UNREACHABLE)

    def reachable(self) -> None:
        self.stripe_api.point("stripe", self.localstripe)

    def intent(self, reference: str, status: str = "succeeded", **extra: Any) -> dict[str, Any]:
        return {
            "id": reference,
            "object": "payment_intent",
            "amount": 4900,
            "currency": "ron",
            "status": status,
            **extra,
        }


# --- connections ---


def test_a_connection_shows_its_secrets_masked_and_where_to_send_webhooks(api: Api) -> None:
    saved = connect_stripe(api)
    assert saved["settings"] == {"api_key": "sk_test_…cura", "webhook_secret": "whsec_test_…cura"}
    assert saved["webhook_path"] == f"/webhooks/stripe/{saved['id']}"
    again = connect_stripe(api, "sk_test_recura_rolled")
    assert again["id"] == saved["id"]  # the processor's webhook address stays valid
    assert api.ok("GET", "/v1/gateway_connections/stripe")["settings"]["api_key"].endswith("lled")
    listed = api.ok("GET", "/v1/gateway_connections")["data"]
    assert [c["gateway"] for c in listed] == ["stripe"]
    assert "sk_test_recura" not in json.dumps(listed)


def test_connections_are_checked_and_belong_to_one_mode(merchant: Merchant) -> None:
    api, live = merchant.api, merchant.live
    body = {"gateway": "stripe", "api_key": "sk_live_abc", "webhook_secret": SECRET}
    response = api.post("/v1/gateway_connections", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/api_key"
    assert live.post("/v1/gateway_connections", json=body).status_code == 200
    assert api.get("/v1/gateway_connections/stripe").status_code == 404
    bad = {"gateway": "stripe", "api_key": "pk_test_abc", "webhook_secret": SECRET}
    assert api.post("/v1/gateway_connections", json=bad).status_code == 422
    sandbox = {"gateway": "sandbox", "timeout_rate": 0.25}
    assert live.post("/v1/gateway_connections", json=sandbox).status_code == 422
    assert api.ok("POST", "/v1/gateway_connections", json=sandbox)["webhook_path"] is None
    paypal = {"gateway": "paypal", "client_id": "id", "client_secret": "s" * 20, "webhook_id": "W"}
    saved = api.ok("POST", "/v1/gateway_connections", json=paypal)["settings"]
    assert saved == {"client_id": "id", "client_secret": "…ssss", "webhook_id": "W"}
    gone = api.ok("DELETE", "/v1/gateway_connections/paypal")
    assert gone == {"object": "gateway_connection", "id": gone["id"], "gateway": "paypal",
                    "deleted": True}  # fmt: skip
    assert api.get("/v1/gateway_connections/paypal").status_code == 404
    assert api.request("DELETE", "/v1/gateway_connections/paypal").status_code == 404
    assert api.get("/v1/gateway_connections/bitcoin").status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"gateway": "stripe", "api_key": "sk_test_recura", "webhook_secret": SECRET},
        {"gateway": "paypal", "client_id": "id", "client_secret": "s" * 20, "webhook_id": "W"},
    ],
    ids=["stripe", "paypal"],
)
def test_a_connection_cannot_say_where_its_requests_go(api: Api, body: dict[str, Any]) -> None:
    # They carry the connection's secrets: only the server's own setting may redirect them.
    response = api.post(
        "/v1/gateway_connections", json=body | {"api_base": "http://attacker.example"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "#/api_base"
    assert api.get(f"/v1/gateway_connections/{body['gateway']}").status_code == 404


# --- verification ---


def test_what_does_not_verify_is_refused_and_not_recorded(
    shop: Shop, session_factory: sessionmaker[Session]
) -> None:
    event = stripe_event("payment_intent.succeeded", shop.intent("pi_1"))
    body, header = signed(event, secret="whsec_other")
    answer = shop.client.post(shop.path, content=body, headers={"Stripe-Signature": header})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert "does not match" in answer.json()["detail"]
    stale = deliver(shop.client, shop.path, event, at=T0 - timedelta(seconds=301), status=400)
    assert "old" in stale["detail"]
    unsigned = shop.client.post(shop.path, content=json.dumps(event).encode())
    assert unsigned.status_code == 400
    other = shop.path.replace("gwc_", "gwc_X")
    assert deliver(shop.client, other, event, status=404)["status"] == 404
    paypal_path = shop.path.replace("/stripe/", "/paypal/")
    assert deliver(shop.client, paypal_path, event, status=404)["status"] == 404
    with unit_of_work(session_factory) as session:
        stored = select(func.count()).where(GatewayEventRow.account_id == shop.account_id)
        assert session.scalar(stored.select_from(GatewayEventRow)) == 0


# --- payments ---


def test_a_payment_whose_answer_was_lost_is_settled_by_its_webhook(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    payment = shop.payment(invoice)
    assert (payment["status"], payment["reference"]) == ("unknown", None)

    metadata = {"recura_key": f"{invoice}-attempt-1"}
    event = stripe_event("payment_intent.succeeded", shop.intent("pi_lost", metadata=metadata))
    assert deliver(shop.client, shop.path, event)["outcome"] == "applied"

    payment = shop.payment(invoice)
    assert (payment["status"], payment["reference"]) == ("succeeded", "pi_lost")
    assert shop.invoice(invoice)["status"] == "paid"
    # Delivered again (Stripe retries until it hears 2xx): recognised, nothing more happens.
    assert deliver(shop.client, shop.path, event)["outcome"] == "duplicate"
    assert len(shop.events("payment.succeeded")) == 1
    assert len(shop.events("invoice.paid")) == 1


def test_an_older_failure_arriving_late_does_not_undo_a_success(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    key = {"recura_key": f"{invoice}-attempt-1"}
    later, earlier = T0 + timedelta(seconds=20), T0 + timedelta(seconds=10)
    succeeded = stripe_event(
        "payment_intent.succeeded", shop.intent("pi_9", metadata=key), at=later
    )
    error = {"code": "card_declined", "decline_code": "insufficient_funds"}
    failed = stripe_event(
        "payment_intent.payment_failed",
        shop.intent("pi_9", "requires_payment_method", metadata=key, last_payment_error=error),
        at=earlier,
    )
    assert deliver(shop.client, shop.path, succeeded, at=later)["outcome"] == "applied"
    assert deliver(shop.client, shop.path, failed, at=later)["outcome"] == "stale"
    assert shop.payment(invoice)["status"] == "succeeded"
    assert shop.invoice(invoice)["status"] == "paid"
    assert shop.events("payment.failed") == []
    assert shop.events("invoice.payment_failed") == []


def test_a_failure_webhook_starts_dunning_like_the_answer_would(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    error = {"code": "card_declined", "decline_code": "insufficient_funds"}
    failed = stripe_event(
        "payment_intent.payment_failed",
        shop.intent(
            "pi_7",
            "requires_payment_method",
            metadata={"recura_key": f"{invoice}-attempt-1"},
            last_payment_error=error,
        ),
    )
    assert deliver(shop.client, shop.path, failed)["outcome"] == "applied"
    payment = shop.payment(invoice)
    assert (payment["status"], payment["failure_code"]) == ("failed", "insufficient_funds")
    assert shop.invoice(invoice)["next_payment_attempt"] == "2026-01-16T09:30:00Z"
    assert len(shop.events("invoice.payment_failed")) == 1


def test_a_card_saved_while_an_attempt_was_unsettled_is_tried_when_it_fails(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    shop.reachable()  # Stripe answers again; a new card is saved
    shop.add_card(default=True)
    assert shop.invoice(invoice)["next_payment_attempt"] is None  # attempt 1 is unsettled
    error = {"code": "card_declined", "decline_code": "insufficient_funds"}
    failed = stripe_event(
        "payment_intent.payment_failed",
        shop.intent(
            "pi_old_card",
            "requires_payment_method",
            metadata={"recura_key": f"{invoice}-attempt-1"},
            last_payment_error=error,
        ),
    )
    assert deliver(shop.client, shop.path, failed)["outcome"] == "applied"
    # Not in a day, as the schedule says for the card that failed: now, on the new one.
    assert shop.invoice(invoice)["next_payment_attempt"] == "2026-01-15T09:30:00Z"
    shop.collect()
    assert shop.invoice(invoice)["status"] == "paid"


def test_concurrent_deliveries_of_one_event_apply_it_once(
    shop: Shop, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    key = {"recura_key": f"{invoice}-attempt-1"}
    parsed = translate(stripe_event("payment_intent.succeeded", shop.intent("pi_c", metadata=key)))
    tenant = Tenant(merchant.account_id, False)
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def race() -> None:
        start.wait()
        try:
            with unit_of_work(session_factory) as session:
                outcomes.append(webhooks.receive(session, tenant, "stripe", parsed, T0))
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    racers = [threading.Thread(target=race) for _ in range(4)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert outcomes.count("applied") == 1, outcomes
    assert set(outcomes) <= {"applied", "duplicate", "OperationalError"}, outcomes
    assert len(shop.events("payment.succeeded")) == 1
    assert (
        shop.invoice(invoice)["amount_paid"]["amount"] == shop.invoice(invoice)["total"]["amount"]
    )


# --- refunds ---


def paid_invoice(shop: Shop) -> tuple[str, dict[str, Any]]:
    invoice = shop.subscribe()
    shop.collect()
    payment = shop.payment(invoice)
    assert payment["status"] == "succeeded", payment
    return invoice, payment


def test_a_refund_whose_answer_was_lost_is_settled_by_its_webhook(shop: Shop) -> None:
    _, payment = paid_invoice(shop)
    shop.unreachable()
    body = {"payment": payment["id"], "amount": 2000}
    pending = shop.api.ok("POST", "/v1/refunds", 201, json=body)
    assert pending["status"] == "pending"
    obj = {
        "id": "re_1",
        "object": "refund",
        "amount": 2000,
        "currency": "ron",
        "payment_intent": payment["reference"],
        "status": "succeeded",
        "metadata": {"recura_key": f"{payment['id']}-refund-1"},
    }
    # Stripe announces the refund twice (created, then charge.refunded): the second must not
    # read as another 20 RON refunded elsewhere.
    assert deliver(shop.client, shop.path, stripe_event("refund.created", obj))["outcome"] == (
        "applied"
    )
    total = {
        "id": "ch_2",
        "object": "charge",
        "amount": 4900,
        "amount_refunded": 2000,
        "currency": "ron",
        "payment_intent": payment["reference"],
        "status": "succeeded",
    }
    shop.reachable()  # charge.refunded names no refund: they are listed at Stripe
    assert deliver(shop.client, shop.path, stripe_event("charge.refunded", total))["outcome"] == (
        "unchanged"
    )
    (refund,) = shop.api.ok("GET", "/v1/refunds", params={"payment": payment["id"]})["data"]
    assert (refund["id"], refund["status"]) == (pending["id"], "succeeded")
    assert len(shop.events("refund.succeeded")) == 1


# --- disputes ---


def dispute(reference: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "du_1",
        "object": "dispute",
        "amount": 4900,
        "currency": "ron",
        "payment_intent": reference,
        "reason": "fraudulent",
        "status": status,
        **extra,
    }


@pytest.mark.parametrize(("end", "disputed"), [("won", 0), ("lost", 4900)])
def test_a_dispute_is_recorded_stage_by_stage(shop: Shop, end: str, disputed: int) -> None:
    invoice, payment = paid_invoice(shop)
    reference = payment["reference"]
    stages = [
        ("charge.dispute.created", "needs_response", 0, "applied"),
        ("charge.dispute.updated", "under_review", 20, "applied"),
        # Late news of an earlier stage: stale.
        ("charge.dispute.updated", "needs_response", 10, "stale"),
        ("charge.dispute.closed", end, 30, "applied"),
        # Nothing reopens a closed dispute.
        ("charge.dispute.updated", "under_review", 40, "unchanged"),
    ]
    for kind, status, seconds, outcome in stages:
        at = T0 + timedelta(seconds=seconds)
        event = stripe_event(kind, dispute(reference, status), at=at)
        assert deliver(shop.client, shop.path, event, at=at)["outcome"] == outcome, kind

    (found,) = shop.api.ok("GET", "/v1/disputes", params={"payment": payment["id"]})["data"]
    assert (found["status"], found["amount"]["amount"], found["reason"]) == (
        end,
        4900,
        "fraudulent",
    )
    assert found["closed_at"] is not None
    assert shop.api.ok("GET", f"/v1/disputes/{found['id']}")["reference"] == "du_1"
    with unit_of_work(shop.session_factory) as session:
        row = session.get_one(Payment, (shop.account_id, payment["id"]))
        assert row.amount_disputed == disputed
    assert [len(shop.events(f"dispute.{k}")) for k in ("created", "updated", "closed")] == [1, 1, 1]
    assert shop.invoice(invoice)["status"] == "paid"


def test_a_dispute_of_a_payment_not_made_here_is_acknowledged_and_left(shop: Shop) -> None:
    event = stripe_event("charge.dispute.created", dispute("pi_elsewhere", "needs_response"))
    assert deliver(shop.client, shop.path, event)["outcome"] == "unknown payment"
    assert shop.api.ok("GET", "/v1/disputes")["data"] == []


# --- payment methods ---


def test_the_card_updater_and_detaching_at_stripe_reach_the_saved_method(shop: Shop) -> None:
    method = shop.method
    reference = shop.api.ok("GET", f"/v1/payment_methods/{method['id']}")
    card = {
        "id": None,
        "object": "payment_method",
        "type": "card",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 1, "exp_year": 2034},
    }
    with unit_of_work(shop.session_factory) as session:
        row = session.get_one(PaymentMethod, (shop.account_id, method["id"]))
        card["id"] = row.reference
    assert reference["exp_year"] == 2031
    updated = stripe_event("payment_method.automatically_updated", card)
    assert deliver(shop.client, shop.path, updated)["outcome"] == "applied"
    now = shop.api.ok("GET", f"/v1/payment_methods/{method['id']}")
    assert (now["exp_month"], now["exp_year"]) == (1, 2034)
    assert len(shop.events("payment_method.updated")) == 1

    detached = stripe_event("payment_method.detached", {**card, "customer": None})
    assert deliver(shop.client, shop.path, detached)["outcome"] == "applied"
    now = shop.api.ok("GET", f"/v1/payment_methods/{method['id']}")
    assert (now["status"], now["default"]) == ("detached", False)


# --- PayPal ---


def test_paypal_webhooks_are_verified_by_paypal(
    merchant: Merchant, processor_api: ProcessorApi
) -> None:
    api, client = merchant.api, merchant.api.client
    with running_fake_paypal() as fake:
        processor_api.point("paypal", fake.base_url)
        body = {
            "gateway": "paypal",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "webhook_id": fake.webhook_id,
        }
        path = api.ok("POST", "/v1/gateway_connections", json=body)["webhook_path"]
        resource = {
            "dispute_id": "PP-D-1",
            "status": "OPEN",
            "dispute_amount": {"currency_code": "RON", "value": "49.00"},
            "disputed_transactions": [{"seller_transaction_id": "CAPTURE-ELSEWHERE"}],
        }
        event = fake.event("CUSTOMER.DISPUTE.CREATED", resource, create_time="2026-01-15T09:29:59Z")
        headers, content = fake.sign(event, transmission_time="2026-01-15T09:30:00Z")
        answer = client.post(path, content=content, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "unknown payment"
        assert client.post(path, content=content, headers=headers).json()["outcome"] == (
            "duplicate"
        )
        tampered = content.replace(b"49.00", b"1.00")
        assert client.post(path, content=tampered, headers=headers).status_code == 400
    # PayPal cannot be asked: 503, so that it delivers the event again.
    answer = client.post(path, content=content, headers=headers)
    assert answer.status_code == 503, answer.text


# --- what Stripe says first, or only ---


def test_a_stored_event_keeps_the_api_version_it_was_written_in(shop: Shop) -> None:
    event = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    event["api_version"] = "2025-03-31.basil"
    assert deliver(shop.client, shop.path, event)["outcome"] == "ignored"
    with unit_of_work(shop.session_factory) as session:
        row = session.scalars(
            select(GatewayEventRow).where(
                GatewayEventRow.account_id == shop.account_id,
                GatewayEventRow.event_id == event["id"],
            )
        ).one()
        assert (row.api_version, row.processor_type) == ("2025-03-31.basil", "customer.created")


def test_a_card_saved_at_stripe_is_recorded_though_the_page_closed_first(shop: Shop) -> None:
    customer = shop.api.ok("POST", "/v1/customers", 201, json={"name": "Ioana"})["id"]
    setups = f"/v1/customers/{customer}/payment_method_setups"
    setup = shop.api.ok("POST", setups, json={"gateway": "stripe"})
    card = {"number": "4242424242424242", "exp_month": 7, "exp_year": 2032, "cvc": "123"}
    method = shop.stripe.v1.payment_methods.create({"type": "card", "card": card}).id
    confirmed = shop.stripe.v1.setup_intents.confirm(setup["reference"], {"payment_method": method})
    assert confirmed.status == "succeeded"
    # The subscriber closed the page here: only Stripe's webhook tells Recura.
    event = stripe_event("setup_intent.succeeded", confirmed.to_dict())
    assert deliver(shop.client, shop.path, event)["outcome"] == "applied"

    listed = f"/v1/customers/{customer}/payment_methods"
    (saved,) = shop.api.ok("GET", listed)["data"]
    assert (saved["last4"], saved["exp_year"], saved["default"]) == ("4242", 2032, True)
    again = stripe_event("setup_intent.succeeded", confirmed.to_dict())
    assert deliver(shop.client, shop.path, again)["outcome"] == "unchanged"
    # The page comes back after all: the same method, not a second one.
    late = shop.api.ok("POST", listed, 201, json={"gateway": "stripe", "token": setup["reference"]})
    assert late["id"] == saved["id"]
    assert len(shop.api.ok("GET", listed)["data"]) == 1
    assert len(shop.events("payment_method.attached")) == 2  # Shop's own card, and this one


def test_a_failed_card_setup_is_logged_and_saves_nothing(shop: Shop) -> None:
    customer = shop.api.ok("POST", "/v1/customers", 201, json={"name": "Ioana"})["id"]
    failed = {
        "id": "seti_failed",
        "object": "setup_intent",
        "status": "requires_payment_method",
        "payment_method": None,
        "last_setup_error": {"code": "card_declined", "message": "Your card was declined."},
        "metadata": {"recura_customer": customer},
    }
    event = stripe_event("setup_intent.setup_failed", failed)
    assert deliver(shop.client, shop.path, event)["outcome"] == "setup failed (card_declined)"
    assert shop.api.ok("GET", f"/v1/customers/{customer}/payment_methods")["data"] == []


def test_a_payment_processing_then_needing_the_customer_then_canceled(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    key = {"recura_key": f"{invoice}-attempt-1"}

    def told(kind: str, status: str, seconds: int, **extra: Any) -> str:
        at = T0 + timedelta(seconds=seconds)
        event = stripe_event(kind, shop.intent("pi_slow", status, metadata=key, **extra), at=at)
        return deliver(shop.client, shop.path, event, at=at)["outcome"]  # type: ignore[no-any-return]

    assert told("payment_intent.processing", "processing", 1) == "applied"
    assert shop.payment(invoice)["status"] == "processing"
    assert told("payment_intent.processing", "processing", 2) == "unchanged"

    challenge = {"type": "redirect_to_url", "redirect_to_url": {"url": "https://bank.example/3ds"}}
    assert told("payment_intent.requires_action", "requires_action", 3, next_action=challenge) == (
        "applied"
    )
    payment = shop.payment(invoice)
    assert (payment["status"], payment["failure_code"]) == (
        "requires_action",
        "authentication_required",
    )
    with unit_of_work(shop.session_factory) as session:
        row = session.get_one(Payment, (shop.account_id, payment["id"]))
        assert row.action_url == "https://bank.example/3ds"  # where the customer's email leads
    assert len(shop.events("invoice.payment_failed")) == 1

    # Nobody confirmed it and Stripe gave up: failed for good, its link dead; the attempt's
    # failure was counted already.
    assert told("payment_intent.canceled", "canceled", 4, cancellation_reason="abandoned") == (
        "applied"
    )
    payment = shop.payment(invoice)
    assert (payment["status"], payment["failure_code"]) == ("failed", "processing_error")
    with unit_of_work(shop.session_factory) as session:
        assert session.get_one(Payment, (shop.account_id, payment["id"])).action_url is None
    assert shop.invoice(invoice)["status"] == "open"
    assert len(shop.events("invoice.payment_failed")) == 1
    assert told("payment_intent.canceled", "canceled", 5) == "unchanged"


def test_a_canceled_payment_fails_its_attempt(shop: Shop) -> None:
    invoice = shop.subscribe()
    shop.unreachable()
    shop.collect()
    intent = shop.intent(
        "pi_canceled",
        "canceled",
        metadata={"recura_key": f"{invoice}-attempt-1"},
        cancellation_reason="requested_by_customer",
    )
    event = stripe_event("payment_intent.canceled", intent)
    assert deliver(shop.client, shop.path, event)["outcome"] == "applied"
    payment = shop.payment(invoice)
    assert (payment["status"], payment["failure_code"]) == ("failed", "processing_error")
    assert shop.invoice(invoice)["next_payment_attempt"] is not None
