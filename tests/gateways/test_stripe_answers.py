"""StripeGateway against scripted answers: what real Stripe says and localstripe never does
(issuer decline codes, `processing`, off-session `authentication_required`, redirects,
5xx, pages of lists), what the SDK puts on the wire, and servers that do not answer."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import parse_qs

import pytest

from recura.core.money import Money
from recura.gateways.base import (
    ChargeRequest,
    ChargeResult,
    CustomerInfo,
    GatewayError,
    GatewayTimeout,
    RefundRequest,
)
from recura.gateways.stripe import API_VERSION, KEY_METADATA

from .canned import CannedStripe

KEY = "inv_42-attempt-2"
REQUEST = ChargeRequest(
    amount=Money(4900, "RON"),
    idempotency_key=KEY,
    method="pm_card",
    processor_customer="cus_stripe",
    description="Invoice RO-2026-0042",
    metadata={"invoice": "inv_42"},
)


def intent(status: str, amount: int = 4900, currency: str = "ron", **extra: Any) -> dict:
    return {
        "id": "pi_canned",
        "object": "payment_intent",
        "status": status,
        "amount": amount,
        "currency": currency,
        "metadata": {KEY_METADATA: KEY},
        **extra,
    }


def declined(code: str, decline_code: str | None = None) -> dict:
    error = {
        "type": "card_error",
        "code": code,
        "message": "Your card was declined.",
        "charge": "ch_canned",
        "payment_intent": intent(
            "requires_payment_method",
            last_payment_error={"code": code, "decline_code": decline_code},
        ),
    }
    if decline_code:
        error["decline_code"] = decline_code
    return {"error": error}


def form(body: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body).items()}


def test_a_charge_is_confirmed_off_session_under_the_callers_key(
    make_gateway, canned: CannedStripe
) -> None:
    canned.answer(200, intent("succeeded"))

    make_gateway(canned.url).charge(REQUEST)

    (seen,) = canned.seen
    assert (seen.method, seen.path) == ("POST", "/v1/payment_intents")
    assert seen.headers["Idempotency-Key"] == KEY
    assert seen.headers["Stripe-Version"] == API_VERSION
    sent = form(seen.body)
    assert sent == {
        "amount": "4900",
        "currency": "ron",
        "customer": "cus_stripe",
        "payment_method": "pm_card",
        # Only the saved method's type: nothing that needs a redirect nobody is there for.
        "allowed_payment_method_types[0]": "card",
        "confirm": "true",
        "off_session": "true",
        "description": "Invoice RO-2026-0042",
        "metadata[invoice]": "inv_42",
        f"metadata[{KEY_METADATA}]": KEY,
    }


def test_a_setup_offers_cards_only_in_the_sdks_api_version(
    make_gateway, canned: CannedStripe
) -> None:
    canned.answer(200, {"id": "cus_stripe", "object": "customer"})
    canned.answer(200, {"id": "seti_1", "object": "setup_intent", "client_secret": "seti_1_s"})

    setup = make_gateway(canned.url).start_setup(
        CustomerInfo("cus_1", "a@b.ro", None), None, "setup-1"
    )

    assert (setup.processor_customer, setup.reference) == ("cus_stripe", "seti_1")
    customer, setup_intent = canned.seen
    assert customer.headers["Idempotency-Key"].startswith("recura-customer-cus_1-")
    assert form(customer.body) == {"email": "a@b.ro", "metadata[recura_customer]": "cus_1"}
    sent = form(setup_intent.body)
    assert sent["allowed_payment_method_types[0]"] == "card"
    assert sent["usage"] == "off_session"
    assert not any(name.startswith("payment_method_types") for name in sent)


@pytest.mark.parametrize(
    ("code", "decline_code", "status", "failure_code"),
    [
        ("card_declined", "insufficient_funds", "failed", "insufficient_funds"),
        ("expired_card", None, "failed", "expired_card"),
        ("card_declined", "generic_decline", "failed", "card_declined"),
        ("card_declined", "do_not_honor", "failed", "card_declined"),
        ("card_declined", "stolen_card", "failed", "payment_method_unusable"),
        ("processing_error", None, "failed", "processing_error"),
        ("authentication_required", "authentication_required", "requires_action", None),
    ],
)
def test_declines_in_recuras_words(
    make_gateway,
    canned: CannedStripe,
    code: str,
    decline_code: str | None,
    status: str,
    failure_code: str | None,
) -> None:
    canned.answer(402, declined(code, decline_code))

    result = make_gateway(canned.url).charge(REQUEST)

    assert result == ChargeResult(
        status=status,
        reference="pi_canned",
        amount=Money(4900, "RON"),
        failure_code=failure_code or "authentication_required",
        failure_message="Your card was declined.",
    )


def test_processing_is_pending(make_gateway, canned: CannedStripe) -> None:
    canned.answer(200, intent("processing"))
    assert make_gateway(canned.url).charge(REQUEST).status == "pending"


def test_a_redirect_is_the_action_url(make_gateway, canned: CannedStripe) -> None:
    canned.answer(
        200,
        intent(
            "requires_action",
            next_action={"type": "redirect_to_url", "redirect_to_url": {"url": "https://3ds.test"}},
        ),
    )
    result = make_gateway(canned.url).charge(REQUEST)
    assert (result.status, result.action_url) == ("requires_action", "https://3ds.test")


def test_a_canceled_payment_looked_up_is_failed(make_gateway, canned: CannedStripe) -> None:
    canned.answer(200, intent("canceled", cancellation_reason="abandoned"))
    result = make_gateway(canned.url).lookup(KEY, "pi_canned")
    assert (result.status, result.failure_code) == ("failed", "canceled")
    assert result.failure_message is not None
    assert "abandoned" in result.failure_message


def test_lookup_by_key_reads_every_page(make_gateway, canned: CannedStripe) -> None:
    other = {**intent("succeeded"), "id": "pi_other", "metadata": {KEY_METADATA: "another"}}
    canned.answer(
        200, {"object": "list", "url": "/v1/payment_intents", "has_more": True, "data": [other]}
    )
    canned.answer(
        200,
        {
            "object": "list",
            "url": "/v1/payment_intents",
            "has_more": False,
            "data": [intent("succeeded")],
        },
    )

    result = make_gateway(canned.url).lookup(KEY, None)

    assert (result.status, result.reference) == ("succeeded", "pi_canned")
    assert "starting_after=pi_other" in canned.seen[1].path


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(intent("succeeded", amount=4800), id="other-amount"),
        pytest.param(intent("succeeded", currency="eur"), id="other-currency"),
        pytest.param(intent("succeeded", currency="xyz"), id="unknown-currency"),
    ],
)
def test_a_payment_not_as_asked_leaves_the_outcome_to_reconciliation(
    make_gateway, canned: CannedStripe, answer: dict
) -> None:
    canned.answer(200, answer)
    with pytest.raises(GatewayTimeout):
        make_gateway(canned.url).charge(REQUEST)


@pytest.mark.parametrize("status", [500, 503, 409])
def test_a_stripe_side_error_is_an_unknown_outcome(
    make_gateway, canned: CannedStripe, status: int
) -> None:
    error = {"error": {"type": "api_error", "message": "Something went wrong."}}
    canned.answer(status, error, stripe_should_retry="false")
    with pytest.raises(GatewayTimeout, match="Something went wrong"):
        make_gateway(canned.url).charge(REQUEST)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, {"type": "invalid_request_error", "code": "parameter_unknown", "message": "No."}),
        (401, {"type": "invalid_request_error", "message": "Invalid API Key provided."}),
        (403, {"type": "invalid_request_error", "message": "Not allowed."}),
        (429, {"type": "invalid_request_error", "code": "rate_limit", "message": "Slow down."}),
    ],
)
def test_a_refusal_is_a_gateway_error(
    make_gateway, canned: CannedStripe, status: int, error: dict
) -> None:
    canned.answer(status, {"error": error}, stripe_should_retry="false")
    with pytest.raises(GatewayError):
        make_gateway(canned.url).charge(REQUEST)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({"status": "pending"}, "pending"),
        ({"status": "requires_action"}, "pending"),
        ({"status": "failed", "failure_reason": "expired_or_canceled_card"}, "failed"),
        ({"status": "canceled"}, "failed"),
    ],
)
def test_refund_statuses(make_gateway, canned: CannedStripe, answer: dict, status: str) -> None:
    canned.answer(200, intent("succeeded"))
    canned.answer(
        200, {"id": "re_1", "object": "refund", "amount": 900, "currency": "ron", **answer}
    )

    result = make_gateway(canned.url).refund(RefundRequest("pi_canned", Money(900, "RON"), KEY))

    assert (result.status, result.reference, result.amount) == (status, "re_1", Money(900, "RON"))
    assert result.failure_message == answer.get("failure_reason")
    assert canned.seen[1].headers["Idempotency-Key"] == KEY
    assert form(canned.seen[1].body)["amount"] == "900"


def test_a_refund_not_as_asked_leaves_the_outcome_to_reconciliation(
    make_gateway, canned: CannedStripe
) -> None:
    canned.answer(200, intent("succeeded"))
    canned.answer(200, {"id": "re_1", "object": "refund", "amount": 4900, "currency": "ron"})
    with pytest.raises(GatewayTimeout):
        make_gateway(canned.url).refund(RefundRequest("pi_canned", Money(900, "RON"), KEY))


def test_no_answer_in_time_is_a_timeout(make_gateway, silent_url: str) -> None:
    gateway = make_gateway(silent_url, timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        gateway.charge(REQUEST)
    with pytest.raises(GatewayTimeout):
        gateway.lookup(KEY, None)
    with pytest.raises(GatewayTimeout):
        gateway.refund(RefundRequest("pi_canned", Money(900, "RON"), KEY))
    # The SDK retries twice with backoff; none of it may take the default 80 s.
    assert time.monotonic() - started < 20


def test_nobody_listening_is_a_timeout(make_gateway) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(GatewayTimeout):
        make_gateway(closed, timeout_seconds=1).charge(REQUEST)
