"""Collection end to end, month by month on a test clock, through the public API: a card that
pays, then declines, goes through dunning and is replaced (the sandbox and Stripe on
localstripe, one story for both), and a PayPal wallet renewed and refunded (the local fake
PayPal). Every invoice and every attempt is checked to the cent, at the processor too.

Bank transfers settled from a camt.053 statement are told in
tests/domains/payments/test_bank_transfers.py.

localstripe fixes how a card behaves by its number: a card that paid never declines later.
A card going bad is therefore told the way Stripe's own test cards tell it: the subscriber
replaces the card with one that attaches fine and declines every charge (4000000000000341,
in the sandbox `tok_sandbox_declined`), and the old one is detached.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
import stripe
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from stripe.params import PaymentMethodCreateParams

from recura.core.money import Money
from recura.db.models import GatewayConnection
from recura.db.unit_of_work import unit_of_work
from recura.domains.payments.collection import idempotency_key
from recura.gateways.sandbox import SandboxGateway
from recura.ids import new_id
from tests.conftest import T0, Api, Merchant
from tests.fakes.localstripe import API_KEY, WEBHOOK_SECRET
from tests.fakes.paypal_server import running_fake_paypal
from tests.fakes.paypal_state import FakePayPal
from tests.fakes.processor_api import ProcessorApi
from tests.scenarios.world import World, iso

MINUTE = timedelta(minutes=1)
# The plan's price, net, and what each invoice bills with 21% VAT (1049.79 rounds to 1050).
PRICE, TAX, TOTAL = 4999, 1050, 6049


def at(month: int, day: int = 1, year: int = 2026) -> datetime:
    """10:00 UTC, when the story's subscription renews and its retries fall."""
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


START = at(3)


# --- reading what happened ----------------------------------------------------------------


def payments(api: Api, invoice: str) -> list[dict[str, Any]]:
    """The invoice's payment attempts, oldest first."""
    found = api.ok("GET", "/v1/payments", params={"invoice": invoice, "limit": 100})["data"]
    return list(reversed(found))


def attempts(api: Api, invoice: str) -> list[tuple[int, str, int, str | None, str]]:
    """(attempt, status, amount, failure code, when) of each attempt at `invoice`."""
    return [
        (p["attempt"], p["status"], p["amount"]["amount"], p["failure_code"], p["created_at"])
        for p in payments(api, invoice)
    ]


def events(api: Api, type_: str) -> list[dict[str, Any]]:
    """Events of a type or family (`payment.*`), oldest first."""
    found = api.ok("GET", "/v1/events", params={"type": type_, "limit": 100})["data"]
    return list(reversed(found))


def types(api: Api, type_: str) -> list[str]:
    return [e["type"] for e in events(api, type_)]


def billed(invoice: dict[str, Any]) -> tuple[str, int, int, int, int, str]:
    """status, subtotal, tax, total, paid, period start."""
    return (
        invoice["status"],
        invoice["subtotal"]["amount"],
        invoice["tax_total"]["amount"],
        invoice["total"]["amount"],
        invoice["amount_paid"]["amount"],
        invoice["period_start"],
    )


def connect(
    factory: sessionmaker[Session], merchant: Merchant, gateway: str, config: dict[str, Any]
) -> None:
    """The account's test-mode credentials for a processor (no API for them yet)."""
    with unit_of_work(factory) as session:
        session.add(
            GatewayConnection(
                id=new_id("gateway_connection"),
                account_id=merchant.account_id,
                livemode=False,
                gateway=gateway,
                config=config,
                created_at=T0,
                updated_at=T0,
            )
        )


# --- the subscriber's side of each processor ------------------------------------------------


class Cards(Protocol):
    """How a subscriber saves a card with one processor, and that processor's own record."""

    gateway: str
    last4: dict[str, str]

    def approve(self, setup: dict[str, Any], card: str) -> str:
        """What the processor's hosted flow hands back for `card` (good, declining, new)."""
        ...

    def check(self, payment: dict[str, Any], card: str) -> None:
        """The processor has the attempt as Recura does: amount, currency, outcome, and
        the card it was made with."""
        ...


class SandboxCards:
    gateway = "sandbox"
    tokens = {
        "good": "tok_sandbox_visa",
        "declining": "tok_sandbox_declined",
        "new": "tok_sandbox_mastercard",
    }
    last4 = {"good": "4242", "declining": "0002", "new": "4444"}

    def __init__(self, engine: Engine, account_id: str) -> None:
        self.book = SandboxGateway(engine, account_id)

    def approve(self, setup: dict[str, Any], card: str) -> str:
        assert self.tokens[card] in setup["test_tokens"]
        return self.tokens[card]

    def check(self, payment: dict[str, Any], card: str) -> None:
        # The sandbox's book has no card; the outcome is the card's.
        assert payment["reference"].startswith("sbxch_")
        key = idempotency_key(payment["invoice"], payment["attempt"])
        found = self.book.lookup(key, payment["reference"])
        assert (found.status, found.reference, found.amount) == (
            payment["status"],
            payment["reference"],
            Money(payment["amount"]["amount"], payment["amount"]["currency"]),
        )


class StripeCards:
    gateway = "stripe"
    numbers = {
        "good": "4242424242424242",
        "declining": "4000000000000341",
        "new": "5555555555554444",
    }
    last4 = {card: number[-4:] for card, number in numbers.items()}

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.saved: dict[str, str] = {}  # card -> its Stripe PaymentMethod

    def approve(self, setup: dict[str, Any], card: str) -> str:
        """Stripe.js: the card goes to Stripe and confirms the SetupIntent Recura started."""
        assert setup["client_secret"].startswith(f"{setup['reference']}_secret_")
        params: PaymentMethodCreateParams = {
            "type": "card",
            "card": {"number": self.numbers[card], "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
        method = self.client.v1.payment_methods.create(params)
        self.saved[card] = method.id
        self.client.v1.setup_intents.confirm(setup["reference"], {"payment_method": method.id})
        return str(setup["reference"])

    def check(self, payment: dict[str, Any], card: str) -> None:
        intent = self.client.v1.payment_intents.retrieve(payment["reference"])
        assert intent.payment_method == self.saved[card]
        status = "succeeded" if payment["status"] == "succeeded" else "requires_payment_method"
        assert (intent.amount, intent.currency.upper(), intent.status) == (
            payment["amount"]["amount"],
            payment["amount"]["currency"],
            status,
        )
        metadata = intent.metadata.to_dict()
        assert metadata["recura_payment"] == payment["id"]
        assert metadata["recura_invoice"] == payment["invoice"]


@pytest.fixture(params=["sandbox", "stripe"])
def cards(
    request: pytest.FixtureRequest,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    engine: Engine,
) -> Cards:
    if request.param == "sandbox":
        return SandboxCards(engine, merchant.account_id)
    request.getfixturevalue("stripe_api")
    config = {"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET}
    connect(session_factory, merchant, "stripe", config)
    return StripeCards(request.getfixturevalue("stripe_client"))


def save_card(world: World, cards: Cards, customer: str, card: str, **over: Any) -> dict[str, Any]:
    """The processor's hosted flow, as the subscriber's browser goes through it."""
    path = f"/v1/customers/{customer}/payment_method_setups"
    setup = world.api.ok("POST", path, json={})
    assert setup["gateway"] == cards.gateway  # the connected processor, else the sandbox
    method = world.card(customer, cards.approve(setup, card), gateway=cards.gateway, **over)
    assert (method["gateway"], method["kind"], method["last4"]) == (
        cards.gateway,
        "card",
        cards.last4[card],
    )
    return method


# --- a card that pays, declines, and is replaced ------------------------------------------


def test_a_card_pays_then_declines_through_dunning_until_a_new_card_recovers_it(
    api: Api, cards: Cards
) -> None:
    world = World(api, START, timezone="UTC")
    assert api.ok("GET", "/v1/account")["retry_days"] == [1, 3, 5, 7]  # the default schedule
    customer = world.customer(card=None)
    first = save_card(world, cards, customer, "good")
    assert first["default"] is True  # the customer's first method
    sub = world.subscribe(customer, world.plan(PRICE))["id"]

    # March, then three renewals: each invoice charged once, to the cent, when it is issued.
    for n, month in enumerate((at(3), at(4), at(5), at(6))):
        world.advance_to(month + MINUTE)
        invoices = world.invoices(sub)
        assert len(invoices) == n + 1
        invoice = invoices[-1]
        assert billed(invoice) == ("paid", PRICE, TAX, TOTAL, TOTAL, iso(month))
        assert invoice["amount_remaining"]["amount"] == 0
        (payment,) = payments(api, invoice["id"])
        assert attempts(api, invoice["id"]) == [(1, "succeeded", TOTAL, None, iso(month))]
        assert (payment["payment_method"], payment["gateway"]) == (first["id"], cards.gateway)
        cards.check(payment, "good")
        assert world.subscription(sub)["status"] == "active"
    assert types(api, "invoice.payment_failed") == []

    # The subscriber replaces the card with one that declines every charge.
    world.advance_to(at(6, 15))
    declining = save_card(world, cards, customer, "declining", default=True)
    api.ok("POST", f"/v1/payment_methods/{first['id']}/detach", json={})
    if isinstance(cards, StripeCards):  # detached at Stripe too
        assert cards.client.v1.payment_methods.retrieve(cards.saved["good"]).customer is None
    listed = api.ok("GET", f"/v1/customers/{customer}/payment_methods")["data"]
    assert [(m["id"], m["default"]) for m in listed] == [(declining["id"], True)]
    assert types(api, "payment.*").count("payment.created") == 4  # nothing was retried

    # July: the renewal is declined, and dunning starts.
    world.advance_to(at(7) + MINUTE)
    invoices = world.invoices(sub)
    assert [i["status"] for i in invoices] == ["paid"] * 4 + ["open"]
    july = invoices[-1]
    assert billed(july) == ("open", PRICE, TAX, TOTAL, 0, iso(at(7)))
    assert (july["attempt_count"], july["next_payment_attempt"]) == (1, iso(at(7, 2)))
    assert attempts(api, july["id"]) == [(1, "failed", TOTAL, "card_declined", iso(at(7)))]
    assert world.subscription(sub)["status"] == "past_due"
    (past_due,) = events(api, "subscription.past_due")
    assert (past_due["object_id"], past_due["occurred_at"]) == (sub, iso(at(7)))

    # Retried 1, 3 and 5 days after the first failure, the subscription past due all along.
    for day, retried in ((2, 1), (3, 1), (4, 2), (5, 2), (6, 3)):
        world.advance_to(at(7, day) + MINUTE)
        assert world.subscription(sub)["status"] == "past_due"
        assert len(payments(api, july["id"])) == 1 + retried
    assert attempts(api, july["id"]) == [
        (n, "failed", TOTAL, "card_declined", iso(at(7, day)))
        for n, day in ((1, 1), (2, 2), (3, 4), (4, 6))
    ]
    for payment in payments(api, july["id"]):
        assert payment["payment_method"] == declining["id"]
        cards.check(payment, "declining")
    july = api.ok("GET", f"/v1/invoices/{july['id']}")
    assert (july["status"], july["attempt_count"], july["next_payment_attempt"]) == (
        "open",
        4,
        iso(at(7, 8)),
    )
    failed = events(api, "invoice.payment_failed")
    assert [
        (e["object_id"], e["data"]["attempt_count"], e["data"]["failure_code"]) for e in failed
    ] == [(july["id"], n, "card_declined") for n in (1, 2, 3, 4)]
    assert [e["data"]["next_payment_attempt"] for e in failed] == [
        iso(at(7, day)) for day in (2, 4, 6, 8)
    ]
    assert [e["object_id"] for e in events(api, "payment.failed")] == [
        p["id"] for p in payments(api, july["id"])
    ]
    assert types(api, "subscription.past_due") == ["subscription.past_due"]

    # 7 July, six days in: a new card, made the default, is tried at once (the day-7
    # retry was planned for 8 July).
    world.advance_to(at(7, 7))
    new = save_card(world, cards, customer, "new", default=True)
    world.advance_to(at(7, 7) + MINUTE)
    july = api.ok("GET", f"/v1/invoices/{july['id']}")
    assert billed(july) == ("paid", PRICE, TAX, TOTAL, TOTAL, iso(at(7)))
    assert july["next_payment_attempt"] is None
    (*_, recovered) = payments(api, july["id"])
    assert attempts(api, july["id"])[-1] == (5, "succeeded", TOTAL, None, iso(at(7, 7)))
    assert recovered["payment_method"] == new["id"]
    cards.check(recovered, "new")
    assert world.subscription(sub)["status"] == "active"
    (*_, updated) = events(api, "subscription.updated")
    assert (updated["object_id"], updated["data"]["status"]) == (sub, "active")

    # The day-7 retry is not made: the invoice is paid. August is charged to the new card.
    world.advance_to(at(7, 9))
    assert len(payments(api, july["id"])) == 5
    world.advance_to(at(8) + MINUTE)
    august = world.invoices(sub)[-1]
    assert billed(august) == ("paid", PRICE, TAX, TOTAL, TOTAL, iso(at(8)))
    (payment,) = payments(api, august["id"])
    assert (payment["attempt"], payment["status"], payment["payment_method"]) == (
        1,
        "succeeded",
        new["id"],
    )
    cards.check(payment, "new")
    assert world.subscription(sub)["status"] == "active"

    # Every attempt made, in order; nothing else was charged or failed.
    created = [e["data"] for e in events(api, "payment.created")]
    assert len(created) == 4 + 4 + 1 + 1
    assert {c["amount"] for c in created} == {TOTAL}
    assert types(api, "payment.succeeded") == ["payment.succeeded"] * 6
    assert types(api, "payment.failed") == ["payment.failed"] * 4
    assert types(api, "invoice.payment_failed") == ["invoice.payment_failed"] * 4
    assert types(api, "subscription.past_due") == ["subscription.past_due"]
    assert len(events(api, "invoice.paid")) == 6
    assert world.totals(sub) == [TOTAL] * 6


# --- a PayPal wallet renewed and refunded ---------------------------------------------------

RETURN_URL = "https://shop.example/billing/paypal"
PAYER = "ana@payer.example"


@pytest.fixture(scope="module")
def paypal() -> Iterator[FakePayPal]:
    with running_fake_paypal() as fake:
        yield fake


def paypal_money(minor: int) -> dict[str, str]:
    return {"currency_code": "EUR", "value": f"{minor // 100}.{minor % 100:02d}"}


def credit_note(api: Api, refund: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    """total, net, tax, refunded, credited to the balance, applied to the invoice."""
    note = api.ok("GET", f"/v1/credit_notes/{refund['credit_note']}")
    assert note["invoice"] == refund["invoice"]
    (line,) = note["lines"]
    assert line["tax_rate"] == "21"
    assert (line["net_amount"]["amount"], line["tax_amount"]["amount"]) == (
        note["subtotal"]["amount"],
        note["tax_total"]["amount"],
    )
    return (
        note["total"]["amount"],
        note["subtotal"]["amount"],
        note["tax_total"]["amount"],
        note["refunded"]["amount"],
        note["credited_to_balance"]["amount"],
        note["applied_to_invoice"]["amount"],
    )


def test_a_paypal_wallet_is_charged_each_month_then_refunded_in_part_and_in_full(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    paypal: FakePayPal,
    processor_api: ProcessorApi,
) -> None:
    paypal.reset()
    processor_api.point("paypal", paypal.base_url)
    config = {
        "client_id": paypal.client_id,
        "client_secret": paypal.client_secret,
        "webhook_id": paypal.webhook_id,
    }
    connect(session_factory, merchant, "paypal", config)
    world = World(api, START, timezone="UTC", currency="EUR")
    customer = world.customer(card=None)

    # The payer approves the vaulting once at PayPal and comes back with the setup token.
    path = f"/v1/customers/{customer}/payment_method_setups"
    setup = api.ok("POST", path, json={"return_url": RETURN_URL})
    assert setup["gateway"] == "paypal"  # the connected processor
    assert setup["approve_url"] == (
        f"{paypal.base_url}/agreements/approve?approval_session_id={setup['reference']}"
    )
    paypal.approve_setup_token(setup["reference"], PAYER)
    wallet = world.card(customer, setup["reference"], gateway="paypal")
    assert (wallet["gateway"], wallet["kind"], wallet["email"], wallet["default"]) == (
        "paypal",
        "paypal",
        PAYER,
        True,
    )
    (vault_id,) = paypal.payment_tokens
    sub = world.subscribe(customer, world.plan(PRICE))["id"]

    # March, April, May: one order per invoice on the vaulted wallet, captured at once.
    paid: list[dict[str, Any]] = []
    for n, month in enumerate((at(3), at(4), at(5))):
        world.advance_to(month + MINUTE)
        invoice = world.invoices(sub)[-1]
        assert len(world.invoices(sub)) == n + 1
        assert invoice["currency"] == "EUR"
        assert billed(invoice) == ("paid", PRICE, TAX, TOTAL, TOTAL, iso(month))
        assert attempts(api, invoice["id"]) == [(1, "succeeded", TOTAL, None, iso(month))]
        (payment,) = payments(api, invoice["id"])
        assert (payment["gateway"], payment["payment_method"]) == ("paypal", wallet["id"])
        capture = paypal.captures[payment["reference"]]  # the capture, not the order
        assert (capture["status"], capture["amount"]) == ("COMPLETED", paypal_money(TOTAL))
        assert capture["custom_id"] == idempotency_key(invoice["id"], 1)
        assert world.subscription(sub)["status"] == "active"
        paid.append(payment)
    orders = list(paypal.orders.values())
    assert len(orders) == 3
    for order in orders:
        assert order["status"] == "COMPLETED"
        assert order["payment_source"]["paypal"]["attributes"]["vault"]["id"] == vault_id
        assert order["payment_source"]["paypal"]["email_address"] == PAYER
        assert order["purchase_units"][0]["amount"] == paypal_money(TOTAL)

    # April's payment: 20.00 back, then the rest; a credit note records each, to the cent.
    world.advance_to(at(5, 10))
    april = paid[1]
    body = {"payment": april["id"], "amount": 2000, "reason": "goodwill"}
    part = api.ok("POST", "/v1/refunds", 201, json=body)
    assert (part["status"], part["amount"], part["reason"], part["invoice"]) == (
        "succeeded",
        {"amount": 2000, "currency": "EUR"},
        "goodwill",
        april["invoice"],
    )
    # 2000 with 21% VAT in it: 347.11 tax, 1652.89 net.
    assert credit_note(api, part) == (2000, 1653, 347, 2000, 0, 0)
    capture = paypal.captures[april["reference"]]
    assert capture["status"] == "PARTIALLY_REFUNDED"
    assert [r["amount"] for r in paypal.refunds.values()] == [paypal_money(2000)]
    assert api.ok("GET", f"/v1/payments/{april['id']}")["amount_refunded"]["amount"] == 2000

    rest = api.ok("POST", "/v1/refunds", 201, json={"payment": april["id"]})
    assert (rest["status"], rest["amount"]["amount"]) == ("succeeded", TOTAL - 2000)
    # What is left of the invoice's 4999 + 1050: 3346 + 703.
    assert credit_note(api, rest) == (4049, 3346, 703, 4049, 0, 0)
    assert capture["status"] == "REFUNDED"
    assert [r["amount"] for r in paypal.refunds.values()] == [
        paypal_money(2000),
        paypal_money(4049),
    ]
    assert {r["capture_id"] for r in paypal.refunds.values()} == {april["reference"]}
    after = api.ok("GET", f"/v1/payments/{april['id']}")
    assert (after["status"], after["amount_refunded"]["amount"]) == ("succeeded", TOTAL)
    invoice = api.ok("GET", f"/v1/invoices/{april['invoice']}")
    assert (invoice["status"], invoice["amount_paid"]["amount"]) == ("paid", TOTAL)
    assert invoice["amount_credited"]["amount"] == TOTAL
    again = api.post("/v1/refunds", json={"payment": april["id"]})
    assert again.status_code == 409, again.text
    assert len(paypal.refunds) == 2

    # May's payment back in full, in one refund.
    may = paid[2]
    whole = api.ok("POST", "/v1/refunds", 201, json={"payment": may["id"], "reason": "duplicate"})
    assert (whole["status"], whole["amount"]["amount"]) == ("succeeded", TOTAL)
    assert credit_note(api, whole) == (TOTAL, PRICE, TAX, TOTAL, 0, 0)
    assert paypal.captures[may["reference"]]["status"] == "REFUNDED"
    assert len(paypal.refunds) == 3
    listed = api.ok("GET", "/v1/refunds", params={"payment": april["id"]})["data"]
    assert [r["id"] for r in listed] == [rest["id"], part["id"]]  # newest first

    # Money paid back is not credit: June is billed and charged in full.
    world.advance_to(at(6) + MINUTE)
    june = world.invoices(sub)[-1]
    assert billed(june) == ("paid", PRICE, TAX, TOTAL, TOTAL, iso(at(6)))
    assert june["credit_applied"]["amount"] == 0
    (payment,) = payments(api, june["id"])
    assert paypal.captures[payment["reference"]]["amount"] == paypal_money(TOTAL)
    assert world.subscription(sub)["status"] == "active"
    assert paid[0]["amount_refunded"]["amount"] == 0

    assert types(api, "refund.*") == ["refund.created", "refund.succeeded"] * 3
    notes = [e["data"] for e in events(api, "credit_note.created")]
    assert [(n["invoice"], n["total"], n["refunded"]) for n in notes] == [
        (april["invoice"], 2000, 2000),
        (april["invoice"], 4049, 4049),
        (may["invoice"], TOTAL, TOTAL),
    ]
    assert types(api, "payment.succeeded") == ["payment.succeeded"] * 4
    assert types(api, "payment.failed") == []


# --- a test clock's customer lives on its clock's time ---------------------------------------


def test_a_new_card_is_tried_at_once_on_a_clock_behind_real_time(api: Api) -> None:
    early = at(11, year=2025)  # the API's own clock (T0) is at 2026-01-15
    world = World(api, early, timezone="UTC")
    customer = world.customer(card="tok_sandbox_declined")
    sub = world.subscribe(customer, world.plan(PRICE))["id"]
    world.advance_to(early + MINUTE)
    (invoice,) = world.invoices(sub)
    assert invoice["next_payment_attempt"] == iso(at(11, 2, year=2025))
    world.card(customer, "tok_sandbox_visa", default=True)
    world.advance_to(early + 2 * MINUTE)
    assert [a[:2] for a in attempts(api, invoice["id"])] == [(1, "failed"), (2, "succeeded")]
    assert world.subscription(sub)["status"] == "active"


def test_a_refund_on_a_test_clock_is_dated_by_the_clock(api: Api) -> None:
    world = World(api, START, timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(PRICE))["id"]
    world.advance_to(at(3, 10))
    (invoice,) = world.invoices(sub)
    (payment,) = payments(api, invoice["id"])
    refund = api.ok("POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 1000})
    note = api.ok("GET", f"/v1/credit_notes/{refund['credit_note']}")
    (created,) = events(api, "refund.created")
    assert (refund["created_at"], note["created_at"], created["occurred_at"]) == (
        iso(at(3, 10)),
        iso(at(3, 10)),
        iso(at(3, 10)),
    )
