"""Support requests through the domain, as the portal and the API call it: opening,
replies on both sides and what they do to the status, closing, the customer's scope, and
every input refused with the field it is about. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event, SupportMessage
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.support_requests import categories
from recura.domains.support_requests import service as support
from recura.domains.support_requests.schemas import MESSAGE_MAX, SUBJECT_MAX
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.factories import open_support_request

HOUR = timedelta(hours=1)


def subscriber(api: Api, plan: str, email: str) -> dict[str, str]:
    """A customer paying a subscription: its id, its subscription's and its invoice's."""
    customer = api.ok("POST", "/v1/customers", 201, json={"email": email, "name": "Ana"})["id"]
    card = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
    api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=card)
    sub = api.ok("POST", "/v1/subscriptions", 201, json={"customer": customer, "plan": plan})
    invoice = api.ok("GET", "/v1/invoices", params={"subscription": sub["id"]})["data"][0]
    return {"customer": customer, "subscription": sub["id"], "invoice": invoice["id"]}


def a_plan(api: Api) -> str:
    product = api.ok("POST", "/v1/products", 201, json={"name": "CRM"})["id"]
    body = {
        "product": product,
        "code": "pro",
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 4900}],
    }
    plan: str = api.ok("POST", "/v1/plans", 201, json=body)["id"]
    return plan


@pytest.fixture
def tenant(merchant: Merchant) -> Tenant:
    return Tenant(merchant.account_id, False)


@pytest.fixture
def people(api: Api) -> dict[str, dict[str, str]]:
    plan = a_plan(api)
    return {
        "ana": subscriber(api, plan, "ana@example.ro"),
        "ion": subscriber(api, plan, "ion@example.ro"),
    }


def events_of(factory: sessionmaker[Session], request_id: str) -> list[tuple[str, Any]]:
    with unit_of_work(factory) as session:
        stmt = select(Event).where(Event.object_id == request_id).order_by(Event.id)
        return [(e.type, e.data) for e in session.scalars(stmt)]


def test_a_conversation_from_opening_to_closing(
    session_factory: sessionmaker[Session], tenant: Tenant, people: dict[str, dict[str, str]]
) -> None:
    ana = people["ana"]
    with unit_of_work(session_factory) as session:
        opened = support.open_request(
            session,
            tenant,
            ana["customer"],
            category="billing",
            subject="  Plată   dublă\tîn februarie ",
            message="\r\n  Am fost taxată de două ori.\r\nPuteți verifica?  \n",
            invoice_id=ana["invoice"],
            subscription_id="",  # an empty form field: none
            now=T0,
        )
        request_id = opened.request.id
    assert request_id.startswith("sr_")
    assert opened.request.subject == "Plată dublă în februarie"
    assert opened.request.status == "open"
    assert (opened.request.invoice_id, opened.request.subscription_id) == (ana["invoice"], None)
    [first] = opened.messages
    assert first.id.startswith("srm_")
    assert (first.author, first.body) == (
        "customer",
        "Am fost taxată de două ori.\nPuteți verifica?",
    )

    with unit_of_work(session_factory) as session:
        answered = support.merchant_reply(session, tenant, request_id, "Verificăm.", T0 + HOUR)
        assert answered.request.status == "answered"
        assert answered.request.first_response_at == T0 + HOUR
        later = support.merchant_reply(session, tenant, request_id, "Rambursat.", T0 + 2 * HOUR)
        assert later.request.first_response_at == T0 + HOUR  # the first reply only
        out = support.thread_out(later)
        assert out.first_response_seconds == 3600
        assert [m.author for m in out.messages] == ["customer", "merchant", "merchant"]

    with unit_of_work(session_factory) as session:
        back = support.customer_reply(
            session, tenant, ana["customer"], request_id, "Mulțumesc!", T0 + 3 * HOUR
        )
        assert back.request.status == "open"  # the subscriber wrote last
        closed = support.customer_close(session, tenant, ana["customer"], request_id, T0 + 4 * HOUR)
        assert (closed.request.status, closed.request.closed_by) == ("closed", "customer")
        assert closed.request.closed_at == T0 + 4 * HOUR
        # Closing again changes nothing and records nothing.
        again = support.merchant_close(session, tenant, request_id, T0 + 5 * HOUR)
        assert (again.request.closed_by, again.request.closed_at) == ("customer", T0 + 4 * HOUR)

    recorded = events_of(session_factory, request_id)
    assert [kind for kind, _ in recorded] == [
        "support_request.created",
        "support_request.replied",
        "support_request.replied",
        "support_request.replied",
        "support_request.closed",
    ]
    created, first_reply = recorded[0][1], recorded[1][1]
    assert created["message"]["body"] == first.body
    assert created["invoice"] == ana["invoice"]
    assert (first_reply["replied_by"], first_reply["status"]) == ("merchant", "answered")
    assert recorded[3][1]["replied_by"] == "customer"
    assert recorded[4][1]["closed_by"] == "customer"


def test_a_closed_request_reopens_on_the_subscribers_reply_and_refuses_the_merchants(
    session_factory: sessionmaker[Session], tenant: Tenant, people: dict[str, dict[str, str]]
) -> None:
    customer = people["ana"]["customer"]
    request_id = open_support_request(session_factory, tenant.account_id, customer)
    with unit_of_work(session_factory) as session:
        support.merchant_close(session, tenant, request_id, T0 + HOUR)
    with unit_of_work(session_factory) as session, pytest.raises(ConflictError, match="closed"):
        support.merchant_reply(session, tenant, request_id, "Încă ceva.", T0 + 2 * HOUR)
    with unit_of_work(session_factory) as session:
        reopened = support.customer_reply(
            session, tenant, customer, request_id, "Problema a revenit.", T0 + 2 * HOUR
        )
        assert reopened.request.status == "open"
        assert (reopened.request.closed_at, reopened.request.closed_by) == (None, None)
        assert len(reopened.messages) == 2
        # Now the merchant may answer again.
        support.merchant_reply(session, tenant, request_id, "Ne uităm.", T0 + 3 * HOUR)


def test_the_same_message_twice_in_a_row_is_recorded_once(
    session_factory: sessionmaker[Session], tenant: Tenant, people: dict[str, dict[str, str]]
) -> None:
    customer = people["ana"]["customer"]
    request_id = open_support_request(session_factory, tenant.account_id, customer)
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            support.merchant_reply(session, tenant, request_id, "Rambursat.", T0 + HOUR)
    with unit_of_work(session_factory) as session:
        found = support.customer_reply(session, tenant, customer, request_id, "Bine.", T0 + HOUR)
        assert [m.body for m in found.messages][1:] == ["Rambursat.", "Bine."]
    kinds = [kind for kind, _ in events_of(session_factory, request_id)]
    assert kinds.count("support_request.replied") == 2


@pytest.mark.parametrize(
    ("fields", "pointer", "said"),
    [
        ({"category": "refunds"}, "/category", "billing, technical, account, other"),
        ({"subject": " \t "}, "/subject", "must not be empty"),
        ({"subject": "x" * (SUBJECT_MAX + 1)}, "/subject", f"at most {SUBJECT_MAX}"),
        ({"subject": "Ajutor\x00"}, "/subject", "control characters"),
        ({"message": "\n \n"}, "/message", "must not be empty"),
        ({"message": "x" * (MESSAGE_MAX + 1)}, "/message", f"at most {MESSAGE_MAX}"),
        ({"message": "Bună\x07 ziua"}, "/message", "control characters"),
        ({"invoice_id": "inv_nope"}, "/invoice", "no invoice 'inv_nope' of this customer"),
        ({"subscription_id": "sub_nope"}, "/subscription", "of this customer"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    people: dict[str, dict[str, str]],
    fields: dict[str, str],
    pointer: str,
    said: str,
) -> None:
    customer = people["ana"]["customer"]
    with pytest.raises(InvalidError) as info:
        open_support_request(session_factory, tenant.account_id, customer, **fields)
    [error] = info.value.errors
    assert error.pointer == pointer
    assert said in error.detail
    with unit_of_work(session_factory) as session:
        assert support.customer_requests(session, tenant, customer).items == []


def test_every_mistake_is_named_at_once(
    session_factory: sessionmaker[Session], tenant: Tenant, people: dict[str, dict[str, str]]
) -> None:
    customer = people["ana"]["customer"]
    with pytest.raises(InvalidError) as info:
        open_support_request(
            session_factory, tenant.account_id, customer, category="", subject="", message=""
        )
    assert [e.pointer for e in info.value.errors] == ["/category", "/subject", "/message"]
    request_id = open_support_request(session_factory, tenant.account_id, customer)
    with unit_of_work(session_factory) as session, pytest.raises(InvalidError) as info:
        support.merchant_reply(session, tenant, request_id, "   ", T0)
    assert [e.pointer for e in info.value.errors] == ["/body"]


def test_an_invoice_or_subscription_must_be_the_customers_own(
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    people: dict[str, dict[str, str]],
    merchant: Merchant,
) -> None:
    ana, ion = people["ana"], people["ion"]
    for field, pointer in (("invoice_id", "/invoice"), ("subscription_id", "/subscription")):
        key = field.removesuffix("_id")
        with pytest.raises(InvalidError) as info:
            open_support_request(
                session_factory, tenant.account_id, ana["customer"], **{field: ion[key]}
            )
        assert info.value.errors[0].pointer == pointer
    own = open_support_request(
        session_factory,
        tenant.account_id,
        ana["customer"],
        invoice_id=ana["invoice"],
        subscription_id=ana["subscription"],
    )
    with unit_of_work(session_factory) as session:
        found = support.thread(session, tenant, own).request
        assert (found.invoice_id, found.subscription_id) == (ana["invoice"], ana["subscription"])


def test_a_customer_sees_and_changes_only_their_own_requests(
    session_factory: sessionmaker[Session],
    tenant: Tenant,
    people: dict[str, dict[str, str]],
    merchant: Merchant,
    api: Api,
) -> None:
    ana, ion = people["ana"]["customer"], people["ion"]["customer"]
    request_id = open_support_request(session_factory, tenant.account_id, ana)
    with unit_of_work(session_factory) as session:
        assert support.customer_thread(session, tenant, ana, request_id).request.id == request_id
        for call in (
            lambda: support.customer_thread(session, tenant, ion, request_id),
            lambda: support.customer_reply(session, tenant, ion, request_id, "Eu?", T0),
            lambda: support.customer_close(session, tenant, ion, request_id, T0),
            lambda: support.thread(session, Tenant(tenant.account_id, True), request_id),
        ):
            with pytest.raises(NotFoundError):
                call()
        assert support.customer_requests(session, tenant, ion).items == []
    other = make_merchant(session_factory, api.client, name="Other SRL")
    other_tenant = Tenant(other.account_id, False)
    with unit_of_work(session_factory) as session:
        with pytest.raises(NotFoundError):
            support.thread(session, other_tenant, request_id)
        with pytest.raises(NotFoundError):
            support.merchant_reply(session, other_tenant, request_id, "Salut", T0)
        with pytest.raises(NotFoundError):  # a customer of another account
            support.open_request(
                session, other_tenant, ana, category="other", subject="S", message="M", now=T0
            )


def test_a_customers_requests_come_newest_first_a_page_at_a_time(
    session_factory: sessionmaker[Session], tenant: Tenant, people: dict[str, dict[str, str]]
) -> None:
    ana = people["ana"]["customer"]
    opened = [
        open_support_request(session_factory, tenant.account_id, ana, subject=f"Întrebarea {n}")
        for n in range(3)
    ]
    open_support_request(session_factory, tenant.account_id, people["ion"]["customer"])
    with unit_of_work(session_factory) as session:
        first = support.customer_requests(session, tenant, ana, limit=2)
        assert [r.id for r in first.items] == opened[::-1][:2]
        assert first.has_more
        rest = support.customer_requests(
            session, tenant, ana, limit=2, starting_after=first.items[-1].id
        )
        assert [r.id for r in rest.items] == [opened[0]]
        assert not rest.has_more
        closed = support.customer_requests(session, tenant, ana, status="closed")
        assert closed.items == []


def test_a_customer_on_a_test_clock_writes_in_the_clocks_time(
    session_factory: sessionmaker[Session], tenant: Tenant, api: Api
) -> None:
    clock = api.ok(
        "POST",
        "/v1/test_clocks",
        201,
        json={"name": "rehearsal", "frozen_time": "2026-06-01T08:00:00Z"},
    )
    customer = api.ok("POST", "/v1/customers", 201, json={"test_clock": clock["id"]})["id"]
    request_id = open_support_request(session_factory, tenant.account_id, customer)
    with unit_of_work(session_factory) as session:
        found = support.merchant_reply(session, tenant, request_id, "Da.", T0)
        assert found.request.created_at.isoformat() == "2026-06-01T08:00:00+00:00"
        assert found.request.first_response_at == found.request.created_at
        stmt = select(SupportMessage).where(SupportMessage.request_id == request_id)
        assert {m.created_at for m in session.scalars(stmt)} == {found.request.created_at}


def test_categories_and_statuses_are_named_in_every_language() -> None:
    for table, codes in (
        (categories.CATEGORY_LABELS, categories.CATEGORIES),
        (categories.STATUS_LABELS, categories.STATUSES),
    ):
        assert set(table) == set(codes)
        for labels in table.values():
            assert set(labels) == {"en", "ro"}
            assert all(label.strip() for label in labels.values())
    assert categories.category_choices("ro")[0] == ("billing", "Facturare și plăți")
    assert categories.status_label("closed", "en") == "Closed"
