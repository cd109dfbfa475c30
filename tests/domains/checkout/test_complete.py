"""Completing a checkout: one customer and one subscription however it is confirmed, its
first invoice charged through the one charge path, entitlements granted, the welcome sent
once the subscription has started, and `checkout.session.completed` recorded."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.checkout import complete as completing
from recura.domains.checkout.complete import Completion
from recura.domains.customers.billing import BillingDetailsInvalid
from recura.jobs.worker import run_once
from tests.conftest import T0, Merchant
from tests.domains.checkout.conftest import ANA, Shop
from tests.event_contract import check_recorded
from tests.fakes.vies_server import FakeVies
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


def problems(caught: pytest.ExceptionInfo[BillingDetailsInvalid]) -> dict[str, str]:
    return {p.pointer: p.key for p in caught.value.problems}


def templates(shop: Shop, customer: str) -> list[str]:
    run_once(shop.factory, FixedClock(T0))  # the first charge's receipt, and the events
    run_once(shop.factory, FixedClock(T0))
    found = shop.api.ok("GET", "/v1/email_messages", params={"customer": customer})["data"]
    return sorted(str(e["template"]) for e in found)


def events(shop: Shop, object_id: str) -> list[dict[str, Any]]:
    return shop.world.events(object_id)


def test_a_card_checkout_starts_the_subscription_with_its_entitlements(
    shop: Shop, merchant: Merchant, client: TestClient
) -> None:
    sso = shop.api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    plan = shop.plan(4900, features=[{"feature": sso, "value": True}])
    checkout_id = shop.checkout(plan, metadata={"campaign": "spring"})
    card = shop.paying(checkout_id)

    done = shop.complete(checkout_id, payment_method_id=card)

    assert done.status == "complete"
    assert done.error is None
    assert done.redirect_url == f"https://shop.example.ro/welcome?session={checkout_id}"
    sub = shop.api.ok("GET", f"/v1/subscriptions/{done.subscription_id}")
    assert sub["status"] == "active"
    assert sub["customer"] == done.customer_id
    found = shop.api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert found["status"] == "complete"
    assert found["stage"] == "confirmed"
    assert all(found["stages"].values())
    assert found["result"]["subscription"]["id"] == done.subscription_id
    assert found["result"]["customer"]["email"] == ANA["email"]
    assert [f["code"] for f in found["result"]["entitlements"]["features"]] == ["sso"]

    (completed,) = [
        e for e in events(shop, checkout_id) if e["type"] == "checkout.session.completed"
    ]
    assert completed["data"] == {
        "id": checkout_id,
        "customer": done.customer_id,
        "subscription": done.subscription_id,
        "plan": plan,
        "invoice": completed["data"]["invoice"],
        "currency": "RON",
        "amount_total": 5929,
        "payment": "charged",
        "metadata": {"campaign": "spring"},
        "acquisition": {},
    }
    assert templates(shop, done.customer_id or "") == ["receipt", "welcome"]
    seen = check_recorded(shop.factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    assert "checkout.session.completed" in seen


def test_confirming_again_gives_the_same_subscription(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    card = shop.paying(checkout_id)
    first = shop.complete(checkout_id, payment_method_id=card)
    again = shop.complete(checkout_id, payment_method_id=card, details=ANA)
    assert again == first
    subs = shop.api.ok("GET", "/v1/subscriptions", params={"customer": first.customer_id})
    assert len(subs["data"]) == 1
    payments = shop.api.ok("GET", "/v1/payments", params={"customer": first.customer_id})
    assert len(payments["data"]) == 1


def test_a_declined_card_leaves_the_checkout_open_until_another_pays(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    declining = shop.paying(checkout_id, "tok_sandbox_insufficient_funds")

    failed = shop.complete(checkout_id, payment_method_id=declining)

    assert failed.status == "open"
    assert failed.error == "payment.declined"
    assert failed.message("ro") == "Plata a fost refuzată. Încercați altă metodă de plată."
    assert failed.redirect_url is None
    customer = failed.customer_id or ""
    sub = shop.api.ok("GET", f"/v1/subscriptions/{failed.subscription_id}")
    assert sub["status"] == "incomplete"  # grants nothing, bills nothing more
    assert shop.api.ok("GET", f"/v1/customers/{customer}/entitlements")["features"] == []
    assert "welcome" not in templates(shop, customer)

    good = shop.card(customer, "tok_sandbox_mastercard")
    paid = shop.complete(checkout_id, payment_method_id=good)

    assert paid.status == "complete"
    assert paid.subscription_id == failed.subscription_id  # the same subscription, charged again
    assert shop.api.ok("GET", f"/v1/subscriptions/{paid.subscription_id}")["status"] == "active"
    assert templates(shop, customer).count("welcome") == 1


def test_a_free_plan_needs_no_payment_method(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(0))
    done = shop.complete(checkout_id, details=ANA)
    assert done.status == "complete"
    completed = [e for e in events(shop, checkout_id) if e["type"] == "checkout.session.completed"]
    assert completed[0]["data"]["payment"] == "not_required"


def test_a_trial_needs_a_payment_method_unless_the_account_lets_it_start_without(
    shop: Shop,
) -> None:
    plan = shop.plan(4900, trial_days=14)
    checkout_id = shop.checkout(plan)
    with pytest.raises(BillingDetailsInvalid) as caught:
        shop.complete(checkout_id, details=ANA)
    assert problems(caught) == {"/payment_method": "payment_method.required"}
    assert shop.row(checkout_id).customer_id is None  # nothing kept from the refused attempt

    account = shop.api.ok("PATCH", "/v1/account", json={"trial_requires_payment_method": False})
    assert account["trial_requires_payment_method"] is False
    done = shop.complete(checkout_id, details=ANA)
    assert done.status == "complete"
    sub = shop.api.ok("GET", f"/v1/subscriptions/{done.subscription_id}")
    assert sub["status"] == "trialing"


def test_paying_now_needs_a_payment_method(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    with pytest.raises(BillingDetailsInvalid) as caught:
        shop.complete(checkout_id, details=ANA)
    assert problems(caught) == {"/payment_method": "payment_method.required"}
    other = shop.world.customer(card="tok_sandbox_visa")
    strangers = shop.api.ok("GET", f"/v1/customers/{other}/payment_methods")["data"][0]["id"]
    with pytest.raises(BillingDetailsInvalid) as caught:
        shop.complete(checkout_id, details=ANA, payment_method_id=strangers)
    assert problems(caught) == {"/payment_method": "payment_method.invalid"}


def test_a_bank_transfer_sends_the_invoice_with_its_instructions(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    with pytest.raises(BillingDetailsInvalid) as caught:
        shop.complete(checkout_id, details=ANA, bank_transfer=True)
    assert problems(caught) == {"/payment_method": "bank_transfer.unavailable"}

    shop.api.ok("PATCH", "/v1/account", json={"iban": "RO49AAAA1B31007593840000"})
    done = shop.complete(checkout_id, details=ANA, bank_transfer=True)

    assert done.status == "complete"
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": done.subscription_id})[
        "data"
    ]
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["status"] == "open"
    assert invoice["payment_reference"]
    assert shop.api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"] == []
    assert "invoice_sent" in templates(shop, done.customer_id or "")


def test_terms_and_details_are_required(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(0))
    with pytest.raises(BillingDetailsInvalid) as caught:
        shop.complete(checkout_id, terms_accepted=False)
    assert problems(caught) == {"/terms": "terms.required", "/email": "email.required"}
    assert caught.value.messages("ro")["terms"] == "Acceptați termenii pentru a vă abona."
    done = shop.complete(checkout_id, details=ANA)
    assert shop.row(checkout_id).terms_accepted_at == T0
    assert done.status == "complete"


def test_a_customer_is_never_found_by_email(shop: Shop) -> None:
    known = shop.world.customer(card=None, email=ANA["email"], name="Someone else")
    checkout_id = shop.checkout(shop.plan(0))
    done = shop.complete(checkout_id, details=ANA)
    assert done.customer_id != known
    assert shop.api.ok("GET", f"/v1/customers/{known}")["name"] == "Someone else"


def test_the_merchants_customer_is_reused_with_its_billing_details(shop: Shop) -> None:
    known = shop.world.customer(card=None, email="known@example.ro", name="Ana")
    checkout_id = shop.checkout(shop.plan(0), customer=known)
    company = {
        **ANA,
        "kind": "company",
        "legal_name": "Norditech Software SRL",
        "vat_id": "RO18547290",
        "registration_number": "J12/3456/2019",
    }
    done = shop.complete(checkout_id, details=company)
    assert done.customer_id == known
    customer = shop.api.ok("GET", f"/v1/customers/{known}")
    assert customer["email"] == "known@example.ro"  # the merchant's to change, not the page's
    assert (customer["kind"], customer["legal_name"]) == ("company", "Norditech Software SRL")
    assert customer["vat_id"] == "RO18547290"
    assert customer["address"]["county"] == "RO-CJ"


def test_the_early_customer_is_the_same_on_every_retry(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(4900))
    shop.details(checkout_id)
    first = shop.customer(checkout_id)
    assert shop.customer(checkout_id) == first
    card = shop.card(first)
    done = shop.complete(checkout_id, payment_method_id=card)
    assert done.customer_id == first
    found = shop.api.ok("GET", "/v1/customers", params={"email": ANA["email"]})["data"]
    assert [c["id"] for c in found if c["id"] == first] == [first]


def test_an_expired_checkout_cannot_complete(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(0))
    later = T0 + timedelta(hours=24)
    units = units_of(shop.factory)
    done = completing.complete(
        units, shop.tenant, checkout_id, later, terms_accepted=True, details=ANA
    )
    assert (done.status, done.error, done.subscription_id) == ("expired", "checkout.expired", None)
    assert done.message("en") == "This checkout has expired. Start again from the pricing page."
    assert shop.row(checkout_id).status == "expired"  # stored as it was read


def test_two_confirmations_at_once_make_one_customer_and_one_subscription(shop: Shop) -> None:
    checkout_id = shop.checkout(shop.plan(0))
    details = {**ANA, "email": "race@example.ro"}
    start = threading.Barrier(2)
    results: list[Completion] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        start.wait()
        try:
            results.append(shop.complete(checkout_id, details=details))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == 2
    assert results[0] == results[1]
    assert results[0].status == "complete"
    customers = shop.api.ok("GET", "/v1/customers", params={"email": "race@example.ro"})["data"]
    assert len(customers) == 1
    subs = shop.api.ok("GET", "/v1/subscriptions", params={"customer": customers[0]["id"]})
    assert len(subs["data"]) == 1
    completed = [e for e in events(shop, checkout_id) if e["type"] == "checkout.session.completed"]
    assert len(completed) == 1


def test_the_new_customer_takes_its_channel_from_the_checkout(shop: Shop) -> None:
    paid = {"channel": None, "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "x"}
    paid = {k: v for k, v in paid.items() if v}
    cases = [
        (paid, "google_ads", {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "x"}),
        ({"channel": "Newsletter", "utm_source": "mc"}, "newsletter", {"utm_source": "mc"}),
        ({}, "direct", {}),
    ]
    for acquisition, channel, utm in cases:
        checkout_id = shop.checkout(shop.plan(0), acquisition=acquisition)
        done = shop.complete(checkout_id, details=ANA)
        customer = shop.api.ok("GET", f"/v1/customers/{done.customer_id}")
        assert (customer["acquisition_channel"], customer["acquisition"]) == (channel, utm)


def test_the_merchants_customer_keeps_its_channel(shop: Shop) -> None:
    body = {"email": "m@example.ro", "acquisition_channel": "referral"}
    customer = shop.api.ok("POST", "/v1/customers", 201, json=body)["id"]
    checkout_id = shop.checkout(shop.plan(0), customer=customer, acquisition={"channel": "ads"})
    shop.complete(checkout_id, details=ANA)
    assert shop.api.ok("GET", f"/v1/customers/{customer}")["acquisition_channel"] == "referral"


def test_a_charge_answered_later_completes_the_checkout_once(shop: Shop) -> None:
    """No answer at confirming (the processor charged, the answer was lost): the checkout
    waits; the reconciler's answer activates the subscription and completes it, with no
    page opened again, and once."""
    checkout_id = shop.checkout(shop.plan(4900))
    card = shop.paying(checkout_id, "tok_sandbox_timeout_after_success")

    waiting = shop.complete(checkout_id, payment_method_id=card)

    assert waiting.status == "open"
    assert waiting.error == "payment.processing"
    assert shop.row(checkout_id).status == "open"
    customer = waiting.customer_id or ""

    # The reconciler asks once the attempt has waited its minute.
    run_once(shop.factory, FixedClock(T0 + timedelta(minutes=2)))

    assert shop.row(checkout_id).status == "complete"
    sub = shop.api.ok("GET", f"/v1/subscriptions/{waiting.subscription_id}")
    assert sub["status"] == "active"
    completed = [e for e in events(shop, checkout_id) if e["type"] == "checkout.session.completed"]
    assert len(completed) == 1
    assert completed[0]["data"]["payment"] == "charged"
    assert templates(shop, customer).count("welcome") == 1

    # The page opened afterwards finds it done and records nothing more.
    again = shop.complete(checkout_id, payment_method_id=card)
    assert again.status == "complete"
    with unit_of_work(shop.factory) as session:
        settled = completing.settle(session, shop.tenant, checkout_id, T0 + timedelta(minutes=3))
    assert settled.status == "complete"
    completed = [e for e in events(shop, checkout_id) if e["type"] == "checkout.session.completed"]
    assert len(completed) == 1
    payments = shop.api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    assert [p["status"] for p in payments] == ["succeeded"]


def test_a_vat_number_given_at_checkout_is_checked_later_by_the_worker(
    shop: Shop, vies_alone: FakeVies
) -> None:
    vies_alone.register("RO18547290", "NORDITECH SOFTWARE SRL", "Cluj-Napoca")
    checkout_id = shop.checkout(shop.plan(0))
    company = {**ANA, "kind": "company", "legal_name": "Norditech SRL", "vat_id": "RO18547290"}
    done = shop.complete(checkout_id, details=company)
    # Completing asks VIES nothing: the number is only due a check.
    assert vies_alone.requests == []
    shown = shop.api.ok("GET", f"/v1/customers/{done.customer_id}")["vat_check"]
    assert shown["status"] == "not_checked"
    run_once(shop.factory, FixedClock(T0), only={"vat_checks"})
    shown = shop.api.ok("GET", f"/v1/customers/{done.customer_id}")["vat_check"]
    assert shown["status"] == "validated"
