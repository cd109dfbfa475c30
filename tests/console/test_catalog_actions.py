"""The Catalog's actions beyond creating and renaming: a plan priced in graduated or volume
tiers (the tiers read from the form's rows, refused beside the cell they name, in English
and Romanian, and said in words on the plan's page); archiving each kind the domains can
archive, after a confirmation, with its audit entry; and an add-on's features. Only owners
and admins do any of it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.console import catalog, catalog_archive
from recura.console.catalog import path_of
from tests.conftest import T0, Api, Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in, signed_in
from tests.console.operations_data import catalog as catalog_objects
from tests.console.test_catalog_pages import entries, shown, submit
from tests.portal.conftest import PRICE, Page
from tests.scenarios.world import World


def cell_errors(page: Page) -> dict[str, str]:
    """Each field's message (a tier's cell's too), by the field's name."""
    found = {}
    for message in page.tree.xpath('//*[@class="field-error"]'):
        name = str(message.get("id")).removeprefix("f-").removesuffix("-error")
        found[name] = " ".join(message.text_content().split())
    return found


def tiers(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The form's tier cells: (up to, price per unit, flat fee) per row, from the first."""
    cells = {}
    for number, (up_to, unit, flat) in enumerate(rows):
        cells |= {
            f"tier_{number}_up_to": up_to,
            f"tier_{number}_unit_amount": unit,
            f"tier_{number}_flat_amount": flat,
        }
    return cells


def made_id(where: str) -> str:
    return where.split("/")[-1].split("?")[0]


PLAN = {"code": "calls", "name": "API", "interval_unit": "month", "currency": "RON"}


def test_a_plan_with_graduated_tiers(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    client, operator = owner
    product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech API"})["id"]
    new = "/console/catalog/plans/new?mode=test"
    form = shown(client, new)
    models = form.tree.xpath('//select[@name="pricing_model"]/option/@value')
    assert {"tiered_graduated", "tiered_volume"} <= set(models)
    assert form.tree.xpath('//input[@name="tier_4_flat_amount"]')  # five rows
    fields: dict[str, str] = {"product": product, **PLAN, "pricing_model": "tiered_graduated"}

    def refused(**cells: str) -> dict[str, str]:
        status, _, page = submit(client, new, **fields, **cells)
        assert status == 422
        assert page is not None
        return cell_errors(page)

    # What the form cannot read, what the schema and what the service refuse: beside the cell.
    assert refused() == {"tiers": "Required by this pricing model (Graduated tiers)."}
    assert refused(**tiers(("ten", "5", ""), ("", "1", ""))) == {
        "tier_0_up_to": "Enter a number of units, such as 100."
    }
    assert refused(**tiers(("10", "5", ""), ("", "", ""), ("", "1", ""))) == {
        "tier_1_up_to": "Fill in the tiers from the first row down, with no empty row between them."
    }
    assert refused(**tiers(("10", "5", ""), ("5", "1", ""), ("", "1", ""))) == {
        "tier_1_up_to": "Must be more than the previous tier's limit."
    }
    assert refused(**tiers(("10", "5", ""), ("100", "1", ""))) == {
        "tier_1_up_to": "Leave the last tier's limit empty: it takes every unit above the"
        " previous tier."
    }
    assert refused(**tiers(("10", "5", "2.555"), ("", "1", ""))) == {
        "tier_0_flat_amount": "Enter an amount such as 49.90, with no more decimals than the"
        " currency has."
    }
    assert refused(amount="49.00", **tiers(("10", "5", ""), ("", "1", ""))) == {
        "amount": "Not used by this pricing model (Graduated tiers): leave it empty."
    }
    assert entries(session_factory, merchant, "plan.create") == []

    status, where, _ = submit(
        client, new, **fields, **tiers(("10", "5", ""), ("1000", "0.50", "20"), ("", "0.005", ""))
    )
    assert status == 303, where
    plan_id = made_id(where)
    (price,) = api.ok("GET", f"/v1/plans/{plan_id}")["current_version"]["prices"]
    assert price["tiers"] == [
        {"up_to": "10", "unit_amount": "500", "flat_amount": 0},
        {"up_to": "1000", "unit_amount": "50", "flat_amount": 2000},
        {"up_to": None, "unit_amount": "0.5", "flat_amount": 0},
    ]
    page = shown(client, where)
    listed = [
        " ".join(li.text_content().split()) for li in page.tree.xpath('//ol[@class="tiers"]/li')
    ]
    assert listed == [
        "Up to 10 units: RON 5.00 per unit",
        "Over 10 up to 1000 units: RON 0.50 per unit, plus RON 20.00",
        "Over 1000 units: RON 0.005 per unit",
    ]
    assert "Tiers: Graduated tiers" in page.text
    # The API prices it as the page says: 15 units are 10 at 5.00, 5 at 0.50 and 20.00.
    quote = api.ok("POST", f"/v1/plans/{plan_id}/quote", json={"currency": "RON", "quantity": "15"})
    assert quote["total"] == {"amount": 5000 + 250 + 2000, "currency": "RON"}
    (entry,) = entries(session_factory, merchant, "plan.create")
    assert (entry.actor_id, entry.target_id) == (operator.user_id, plan_id)


def test_a_new_version_in_volume_tiers_and_the_pages_in_romanian(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    ids = catalog_objects(api)
    operator = add_user(session_factory, merchant, "admin", locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    version = f"/console/catalog/plans/{ids['plans']}/version"
    fields = {"pricing_model": "tiered_volume", "currency": "RON"}
    status, _, page = submit(own, version, **fields, **tiers(("0", "5", ""), ("", "1", "")))
    assert status == 422
    assert page is not None
    assert cell_errors(page) == {
        "tier_0_up_to": "Limita primei trepte trebuie să fie mai mare decât 0."
    }
    status, _, page = submit(own, version, **fields, **tiers(("", "5", ""), ("", "1", "")))
    assert page is not None
    assert cell_errors(page) == {
        "tier_0_up_to": "Doar ultima treaptă poate fi fără limită: completați-o pe a acesteia."
    }
    status, _, page = submit(own, version, **fields, **tiers(("5", "x", ""), ("", "1", "")))
    assert page is not None
    assert cell_errors(page) == {
        "tier_0_unit_amount": "Scrieți un preț, de exemplu 0,50 (poate avea mai multe zecimale"
        " decât moneda)."
    }
    status, where, _ = submit(own, version, **fields, **tiers(("5", "10", ""), ("", "8", "")))
    assert status == 303, where
    current = api.ok("GET", f"/v1/plans/{ids['plans']}")["current_version"]
    assert (current["version"], current["pricing_model"]) == (2, "tiered_volume")
    page = shown(own, where)
    assert "Trepte: Trepte de volum" in page.text
    assert "Peste 5 unități: 8,00 RON pe unitate" in page.text
    (entry,) = entries(session_factory, merchant, "plan.update")
    assert entry.target_id == ids["plans"]
    # The other actions' pages in Romanian too.
    asked = shown(own, f"/console/catalog/plans/{ids['plans']}/archive")
    assert "Plan „Pro”: arhivați?" in asked.text
    assert "Abonamentele pe acest plan îl păstrează" in asked.text
    assert "Arhivarea nu poate fi anulată." in asked.text
    grants = shown(own, f"/console/catalog/add-ons/{ids['add_ons']}/features")
    assert "Limita pentru Projects" in grants.text
    assert "Salvați funcționalitățile" in grants.text


# What each kind's confirmation says archiving does, in part.
EFFECTS = {
    "products": "leave the pricing page",
    "plans": "Subscriptions on it keep it",
    "features": "can no longer be given this feature",
    "billable_metrics": "can no longer use this metric",
    "add_ons": "Subscriptions that have it keep it",
    "coupons": "can no longer be redeemed",
}
TARGETS = {
    "products": "product",
    "plans": "plan",
    "features": "feature",
    "billable_metrics": "billable_metric",
    "add_ons": "add_on",
    "coupons": "coupon",
}


def test_every_archivable_kind_has_its_page() -> None:
    assert set(catalog_archive.ARCHIVERS) == set(catalog.ARCHIVABLE) == set(EFFECTS)


@pytest.mark.parametrize("kind", list(EFFECTS))
def test_an_object_is_archived_after_a_confirmation(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    kind: str,
) -> None:
    client, operator = owner
    ids = catalog_objects(api)
    object_id = ids[kind]
    page_path = f"{path_of(kind)}/{object_id}"
    confirm = f"{page_path}/archive"
    assert shown(client, page_path).tree.xpath(f'//a[@href="{confirm}"]')
    asked = shown(client, confirm)
    assert EFFECTS[kind] in asked.text
    assert "Archiving cannot be undone." in asked.text
    form = asked.form("archive-form")
    # Without the form's key nothing happens.
    assert client.post(confirm, data={}, follow_redirects=False).status_code == 403
    assert entries(session_factory, merchant, f"{TARGETS[kind]}.archive") == []
    answer = client.post(confirm, data=form, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{page_path}?done=archived"
    done = shown(client, answer.headers["location"])
    assert "Archived: new customers no longer get it" in done.text
    assert not done.tree.xpath(f'//a[@href="{confirm}"]')
    api_path = {"add_ons": "/v1/add_ons", "billable_metrics": "/v1/billable_metrics"}.get(
        kind, f"/v1/{kind}"
    )
    assert api.ok("GET", f"{api_path}/{object_id}")["archived"] is True
    (entry,) = entries(session_factory, merchant, f"{TARGETS[kind]}.archive")
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.livemode) == (
        operator.user_id,
        TARGETS[kind],
        object_id,
        False,
    )
    # Sent again (a second tab, a colleague): refused with the reason, nothing recorded.
    again = client.post(confirm, data=form, follow_redirects=False)
    assert again.status_code == 409
    assert "is already archived." in Page(again).text
    assert len(entries(session_factory, merchant, f"{TARGETS[kind]}.archive")) == 1


def test_an_archived_plan_keeps_its_subscriptions_and_takes_no_new_one(
    owner: tuple[TestClient, Operator], api: Api
) -> None:
    client, _ = owner
    world = World(api, T0)
    plan = world.plan(PRICE, code="legacy")
    customer = world.customer(email="ana@example.ro", name="Ana Popescu")
    subscription = world.subscribe(customer, plan)["id"]
    confirm = f"/console/catalog/plans/{plan}/archive"
    form = shown(client, confirm).form("archive-form")
    assert client.post(confirm, data=form, follow_redirects=False).status_code == 303
    kept = api.ok("GET", f"/v1/subscriptions/{subscription}")
    assert (kept["plan"], kept["status"]) == (plan, "active")
    refused = api.post("/v1/subscriptions", json={"customer": customer, "plan": plan})
    assert refused.status_code == 422
    assert "is archived" in refused.text


def test_an_add_on_grants_features(
    owner: tuple[TestClient, Operator],
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
) -> None:
    client, operator = owner
    ids = catalog_objects(api)
    sso = api.ok(
        "POST", "/v1/features", 201, json={"code": "sso", "name": "SSO", "kind": "boolean"}
    )["id"]
    add_on = f"/console/catalog/add-ons/{ids['add_ons']}"
    assert shown(client, add_on).tree.xpath(f'//a[@href="{add_on}/features"]')
    path = f"{add_on}/features"
    form = shown(client, path).form("form-grants")
    projects = ids["features"]

    def sent(**values: str) -> Any:
        return client.post(path, data={**form, **values}, follow_redirects=False)

    answer = sent(**{f"grant_{projects}": "on", f"value_{projects}": "many"})
    assert answer.status_code == 422
    assert cell_errors(Page(answer)) == {f"value_{projects}": "Enter a whole number."}
    # The service's own bound, beside the feature it names.
    answer = sent(**{f"grant_{projects}": "on", f"value_{projects}": "10000000000000"})
    assert answer.status_code == 422
    assert cell_errors(Page(answer)) == {
        f"value_{projects}": "Enter a whole number from 0, or leave it empty for unlimited."
    }
    assert entries(session_factory, merchant, "add_on.features_change") == []
    answer = sent(**{f"grant_{projects}": "on", f"value_{projects}": "25", f"grant_{sso}": "on"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{add_on}?done=updated"
    granted = api.ok("GET", f"/v1/add_ons/{ids['add_ons']}")["features"]
    assert {(g["code"], g["value"]) for g in granted} == {("projects", 25), ("sso", True)}
    assert "projects: 25" in shown(client, add_on).text
    # The form shows what the add-on grants; an empty limit is unlimited; unticking removes.
    again = shown(client, path)
    assert again.tree.xpath(f'//input[@name="grant_{sso}"]/@checked')
    assert again.tree.xpath(f'//input[@name="value_{projects}"]/@value') == ["25"]
    # A granted feature archived since stays on the form, ticked; the service no longer
    # grants it, so it is said beside it until unticked.
    api.ok("POST", f"/v1/features/{sso}/archive")
    again = shown(client, path)
    assert again.tree.xpath(f'//input[@name="grant_{sso}"]/@checked')
    answer = sent(**{f"grant_{sso}": "on"})
    assert answer.status_code == 422
    assert cell_errors(Page(answer)) == {f"value_{sso}": f"Feature {sso} is archived."}
    answer = sent(**{f"grant_{projects}": "on", f"value_{projects}": ""})
    assert answer.status_code == 303
    granted = api.ok("GET", f"/v1/add_ons/{ids['add_ons']}")["features"]
    assert [(g["code"], g["value"]) for g in granted] == [("projects", None)]
    found = entries(session_factory, merchant, "add_on.features_change")
    assert [(e.actor_id, e.target_id) for e in found] == [(operator.user_id, ids["add_ons"])] * 2


@pytest.mark.parametrize("role", ["finance", "support", "analyst"])
def test_only_owners_and_admins_archive_and_grant(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    api: Api,
    role: str,
) -> None:
    ids = catalog_objects(api)
    own, _ = signed_in(client, session_factory, merchant, role)
    plan = f"/console/catalog/plans/{ids['plans']}"
    add_on = f"/console/catalog/add-ons/{ids['add_ons']}"
    for page in (plan, add_on):
        links = shown(own, page).tree.xpath("//a/@href")
        assert not [a for a in links if a.endswith("/archive") or a == f"{add_on}/features"]
    for path in (f"{plan}/archive", f"{add_on}/archive", f"{add_on}/features"):
        assert own.get(path).status_code == 403
        assert own.post(path, data={}).status_code == 403
    assert api.ok("GET", f"/v1/plans/{ids['plans']}")["archived"] is False
    assert entries(session_factory, merchant, "plan.archive") == []
