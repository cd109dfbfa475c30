"""The Subscriptions and Invoices lists: their filters, pages, aging buckets per currency,
and each one's page; another account's rows are not found."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.console import subscriptions as section
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.console.conftest import Operator, signed_in
from tests.portal.conftest import PRICE, Page, subscriber
from tests.scenarios.world import World


def ids(page: Page, table: str) -> list[str]:
    return [
        str(a.get("href")).rsplit("/", 1)[1]
        for a in page.tree.xpath(f'//table[@id="{table}"]//td[1]//a')
    ]


def listed(client: TestClient, path: str, **params: str) -> Page:
    response = client.get(path, params={"mode": "test", **params})
    assert response.status_code == 200, response.text
    return Page(response)


def test_subscriptions_filter_by_status_plan_product_and_customer(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    client, _ = owner
    world = World(api, T0)
    basic = world.plan(PRICE, name="Basic")
    other_product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech HR"})["id"]
    hr = world.plan(PRICE, name="HR", product=other_product)
    ana = world.customer(name="Ana Popescu", email="ana@example.ro")
    ion = world.customer(card="tok_sandbox_declined", name="Ion Ionescu", email="ion@example.ro")
    paying = world.subscribe(ana, basic)["id"]
    late = world.subscribe(ion, hr)["id"]
    world.advance_to(T0 + timedelta(minutes=1))
    path = "/console/subscriptions"
    assert ids(listed(client, path), "subscriptions") == [late, paying]
    assert ids(listed(client, path, status="past_due"), "subscriptions") == [late]
    assert ids(listed(client, path, plan=basic), "subscriptions") == [paying]
    assert ids(listed(client, path, product=other_product), "subscriptions") == [late]
    assert ids(listed(client, path, customer="ion@"), "subscriptions") == [late]
    assert ids(listed(client, path, customer="popes"), "subscriptions") == [paying]
    nothing = listed(client, path, customer="nobody")
    assert "No subscription matches." in nothing.text
    # Live data is apart.
    assert ids(Page(client.get(path)), "subscriptions") == []


def test_subscription_pages_follow_one_another(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    client, _ = owner
    world = World(api, T0)
    plan = world.plan(PRICE)
    customer = world.customer()
    made = [world.subscribe(customer, plan)["id"] for _ in range(section.PER_PAGE + 1)]
    first = listed(client, "/console/subscriptions")
    assert len(ids(first, "subscriptions")) == section.PER_PAGE
    (more,) = first.tree.xpath('//a[@rel="next"]')
    second = Page(client.get(str(more.get("href"))))
    assert ids(second, "subscriptions") == [made[0]]


def test_a_subscriptions_page(owner: tuple[TestClient, Operator], api: Api) -> None:
    client, _ = owner
    ana = subscriber(api, "en")
    response = client.get(f"/console/subscriptions/{ana.subscription}")
    assert response.status_code == 200, response.text
    page = Page(response)
    assert "Ana Popescu" in page.text
    assert "Monthly" in page.text
    assert "Nothing scheduled." in page.text
    timeline = [str(c.text) for c in page.tree.xpath('//ol[@class="timeline"]//code')]
    assert "subscription.created" in timeline
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    assert invoice["number"] in page.text


def test_aging_buckets_and_the_overdue_filter(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    clock: FixedClock,
) -> None:
    app = client
    client, _ = signed_in(app, session_factory, merchant, "finance")
    world = World(api, T0)
    plan = world.plan(PRICE)
    late = world.customer(card="tok_sandbox_declined")
    world.subscribe(late, plan)
    paid = world.customer()
    world.subscribe(paid, plan)
    world.advance_to(T0 + timedelta(minutes=1))
    (open_invoice,) = api.ok("GET", "/v1/invoices", params={"customer": late})["data"]
    (paid_invoice,) = api.ok("GET", "/v1/invoices", params={"customer": paid})["data"]
    page = listed(client, "/console/invoices")
    assert ids(page, "invoices") == [paid_invoice["id"], open_invoice["id"]]
    assert ids(listed(client, "/console/invoices", status="paid"), "invoices") == [
        paid_invoice["id"]
    ]
    row = " ".join(
        page.tree.xpath('//table[@id="aging-table"]//tbody/tr')[0].text_content().split()
    )
    assert row.startswith("RON")
    assert row.count("RON 59.29") == 2  # not yet due, and the total
    clock.advance(timedelta(days=40))
    client, _ = signed_in(app, session_factory, merchant, "analyst")  # the session ran out
    later = listed(client, "/console/invoices", overdue="1")
    assert ids(later, "invoices") == [open_invoice["id"]]
    cells = later.tree.xpath('//table[@id="aging-table"]//tbody/tr[1]/td')
    texts = [" ".join(c.text_content().split()) for c in cells]
    assert texts[2] == "RON 59.29invoices: 1"  # 31-60 days (a line break between)
    assert texts[0] == texts[1] == texts[3] == texts[4] == "—"


def test_an_invoices_page_and_another_accounts(
    owner: tuple[TestClient, Operator],
    api: Api,
    client: TestClient,
    session_factory: sessionmaker[Session],
) -> None:
    browser, _ = owner
    ana = subscriber(api, "en")
    (invoice,) = api.ok("GET", "/v1/invoices", params={"customer": ana.customer})["data"]
    page = Page(browser.get(f"/console/invoices/{invoice['id']}"))
    assert "VAT rate" in page.text
    assert "21%" in page.text
    assert "succeeded" in page.text
    other = make_merchant(session_factory, client)
    theirs = subscriber(other.api, "en")
    (their_invoice,) = other.api.ok("GET", "/v1/invoices", params={"customer": theirs.customer})[
        "data"
    ]
    assert browser.get(f"/console/invoices/{their_invoice['id']}").status_code == 404
    assert browser.get(f"/console/subscriptions/{theirs.subscription}").status_code == 404
    refused = browser.post(
        f"/console/subscriptions/{theirs.subscription}/cancel", data={"form_key": "x"}
    )
    assert refused.status_code in (403, 404)
