"""The PayPal gateway through the real SDK, against the local fake PayPal."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recura.core.money import Money
from recura.gateways.base import (
    AmountMismatch,
    ChargeRequest,
    CustomerInfo,
    GatewayError,
    GatewayTimeout,
    RefundRequest,
    SavedMethod,
)
from recura.gateways.paypal import PayPalGateway, ReportedAmountMismatch
from recura.gateways.paypal_sdk import (
    TOKEN_CLOCK_SKEW_SECONDS,
    PayPalError,
    PayPalFailure,
    raise_failure,
)
from tests.fakes.paypal_server import REQUEST_ID_REQUIRED, running_fake_paypal
from tests.fakes.paypal_state import (
    ACTION_EMAIL,
    DECLINE_EMAIL,
    PENDING_EMAIL,
    REFUSE_EMAIL,
    FakePayPal,
)

CUSTOMER = CustomerInfo(customer_id="cus_1", email="ana@example.ro", name="Ana")
RETURN_URL = "https://shop.example/billing/paypal?session=abc"
SETUP_KEY = "cus_1-setup-1"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakePayPal]:
    with running_fake_paypal() as server:
        yield server


def make_gateway(fake: FakePayPal, **overrides: object) -> PayPalGateway:
    settings: dict[str, object] = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "webhook_id": fake.webhook_id,
        "api_base": fake.base_url,
        "timeout_seconds": 5,
        **overrides,
    }
    return PayPalGateway(**settings)  # type: ignore[arg-type]


@pytest.fixture
def gateway(fake: FakePayPal) -> PayPalGateway:
    fake.reset()
    return make_gateway(fake)


def charge_request(method: str, amount: Money | None = None, key: str = "inv_1:1") -> ChargeRequest:
    return ChargeRequest(
        amount=amount or Money(4900, "EUR"),
        idempotency_key=key,
        method=method,
        processor_customer=None,
        description="Pro plan, January",
    )


def api_calls(fake: FakePayPal, path: str) -> int:
    return sum(1 for _, seen in fake.requests if seen == path)


# -- saving a PayPal wallet ---------------------------------------------------------------


def test_setup_approve_and_complete(gateway: PayPalGateway, fake: FakePayPal) -> None:
    session = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)

    assert session.reference in fake.setup_tokens
    assert session.approve_url == (
        f"{fake.base_url}/agreements/approve?approval_session_id={session.reference}"
    )
    stored = fake.setup_tokens[session.reference]
    assert stored["payment_source"]["paypal"]["usage_type"] == "MERCHANT"
    assert stored["experience_context"]["return_url"] == RETURN_URL
    assert stored["experience_context"]["cancel_url"] != RETURN_URL
    assert session.processor_customer == stored["customer"]["id"]

    fake.approve_setup_token(session.reference, "ana@payer.example")
    payer = CustomerInfo("cus_1", "ana@example.ro", "Ana", session.processor_customer)
    method = gateway.complete_setup(payer, session.reference)

    assert method.kind == "paypal"
    assert method.reference in fake.payment_tokens
    assert method.email == "ana@payer.example"
    assert method.processor_customer == session.processor_customer
    assert fake.setup_tokens[session.reference]["status"] == "VAULTED"


def test_a_setup_is_sent_under_our_key_and_a_retried_start_is_the_same_setup(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    first = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)
    again = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)
    other = gateway.start_setup(CUSTOMER, RETURN_URL, "cus_1-setup-2")

    assert fake.replays[("setup-token", SETUP_KEY)] == first.reference
    assert again.reference == first.reference
    assert other.reference != first.reference
    assert len(fake.setup_tokens) == 2


def test_the_fake_requires_a_request_id_where_paypals_spec_does(fake: FakePayPal) -> None:
    """Against the published OpenAPI when it is at hand: every POST marked as requiring
    PayPal-Request-Id, and only those, is refused without it."""
    spec_dir = Path(__file__).parents[3] / "shared" / "reference" / "paypal"
    if not spec_dir.is_dir():
        pytest.skip(f"PayPal's OpenAPI documents are not at {spec_dir}")
    required = set()
    for spec_file in spec_dir.glob("*.json"):
        spec = json.loads(spec_file.read_text())
        shared = spec.get("components", {}).get("parameters", {})
        for path, operations in spec["paths"].items():
            for parameter in operations.get("post", {}).get("parameters", []):
                if "$ref" in parameter:
                    parameter = shared[parameter["$ref"].rsplit("/", 1)[1]]
                if parameter.get("name", "").lower() == "paypal-request-id" and parameter.get(
                    "required"
                ):
                    required.add(path)
    assert required == REQUEST_ID_REQUIRED

    fake.reset()
    grant = httpx.post(
        f"{fake.base_url}/v1/oauth2/token",
        auth=(fake.client_id, fake.client_secret),
        data={"grant_type": "client_credentials"},
    ).json()
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    for path in sorted(REQUEST_ID_REQUIRED):
        answer = httpx.post(f"{fake.base_url}{path}", json={}, headers=headers)
        assert answer.status_code == 400, path
        assert answer.json()["details"][0]["field"] == "PayPal-Request-Id"


def test_setup_reuses_the_known_paypal_customer(gateway: PayPalGateway, fake: FakePayPal) -> None:
    known = CustomerInfo("cus_1", None, None, processor_customer="PPCUST42")
    session = gateway.start_setup(known, RETURN_URL, SETUP_KEY)
    assert fake.setup_tokens[session.reference]["customer"]["id"] == "PPCUST42"
    assert session.processor_customer == "PPCUST42"


def test_setup_needs_a_return_url(gateway: PayPalGateway, fake: FakePayPal) -> None:
    with pytest.raises(GatewayError):
        gateway.start_setup(CUSTOMER, None, SETUP_KEY)
    assert not fake.setup_tokens


def test_complete_setup_refuses_a_token_not_approved(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    session = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)
    with pytest.raises(GatewayError, match="not approved"):
        gateway.complete_setup(CUSTOMER, str(session.reference))
    assert not fake.payment_tokens


def test_complete_setup_refuses_another_customers_token(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    session = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)
    fake.approve_setup_token(str(session.reference))
    someone_else = CustomerInfo("cus_2", None, None, processor_customer="OTHERCUST")
    with pytest.raises(GatewayError, match="another PayPal customer"):
        gateway.complete_setup(someone_else, str(session.reference))
    assert not fake.payment_tokens


def test_complete_setup_twice_gives_one_payment_token(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    session = gateway.start_setup(CUSTOMER, RETURN_URL, SETUP_KEY)
    fake.approve_setup_token(str(session.reference))
    first = gateway.complete_setup(CUSTOMER, str(session.reference))
    again = gateway.complete_setup(CUSTOMER, str(session.reference))
    assert again.reference == first.reference
    assert len(fake.payment_tokens) == 1


def test_detach_deletes_the_payment_token_once(gateway: PayPalGateway, fake: FakePayPal) -> None:
    method = SavedMethod(reference=fake.vault(), kind="paypal")
    gateway.detach(method)
    assert method.reference not in fake.payment_tokens
    gateway.detach(method)  # already gone: not an error


# -- charging -------------------------------------------------------------------------------


def test_charge_succeeds_in_one_call(gateway: PayPalGateway, fake: FakePayPal) -> None:
    vault_id = fake.vault()
    result = gateway.charge(charge_request(vault_id))

    assert result.status == "succeeded"
    assert result.amount == Money(4900, "EUR")
    assert result.reference in fake.captures  # the capture id, not the order id
    (order,) = fake.orders.values()
    unit = order["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "EUR", "value": "49.00"}
    assert unit["custom_id"] == "inv_1:1"
    assert unit["description"] == "Pro plan, January"
    assert order["payment_source"]["paypal"]["attributes"]["vault"]["id"] == vault_id
    assert fake.replays[("order", "inv_1:1")] == order["id"]


def test_charge_in_currencies_without_paypal_decimals(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    vault_id = fake.vault()
    huf = gateway.charge(charge_request(vault_id, Money(1_250_000, "HUF"), key="huf"))
    jpy = gateway.charge(charge_request(vault_id, Money(1500, "JPY"), key="jpy"))
    assert (huf.status, huf.amount) == ("succeeded", Money(1_250_000, "HUF"))
    assert (jpy.status, jpy.amount) == ("succeeded", Money(1500, "JPY"))
    sent = sorted(o["purchase_units"][0]["amount"]["value"] for o in fake.orders.values())
    assert sent == ["12500", "1500"]


def test_amount_paypal_cannot_take_is_refused_before_sending(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    vault_id = fake.vault()
    with pytest.raises(AmountMismatch):
        gateway.charge(charge_request(vault_id, Money(12345, "HUF")))
    assert api_calls(fake, "/v2/checkout/orders") == 0


def test_charge_declined_by_the_capture(gateway: PayPalGateway, fake: FakePayPal) -> None:
    result = gateway.charge(charge_request(fake.vault(DECLINE_EMAIL)))
    assert result.status == "failed"
    assert result.failure_code == "card_declined"
    assert fake.captures[str(result.reference)]["status"] == "DECLINED"


def test_charge_refused_with_instrument_declined(gateway: PayPalGateway, fake: FakePayPal) -> None:
    result = gateway.charge(charge_request(fake.vault(REFUSE_EMAIL)))
    assert result.status == "failed"
    assert result.failure_code == "card_declined"
    assert result.reference is None
    assert not fake.orders


def test_charge_with_a_deleted_token_is_unusable(gateway: PayPalGateway, fake: FakePayPal) -> None:
    result = gateway.charge(charge_request("deleted1"))
    assert (result.status, result.failure_code) == ("failed", "payment_method_unusable")


def test_payer_action_required_then_approved(gateway: PayPalGateway, fake: FakePayPal) -> None:
    result = gateway.charge(charge_request(fake.vault(ACTION_EMAIL)))
    (order,) = fake.orders.values()

    assert result.status == "requires_action"
    assert result.failure_code == "authentication_required"
    assert result.action_url == f"{fake.base_url}/checkoutnow?token={order['id']}"
    assert not fake.captures

    fake.approve_order(order["id"])
    settled = gateway.lookup("inv_1:1", None)
    assert settled.status == "succeeded"
    assert settled.reference in fake.captures
    assert gateway.lookup("inv_1:1", None).reference == settled.reference
    assert len(fake.captures) == 1


def test_pending_capture(gateway: PayPalGateway, fake: FakePayPal) -> None:
    result = gateway.charge(charge_request(fake.vault(PENDING_EMAIL)))
    assert result.status == "pending"
    assert result.reference in fake.captures
    assert result.failure_message == "PENDING_REVIEW"


def test_same_key_replays_the_same_order(gateway: PayPalGateway, fake: FakePayPal) -> None:
    vault_id = fake.vault()
    first = gateway.charge(charge_request(vault_id))
    again = gateway.charge(charge_request(vault_id))
    assert again == first
    assert len(fake.orders) == 1
    assert len(fake.captures) == 1


def test_other_amount_reported_is_not_a_success(gateway: PayPalGateway, fake: FakePayPal) -> None:
    fake.misreport_amounts = 1
    with pytest.raises(ReportedAmountMismatch) as info:
        gateway.charge(charge_request(fake.vault()))
    # Money may have moved: the caller must treat it as unknown, never charge again.
    assert isinstance(info.value, GatewayTimeout)
    assert info.value.reference in fake.captures
    assert info.value.reported == Money(5000, "EUR")


def test_currency_paypal_refuses_is_a_gateway_error(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    # BRL is in PayPal's list but this fake merchant cannot take it: a 422 that is not a
    # decline must not pass for one.
    with pytest.raises(GatewayError, match="CURRENCY_NOT_SUPPORTED"):
        gateway.charge(charge_request(fake.vault(), Money(1000, "BRL")))


# -- lookup and unknown outcomes -------------------------------------------------------------


def test_lookup_by_reference_and_by_key(gateway: PayPalGateway, fake: FakePayPal) -> None:
    charged = gateway.charge(charge_request(fake.vault()))
    by_reference = gateway.lookup("inv_1:1", charged.reference)
    by_key = gateway.lookup("inv_1:1", None)
    assert by_reference == charged
    assert by_key == charged
    assert len(fake.orders) == 1


def test_lookup_of_an_unknown_capture(gateway: PayPalGateway) -> None:
    assert gateway.lookup("inv_1:1", "NOSUCHCAPTURE").status == "not_found"


def test_lookup_of_a_key_never_used_charges_nothing(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    assert gateway.lookup("inv_9:1", None).status == "not_found"
    assert gateway.lookup("inv_9:1", None).status == "not_found"
    # A late copy of the original request, arriving after the lookup, cannot charge.
    late = gateway.charge(charge_request(fake.vault(), key="inv_9:1"))
    assert late.status == "failed"
    assert not fake.captures


def test_timeout_after_success_then_lookup(fake: FakePayPal) -> None:
    fake.reset()
    gateway = make_gateway(fake, timeout_seconds=0.5)
    vault_id = fake.vault()
    gateway.lookup("warm-up", "NOSUCHCAPTURE")  # fetch the token before the hang
    fake.hang_next(1, 1.5)

    with pytest.raises(GatewayTimeout):
        gateway.charge(charge_request(vault_id))
    assert len(fake.captures) == 1  # PayPal did charge

    found = gateway.lookup("inv_1:1", None)
    assert found.status == "succeeded"
    assert found.amount == Money(4900, "EUR")
    assert found.reference in fake.captures
    retried = gateway.charge(charge_request(vault_id))
    assert retried.reference == found.reference
    assert len(fake.orders) == 1
    assert len(fake.captures) == 1


def test_connection_refused_is_a_timeout(fake: FakePayPal) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gateway = make_gateway(fake, api_base=closed, timeout_seconds=1)
    with pytest.raises(GatewayTimeout):
        gateway.charge(charge_request("tok1"))


def test_wrong_credentials_are_refused(fake: FakePayPal) -> None:
    fake.reset()
    gateway = make_gateway(fake, client_secret="wrong")
    with pytest.raises(GatewayError, match="invalid_client"):
        gateway.charge(charge_request("tok1"))
    assert fake.token_grants == 0
    assert not fake.orders


def test_a_token_paypal_stopped_accepting_is_replaced(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    vault_id = fake.vault()
    gateway.lookup("warm-up", "NOSUCHCAPTURE")
    fake.tokens.clear()  # PayPal revoked it long before its expiry
    assert gateway.charge(charge_request(vault_id)).status == "succeeded"
    assert fake.token_grants == 2
    assert len(fake.orders) == 1


def test_access_token_is_fetched_once(gateway: PayPalGateway, fake: FakePayPal) -> None:
    vault_id = fake.vault()
    for n in range(3):
        gateway.charge(charge_request(vault_id, key=f"inv_{n}:1"))
    assert fake.token_grants == 1


def test_access_token_is_renewed_when_it_expires(fake: FakePayPal) -> None:
    fake.reset()
    # Valid for exactly the margin the gateway keeps: stale from the next second on.
    fake.token_ttl = TOKEN_CLOCK_SKEW_SECONDS
    try:
        gateway = make_gateway(fake)
        gateway.lookup("k", "NOSUCHCAPTURE")
        time.sleep(1.05)
        gateway.lookup("k", "NOSUCHCAPTURE")
    finally:
        fake.token_ttl = FakePayPal.token_ttl
    assert fake.token_grants == 2


# -- refunds --------------------------------------------------------------------------------


def test_partial_then_full_refund_and_no_more(gateway: PayPalGateway, fake: FakePayPal) -> None:
    capture = str(gateway.charge(charge_request(fake.vault())).reference)

    part = gateway.refund(RefundRequest(capture, Money(1900, "EUR"), "ref_1"))
    assert (part.status, part.amount) == ("succeeded", Money(1900, "EUR"))
    assert fake.captures[capture]["status"] == "PARTIALLY_REFUNDED"

    too_much = gateway.refund(RefundRequest(capture, Money(3001, "EUR"), "ref_2"))
    assert too_much.status == "failed"
    assert "REFUND_AMOUNT_EXCEEDED" in str(too_much.failure_message)

    rest = gateway.refund(RefundRequest(capture, Money(3000, "EUR"), "ref_3"))
    assert rest.status == "succeeded"
    assert fake.captures[capture]["status"] == "REFUNDED"
    assert {part.reference, rest.reference} == set(fake.refunds)

    after = gateway.refund(RefundRequest(capture, Money(1, "EUR"), "ref_4"))
    assert after.status == "failed"
    assert "CAPTURE_FULLY_REFUNDED" in str(after.failure_message)
    # A refund is not a new charge: the capture still stands as paid.
    assert gateway.lookup("inv_1:1", capture).status == "succeeded"


def test_refund_with_the_same_key_refunds_once(gateway: PayPalGateway, fake: FakePayPal) -> None:
    capture = str(gateway.charge(charge_request(fake.vault())).reference)
    first = gateway.refund(RefundRequest(capture, Money(1000, "EUR"), "ref_1"))
    again = gateway.refund(RefundRequest(capture, Money(1000, "EUR"), "ref_1"))
    assert again == first
    assert len(fake.refunds) == 1


def test_pending_refund(gateway: PayPalGateway, fake: FakePayPal) -> None:
    capture = str(gateway.charge(charge_request(fake.vault())).reference)
    fake.next_refund_status = "PENDING"
    result = gateway.refund(RefundRequest(capture, Money(1000, "EUR"), "ref_1"))
    assert result.status == "pending"
    assert result.reference in fake.refunds


def test_refund_of_an_inexpressible_amount_is_refused_before_sending(
    gateway: PayPalGateway, fake: FakePayPal
) -> None:
    with pytest.raises(AmountMismatch):
        gateway.refund(RefundRequest("ANYCAPTURE", Money(50, "HUF"), "ref_1"))
    assert not any(path.endswith("/refund") for _, path in fake.requests)


def test_refund_of_an_unknown_capture(gateway: PayPalGateway) -> None:
    with pytest.raises(GatewayError, match="INVALID_RESOURCE_ID"):
        gateway.refund(RefundRequest("NOSUCHCAPTURE", Money(100, "EUR"), "ref_1"))


@pytest.mark.parametrize(
    ("status", "unknown"), [(500, True), (503, True), (409, True), (400, False)]
)
def test_which_paypal_errors_leave_the_outcome_unknown(status: int, unknown: bool) -> None:
    # 5xx: PayPal may have done the work; 409: a request with the same id is in progress.
    failure = PayPalFailure(status, "X", "x", (), None)
    with pytest.raises(GatewayTimeout if unknown else PayPalError):
        raise_failure(failure)
