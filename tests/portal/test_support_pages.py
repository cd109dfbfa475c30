"""Help in the portal: the subscriber's requests, a new one (about one of their invoices or
subscriptions if they like), its conversation with the merchant's answers, replying and
closing; errors next to their fields in the subscriber's language, form keys, another
customer's request, the hidden field bots fill, and the limit on how often."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event, SupportMessage, SupportRequest
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.support_requests import service as support
from recura.domains.support_requests.schemas import SUBJECT_MAX
from tests.conftest import T0, Api, Merchant
from tests.portal.conftest import PRICE, Page, Subscriber, get, post, subscriber


def sign_in(api: Api, customer: str) -> TestClient:
    """The test client, signed in as `customer` (through the merchant's session URL)."""
    url = api.ok("POST", "/v1/portal_sessions", 201, json={"customer": customer})["url"]
    response = api.client.get(url.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    assert response.status_code == 303
    return api.client


def neighbour(who: Subscriber, locale: str) -> Subscriber:
    """Another customer of the same merchant, on the same clock, with a subscription."""
    email = f"{locale}-{uuid.uuid4().hex[:8]}@example.ro"
    customer = who.world.customer(email=email, locale=locale)
    sub = who.world.subscribe(customer, who.world.plan(PRICE))["id"]
    return Subscriber(who.world, customer, sub, email)


def new_request(client: TestClient, status: int = 303, **fields: str) -> Any:
    form = get(client, "/portal/support").form("new-request-form")
    body = {
        **form,
        "category": "billing",
        "subject": "Plată dublă",
        "message": "Am fost taxată de două ori.",
        **fields,
    }
    response = client.post("/portal/support", data=body, follow_redirects=False)
    assert response.status_code == status, response.text
    return response


def requests_of(factory: sessionmaker[Session], customer: str) -> list[SupportRequest]:
    with unit_of_work(factory) as session:
        stmt = select(SupportRequest).where(SupportRequest.customer_id == customer)
        found = list(session.scalars(stmt))
        session.expunge_all()
    return found


def messages_of(factory: sessionmaker[Session], request_id: str) -> list[str]:
    with unit_of_work(factory) as session:
        stmt = (
            select(SupportMessage.body)
            .where(SupportMessage.request_id == request_id)
            .order_by(SupportMessage.id)
        )
        return list(session.scalars(stmt))


def test_a_request_about_an_invoice_is_sent_answered_replied_to_and_closed(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "ro")
    (invoice,) = who.world.invoices(who.subscription)
    client = sign_in(api, who.customer)
    empty = get(client, "/portal/support")
    assert "Nu ne-ați scris încă." in empty.text
    assert empty.tree.xpath('//a[@href="/portal/support"]/@aria-current') == ["page"]
    categories = empty.tree.xpath('//select[@name="category"]/option/text()')
    assert categories == [
        "Alegeți un subiect",
        "Facturare și plăți",
        "Problemă tehnică",
        "Contul meu",
        "Altceva",
    ]
    about = empty.tree.xpath('//select[@name="about"]//option/@value')
    assert about == ["", f"subscription:{who.subscription}", f"invoice:{invoice['id']}"]
    assert "Factura NDT-000001 din" in empty.text
    assert "Pro (Activ)" in empty.text

    sent = new_request(client, about=f"invoice:{invoice['id']}")
    (made,) = requests_of(session_factory, who.customer)
    assert sent.headers["location"] == f"/portal/support/{made.id}?sent=1"
    assert (made.category, made.subject, made.invoice_id) == (
        "billing",
        "Plată dublă",
        invoice["id"],
    )
    thread = get(client, sent.headers["location"])
    assert "Solicitarea a fost trimisă." in thread.text
    assert thread.tree.xpath("//h1/text()") == ["Plată dublă"]
    assert "În așteptarea răspunsului" in thread.text
    assert "Factura NDT-000001 din" in thread.text
    assert "Am fost taxată de două ori." in thread.text

    listed = get(client, "/portal/support")
    assert listed.tree.xpath("//ul[@class='requests']//a/text()") == ["Plată dublă"]
    assert "ultima activitate" in listed.text

    api.ok("POST", f"/v1/support_requests/{made.id}/reply", json={"body": "Verificăm acum."})
    answered = get(client, f"/portal/support/{made.id}")
    assert "Răspuns primit" in answered.text
    authors = answered.tree.xpath("//ol[@class='thread']//strong/text()")
    assert authors == ["Dumneavoastră", "Test Merchant SRL"]

    reply = answered.form("reply-form")
    replied = client.post(
        f"/portal/support/{made.id}/reply",
        data={**reply, "body": "Mulțumesc!\nAștept."},
        follow_redirects=False,
    )
    assert replied.headers["location"] == f"/portal/support/{made.id}?replied=1"
    # The same reply posted again (a double click) is written once.
    client.post(f"/portal/support/{made.id}/reply", data={**reply, "body": "Mulțumesc!\nAștept."})
    assert messages_of(session_factory, made.id) == [
        "Am fost taxată de două ori.",
        "Verificăm acum.",
        "Mulțumesc!\nAștept.",
    ]
    page = get(client, f"/portal/support/{made.id}?replied=1")
    assert "Răspunsul a fost trimis." in page.text

    closed = client.post(
        f"/portal/support/{made.id}/close", data=page.form("close-form"), follow_redirects=False
    )
    assert closed.headers["location"] == f"/portal/support/{made.id}?closed=1"
    after = get(client, closed.headers["location"])
    assert "Închisă" in after.text
    assert not after.tree.xpath('//form[@id="close-form"]')
    assert "Dacă scrieți un răspuns, se redeschide." in after.text
    with unit_of_work(session_factory) as session:
        kinds = list(
            session.scalars(select(Event.type).where(Event.object_id == made.id).order_by(Event.id))
        )
    assert kinds == [
        "support_request.created",
        "support_request.replied",
        "support_request.replied",
        "support_request.closed",
    ]


def test_mistakes_are_named_next_to_their_fields_in_english_and_romanian(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en")
    client = sign_in(api, who.customer)
    refused = Page(new_request(client, 422, category="", subject="  ", message="", about=""))
    errors = {
        e.get("id"): e.text_content() for e in refused.tree.xpath('//p[@class="field-error"]')
    }
    assert errors == {
        "category-error": "Choose what your question is about.",
        "subject-error": "Write a short subject.",
        "message-error": "Write your message.",
    }
    for name in ("category", "subject", "message"):
        (element,) = refused.tree.xpath(f'//*[@name="{name}"]')
        assert element.get("aria-invalid") == "true"
        assert f"{name}-error" in element.get("aria-describedby")
    assert requests_of(session_factory, who.customer) == []

    # What was typed stays; a subject too long and an invoice not theirs are named.
    other = neighbour(who, "en")
    (foreign,) = other.world.invoices(other.subscription)
    long = Page(
        new_request(
            client,
            422,
            subject="x" * (SUBJECT_MAX + 1),
            message="Keep me",
            about=f"invoice:{foreign['id']}",
        )
    )
    assert "The subject can be at most 200 characters long." in long.text
    assert "Choose one of your invoices or subscriptions from the list" in long.text
    assert long.tree.xpath('//textarea[@name="message"]/text()') == ["Keep me"]
    assert long.tree.xpath('//select[@name="category"]/option[@selected]/@value') == ["billing"]

    ro_page = get(client, "/portal/support?lang=ro")
    assert "Scrieți-ne" in ro_page.text
    in_ro = Page(new_request(client, 422, subject="", message="Bună"))
    assert "Scrieți un titlu scurt." in in_ro.text

    # A reply's mistakes too.
    made = new_request(client).headers["location"].split("?")[0]
    thread = get(client, made)
    bad = post(client, f"{made}/reply", {**thread.form("reply-form"), "body": " \n "}, status=422)
    assert "Scrieți mesajul." in bad.text
    (body,) = bad.tree.xpath('//textarea[@name="body"]')
    assert body.get("aria-invalid") == "true"


def test_posts_without_their_form_key_or_from_another_site_are_refused(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    form = get(client, "/portal/support").form("new-request-form")
    fields = {"category": "other", "subject": "Salut", "message": "Ceva"}
    no_key = client.post("/portal/support", data=fields)
    assert no_key.status_code == 403
    assert "Formularul nu a putut fi acceptat." in Page(no_key).text
    # What was typed is still there to send again.
    assert Page(no_key).tree.xpath('//input[@name="subject"]/@value') == ["Salut"]
    cross = client.post(
        "/portal/support", data={**form, **fields}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    assert requests_of(session_factory, who.customer) == []

    made = new_request(client).headers["location"].split("?")[0]
    assert client.post(f"{made}/reply", data={"body": "Alt mesaj"}).status_code == 403
    assert client.post(f"{made}/close", data={}).status_code == 403
    (row,) = requests_of(session_factory, who.customer)
    assert row.status == "open"
    assert messages_of(session_factory, row.id) == ["Am fost taxată de două ori."]
    # A key of another form does not do either.
    close_key = get(client, made).form("close-form")
    assert client.post(f"{made}/reply", data={**close_key, "body": "x"}).status_code == 403


def test_another_customers_request_is_not_found(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    theirs: Subscriber = subscriber(api, "en")
    client = sign_in(api, theirs.customer)
    path = new_request(client).headers["location"].split("?")[0]
    mine = neighbour(theirs, "en")
    client = sign_in(api, mine.customer)
    page = get(client, path, status=404)
    assert "Page not found" in page.text
    # The keys of this visitor's own forms, sent for the other customer's request.
    own = get(client, new_request(client).headers["location"])
    reply = client.post(f"{path}/reply", data={**own.form("reply-form"), "body": "Hi"})
    assert reply.status_code == 404
    assert client.post(f"{path}/close", data=own.form("close-form")).status_code == 404
    (row,) = requests_of(session_factory, theirs.customer)
    assert row.status == "open"
    assert messages_of(session_factory, row.id) == ["Am fost taxată de două ori."]
    assert get(client, "/portal/support/sr_nope", status=404)


def test_a_filled_hidden_field_is_answered_as_usual_and_nothing_is_recorded(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    response = new_request(client, website="http://spam.example")
    assert response.headers["location"] == "/portal/support?sent=1"
    assert "Solicitarea a fost trimisă." in get(client, response.headers["location"]).text
    assert requests_of(session_factory, who.customer) == []


def test_writing_too_often_is_refused_for_a_while(
    api: Api, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "ro")
    client = sign_in(api, who.customer)
    for n in range(10):
        new_request(client, subject=f"Întrebarea {n}")
    refused = Page(new_request(client, 429, subject="Încă una", message="Nu se pierde"))
    assert "Ați trimis multe mesaje într-un timp scurt." in refused.text
    assert refused.tree.xpath('//textarea[@name="message"]/text()') == ["Nu se pierde"]
    assert len(requests_of(session_factory, who.customer)) == 10
    # Replies count too: they email the merchant as well.
    made = requests_of(session_factory, who.customer)[0].id
    thread = get(client, f"/portal/support/{made}")
    late = post(
        client,
        f"/portal/support/{made}/reply",
        {**thread.form("reply-form"), "body": "Alo?"},
        status=429,
    )
    assert "Alo?" in late.text


def test_older_requests_are_a_page_away(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    who = subscriber(api, "en")
    client = sign_in(api, who.customer)
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        for n in range(21):
            support.open_request(
                session,
                tenant,
                who.customer,
                category="other",
                subject=f"Question {n}",
                message="?",
                now=T0,
            )
    first = get(client, "/portal/support")
    assert len(first.tree.xpath("//ul[@class='requests']/li")) == 20
    assert "Question 20" in first.text
    older = first.tree.xpath("//a[text()='Older requests']/@href")
    second = get(client, older[0])
    assert [a for a in second.tree.xpath("//ul[@class='requests']//a/text()")] == ["Question 0"]
    assert second.tree.xpath("//a[text()='Newest requests']/@href") == ["/portal/support"]
