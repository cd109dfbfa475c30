"""The page behind the payment-failed email's link, with the sandbox: the subscriber sees
what is overdue, saves a good test card, and the invoice is paid at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import PaymentMethod
from recura.db.unit_of_work import unit_of_work
from recura.notifications.smtp import Mailer
from tests.conftest import Api, Merchant
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import TOTAL, emailed_link, get, post, sign, subscriber

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]

SAYS = {
    "en": {
        "title": "Update your payment method",
        "current": "Current payment method: Visa card ending in 0002, valid until December 2099.",
        "overdue": "Invoice NDT-000001: RON 59.29",
        "saved": "Your payment method was saved: Mastercard card ending in 4444",
        "paid": "Invoice NDT-000001 (RON 59.29) was paid. Thank you!",
        "declined": "The new payment method was declined for invoice NDT-000001 (RON 59.29).",
    },
    "ro": {
        "title": "Actualizați metoda de plată",
        "current": "Metoda de plată actuală: card Visa terminat în 0002, valabil până în "
        "decembrie 2099.",
        "overdue": "Factura NDT-000001: 59,29 RON",
        "saved": "Metoda de plată a fost salvată: card Mastercard terminat în 4444",
        "paid": "Factura NDT-000001 (59,29 RON) a fost plătită. Vă mulțumim!",
        "declined": "Noua metodă de plată a fost refuzată pentru factura NDT-000001 (59,29 RON).",
    },
}


@pytest.mark.parametrize("locale", ["en", "ro"])
def test_a_new_card_from_the_emailed_link_pays_the_overdue_invoice(
    api: Api,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
    locale: str,
) -> None:
    who = subscriber(api, locale, card="tok_sandbox_declined")
    (invoice,) = who.world.invoices(who.subscription)
    assert (invoice["status"], invoice["attempt_count"]) == ("open", 1)
    assert who.world.subscription(who.subscription)["status"] == "past_due"
    path = emailed_link(session_factory, mailer, mailbox, "payment_failed", who.email)
    assert path.startswith("/portal/payment-method/")
    says = SAYS[locale]

    page = get(api.client, path)
    assert page.tree.get("lang") == locale
    for text in ("title", "current", "overdue"):
        assert says[text] in page.text
    assert "Ana Popescu" in page.text
    assert "tok_sandbox_mastercard" in page.radios("token")

    # Another declining card first: saved, tried at once, declined; the form is offered again.
    form = page.form("sandbox-form") | {"token": "tok_sandbox_insufficient_funds"}
    declined = post(api.client, path, form)
    assert says["declined"] in declined.text
    assert declined.form("sandbox-form")["form_key"] == form["form_key"]
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"

    done = post(api.client, path, form | {"token": "tok_sandbox_mastercard"})
    assert says["saved"] in done.text
    assert says["paid"] in done.text
    assert done.tree.xpath("//form") == []  # nothing more to do
    paid = api.ok("GET", f"/v1/invoices/{invoice['id']}")
    assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", TOTAL)
    assert who.world.subscription(who.subscription)["status"] == "active"
    attempts = api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]
    assert [(p["attempt"], p["status"]) for p in attempts] == [
        (3, "succeeded"),
        (2, "failed"),
        (1, "failed"),
    ]
    listed = api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"]
    default = [m for m in listed if m["default"]]
    assert [(m["last4"], m["brand"]) for m in default] == [("4444", "mastercard")]

    # Sent again (a reload of the result): nothing is charged twice.
    again = post(api.client, path, form | {"token": "tok_sandbox_mastercard"})
    assert says["paid"] not in again.text
    assert len(api.ok("GET", "/v1/payments", params={"invoice": invoice["id"]})["data"]) == 3


def test_without_anything_overdue_the_card_is_only_saved(api: Api, merchant: Merchant) -> None:
    """As after the card-expiring email: the subscription is paid up."""
    who = subscriber(api, "en", card="tok_sandbox_visa_exp_2026_02")
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"
    page = get(api.client, path)
    assert "Visa card ending in 4242, valid until February 2026." in page.text
    assert "waiting to be paid" not in page.text
    done = post(api.client, path, page.form("sandbox-form") | {"token": "tok_sandbox_mastercard"})
    assert "Your payment method was saved: Mastercard card ending in 4444" in done.text
    assert "was paid" not in done.text
    assert "Current payment method: Mastercard card ending in 4444" in done.text


def test_forms_from_elsewhere_are_refused(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en", card="tok_sandbox_declined")
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"
    form = get(api.client, path).form("sandbox-form") | {"token": "tok_sandbox_visa"}
    refused = [
        ({**form, "form_key": "0" * 64}, {}),
        ({k: v for k, v in form.items() if k != "form_key"}, {}),
        (form, {"Sec-Fetch-Site": "cross-site"}),
        (form, {"Origin": "https://evil.example"}),
    ]
    for data, headers in refused:
        response = api.client.post(path, data=data, headers=headers)
        assert response.status_code == 403, (data, headers)
        assert "This form could not be accepted" in response.text
    with unit_of_work(session_factory) as session:
        stmt = select(PaymentMethod).where(PaymentMethod.customer_id == who.customer)
        assert len(session.scalars(stmt).all()) == 1  # the declining card only
    # What a browser sends for the page's own form is accepted.
    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    assert api.client.post(path, data=form, headers=same_site).status_code == 200


def test_a_token_the_processor_refuses_saves_nothing(api: Api, merchant: Merchant) -> None:
    who = subscriber(api, "ro", card=None)
    path = f"/portal/payment-method/{sign(merchant, 'update_payment_method', who)}"
    form = get(api.client, path).form("sandbox-form")
    refused = post(api.client, path, form | {"token": "tok_made_up"}, status=422)
    assert "Metoda de plată nu a putut fi salvată." in refused.text
    assert refused.form("sandbox-form")  # offered again
    # A post without a token (the card page's form when Stripe.js did not run) says why.
    empty = post(api.client, path, {"form_key": form["form_key"]})
    assert "Introducerea cardului necesită JavaScript." in empty.text
    assert api.ok("GET", f"/v1/customers/{who.customer}/payment_methods")["data"] == []
