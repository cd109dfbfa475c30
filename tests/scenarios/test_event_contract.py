"""A subscription's whole life, with refunds, failures and credit notes on the way, and
every event it records checked against the webhook contract in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.core.lifecycle import EventType as LifecycleEventType
from recura.db.unit_of_work import unit_of_work
from recura.domains.events.payloads import EventType
from recura.domains.payments import methods
from tests.conftest import Api, Merchant
from tests.event_contract import check_recorded
from tests.scenarios.world import World

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_every_event_of_a_busy_life_matches_its_webhook_schema(
    api: Api, merchant: Merchant, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, START, timezone="UTC")
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    seats = api.ok(
        "POST", "/v1/features", 201, json={"code": "seats", "name": "Seats", "kind": "limit"}
    )["id"]
    pro = world.plan(4900, trial_days=14, features=[{"feature": sso, "value": True}])
    business = world.plan(9900, features=[{"feature": seats, "value": 10}])
    yearly = world.plan(99000, interval="year")
    # A partner's vouchers for Pro's subscribers: a pool of two runs low with the first given.
    perk = {"name": "Spotify", "partner_name": "Spotify", "description": {"en": "3 months"}}
    perk = api.ok(
        "POST",
        "/v1/partner_perks",
        201,
        json={**perk, "kind": "voucher", "low_stock_threshold": 1, "plans": [pro]},
    )
    api.ok("POST", f"/v1/partner_perks/{perk['id']}/vouchers", json={"codes": ["S-1", "S-2"]})

    # A trial that converts, renews, changes plan now and at period end, pauses and resumes.
    ana = world.customer(card="tok_sandbox_visa_exp_2031_03")
    sub = world.subscribe(ana, pro)["id"]
    world.advance_to(START + timedelta(days=40))
    world.act(sub, "change", plan=business, effective="now")
    world.act(sub, "change", plan=pro, effective="period_end")
    world.advance_to(START + timedelta(days=75))
    world.act(sub, "pause")
    world.act(sub, "resume")
    world.act(sub, "cancel", at_period_end=True)
    world.act(sub, "reactivate")

    # A card that declines: the renewal fails, dunning, then a good card pays.
    declining = world.card(ana, "tok_sandbox_insufficient_funds")
    api.ok("POST", f"/v1/payment_methods/{declining['id']}/set_default", json={})
    world.advance_to(START + timedelta(days=110))
    good = world.card(ana, "tok_sandbox_mastercard")
    api.ok("POST", f"/v1/payment_methods/{good['id']}/set_default", json={})
    world.advance_to(START + timedelta(days=115))
    api.ok("POST", f"/v1/payment_methods/{declining['id']}/detach", json={})

    # A refund with its credit note, a credit note alone, a void and an uncollectible.
    paid = [i for i in world.invoices(sub) if i["status"] == "paid" and i["total"]["amount"]]
    payment = api.ok("GET", "/v1/payments", params={"invoice": paid[-1]["id"]})["data"][0]
    api.ok("POST", "/v1/refunds", 201, json={"payment": payment["id"], "amount": 500})
    credit = {"invoice": paid[0]["id"], "amount": 100, "reason": "goodwill"}
    api.ok("POST", "/v1/credit_notes", 201, json=credit)
    ion = world.customer(card=None)
    unpaid = world.subscribe(ion, business, collection_method="send_invoice")["id"]
    [first] = world.invoices(unpaid)
    api.ok("POST", f"/v1/invoices/{first['id']}/void", json={})
    world.advance_to(START + timedelta(days=150))
    later = [i for i in world.invoices(unpaid) if i["status"] == "open"]
    api.ok("POST", f"/v1/invoices/{later[0]['id']}/mark_uncollectible", json={})
    api.ok("POST", f"/v1/invoices/{later[0]['id']}/pay", json={"paid_out_of_band": True})
    world.act(unpaid, "cancel")

    # The merchant opens the portal for a subscriber.
    api.ok("POST", "/v1/portal_sessions", 201, json={"customer": ana})

    # A yearly plan is announced a week ahead; the first card's expiry a month ahead.
    eva = world.customer()
    world.subscribe(eva, yearly)
    world.advance_to(START + timedelta(days=150 + 365))
    world.act(sub, "cancel")
    with unit_of_work(session_factory) as session:
        methods.notify_expiring(session, datetime(2031, 3, 2, tzinfo=UTC))

    seen = check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]
    assert seen <= set(EventType)
    # The story reaches most of what Recura emits; disputes, bank statements, returned
    # transfers and support requests are checked where their own tests make them.
    # transfers, onboarding and announcements are checked where their own tests make them.
    elsewhere = {
        EventType.DISPUTE_CREATED,
        EventType.DISPUTE_UPDATED,
        EventType.DISPUTE_CLOSED,
        EventType.BANK_STATEMENT_IMPORTED,
        EventType.PAYMENT_REVERSED,
        EventType.INVOICE_REOPENED,
        EventType.REFUND_FAILED,
        EventType.PAYMENT_UPDATED,
        EventType.PAYMENT_METHOD_UPDATED,
        EventType.SUBSCRIPTION_PAST_DUE,
        EventType.SUPPORT_REQUEST_CREATED,  # tests/api/v1/test_support_requests.py
        EventType.SUPPORT_REQUEST_REPLIED,
        EventType.SUPPORT_REQUEST_CLOSED,
        EventType.ONBOARDING_STEP_COMPLETED,  # tests/api/v1/test_onboarding_steps.py
        EventType.ANNOUNCEMENT_PUBLISHED,  # tests/api/v1/test_announcements.py
        # The subscriber's cancellation flow: tests/domains/cancellations/test_flows.py.
        EventType.SUBSCRIPTION_CANCELLATION_FEEDBACK,
        EventType.RETENTION_OFFER_ACCEPTED,
        EventType.RETENTION_OFFER_DECLINED,
        EventType.CHECKOUT_SESSION_COMPLETED,
        # Asked for on the portal's billing details: tests/portal/test_details.py.
        EventType.CUSTOMER_EMAIL_CHANGE_REQUESTED,
        # e-Factura against a fake ANAF: tests/domains/efactura/.
        EventType.EINVOICE_UPLOADED,
        EventType.EINVOICE_ACCEPTED,
        EventType.EINVOICE_REJECTED,
        EventType.ANAF_CONNECTION_EXPIRING,
        # VIES's answers on a VAT number: tests/api/v1/test_vat_checks.py.
        EventType.CUSTOMER_VAT_ID_VALIDATED,
        EventType.CUSTOMER_VAT_ID_INVALID,
    }
    assert set(EventType) - elsewhere - seen == set()


def test_every_lifecycle_event_is_an_event_type() -> None:
    assert {t.value for t in LifecycleEventType} <= set(EventType)
