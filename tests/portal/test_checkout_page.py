"""The hosted checkout page with the TestClient: details as a person or a company in both
languages, validation next to each field, promotion codes, a free plan, the sandbox's test
cards, a bank transfer, double submits, expired sessions, the public plan link and CSRF."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import stripe
from fastapi.testclient import TestClient

from recura.clock import FixedClock
from tests.conftest import T0, Api
from tests.fakes.processor_api import ProcessorApi
from tests.portal.conftest import Page, get
from tests.portal.test_processors import PUBLISHABLE_KEY, confirm_card, connect_stripe
from tests.scenarios.world import World

SUCCESS_URL = "https://shop.example.ro/welcome?session={CHECKOUT_SESSION_ID}"
ANA = {
    "email": "ana.popescu@example.ro",
    "name": "Ana Popescu",
    "kind": "individual",
    "line1": "Str. Memorandumului 28",
    "city": "Cluj-Napoca",
    "country": "RO",
    "county": "RO-CJ",
}
FIRMA = {
    "email": "contabil@firma.ro",
    "name": "Ion Ionescu",
    "kind": "company",
    "legal_name": "Firma Bună SRL",
    "vat_id": "RO18547290",
    "registration_number": "J40/12345/2020",
    "line1": "Bd. Unirii 10",
    "city": "București",
    "country": "RO",
    "county": "RO-B",
    "sector": "3",
}


@pytest.fixture
def world(api: Api) -> World:
    return World(api, T0, timezone="UTC", tax_rate="21")


def open_checkout(api: Api, plan: str, **body: Any) -> str:
    body = {"plan": plan, "success_url": SUCCESS_URL, **body}
    return str(api.ok("POST", "/v1/checkout_sessions", 201, json=body)["id"])


def page(client: TestClient, path: str, status: int = 200) -> Page:
    return get(client, path, status)


def send(client: TestClient, path: str, form: dict[str, str], status: int) -> Page:
    """A post's answer: a page, or a redirect (its `response` read alone)."""
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code == status, response.text
    return Page(response if response.text else _Blank(response))


class _Blank:
    def __init__(self, response: Any) -> None:
        self.headers = response.headers
        self.text = "<html><body></body></html>"


def fill_details(
    client: TestClient, checkout_id: str, details: dict[str, str], lang: str = "en"
) -> Page:
    """Post the details form as a browser would; returns the payment step."""
    form = page(client, f"/checkout/{checkout_id}?lang={lang}").form("details-form")
    response = client.post(f"/checkout/{checkout_id}", data=form | details, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/checkout/{checkout_id}/pay"
    return page(client, f"/checkout/{checkout_id}/pay")


def confirm(client: TestClient, checkout_id: str, pay: Page, **over: str) -> Any:
    form = pay.form("pay-form") | {"terms": "yes"} | over
    return client.post(f"/checkout/{checkout_id}/pay", data=form, follow_redirects=False)


def test_a_person_subscribes_in_romanian_with_a_sandbox_card(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(4900, name="Pro"), locale="ro")
    details = page(api.client, f"/checkout/{checkout_id}")
    assert details.tree.get("lang") == "ro"
    assert "Datele dumneavoastră" in details.text
    # The summary is the first invoice: 49.00 + 21% VAT, and the renewal.
    assert details.tree.get_element_by_id("due-today").text_content() == "59,29\xa0RON"
    assert "Apoi 59,29 RON pe lună, începând cu 15 februarie 2026." in details.text
    counties = details.tree.xpath('//select[@id="county"]/option/text()')
    assert "București" in counties
    assert "Cluj" in counties
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["stage"] == "opened"

    pay = fill_details(api.client, checkout_id, ANA, lang="ro")
    assert "Ana Popescu, ana.popescu@example.ro" in pay.text
    assert pay.radios("token")[0] == "tok_sandbox_visa"
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["stage"] == "details"
    done = confirm(api.client, checkout_id, pay)
    assert done.status_code == 303
    assert done.headers["location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", checkout_id)

    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    sub = session["result"]["subscription"]
    assert sub["status"] == "active"
    customer = session["result"]["customer"]
    assert (customer["email"], customer["locale"], customer["kind"]) == (
        ANA["email"],
        "ro",
        "individual",
    )

    # The back button and a second click: the same one subscription.
    again = confirm(api.client, checkout_id, pay)
    assert again.status_code == 303
    assert again.headers["location"] == done.headers["location"]
    closed = page(api.client, f"/checkout/{checkout_id}")
    assert "Sunteți abonat" in closed.text
    assert closed.link("continue-link").endswith(f"session={checkout_id}")
    listed = api.ok("GET", "/v1/subscriptions", params={"customer": customer["id"]})["data"]
    assert len(listed) == 1


def test_a_romanian_company_in_bucharest_subscribes_in_english(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(4900), locale="ro")
    pay = fill_details(api.client, checkout_id, FIRMA, lang="en")  # the switch to English
    assert pay.tree.get("lang") == "en"
    assert "Firma Bună SRL, RO18547290" in pay.text
    assert "Sector 3" in pay.text
    assert confirm(api.client, checkout_id, pay).status_code == 303
    customer = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]["customer"]
    assert customer["kind"] == "company"
    assert customer["legal_name"] == "Firma Bună SRL"
    assert customer["vat_id"] == "RO18547290"
    assert customer["address"]["county"] == "RO-B"
    assert customer["address"]["sector"] == 3
    assert customer["locale"] == "en"  # the language the subscriber chose


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "en",
            {
                "email": "This is not a valid email address.",
                "vat_id": "This is not a valid Romanian CUI: check its digits.",
                "sector": "Choose the Bucharest sector (1 to 6).",
                "city": "Enter the city.",
            },
        ),
        (
            "ro",
            {
                "email": "Adresa de email nu este validă.",
                "vat_id": "Codul unic de înregistrare (CUI) nu este valid: verificați cifrele.",
                "sector": "Alegeți sectorul din București (de la 1 la 6).",
                "city": "Introduceți localitatea.",
            },
        ),
    ],
)
def test_errors_are_shown_next_to_their_fields(
    api: Api, world: World, lang: str, texts: dict[str, str]
) -> None:
    checkout_id = open_checkout(api, world.plan(4900))
    form = page(api.client, f"/checkout/{checkout_id}?lang={lang}").form("details-form")
    wrong = FIRMA | {"email": "not-an-email", "vat_id": "12345", "sector": "", "city": ""}
    shown = send(api.client, f"/checkout/{checkout_id}", form | wrong, 422)
    for name, text in texts.items():
        field = shown.tree.get_element_by_id(name)
        assert field.get("aria-invalid") == "true"
        assert f"{name}-error" in field.get("aria-describedby")
        assert shown.tree.get_element_by_id(f"{name}-error").text_content() == text
    # What was typed stays in the form.
    assert shown.tree.get_element_by_id("legal_name").get("value") == "Firma Bună SRL"
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["stage"] == "opened"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "This is not a valid personal numeric code (CNP): check its 13 digits."),
        ("ro", "Codul numeric personal (CNP) nu este valid: verificați cele 13 cifre."),
    ],
)
def test_a_person_in_romania_gives_a_cnp_saved_on_the_customer(
    api: Api, world: World, lang: str, text: str
) -> None:
    checkout_id = open_checkout(api, world.plan(4900))
    form = page(api.client, f"/checkout/{checkout_id}?lang={lang}").form("details-form")
    assert form["national_id"] == ""
    shown = send(api.client, f"/checkout/{checkout_id}", form | ANA | {"national_id": "123"}, 422)
    field = shown.tree.get_element_by_id("national_id")
    assert field.get("aria-invalid") == "true"
    assert "national_id-error" in field.get("aria-describedby")
    assert shown.tree.get_element_by_id("national_id-error").text_content() == text
    assert field.get("value") == "123"  # as typed
    pay = fill_details(api.client, checkout_id, ANA | {"national_id": "1800101221144"}, lang)
    assert confirm(api.client, checkout_id, pay).status_code == 303
    customer = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]["customer"]
    assert (customer["kind"], customer["national_id"]) == ("individual", "1800101221144")


def test_a_county_outside_romania_and_a_persons_company_fields_are_ignored(
    api: Api, world: World
) -> None:
    checkout_id = open_checkout(api, world.plan(4900))
    abroad = ANA | {"country": "DE", "county": "RO-B", "sector": "2", "city": "Berlin"}
    abroad |= {"vat_id": "garbage"}  # typed as a company, then switched back to a person
    pay = fill_details(api.client, checkout_id, abroad)
    assert "Germany" in pay.text


def test_a_promotion_code_changes_the_first_invoice(api: Api, world: World) -> None:
    coupon = world.coupon(percent_off="20", duration="once")
    code = api.ok("POST", "/v1/promotion_codes", 201, json={"coupon": coupon, "code": "SPRING"})
    checkout_id = open_checkout(api, world.plan(4900), allow_promotion_codes=True, locale="ro")
    pay = fill_details(api.client, checkout_id, ANA, lang="ro")
    form = pay.form("code-form")

    wrong = send(
        api.client, f"/checkout/{checkout_id}/code", form | {"promotion_code": "NOPE"}, 422
    )
    error = wrong.tree.get_element_by_id("promotion_code-error").text_content()
    assert error == "Acest cod promoțional nu poate fi folosit."

    applied = send(
        api.client, f"/checkout/{checkout_id}/code", form | {"promotion_code": "spring"}, 303
    )
    assert applied.response.headers["location"].startswith(f"/checkout/{checkout_id}/pay")
    pay = page(api.client, f"/checkout/{checkout_id}/pay")
    assert "Codul promoțional SPRING a fost aplicat." in pay.text
    # 49.00 - 20% = 39.20, + 21% VAT = 47.43
    assert pay.tree.get_element_by_id("due-today").text_content() == "47,43\xa0RON"
    assert confirm(api.client, checkout_id, pay).status_code == 303
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["promotion_code"] == code["id"]
    invoices = api.ok("GET", "/v1/invoices", params={"subscription": session["subscription"]})
    assert invoices["data"][0]["total"]["amount"] == 4743


def test_a_free_plan_asks_for_no_payment_method(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(0))
    pay = fill_details(api.client, checkout_id, ANA)
    assert "No payment method is needed now." in pay.text
    assert "token" not in pay.form("pay-form")
    # Without the consent: asked for, next to the box.
    unticked = {k: v for k, v in pay.form("pay-form").items() if k != "terms"}
    refused = send(api.client, f"/checkout/{checkout_id}/pay", unticked, 422)
    assert refused.tree.get_element_by_id("terms-error").text_content() == (
        "Accept the terms to subscribe."
    )
    done = confirm(api.client, checkout_id, pay)
    assert done.headers["location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", checkout_id)
    thanks = page(api.client, f"/checkout/{checkout_id}/done")
    assert "You are subscribed to Pro." in thanks.text
    payment = api.ok("GET", "/v1/events", params={"type": "checkout.session.completed"})
    assert payment["data"][0]["data"]["payment"] == "not_required"


def test_a_trial_without_a_card_when_the_account_allows_it(api: Api, world: World) -> None:
    api.ok("PATCH", "/v1/account", json={"trial_requires_payment_method": False})
    checkout_id = open_checkout(api, world.plan(4900, trial_days=14))
    pay = fill_details(api.client, checkout_id, ANA)
    assert "Free trial until January 29, 2026." in pay.text
    assert "No payment method is needed now." in pay.text
    assert confirm(api.client, checkout_id, pay).status_code == 303
    sub = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["result"]["subscription"]
    assert sub["status"] == "trialing"


def test_a_declined_sandbox_card_can_be_replaced(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(4900))
    pay = fill_details(api.client, checkout_id, ANA)
    declined = confirm(api.client, checkout_id, pay, token="tok_sandbox_declined")
    assert declined.status_code == 402
    notice = Page(declined).tree.get_element_by_id("notice").text_content()
    assert notice == "Your payment was declined. Try another payment method."
    pay = page(api.client, f"/checkout/{checkout_id}/pay?new=1")
    assert confirm(api.client, checkout_id, pay, token="tok_sandbox_visa").status_code == 303
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"


def test_a_bank_transfer_shows_how_to_pay(api: Api, world: World) -> None:
    api.ok("PATCH", "/v1/account", json={"iban": "RO49AAAA1B31007593840000"})
    checkout_id = open_checkout(api, world.plan(4900), locale="ro")
    fill_details(api.client, checkout_id, ANA, lang="ro")
    pay = page(api.client, f"/checkout/{checkout_id}/pay?way=bank_transfer")
    assert pay.form("pay-form")["way"] == "bank_transfer"
    # Nothing is paid on the spot: the button promises the invoice, not a payment.
    (button,) = pay.tree.xpath('//button[@id="confirm"]')
    assert button.text_content() == "Abonați-vă și primiți factura de 59,29\xa0RON"
    done = confirm(api.client, checkout_id, pay)
    # Our own page, even with a success URL: it says how to pay.
    assert done.headers["location"] == f"/checkout/{checkout_id}/done"
    thanks = page(api.client, f"/checkout/{checkout_id}/done")
    transfer = thanks.tree.get_element_by_id("transfer").text_content()
    assert "RO49 AAAA 1B31 0075 9384 0000" in transfer
    assert "59,29\xa0RON" in transfer
    assert thanks.link("continue-link").endswith(f"session={checkout_id}")


def test_an_expired_checkout_says_so(api: Api, world: World, clock: FixedClock) -> None:
    api.ok("PATCH", "/v1/account", json={"slug": f"shop-{uuid.uuid4().hex[:8]}"})
    checkout_id = open_checkout(api, world.plan(4900), cancel_url="https://shop.example.ro/")
    pay_form = fill_details(api.client, checkout_id, ANA).form("pay-form")
    clock.advance(timedelta(hours=25))
    expired = page(api.client, f"/checkout/{checkout_id}", 410)
    assert "This checkout has expired." in expired.text
    assert expired.link("cancel-link") == "https://shop.example.ro/"
    late = send(api.client, f"/checkout/{checkout_id}/pay", pay_form | {"terms": "yes"}, 410)
    assert "This checkout has expired." in late.text
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["subscription"] is None


def test_an_unknown_checkout_is_not_found(api: Api) -> None:
    page(api.client, "/checkout/cs_nothing", 404)


def test_forms_without_their_key_are_refused(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(0))
    form = page(api.client, f"/checkout/{checkout_id}").form("details-form")
    refused = send(api.client, f"/checkout/{checkout_id}", form | ANA | {"form_key": "x"}, 403)
    assert "form" in refused.text.lower()
    pay = fill_details(api.client, checkout_id, ANA)
    forged = pay.form("pay-form") | {"terms": "yes", "form_key": "forged"}
    send(api.client, f"/checkout/{checkout_id}/pay", forged, 403)
    # Another site's page posting with the visitor's cookie.
    response = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=pay.form("pay-form") | {"terms": "yes"},
        headers={"sec-fetch-site": "cross-site"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["status"] == "open"


def test_the_honeypot_keeps_nothing(api: Api, world: World) -> None:
    checkout_id = open_checkout(api, world.plan(0))
    form = page(api.client, f"/checkout/{checkout_id}").form("details-form")
    send(api.client, f"/checkout/{checkout_id}", form | ANA | {"website": "spam"}, 303)
    assert api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")["stage"] == "opened"


def test_the_public_plan_link_opens_a_session(api: Api, world: World) -> None:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    api.ok("PATCH", "/v1/account", json={"slug": slug})
    plan = world.plan(4900)
    path = f"/p/{slug}/test/checkout/{plan}?lang=ro&utm_source=newsletter&utm_campaign=spring"
    response = api.client.get(path, follow_redirects=False)
    assert response.status_code == 303
    checkout_id = response.headers["location"].removeprefix("/checkout/")
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert (session["plan"], session["locale"], session["allow_promotion_codes"]) == (
        plan,
        "ro",
        True,
    )
    assert session["acquisition"] == {
        "channel": "plan_link",
        "utm_source": "newsletter",
        "utm_campaign": "spring",
    }
    # Its success page is ours, with the way into the portal.
    pay = fill_details(api.client, checkout_id, ANA, lang="ro")
    done = confirm(api.client, checkout_id, pay)
    assert done.headers["location"] == f"/checkout/{checkout_id}/done"
    thanks = page(api.client, f"/checkout/{checkout_id}/done")
    assert thanks.link("sign-in-link") == f"/p/{slug}/test/sign-in"

    # A live link names no test plan; an unknown plan or currency is not found.
    assert api.client.get(f"/p/{slug}/checkout/{plan}").status_code == 404
    assert api.client.get(f"/p/{slug}/test/checkout/plan_nothing").status_code == 404
    assert api.client.get(f"/p/{slug}/test/checkout/{plan}?currency=JPY").status_code == 404


def test_a_card_saved_through_stripe_pays_the_first_invoice(
    api: Api, world: World, stripe_api: ProcessorApi, stripe_client: stripe.StripeClient
) -> None:
    connect_stripe(api)
    checkout_id = open_checkout(api, world.plan(4900))
    details = page(api.client, f"/checkout/{checkout_id}")
    assert "js.stripe.com" not in details.response.headers["content-security-policy"]
    pay = fill_details(api.client, checkout_id, ANA)
    (form,) = pay.tree.xpath('//form[@id="card-form"]')
    assert pay.tree.xpath("//script/@src") == ["https://js.stripe.com/v3/", "/assets/card.js"]
    policy = pay.response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "https://js.stripe.com" in policy
    assert "form-action 'self' https://shop.example.ro" in policy
    method_id = confirm_card(stripe_client, form.get("data-client-secret"), "4242424242424242")
    done = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=pay.form("card-form") | {"token": method_id, "terms": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"
    (saved,) = api.ok("GET", f"/v1/customers/{session['customer']}/payment_methods")["data"]
    assert (saved["gateway"], saved["last4"]) == ("stripe", "4242")


def saved_card_needing_3ds(client: stripe.StripeClient, client_secret: str, number: str) -> str:
    """What Stripe.js does with a card whose bank asks for 3-D Secure when it is saved: the
    SetupIntent confirmed, the challenge passed, confirmed again."""
    setup_intent = client_secret.split("_secret_")[0]
    params: Any = {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    }
    method = client.v1.payment_methods.create(params)
    first = client.v1.setup_intents.confirm(setup_intent, {"payment_method": method.id})
    assert first.status == "requires_action"
    assert client.v1.setup_intents.confirm(setup_intent).status == "succeeded"
    return method.id


def bank_challenge(localstripe: str, client_secret: str, *, passed: bool) -> None:
    """What Stripe.js's confirmCardPayment does with localstripe: the bank's challenge,
    passed or failed, for the PaymentIntent the secret names."""
    intent = client_secret.split("_secret_")[0]
    answer = httpx.post(
        f"{localstripe}/v1/payment_intents/{intent}/_authenticate",
        params={"success": "true" if passed else "false"},
        json={"key": PUBLISHABLE_KEY, "client_secret": client_secret},
    )
    assert answer.status_code == 200, answer.text


def three_d_secure_checkout(
    api: Api, world: World, stripe_client: stripe.StripeClient
) -> tuple[str, Page]:
    """A checkout whose card asks for 3-D Secure on every charge, confirmed: the page the
    subscriber is sent to, holding what Stripe.js needs."""
    connect_stripe(api)
    checkout_id = open_checkout(api, world.plan(4900))
    pay = fill_details(api.client, checkout_id, ANA)
    (form,) = pay.tree.xpath('//form[@id="card-form"]')
    card = saved_card_needing_3ds(stripe_client, form.get("data-client-secret"), "4000002760003184")
    confirmed = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=pay.form("card-form") | {"token": card, "terms": "yes"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"] == f"/checkout/{checkout_id}/pay"
    waiting = page(api.client, f"/checkout/{checkout_id}/pay")
    assert waiting.tree.get_element_by_id("notice").text_content() == (
        "Your bank asks you to confirm this payment."
    )
    assert waiting.tree.xpath("//script/@src") == ["https://js.stripe.com/v3/", "/assets/card.js"]
    assert "https://js.stripe.com" in waiting.response.headers["content-security-policy"]
    assert waiting.tree.xpath('//form[@id="card-form"]') == []  # no second charge from here
    # Without JavaScript the page says what is needed, and offers another card.
    needs_js = waiting.tree.get_element_by_id("card-action-needs-js").text_content()
    assert needs_js.startswith("Your bank asks you to confirm this payment, which needs JavaScript")
    assert waiting.tree.get_element_by_id("other-method").get("href").endswith("&new=1")
    return checkout_id, waiting


def test_a_card_asking_for_3d_secure_completes_after_the_challenge(
    api: Api,
    world: World,
    stripe_api: ProcessorApi,
    stripe_client: stripe.StripeClient,
    localstripe: str,
) -> None:
    checkout_id, waiting = three_d_secure_checkout(api, world, stripe_client)
    box = waiting.tree.get_element_by_id("card-action")
    secret = box.get("data-client-secret")
    assert secret.startswith("pi_")
    assert box.get("data-payment-method").startswith("pm_")
    assert box.get("data-return-url") == f"/checkout/{checkout_id}/pay?authenticated=1"
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "open"
    (sub,) = api.ok("GET", "/v1/subscriptions", params={"customer": session["customer"]})["data"]
    assert sub["status"] == "incomplete"  # nothing granted until the bank has said yes

    bank_challenge(localstripe, secret, passed=True)
    back = api.client.get(f"/checkout/{checkout_id}/pay?authenticated=1", follow_redirects=False)

    assert back.status_code == 303
    assert back.headers["location"] == f"https://shop.example.ro/welcome?session={checkout_id}"
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    assert session["result"]["subscription"]["status"] == "active"
    customer = session["customer"]
    payments = api.ok("GET", "/v1/payments", params={"customer": customer})["data"]
    assert [p["status"] for p in payments] == ["succeeded"]  # the same PaymentIntent, confirmed
    events = [e["type"] for e in world.events(checkout_id)]
    assert events.count("checkout.session.completed") == 1


def test_a_failed_3d_secure_challenge_says_so_and_another_card_pays(
    api: Api,
    world: World,
    stripe_api: ProcessorApi,
    stripe_client: stripe.StripeClient,
    localstripe: str,
) -> None:
    checkout_id, waiting = three_d_secure_checkout(api, world, stripe_client)
    secret = waiting.tree.get_element_by_id("card-action").get("data-client-secret")

    bank_challenge(localstripe, secret, passed=False)
    back = page(api.client, f"/checkout/{checkout_id}/pay?authenticated=1")

    assert back.tree.get_element_by_id("notice").text_content() == (
        "Your payment was declined. Try another payment method."
    )
    assert back.tree.xpath('//*[@id="card-action"]') == []
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "open"
    (sub,) = api.ok("GET", "/v1/subscriptions", params={"customer": session["customer"]})["data"]
    assert sub["status"] == "incomplete"

    other = page(api.client, f"/checkout/{checkout_id}/pay?new=1")
    (form,) = other.tree.xpath('//form[@id="card-form"]')
    card = confirm_card(stripe_client, form.get("data-client-secret"), "4242424242424242")
    done = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=other.form("card-form") | {"token": card, "terms": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["status"] == "complete"
    assert session["result"]["subscription"]["id"] == sub["id"]  # no second subscription
    assert session["result"]["subscription"]["status"] == "active"
    payments = api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]
    assert sorted(p["status"] for p in payments) == ["failed", "succeeded"]


def test_an_abandoned_challenge_is_canceled_when_another_card_pays(
    api: Api,
    world: World,
    stripe_api: ProcessorApi,
    stripe_client: stripe.StripeClient,
    localstripe: str,
) -> None:
    checkout_id, waiting = three_d_secure_checkout(api, world, stripe_client)
    secret = waiting.tree.get_element_by_id("card-action").get("data-client-secret")
    intent = secret.split("_secret_")[0]

    # The subscriber leaves the bank's page unanswered and pays with another card.
    other = page(api.client, f"/checkout/{checkout_id}/pay?new=1")
    (form,) = other.tree.xpath('//form[@id="card-form"]')
    card = confirm_card(stripe_client, form.get("data-client-secret"), "4242424242424242")
    done = api.client.post(
        f"/checkout/{checkout_id}/pay",
        data=other.form("card-form") | {"token": card, "terms": "yes"},
        follow_redirects=False,
    )

    assert done.status_code == 303, done.text
    session = api.ok("GET", f"/v1/checkout_sessions/{checkout_id}")
    assert session["result"]["subscription"]["status"] == "active"
    payments = api.ok("GET", "/v1/payments", params={"customer": session["customer"]})["data"]
    by_status = {p["status"]: p for p in payments}
    assert sorted(by_status) == ["failed", "succeeded"]
    assert by_status["failed"]["failure_code"] == "canceled"
    # At Stripe the first PaymentIntent is canceled: the bank's page, answered late, can no
    # longer charge the card a second time.
    assert stripe_client.v1.payment_intents.retrieve(intent).status == "canceled"
    late = httpx.post(
        f"{localstripe}/v1/payment_intents/{intent}/_authenticate",
        params={"success": "true"},
        json={"key": PUBLISHABLE_KEY, "client_secret": secret},
    )
    assert late.status_code >= 400 or late.json().get("status") != "succeeded"
    assert stripe_client.v1.payment_intents.retrieve(intent).status == "canceled"
