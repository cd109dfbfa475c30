"""The signed-in portal's billing details: saved through the customers domain with the
checkout's rules, every problem next to its field in the visitor's language; and the
email change, which takes effect only through the link sent to the new address, opened
once, within a day, by the signed-in customer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EmailChange, Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.events.payloads import EventType
from recura.notifications.smtp import Mailer
from tests.conftest import Api, Merchant
from tests.event_contract import check_recorded
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import Page, emailed_link, get, post, subscriber
from tests.portal.test_billing import another, sign_in

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


@pytest.fixture
def slug(api: Api) -> str:
    found = f"norditech-{uuid.uuid4().hex[:8]}"
    api.ok("PATCH", "/v1/account", json={"slug": found})
    return found


def invalid_fields(page: Page) -> dict[str, str]:
    """Each field marked invalid and the text of the error it points to."""
    found = {}
    for field in page.tree.xpath("//*[@aria-invalid='true']"):
        (error_id, *_) = field.get("aria-describedby").split()
        found[field.get("name")] = page.tree.get_element_by_id(error_id).text_content()
    return found


COMPANY = {
    "name": "Ana Popescu",
    "kind": "company",
    "legal_name": "Norditech Software SRL",
    "vat_id": "RO 18547290",
    "registration_number": "J40/12345/2020",
    "country": "RO",
    "county": "RO-B",
    "sector": "3",
    "city": "București",
    "postal_code": "030031",
    "line1": "Str. Lipscani 10",
    "line2": "",
    "locale": "en",
}


def test_a_company_in_bucharest_is_saved_and_shown_in_the_chosen_language(api: Api) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    page = get(client, "/portal/details")
    assert page.tree.get("lang") == "ro"
    assert page.tree.xpath("//h1")[0].text_content() == "Date de facturare"
    form = page.form("details-form")
    assert form["name"] == "Ana Popescu"
    saved = post(client, "/portal/details", {**form, **COMPANY})
    assert "Your billing details were saved." in saved.text  # now in English, as chosen
    customer = api.ok("GET", f"/v1/customers/{who.customer}")
    assert customer["kind"] == "company"
    assert customer["legal_name"] == "Norditech Software SRL"
    assert customer["vat_id"] == "RO18547290"
    assert customer["registration_number"] == "J40/12345/2020"
    assert customer["locale"] == "en"
    assert customer["address"]["county"] == "RO-B"
    assert customer["address"]["sector"] == 3
    assert customer["email"] == who.email  # the address changes apart
    again = Page(client.get("/portal/details"))
    assert again.form("details-form")["vat_id"] == "RO18547290"
    (sector,) = again.tree.xpath("//select[@name='sector']/option[@selected]")
    assert sector.get("value") == "3"


def test_problems_are_shown_next_to_their_fields_in_romanian(api: Api) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    form = get(client, "/portal/details").form("details-form")
    bad = {
        **COMPANY,
        "legal_name": "",
        "vat_id": "12345678",
        "registration_number": "X",
        "county": "RO-B",
        "sector": "",
        "city": "",
        "locale": "ro",
    }
    page = post(client, "/portal/details", {**form, **bad}, status=422)
    errors = invalid_fields(page)
    assert errors == {
        "legal_name": "Introduceți denumirea firmei.",
        "vat_id": "Codul unic de înregistrare (CUI) nu este valid: verificați cifrele.",
        "registration_number": "Numărul de înregistrare la Registrul Comerțului nu este valid "
        "(de exemplu J40/12345/2020).",
        "sector": "Alegeți sectorul din București (de la 1 la 6).",
        "city": "Introduceți localitatea.",
    }
    assert page.form("details-form")["registration_number"] == "X"  # as typed
    assert api.ok("GET", f"/v1/customers/{who.customer}")["kind"] == "individual"
    # In English, a county that is not Romania's for a Romanian address.
    english = post(
        client,
        "/portal/details?lang=en",
        {**form, **COMPANY, "county": "DE-BY", "sector": ""},
        status=422,
    )
    assert invalid_fields(english) == {"county": "Choose a county from the list."}


PERSON = {
    **COMPANY,
    "kind": "individual",
    "legal_name": "",
    "vat_id": "",
    "registration_number": "",
    "county": "RO-CJ",
    "sector": "",
    "city": "Cluj-Napoca",
    "postal_code": "400114",
    "line1": "Str. Memorandumului 28",
    "locale": "ro",
}
CNP = "1800101221144"


def test_a_person_in_romania_gives_a_cnp_checked_in_either_language(api: Api) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    form = get(client, "/portal/details").form("details-form")
    assert form["national_id"] == ""
    wrong = {**PERSON, "national_id": "1800101221145"}  # a wrong check digit
    page = post(client, "/portal/details", {**form, **wrong}, status=422)
    assert invalid_fields(page) == {
        "national_id": "Codul numeric personal (CNP) nu este valid: verificați cele 13 cifre."
    }
    assert page.form("details-form")["national_id"] == "1800101221145"  # as typed
    english = post(client, "/portal/details?lang=en", {**form, **wrong}, status=422)
    assert invalid_fields(english) == {
        "national_id": "This is not a valid personal numeric code (CNP): check its 13 digits."
    }
    assert api.ok("GET", f"/v1/customers/{who.customer}")["national_id"] is None
    post(client, "/portal/details", {**form, **PERSON, "national_id": f" {CNP} "})
    assert api.ok("GET", f"/v1/customers/{who.customer}")["national_id"] == CNP
    assert get(client, "/portal/details").form("details-form")["national_id"] == CNP
    # A company is named by its CUI: a CNP left in the hidden field is not kept.
    post(client, "/portal/details", {**form, **COMPANY, "national_id": "1800101221145"})
    assert api.ok("GET", f"/v1/customers/{who.customer}")["national_id"] is None


def test_a_post_without_its_form_key_changes_nothing(api: Api) -> None:
    who = subscriber(api, "en")
    client = sign_in(api, who.customer)
    page = get(client, "/portal/details")
    refused = post(client, "/portal/details", {**COMPANY}, status=403)
    assert "form" in refused.text.lower()
    wrong = post(client, "/portal/details", {**page.form("email-form"), **COMPANY}, status=403)
    assert wrong.response.status_code == 403
    cross = client.post(
        "/portal/details",
        data={**page.form("details-form"), **COMPANY},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert api.ok("GET", f"/v1/customers/{who.customer}")["kind"] == "individual"
    email = client.post("/portal/details/email", data={"email": "x@example.ro"})
    assert email.status_code == 403


def test_the_email_changes_through_the_link_sent_to_the_new_address(
    api: Api,
    merchant: Merchant,
    slug: str,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    who = subscriber(api, "ro")
    new = f"ana.noua-{uuid.uuid4().hex[:8]}@example.ro"
    client = sign_in(api, who.customer)
    page = get(client, "/portal/details")
    bad = post(
        client, "/portal/details/email", {**page.form("email-form"), "email": "nu"}, status=422
    )
    assert invalid_fields(bad) == {"email": "Adresa de email nu este validă."}
    same = post(
        client,
        "/portal/details/email",
        {**page.form("email-form"), "email": who.email.upper()},
        status=422,
    )
    assert invalid_fields(same) == {"email": "Aceasta este deja adresa dumneavoastră de email."}
    sent = post(client, "/portal/details/email", {**page.form("email-form"), "email": new})
    assert f"Am trimis un link la {new}" in sent.text
    assert api.ok("GET", f"/v1/customers/{who.customer}")["email"] == who.email

    path = emailed_link(session_factory, mailer, mailbox, "email_change", new)
    assert path.startswith("/portal/email-change/")
    assert mailbox.of("email_change", who.email) == []  # only the new address gets it
    (received,) = mailbox.of("email_change", new)
    assert "Confirmați noua adresă de email" in received.message["Subject"]

    # Opened without the customer's session (a mail scanner, another browser): nothing
    # changes, and the page says to sign in first.
    client.cookies.clear()
    asked = get(client, path)
    assert asked.link("sign-in") == f"/p/{slug}/test/sign-in"
    assert api.ok("GET", f"/v1/customers/{who.customer}")["email"] == who.email

    client = sign_in(api, who.customer)
    done = get(client, path)
    assert f"Adresa dumneavoastră de email este acum {new}" in done.text
    assert api.ok("GET", f"/v1/customers/{who.customer}")["email"] == new
    used = get(client, path, status=410)
    assert "Acest link a fost deja folosit." in used.text
    with unit_of_work(session_factory) as session:
        (change,) = session.scalars(
            select(EmailChange).where(EmailChange.customer_id == who.customer)
        )
        assert change.confirmed_at is not None
        kinds = set(
            session.scalars(
                select(Event.type).where(
                    Event.account_id == change.account_id,
                    Event.object_id.in_([change.id, who.customer]),
                )
            )
        )
    assert {"customer.email_change_requested", "customer.updated"} <= kinds
    seen = check_recorded(session_factory, merchant.account_id, api.client.app)  # type: ignore[arg-type]
    assert EventType.CUSTOMER_EMAIL_CHANGE_REQUESTED in seen


def test_a_link_for_another_customer_or_too_late_changes_nothing(
    api: Api,
    slug: str,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    who = subscriber(api, "en")
    other = another(who)
    new = f"late-{uuid.uuid4().hex[:8]}@example.ro"
    client = sign_in(api, who.customer)
    form = get(client, "/portal/details").form("email-form")
    post(client, "/portal/details/email", {**form, "email": new})
    path = emailed_link(session_factory, mailer, mailbox, "email_change", new)
    # Signed in as someone else: asked to sign in as the right customer.
    client = sign_in(api, other.customer)
    assert get(client, path).tree.xpath("//*[@id='sign-in']")
    assert api.ok("GET", f"/v1/customers/{who.customer}")["email"] == who.email
    # A day later the link no longer works.
    clock.advance(timedelta(hours=24))
    client = sign_in(api, who.customer)
    assert client.get(path).status_code == 404
    assert api.ok("GET", f"/v1/customers/{who.customer}")["email"] == who.email
