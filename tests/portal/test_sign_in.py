"""Signing in to the portal: by an emailed link that works once within 15 minutes (the same
answer whether or not the address is known), by a session URL the merchant's API makes, then
a browser session that ends on sign-out, when idle, or when the customer is archived."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import Event, PortalSession
from recura.db.unit_of_work import unit_of_work
from recura.notifications.smtp import Mailer
from tests.conftest import Api
from tests.notifications.mailbox import Mailbox
from tests.own_database import database_url, engine, session_factory
from tests.portal.conftest import Page, emailed_link

# Each test a database of its own: the worker it runs finds only that test's rows.
__all__ = ["database_url", "engine", "session_factory"]


@pytest.fixture
def site(api: Api) -> str:
    # Slugs are unique across accounts, and tests share a database.
    slug = f"norditech-{uuid.uuid4().hex[:8]}"
    api.ok("PATCH", "/v1/account", json={"slug": slug})
    return f"/p/{slug}/test"


@pytest.fixture
def email() -> str:
    # Other tests' workers may send to this address too: each test has its own.
    return f"Ana.{uuid.uuid4().hex[:8]}@example.ro"


@pytest.fixture
def customer(api: Api, site: str, email: str) -> str:
    body = {"email": email.replace("example.ro", "Example.ro"), "name": "Ana Popescu"}
    body["locale"] = "ro"
    return str(api.ok("POST", "/v1/customers", 201, json=body)["id"])


def ask_for_link(
    client: TestClient, site: str, email: str, status: int = 200, **extra: str
) -> Page:
    form = Page(client.get(f"{site}/sign-in")).form()
    response = client.post(f"{site}/sign-in", data={**form, "email": email, **extra})
    assert response.status_code == status, response.text
    return Page(response)


def portal_sessions(factory: sessionmaker[Session], customer: str) -> list[PortalSession]:
    with unit_of_work(factory) as session:
        stmt = select(PortalSession).where(PortalSession.customer_id == customer)
        found = list(session.scalars(stmt))
        session.expunge_all()
    return found


def test_an_emailed_link_signs_in_once(
    api: Api,
    customer: str,
    site: str,
    email: str,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    client = api.client
    sent = ask_for_link(client, site, email.lower())
    assert "Verificați emailul" in sent.text  # the account's language, Romanian
    path = emailed_link(session_factory, mailer, mailbox, "sign_in", email)
    assert path.startswith("/portal/sign-in/")
    # Opening the link does not use it (mail scanners open links): a button does.
    page = Page(client.get(path))
    assert page.response.status_code == 200
    assert client.get(path).status_code == 200
    response = client.post(path, data=page.form(), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/portal")
    cookie = response.headers["set-cookie"]
    assert "recura_portal=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    home = Page(client.get("/portal"))
    assert home.response.status_code == 200
    assert "Ana Popescu" in home.text
    # The link is spent: a second use shows where to ask for another.
    gone = Page(client.post(path, data=page.form()))
    assert gone.response.status_code == 410
    assert f"{site}/sign-in" in gone.tree.xpath("//main//a/@href")


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    api: Api, customer: str, site: str, email: str, session_factory: sessionmaker[Session]
) -> None:
    known = ask_for_link(api.client, site, email.lower())
    unknown = ask_for_link(api.client, site, "nobody@example.ro")
    assert known.text.replace(email.lower(), "X") == unknown.text.replace("nobody@example.ro", "X")
    (only,) = portal_sessions(session_factory, customer)
    assert only.customer_id == customer
    assert only.link_expires_at - only.created_at == timedelta(minutes=15)
    with unit_of_work(session_factory) as session:
        (event,) = session.scalars(
            select(Event).where(Event.type == "portal_session.created", Event.object_id == only.id)
        )
        assert event.data["origin"] == "email"


def test_a_link_expires_after_15_minutes(
    api: Api,
    customer: str,
    site: str,
    email: str,
    clock: FixedClock,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    ask_for_link(api.client, site, email.lower())
    path = emailed_link(session_factory, mailer, mailbox, "sign_in", email)
    clock.advance(timedelta(minutes=15))
    assert api.client.get(path).status_code == 410


def test_a_bad_address_says_so_in_the_visitors_language(
    api: Api, customer: str, site: str, email: str
) -> None:
    page = ask_for_link(api.client, site, "not an address", status=422)
    assert "Introduceți o adresă de email" in page.text
    (field,) = page.tree.xpath('//input[@name="email"]')
    assert field.get("aria-invalid") == "true"
    english = api.client.get(f"{site}/sign-in?lang=en")
    assert "Sign in to your account" in english.text
    assert "recura_lang=en" in english.headers["set-cookie"]


def test_a_post_without_its_form_key_or_from_another_site_is_refused(
    api: Api, customer: str, site: str, email: str, session_factory: sessionmaker[Session]
) -> None:
    client = api.client
    form = Page(client.get(f"{site}/sign-in")).form()
    no_key = client.post(f"{site}/sign-in", data={"email": email})
    assert no_key.status_code == 403
    cross = client.post(
        f"{site}/sign-in",
        data={**form, "email": email},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403
    assert portal_sessions(session_factory, customer) == []


def test_a_filled_honeypot_gets_the_usual_answer_and_nothing_is_sent(
    api: Api, customer: str, site: str, email: str, session_factory: sessionmaker[Session]
) -> None:
    page = ask_for_link(api.client, site, email.lower(), website="http://spam.example")
    assert email.lower() in page.text
    assert portal_sessions(session_factory, customer) == []


def test_asking_too_often_is_refused_for_a_while(
    api: Api, customer: str, site: str, email: str
) -> None:
    for _ in range(5):
        ask_for_link(api.client, site, email.lower())
    refused = ask_for_link(api.client, site, email.lower(), status=429)
    assert "Prea multe încercări" in refused.text


def test_the_merchants_session_url_signs_in_once_within_the_hour(
    api: Api, customer: str, site: str, clock: FixedClock
) -> None:
    made = api.ok(
        "POST",
        "/v1/portal_sessions",
        201,
        json={"customer": customer, "return_url": "https://app.norditech.ro/account"},
    )
    assert made["object"] == "portal_session"
    path = made["url"].removeprefix("http://127.0.0.1:8000")
    response = api.client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/portal")
    home = Page(api.client.get("/portal"))
    assert "https://app.norditech.ro/account" in home.tree.xpath("//main//a/@href")
    assert api.client.get(path, follow_redirects=False).status_code == 410
    # An unused URL past its hour opens nothing.
    late = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": customer})["url"]
    clock.advance(timedelta(hours=1))
    assert api.client.get(late.removeprefix("http://127.0.0.1:8000")).status_code == 410


def test_a_portal_session_needs_a_live_customer_of_the_account(
    api: Api, customer: str, site: str
) -> None:
    missing = api.post("/v1/portal_sessions", json={"customer": "cus_nope"})
    assert missing.status_code == 404
    bad_url = api.post(
        "/v1/portal_sessions", json={"customer": customer, "return_url": "http://evil.example"}
    )
    assert bad_url.status_code == 422
    assert bad_url.json()["errors"][0]["pointer"] == "#/return_url"
    api.ok("POST", f"/v1/customers/{customer}/archive")
    assert api.post("/v1/portal_sessions", json={"customer": customer}).status_code == 409


def signed_in(api: Api, customer: str) -> TestClient:
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": customer})["url"]
    api.client.get(url.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    return api.client


def test_a_session_ends_after_30_idle_minutes_but_not_while_used(
    api: Api, customer: str, site: str, clock: FixedClock
) -> None:
    client = signed_in(api, customer)
    for _ in range(3):
        clock.advance(timedelta(minutes=20))
        assert client.get("/portal", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=30))
    ended = client.get("/portal", follow_redirects=False)
    assert (ended.status_code, ended.headers["location"]) == (303, f"{site}/sign-in?ended=1")


def test_archiving_the_customer_ends_their_sessions(api: Api, customer: str, site: str) -> None:
    client = signed_in(api, customer)
    api.ok("POST", f"/v1/customers/{customer}/archive")
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session(
    api: Api, customer: str, site: str, session_factory: sessionmaker[Session]
) -> None:
    client = signed_in(api, customer)
    home = Page(client.get("/portal"))
    cookie = client.cookies.get("recura_portal")
    response = client.post("/portal/sign-out", data=home.form(), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"{site}/sign-in?signed_out=1",
    )
    (row,) = portal_sessions(session_factory, customer)
    assert row.ended_at is not None
    # The old cookie, replayed, opens nothing.
    client.cookies.set("recura_portal", cookie or "")
    assert client.get("/portal", follow_redirects=False).status_code == 303


def test_pages_carry_a_strict_policy(api: Api, customer: str, site: str) -> None:
    response = api.client.get(f"{site}/sign-in")
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # served over http here
    assert api.client.get("/p/no-such-site/test/sign-in").status_code == 404


def test_the_email_carries_the_merchants_colour_logo_and_legal_links(
    api: Api,
    customer: str,
    site: str,
    email: str,
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    mailbox: Mailbox,
) -> None:
    from tests.api.v1.test_account_branding import PNG

    branding = {
        "brand_color": "#0b6e4f",
        "terms_url": "https://shop.example/termeni",
        "privacy_url": "https://shop.example/confidentialitate",
    }
    api.ok("PATCH", "/v1/account", json=branding)
    logo = api.ok("PUT", "/v1/account/logo", content=PNG, headers={"Content-Type": "image/png"})
    ask_for_link(api.client, site, email.lower())
    emailed_link(session_factory, mailer, mailbox, "sign_in", email)
    (received,) = mailbox.of("sign_in", email)
    html, text = received.part("html"), received.part("plain")
    assert "background:#0b6e4f" in html
    assert "/assets/logos/" in html
    assert logo["sha256"] in html
    assert 'href="https://shop.example/termeni"' in html
    assert "Termeni și condiții: https://shop.example/termeni" in text
    assert "https://shop.example/confidentialitate" in text
