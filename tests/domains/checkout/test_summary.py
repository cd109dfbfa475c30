"""The checkout's summary is the first invoice to the cent, and its renewal the invoice
the subscription will renew with: both computed by the code that starts and renews it."""

from __future__ import annotations

from typing import Any

import pytest

from recura.db.unit_of_work import unit_of_work
from recura.domains.checkout import service, summary
from recura.domains.invoices import views
from recura.domains.subscriptions import upcoming
from tests.conftest import T0
from tests.domains.checkout.conftest import Shop

HANS = {
    "email": "hans.weber@example.de",
    "name": "Hans Weber",
    "address": {
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country": "DE",
    },
}
TOTALS = (
    "currency",
    "lines",
    "subtotal",
    "discounts",
    "discount_total",
    "tax_lines",
    "tax_total",
    "tax_inclusive",
    "total",
    "credit_applied",
    "amount_due",
)


def totals(found: dict[str, Any]) -> dict[str, Any]:
    return {name: found[name] for name in TOTALS}


def quote(shop: Shop, checkout_id: str) -> summary.Summary:
    with unit_of_work(shop.factory) as session:
        return summary.summary(session, shop.tenant, shop.row(checkout_id), T0)


@pytest.mark.parametrize("tax_inclusive", [False, True], ids=["tax_exclusive", "tax_inclusive"])
@pytest.mark.parametrize("trial", [False, True], ids=["paid_now", "trial"])
def test_the_summary_is_the_first_invoice_and_the_renewal(
    shop: Shop, tax_inclusive: bool, trial: bool
) -> None:
    shop.api.ok("PATCH", "/v1/account", json={"tax_inclusive": tax_inclusive})
    plan = shop.plan(
        4990,
        trial_days=14 if trial else 0,
        setup_fees=[{"currency": "RON", "amount": 1999}],
    )
    storage = shop.world.add_on(1250)
    coupon = shop.world.coupon(percent_off="15", duration="repeating", duration_in_periods=2)
    checkout_id = shop.checkout(
        plan, quantity="3", add_ons=[{"add_on": storage, "quantity": "2"}], coupon=coupon
    )

    # Before the subscriber is a customer, and again once the page has made one.
    before = quote(shop, checkout_id)
    card = shop.paying(checkout_id)
    shown = quote(shop, checkout_id)
    assert views.preview_out(before.first) == views.preview_out(shown.first)

    done = shop.complete(checkout_id, payment_method_id=card)
    assert done.status == "complete", done
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": done.subscription_id})[
        "data"
    ]
    assert totals(views.preview_out(shown.first).model_dump(mode="json")) == totals(invoice)
    assert shown.first.total == invoice["total"]["amount"] > 0
    discounted = shown.first.discount_total > 0
    assert discounted is not trial  # a trial bills only the setup fee, never discounted
    assert shown.pays_now

    with unit_of_work(shop.factory) as session:
        renewing = upcoming.invoice(
            session, shop.tenant, done.customer_id or "", done.subscription_id, T0
        )
    assert views.preview_out(shown.renewal) == views.preview_out(renewing)
    sub = shop.api.ok("GET", f"/v1/subscriptions/{done.subscription_id}")
    assert shown.renews_at.isoformat().replace("+00:00", "Z") == sub["current_period_end"]
    assert shown.renewal.discount_total > 0  # the coupon's second period (or its first)


def test_a_promotion_code_typed_by_the_subscriber_is_on_the_summary_and_the_invoice(
    shop: Shop,
) -> None:
    plan = shop.plan(10000)
    coupon = shop.world.coupon(amounts_off=[{"currency": "RON", "amount": 2500}], duration="once")
    shop.api.ok("POST", "/v1/promotion_codes", 201, json={"code": "SPRING", "coupon": coupon})
    checkout_id = shop.checkout(plan, allow_promotion_codes=True)
    with unit_of_work(shop.factory) as session:
        service.apply_promotion_code(session, shop.tenant, checkout_id, "SPRING", T0)
    shown = quote(shop, checkout_id)
    assert shown.first.discount_total == 2500
    assert shown.renewal.discount_total == 0  # once: the first invoice only
    done = shop.complete(checkout_id, payment_method_id=shop.paying(checkout_id))
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": done.subscription_id})[
        "data"
    ]
    assert totals(views.preview_out(shown.first).model_dump(mode="json")) == totals(invoice)


def test_the_summary_charges_the_vat_the_saved_details_decide(shop: Shop) -> None:
    # A seller in OSS: a consumer in Germany pays German VAT, on the summary and the invoice.
    shop.api.ok("PATCH", "/v1/account", json={"oss_registered": True})
    plan = shop.plan(10000)
    checkout_id = shop.checkout(plan)
    before = quote(shop, checkout_id)
    assert [line.rate for line in before.first.tax_lines] == [21]  # no details yet
    shop.details(checkout_id, HANS)
    shown = quote(shop, checkout_id)
    assert [line.rate for line in shown.first.tax_lines] == [19]
    assert [line.rate for line in shown.renewal.tax_lines] == [19]
    done = shop.complete(checkout_id, payment_method_id=shop.card(shop.customer(checkout_id)))
    (invoice,) = shop.api.ok("GET", "/v1/invoices", params={"subscription": done.subscription_id})[
        "data"
    ]
    assert totals(views.preview_out(shown.first).model_dump(mode="json")) == totals(invoice)
    assert invoice["total"]["amount"] == 11900
