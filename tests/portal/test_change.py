"""Changing a subscription in the portal: the preview is what is then invoiced, to the
cent; downgrades wait for the period end unless the account says now; a double submit
changes once; errors read in the subscriber's language; forms need their keys; another
customer's subscription is not found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from recura.notifications import rendering
from tests.conftest import T0, Api
from tests.portal.conftest import Page, get, post, subscriber
from tests.portal.test_sign_in import signed_in

DAYS = timedelta(days=1)


def open_change(client: TestClient, sub: str) -> Page:
    return get(client, f"/portal/subscriptions/{sub}/change")


def preview(client: TestClient, sub: str, status: int = 200, **choice: str) -> Page:
    form = open_change(client, sub).form("change-form")
    return post(client, f"/portal/subscriptions/{sub}/change", {**form, **choice}, status)


def confirm(client: TestClient, sub: str, page: Page, status: int = 200) -> Page:
    return post(
        client, f"/portal/subscriptions/{sub}/change/confirm", page.form("confirm-form"), status
    )


def money(amount: int, locale: str) -> str:
    """As the page reads once its spaces are single (a no-break space counts as one)."""
    return " ".join(rendering.money(amount, "RON", locale).split())


def cell(page: Page, element_id: str) -> str:
    (found,) = page.tree.xpath(f'//*[@id="{element_id}"]')
    return " ".join(found.text_content().split())


@pytest.mark.parametrize("locale", ["en", "ro"])
def test_an_upgrade_is_invoiced_exactly_as_previewed(api: Api, locale: str) -> None:
    who = subscriber(api, locale)
    business = who.world.plan(9900, name="Business")
    storage = who.world.add_on(1500, name="Extra storage")
    who.world.advance_to(T0 + 10 * DAYS + timedelta(hours=5, seconds=17))
    client = signed_in(api, who.customer)
    home = get(client, "/portal")
    assert (
        home.link(f"change-{who.subscription}")
        == f"/portal/subscriptions/{who.subscription}/change"
    )
    page = open_change(client, who.subscription)
    assert set(page.radios("plan")) >= {business}
    shown = preview(client, who.subscription, plan=business, **{f"add_on_{storage}": "2"})
    words = {"en": "The change takes effect now.", "ro": "Modificarea intră în vigoare acum."}
    assert words[locale] in shown.text
    total = cell(shown, "invoice-total")
    lines = [
        " ".join(r.text_content().split())
        for r in shown.tree.xpath('//table[@id="invoice"]/tbody/tr')
    ]
    before = len(who.world.invoices(who.subscription))
    done = confirm(client, who.subscription, shown)
    assert "Business" in cell(done, "outcome")
    invoices = who.world.invoices(who.subscription)
    assert len(invoices) == before + 1
    issued = api.ok("GET", f"/v1/invoices/{invoices[-1]['id']}")
    assert total == money(issued["total"]["amount"], locale)
    for line in issued["lines"]["data"] if isinstance(issued["lines"], dict) else issued["lines"]:
        amount = money(line["amount"]["amount"], locale)
        assert any(amount in row and row.startswith(line["description"]) for row in lines), (
            line,
            lines,
        )
    sub = who.world.subscription(who.subscription)
    assert sub["plan"] == business
    assert [(a["add_on"], a["quantity"]) for a in sub["add_ons"]] == [(storage, "2")]


def test_a_double_submit_changes_once(api: Api) -> None:
    who = subscriber(api, "en")
    business = who.world.plan(9900, name="Business")
    who.world.advance_to(T0 + 3 * DAYS)
    client = signed_in(api, who.customer)
    shown = preview(client, who.subscription, plan=business)
    before = len(who.world.invoices(who.subscription))
    first = confirm(client, who.subscription, shown)
    second = confirm(client, who.subscription, shown)
    assert cell(first, "outcome") == cell(second, "outcome")
    assert len(who.world.invoices(who.subscription)) == before + 1


def test_a_downgrade_waits_for_the_period_end(api: Api) -> None:
    who = subscriber(api, "ro")
    basic = who.world.plan(2900, name="Basic")
    who.world.advance_to(T0 + 5 * DAYS)
    client = signed_in(api, who.customer)
    shown = preview(client, who.subscription, plan=basic)
    assert "la sfârșitul perioadei curente" in cell(shown, "effective")
    assert not shown.tree.xpath('//table[@id="invoice"]')
    # The next invoice, on the new plan: 29.00 + 21% VAT.
    assert cell(shown, "renewal-total") == money(3509, "ro")
    before = len(who.world.invoices(who.subscription))
    done = confirm(client, who.subscription, shown)
    assert "se va modifica" in cell(done, "outcome")
    sub = who.world.subscription(who.subscription)
    assert sub["plan"] != basic
    assert sub["pending_change"]["plan"] == basic
    assert len(who.world.invoices(who.subscription)) == before
    # A second click finds the change waiting and does not schedule another.
    again = confirm(client, who.subscription, shown)
    assert cell(again, "outcome") == cell(done, "outcome")
    assert who.world.subscription(who.subscription)["pending_change"] == sub["pending_change"]
    home = get(client, "/portal")
    assert "Basic" in home.text


def test_a_downgrade_happens_now_when_the_account_says_so(api: Api) -> None:
    who = subscriber(api, "en")
    api.ok("PATCH", "/v1/account", json={"portal_downgrade_timing": "now"})
    basic = who.world.plan(2900, name="Basic")
    who.world.advance_to(T0 + 15 * DAYS)
    client = signed_in(api, who.customer)
    shown = preview(client, who.subscription, plan=basic)
    assert cell(shown, "effective") == "The change takes effect now."
    total = cell(shown, "invoice-total")
    assert total.startswith(("-", "\N{MINUS SIGN}"))  # the unused time, credited
    confirm(client, who.subscription, shown)
    assert who.world.subscription(who.subscription)["plan"] == basic
    issued = who.world.invoices(who.subscription)[-1]
    assert total == money(issued["total"]["amount"], "en")


@pytest.mark.parametrize(
    ("locale", "choice", "field", "said"),
    [
        ("ro", {"quantity": "abc"}, "quantity", "Introduceți un număr întreg de locuri"),
        ("en", {"promotion_code": "NOPE"}, "promotion_code", "This promotion code cannot be used."),
        (
            "ro",
            {"promotion_code": "NOPE"},
            "promotion_code",
            "Acest cod promoțional nu poate fi folosit.",
        ),
        ("en", {}, "", "Choose another plan, other seats or add-ons"),
    ],
)
def test_errors_read_in_the_subscribers_language(
    api: Api, locale: str, choice: dict[str, str], field: str, said: str
) -> None:
    who = subscriber(api, locale)
    if "quantity" in choice:
        who.world.plan(
            None,
            name="Team",
            pricing_model="per_unit",
            prices=[{"currency": "RON", "unit_amount": 900}],
        )
    client = signed_in(api, who.customer)
    page = preview(client, who.subscription, 422, **choice)
    assert said in page.text
    if field:
        (box,) = page.tree.xpath(f'//*[@name="{field}"]')
        assert box.get("aria-invalid") == "true"
        assert said in cell(page, box.get("aria-describedby"))


def test_forms_need_their_keys(api: Api) -> None:
    who = subscriber(api, "en")
    business = who.world.plan(9900, name="Business")
    client = signed_in(api, who.customer)
    form = open_change(client, who.subscription).form("change-form")
    refused = post(
        client,
        f"/portal/subscriptions/{who.subscription}/change",
        {**form, "plan": business, "form_key": "x"},
        403,
    )
    assert "form" in refused.text.lower()
    shown = preview(client, who.subscription, plan=business)
    tampered = {**shown.form("confirm-form"), "quantity": "7"}
    post(client, f"/portal/subscriptions/{who.subscription}/change/confirm", tampered, 403)
    assert who.world.subscription(who.subscription)["plan"] != business


def test_another_customers_subscription_is_not_found(api: Api) -> None:
    who = subscriber(api, "en")
    other = who.world.customer(email="other@example.ro")
    theirs = who.world.subscribe(other, who.world.plan(4900))["id"]
    client = signed_in(api, who.customer)
    form = open_change(client, who.subscription).form("change-form")
    assert client.get(f"/portal/subscriptions/{theirs}/change").status_code == 404
    assert client.post(f"/portal/subscriptions/{theirs}/change", data=form).status_code == 404
    assert (
        client.post(f"/portal/subscriptions/{theirs}/change/confirm", data=form).status_code == 404
    )
    assert client.get("/portal/subscriptions/sub_nope/change").status_code == 404
