"""The Catalog: the overview, each kind's list and an object's page (as the API shows it,
with a product's plans, a plan's versions, a coupon's codes); the forms that create a
product, plan, feature, billable metric, add-on, coupon and promotion code, edit a product,
a billable metric and an add-on, and add a plan version,
each with its effect and audit entry; and the API's own validation as sentences beside the
fields, in English and Romanian."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.console.catalog import KINDS, path_of
from recura.db.models import AuditEntry
from tests.conftest import Api, Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in, signed_in
from tests.console.operations_data import catalog
from tests.portal.conftest import Page


def shown(client: TestClient, path: str, expect: int = 200) -> Page:
    response = client.get(path)
    assert response.status_code == expect, response.text
    return Page(response)


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.account_id == merchant.account_id, AuditEntry.action == action
                )
            )
        )


def submit(client: TestClient, path: str, **values: str) -> tuple[int, str, Page | None]:
    """The form at `path` filled with `values`: (status, where it went, the page if it stayed)."""
    form = shown(client, path).form("form-catalog")
    answer = client.post(path, data={**form, **values}, follow_redirects=False)
    if answer.status_code == 303:
        return 303, answer.headers["location"], None
    return answer.status_code, "", Page(answer)


def errors(page: Page) -> dict[str, str]:
    """Each field's message, by the field's name."""
    found = {}
    for message in page.tree.xpath('//p[@class="field-error"]'):
        name = str(message.get("id")).removeprefix("f-").removesuffix("-error")
        found[name] = " ".join(message.text_content().split())
    return found


def test_lists_and_pages_show_every_kind(owner: tuple[TestClient, Operator], api: Api) -> None:
    client, _ = owner
    ids = catalog(api)
    overview = shown(client, "/console/catalog?mode=test")
    for word in ("Norditech CRM", "Pro", "Projects", "API calls", "Extra storage", "Launch"):
        assert word in overview.text
    for kind in KINDS:
        listed = shown(client, path_of(kind.key) + "?mode=test")
        assert ids[kind.key] in listed.text, kind.key
        assert shown(client, path_of(kind.key)).tree.xpath("//tbody") == []  # live: none
        one = shown(client, f"{path_of(kind.key)}/{ids[kind.key]}")
        assert ids[kind.key] in one.text
    product = shown(client, f"/console/catalog/products/{ids['products']}")
    assert product.tree.xpath(f'//a[@href="/console/catalog/plans/{ids["plans"]}"]')
    plan = shown(client, f"/console/catalog/plans/{ids['plans']}")
    assert "Flat price" in plan.text
    assert "RON 49.00" in plan.text
    coupon = shown(client, f"/console/catalog/coupons/{ids['coupons']}")
    assert "ACME20" in coupon.text
    assert shown(client, "/console/catalog/products/prod_unknown", 404)


def test_a_product_is_created_and_edited(
    owner: tuple[TestClient, Operator], session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    client, operator = owner
    status, where, _ = submit(
        client, "/console/catalog/products/new?mode=test", name="Norditech HR", description="HR"
    )
    assert status == 303
    product_id = where.split("/")[-1].split("?")[0]
    assert "Created." in shown(client, where).text
    (entry,) = entries(session_factory, merchant, "product.create")
    assert (entry.actor_id, entry.target_id, entry.livemode) == (
        operator.user_id,
        product_id,
        False,
    )
    edit = f"/console/catalog/products/{product_id}/edit"
    assert shown(client, edit).form("form-catalog")  # filled with the product's values
    assert 'value="Norditech HR"' in client.get(edit).text
    status, where, _ = submit(client, edit, name="Norditech People")
    assert status == 303
    assert "Norditech People" in shown(client, where).text
    (entry,) = entries(session_factory, merchant, "product.update")
    assert entry.target_id == product_id
    status, _, page = submit(client, edit, name="  ")
    assert status == 422
    assert page is not None
    assert errors(page) == {"name": "Fill this in."}


def test_a_plan_and_a_new_version(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    client, _ = owner
    product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech CRM"})["id"]
    new = "/console/catalog/plans/new?mode=test"
    status, _, page = submit(
        client,
        new,
        product=product,
        code="Pro Monthly",
        name="Pro",
        interval_unit="month",
        interval_count="40",
        pricing_model="flat",
        currency="RON",
        amount="49.999",
    )
    assert status == 422
    assert page is not None
    assert errors(page) == {"amount": page.tree.xpath('//p[@id="f-amount-error"]')[0].text}
    assert "Enter an amount such as 49.90" in errors(page)["amount"]
    status, _, page = submit(
        client,
        new,
        product=product,
        code="Pro Monthly",
        name="Pro",
        interval_unit="month",
        interval_count="x",
        pricing_model="flat",
        currency="RON",
        amount="49.90",
    )
    assert page is not None
    assert errors(page) == {
        "code": "Use lower-case letters, digits, dots, dashes and underscores, starting with"
        " a letter or a digit.",
        "interval_count": "Enter a whole number.",
    }
    # The service's own rule (at most 36 months), beside its field.
    status, _, page = submit(
        client,
        new,
        product=product,
        code="pro-monthly",
        name="Pro",
        interval_unit="month",
        interval_count="40",
        pricing_model="flat",
        currency="RON",
        amount="49.90",
    )
    assert page is not None
    assert errors(page) == {"interval_count": "At most 36 for this interval (Month)."}
    status, where, _ = submit(
        client,
        new,
        product=product,
        code="pro-monthly",
        name="Pro",
        interval_unit="month",
        pricing_model="flat",
        currency="RON",
        amount="49.90",
    )
    assert status == 303
    plan_id = where.split("/")[-1].split("?")[0]
    (price,) = api.ok("GET", f"/v1/plans/{plan_id}")["current_version"]["prices"]
    assert (price["currency"], price["amount"]) == ("RON", 4990)
    status, where, _ = submit(
        client,
        f"/console/catalog/plans/{plan_id}/version",
        pricing_model="flat",
        currency="RON",
        amount="59.90",
    )
    assert status == 303
    assert "New version created" in shown(client, where).text
    current = api.ok("GET", f"/v1/plans/{plan_id}")["current_version"]
    assert (current["version"], current["prices"][0]["amount"]) == (2, 5990)
    assert [e.target_id for e in entries(session_factory, merchant, "plan.create")] == [plan_id]
    assert [e.target_id for e in entries(session_factory, merchant, "plan.update")] == [plan_id]
    # The same code again: said beside the code.
    status, _, page = submit(
        client,
        new,
        product=product,
        code="pro-monthly",
        name="Pro 2",
        interval_unit="month",
        pricing_model="free",
        currency="RON",
    )
    assert page is not None
    assert errors(page) == {"code": "Another one already has this code."}


def test_a_plan_at_the_reduced_vat_rate(owner: tuple[TestClient, Operator], api: Api) -> None:
    client, _ = owner
    product = api.ok("POST", "/v1/products", 201, json={"name": "Gazeta"})["id"]
    new = "/console/catalog/plans/new?mode=test"
    # Standard unless chosen otherwise: the first choice, none other selected.
    choices = shown(client, new).tree.xpath('//select[@name="tax_rate_kind"]/option')
    assert [(c.get("value"), c.text) for c in choices] == [
        ("standard", "Standard"),
        ("reduced", "Reduced"),
        ("reduced_lower", "Reduced (lowest)"),
    ]
    assert not [c for c in choices if c.get("selected") is not None]
    fields = {"product": product, "name": "Gazeta digitală", "interval_unit": "month"}
    fields |= {"pricing_model": "flat", "currency": "RON", "amount": "19.90"}
    status, where, _ = submit(client, new, code="gazeta", tax_rate_kind="reduced", **fields)
    assert status == 303
    plan_id = where.split("/")[-1].split("?")[0]
    assert api.ok("GET", f"/v1/plans/{plan_id}")["tax_rate_kind"] == "reduced"
    assert "Reduced" in shown(client, where).text
    status, _, page = submit(client, new, code="gazeta-2", tax_rate_kind="zero", **fields)
    assert status == 422
    assert page is not None
    assert list(errors(page)) == ["tax_rate_kind"]


def test_a_plan_and_an_add_on_say_what_they_sell(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    client, _ = owner
    product = api.ok("POST", "/v1/products", 201, json={"name": "Cutia lunară"})["id"]
    new = "/console/catalog/plans/new?mode=test"
    # Electronic services unless chosen otherwise: the first choice, none other selected.
    choices = shown(client, new).tree.xpath('//select[@name="supply_nature"]/option')
    assert [(c.get("value"), c.text) for c in choices] == [
        ("electronic", "Electronic services"),
        ("services", "Other services"),
        ("goods", "Goods"),
    ]
    assert not [c for c in choices if c.get("selected") is not None]
    hint = shown(client, new).tree.xpath('//p[@id="f-supply_nature-hint"]')[0].text_content()
    assert "intra-community supply" in hint
    fields = {"product": product, "name": "Cutia lunară", "interval_unit": "month"}
    fields |= {"pricing_model": "flat", "currency": "RON", "amount": "120"}
    status, where, _ = submit(client, new, code="box", supply_nature="goods", **fields)
    assert status == 303
    plan_id = where.split("/")[-1].split("?")[0]
    made = api.ok("GET", f"/v1/plans/{plan_id}")
    assert (made["supply_nature"], made["tax_rate_kind"]) == ("goods", "standard")
    assert "Goods" in shown(client, where).text
    status, _, page = submit(client, new, code="box-2", supply_nature="food", **fields)
    assert status == 422
    assert page is not None
    assert list(errors(page)) == ["supply_nature"]
    add_on = {"code": "visit", "name": "Setup visit", "pricing_model": "flat"}
    add_on |= {"currency": "RON", "amount": "300", "supply_nature": "services"}
    status, where, _ = submit(client, "/console/catalog/add-ons/new?mode=test", **add_on)
    assert status == 303, where
    add_on_id = where.split("/")[-1].split("?")[0]
    assert api.ok("GET", f"/v1/add_ons/{add_on_id}")["supply_nature"] == "services"


def test_a_feature_a_coupon_and_a_promotion_code(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    client, _ = owner
    status, where, _ = submit(
        client, "/console/catalog/features/new?mode=test", code="seats", name="Seats", kind="limit"
    )
    assert status == 303
    assert entries(session_factory, merchant, "feature.create")
    status, _, page = submit(client, "/console/catalog/coupons/new?mode=test", code="x", name="")
    assert status == 422
    assert page is not None
    found = errors(page)
    assert found["name"] == "Fill this in."
    assert found["duration"] == "Choose one of the options."
    status, _, page = submit(
        client,
        "/console/catalog/coupons/new?mode=test",
        code="spring",
        name="Spring",
        percent_off="120",
        duration="once",
    )
    assert page is not None
    assert errors(page) == {"percent_off": "At most 100."}
    status, where, _ = submit(
        client,
        "/console/catalog/coupons/new?mode=test",
        code="spring",
        name="Spring",
        percent_off="15",
        duration="repeating",
        duration_in_periods="3",
        redeem_by="2099-06-30",
    )
    assert status == 303, where
    coupon_id = where.split("/")[-1].split("?")[0]
    coupon = api.ok("GET", f"/v1/coupons/{coupon_id}")
    assert (coupon["percent_off"], coupon["duration_in_periods"]) == (15.0, 3)
    assert entries(session_factory, merchant, "coupon.create")[0].target_id == coupon_id
    status, where, _ = submit(
        client,
        "/console/catalog/promotion-codes/new?mode=test",
        code="spring-acme",
        coupon=coupon_id,
        first_time_only="on",
        expires_at="2099-12-31",
    )
    assert status == 303, where
    promo = api.ok("GET", f"/v1/promotion_codes/{where.split('/')[-1].split('?')[0]}")
    assert (promo["code"], promo["first_time_only"]) == ("SPRING-ACME", True)
    assert entries(session_factory, merchant, "promotion_code.create")
    status, _, page = submit(
        client,
        "/console/catalog/promotion-codes/new?mode=test",
        code="x",
        coupon=coupon_id,
        expires_at="someday",
    )
    assert page is not None
    assert errors(page) == {"expires_at": "Enter a day as YYYY-MM-DD."}


def test_messages_in_romanian(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "admin", locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    status, _, page = submit(
        own, "/console/catalog/coupons/new?mode=test", code="Bad Code", name="", percent_off="0"
    )
    assert status == 422
    assert page is not None
    found = errors(page)
    assert found["name"] == "Completați acest câmp."
    assert found["code"].startswith("Folosiți litere mici")
    assert found["percent_off"] == "Mai mult de 0."
    assert "Cupon nou" in page.text


@pytest.mark.parametrize("role", ["finance", "support", "analyst"])
def test_only_owners_and_admins_change_the_catalog(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    role: str,
) -> None:
    ids = catalog(api)
    own, _ = signed_in(client, session_factory, merchant, role)
    product = shown(own, f"/console/catalog/products/{ids['products']}")
    assert not product.tree.xpath('//a[contains(@href, "/edit")]')
    assert own.get("/console/catalog/products/new").status_code == 403
    refused = own.post("/console/catalog/products/new", data={"name": "X"})
    assert refused.status_code == 403


def test_a_feature_a_coupon_and_a_promotion_code_are_edited(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    client, _ = owner
    ids = catalog(api)
    status, where, _ = submit(
        client, f"/console/catalog/features/{ids['features']}/edit", name="Active projects"
    )
    assert status == 303
    assert "Saved." in shown(client, where).text
    assert api.ok("GET", f"/v1/features/{ids['features']}")["name"] == "Active projects"
    assert entries(session_factory, merchant, "feature.update")[0].target_id == ids["features"]

    coupon_edit = f"/console/catalog/coupons/{ids['coupons']}/edit"
    status, _, _ = submit(client, coupon_edit, max_redemptions="50", redeem_by="2099-06-30")
    assert status == 303
    coupon = api.ok("GET", f"/v1/coupons/{ids['coupons']}")
    assert coupon["max_redemptions"] == 50
    # The day typed is the day shown again (the deadline is that day's end).
    assert 'value="2099-06-30"' in client.get(coupon_edit).text
    status, _, page = submit(client, coupon_edit, max_redemptions="-1")
    assert page is not None
    assert errors(page) == {"max_redemptions": "At least 1."}
    status, _, _ = submit(client, coupon_edit, max_redemptions="", redeem_by="")
    assert status == 303
    coupon = api.ok("GET", f"/v1/coupons/{ids['coupons']}")
    assert (coupon["max_redemptions"], coupon["redeem_by"]) == (None, None)
    assert len(entries(session_factory, merchant, "coupon.update")) == 2

    # The coupon's page offers a code for it, with the coupon chosen.
    new_code = f"/console/catalog/promotion-codes/new?coupon={ids['coupons']}&mode=test"
    offered = shown(client, new_code)
    (chosen,) = offered.tree.xpath('//select[@name="coupon"]/option[@selected]')
    assert chosen.get("value") == ids["coupons"]
    promo_edit = f"/console/catalog/promotion-codes/{ids['promotion_codes']}/edit"
    editing = shown(client, promo_edit)
    assert editing.tree.xpath('//input[@name="active"]/@checked')
    form = editing.form("form-catalog")
    data = {k: v for k, v in form.items() if k != "active"}  # unticked: not sent
    answer = client.post(promo_edit, data=data, follow_redirects=False)
    assert answer.status_code == 303
    assert api.ok("GET", f"/v1/promotion_codes/{ids['promotion_codes']}")["active"] is False
    assert entries(session_factory, merchant, "promotion_code.update")


def test_a_billable_metric_is_created_and_renamed(
    owner: tuple[TestClient, Operator],
    api: Api,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
) -> None:
    client, operator = owner
    new = "/console/catalog/billable-metrics/new?mode=test"
    listed = shown(client, "/console/catalog/billable-metrics?mode=test")
    assert "New billable metric" in listed.text
    # What the schema refuses, and then what the service refuses, beside their fields.
    status, _, page = submit(client, new, code="Bad Code", name="", aggregation="sum")
    assert status == 422
    assert page is not None
    assert errors(page) == {
        "code": "Use lower-case letters, digits, dots, dashes and underscores, starting with a"
        " letter or a digit.",
        "name": "Fill this in.",
    }
    status, _, page = submit(client, new, code="storage_gb", name="Storage", aggregation="sum")
    assert status == 422
    assert page is not None
    assert errors(page)["field_name"] == (
        "Name the event property this aggregation reads (Sum of a field)."
    )
    status, _, page = submit(
        client, new, code="storage_gb", name="Storage", aggregation="max", filter_property="region"
    )
    assert status == 422
    assert page is not None
    assert errors(page) == {"filter_values": "Fill this in."}
    assert entries(session_factory, merchant, "billable_metric.create") == []
    status, where, _ = submit(
        client,
        new,
        code="storage_gb",
        name="Storage (GB)",
        aggregation="max",
        field_name="gb",
        filter_property="region",
        filter_values="eu-central-1, eu-west-1",
    )
    assert status == 303, where
    metric_id = where.split("/")[-1].split("?")[0]
    made = api.ok("GET", f"/v1/billable_metrics/{metric_id}")
    assert (made["aggregation"], made["field_name"]) == ("max", "gb")
    assert made["filters"] == [{"property": "region", "values": ["eu-central-1", "eu-west-1"]}]
    (entry,) = entries(session_factory, merchant, "billable_metric.create")
    assert (entry.actor_id, entry.target_id, entry.livemode) == (operator.user_id, metric_id, False)
    # The same code again is said as such.
    status, _, page = submit(client, new, code="storage_gb", name="Again", aggregation="count")
    assert status == 422
    assert page is not None
    assert errors(page) == {"code": "Another one already has this code."}
    # Only the name and description change; what it counts stays.
    edit = f"/console/catalog/billable-metrics/{metric_id}/edit"
    assert 'value="Storage (GB)"' in client.get(edit).text
    status, where, _ = submit(client, edit, name="Peak storage", description="EU only")
    assert status == 303
    assert "Peak storage" in shown(client, where).text
    changed = api.ok("GET", f"/v1/billable_metrics/{metric_id}")
    assert (changed["name"], changed["description"], changed["aggregation"]) == (
        "Peak storage",
        "EU only",
        "max",
    )
    (entry,) = entries(session_factory, merchant, "billable_metric.update")
    assert entry.target_id == metric_id


def test_an_add_on_is_created_and_renamed(
    owner: tuple[TestClient, Operator],
    api: Api,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
) -> None:
    client, operator = owner
    new = "/console/catalog/add-ons/new?mode=test"
    status, _, page = submit(
        client, new, code="seats", name="Extra seat", pricing_model="per_unit", currency="RON"
    )
    assert status == 422
    assert page is not None
    assert set(errors(page)) == {"amount"}
    status, where, _ = submit(
        client,
        new,
        code="seats",
        name="Extra seat",
        pricing_model="per_unit",
        currency="RON",
        amount="15.50",
        tax_rate_kind="reduced",
    )
    assert status == 303, where
    add_on_id = where.split("/")[-1].split("?")[0]
    made = api.ok("GET", f"/v1/add_ons/{add_on_id}")
    assert made["tax_rate_kind"] == "reduced"
    (price,) = made["prices"]
    assert (price["currency"], price["unit_amount"]) == ("RON", "1550")
    (entry,) = entries(session_factory, merchant, "add_on.create")
    assert (entry.actor_id, entry.target_id, entry.livemode) == (operator.user_id, add_on_id, False)
    edit = f"/console/catalog/add-ons/{add_on_id}/edit"
    assert shown(client, f"/console/catalog/add-ons/{add_on_id}").tree.xpath(f'//a[@href="{edit}"]')
    status, _, page = submit(client, edit, name="")
    assert status == 422
    assert page is not None
    assert errors(page) == {"name": "Fill this in."}
    status, where, _ = submit(client, edit, name="Extra seat (yearly)", description="")
    assert status == 303
    assert api.ok("GET", f"/v1/add_ons/{add_on_id}")["name"] == "Extra seat (yearly)"
    (entry,) = entries(session_factory, merchant, "add_on.update")
    assert entry.target_id == add_on_id
