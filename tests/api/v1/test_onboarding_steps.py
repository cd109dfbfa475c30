"""Onboarding steps through the API: their validation, scopes, a customer's guide in their
language, and completing a step by id or code, once, with its event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant
from tests.event_contract import check_recorded
from tests.scenarios.world import World, iso

T = {"en": {"title": "Connect your bank", "body": "Open **Settings**."}}


def step(api: Api, code: str, status: int = 201, **over: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/onboarding_steps", status, json={"code": code, "texts": T, **over})


def test_steps_are_validated(api: Api) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"code": "a", "texts": {}}, "/texts"),
        ({"code": "a", "texts": {"xx": {"title": "x"}}}, "/texts/xx/[key]"),
        ({"code": "a", "texts": {"en": {"title": ""}}}, "/texts/en/title"),
        ({"code": "a", "texts": {"en": {"title": "a\nb"}}}, "/texts/en/title"),
        ({"code": "a", "texts": {"en": {"title": "x", "body": "y" * 5001}}}, "/texts/en/body"),
        ({"code": "a", "texts": T, "link": "javascript:alert(1)"}, "/link"),
        ({"code": "a", "texts": T, "link": "ftp://files.example.ro/x"}, "/link"),
        ({"code": "a", "texts": T, "link": "https://ex ample.ro"}, "/link"),
        ({"code": "a", "texts": T, "link": "/relative/path"}, "/link"),
        ({"code": "A B", "texts": T}, "/code"),
        ({"code": "a", "texts": T, "position": -1}, "/position"),
        ({"code": "a", "texts": T, "plan": "plan_nope"}, "/plan"),
        ({"code": "a", "texts": T, "product": "prod_nope"}, "/product"),
        ({"code": "a", "texts": T, "plan": plan, "product": world.product}, "/plan"),
        ({"code": "a", "texts": T, "extra": 1}, "/extra"),
    ]
    for body, pointer in cases:
        response = api.post("/v1/onboarding_steps", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        pointers = [e["pointer"] for e in response.json()["errors"]]
        assert any(p.startswith("#" + pointer.replace("/[key]", "")) for p in pointers), (
            body,
            pointers,
        )
    step(api, "bank")
    assert api.post("/v1/onboarding_steps", json={"code": "bank", "texts": T}).status_code == 409


def test_create_update_list_archive(api: Api, merchant: Merchant) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    made = step(
        api,
        "bank",
        plan=plan,
        position=5,
        link="https://app.example.ro/bank",
        texts={"ro-RO": {"title": "Banca", "body": "*Deschideți*"}, "en": {"title": "Bank"}},
    )
    assert made["id"].startswith("obs_")
    assert made["object"] == "onboarding_step"
    assert (made["plan"], made["product"]) == (plan, None)
    assert made["texts"] == {
        "en": {"title": "Bank", "body": ""},
        "ro": {"title": "Banca", "body": "*Deschideți*"},
    }
    assert api.ok("GET", f"/v1/onboarding_steps/{made['id']}") == made
    changed = api.ok(
        "PATCH", f"/v1/onboarding_steps/{made['id']}", json={"position": 1, "link": None}
    )
    assert (changed["position"], changed["link"]) == (1, None)
    assert changed["texts"] == made["texts"]
    bad = api.patch(f"/v1/onboarding_steps/{made['id']}", json={"texts": None})
    assert bad.status_code == 422
    other = step(api, "account-wide")
    listed = api.ok("GET", "/v1/onboarding_steps", params={"plan": plan})["data"]
    assert [s["id"] for s in listed] == [made["id"]]
    everything = api.ok("GET", "/v1/onboarding_steps", params={"limit": 1})
    assert [s["id"] for s in everything["data"]] == [other["id"]]
    assert everything["has_more"] is True
    archived = api.ok("POST", f"/v1/onboarding_steps/{made['id']}/archive", json={})
    assert archived["archived"] is True
    assert api.post(f"/v1/onboarding_steps/{made['id']}/archive", json={}).status_code == 409
    # Another tenant's (the live mode's) step is not found.
    assert merchant.live.get(f"/v1/onboarding_steps/{made['id']}").status_code == 404


def test_a_customers_guide_and_completing_its_steps(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    t0 = T0
    world = World(api, t0)
    pro, basic = world.plan(4900), world.plan(1900)
    other_product = api.ok("POST", "/v1/products", 201, json={"name": "Other"})["id"]
    ro = {"ro": {"title": "Pasul", "body": "Vezi [ghidul](https://ex.ro/g)"}}
    everyone = step(api, "welcome", position=0, texts={**ro, "en": {"title": "The step"}})
    for_pro = step(api, "pro-only", position=2, plan=pro, texts=ro)  # only Romanian
    for_product = step(api, "crm", position=1, product=world.product)
    step(api, "basic-only", plan=basic)
    step(api, "other-product", product=other_product)
    gone = step(api, "gone")
    api.ok("POST", f"/v1/onboarding_steps/{gone['id']}/archive", json={})

    customer = world.customer(locale="en")
    sub = world.subscribe(customer, pro)["id"]
    found = api.ok("GET", f"/v1/customers/{customer}/onboarding")
    assert found["object"] == "onboarding"
    assert [s["code"] for s in found["steps"]] == ["welcome", "crm", "pro-only"]
    assert (found["done"], found["total"], found["language"]) == (0, 3, "en")
    first = found["steps"][0]
    assert (first["title"], first["done"], first["completed_at"]) == ("The step", False, None)
    # Written only in Romanian: shown in Romanian, the account's language.
    pro_step = found["steps"][2]
    assert pro_step["title"] == "Pasul"
    assert pro_step["body_html"] == (
        '<p>Vezi <a href="https://ex.ro/g" rel="noopener noreferrer nofollow">ghidul</a></p>'
    )

    done = api.ok("POST", f"/v1/customers/{customer}/onboarding_steps/crm/complete", json={})
    assert done["object"] == "onboarding_step_completion"
    assert done["id"].startswith("obc_")
    assert (done["step"], done["code"], done["customer"]) == (for_product["id"], "crm", customer)
    assert done["completed_by"] == "merchant"
    assert done["completed_at"] == iso(t0)
    again = api.ok(
        "POST",
        f"/v1/customers/{customer}/onboarding_steps/{for_product['id']}/complete",
        json={},
    )
    assert again == done
    api.ok("POST", f"/v1/customers/{customer}/onboarding_steps/{for_pro['id']}/complete")
    found = api.ok("GET", f"/v1/customers/{customer}/onboarding", params={"subscription": sub})
    assert (found["done"], found["total"]) == (2, 3)
    assert [s["done"] for s in found["steps"]] == [False, True, True]

    events = api.ok("GET", "/v1/events", params={"type": "onboarding_step.completed"})["data"]
    assert len(events) == 2  # the repeat recorded nothing
    assert events[-1]["data"] == {
        "id": done["id"],
        "step": for_product["id"],
        "code": "crm",
        "customer": customer,
        "completed_by": "merchant",
        "completed_at": iso(t0),
    }
    assert "onboarding_step.completed" in check_recorded(
        session_factory,
        merchant.account_id,
        api.client.app,  # type: ignore[arg-type]
    )

    # Errors: unknown step or customer, an archived step, another tenant's customer.
    base = f"/v1/customers/{customer}/onboarding_steps"
    assert api.post(f"{base}/nope/complete").status_code == 404
    assert api.post(f"{base}/{gone['id']}/complete").status_code == 409
    assert api.post(f"{base}/gone/complete").status_code == 409
    assert api.post("/v1/customers/cus_nope/onboarding_steps/crm/complete").status_code == 404
    assert merchant.live.post(f"{base}/crm/complete").status_code == 404
    assert merchant.live.get(f"/v1/customers/{customer}/onboarding").status_code == 404
    assert (
        api.get(
            f"/v1/customers/{customer}/onboarding", params={"subscription": "sub_x"}
        ).status_code
        == 404
    )

    # A customer without a subscription has the account-wide steps; once canceled, the
    # subscription's steps leave the guide.
    lone = world.customer(card=None, locale="ro")
    alone = api.ok("GET", f"/v1/customers/{lone}/onboarding")
    assert [s["step"] for s in alone["steps"]] == [everyone["id"]]
    assert alone["steps"][0]["title"] == "Pasul"
    world.act(sub, "cancel")
    after = api.ok("GET", f"/v1/customers/{customer}/onboarding")
    assert [s["code"] for s in after["steps"]] == ["welcome"]
