"""/v1/partner_perks: perks defined, voucher codes uploaded and given one per subscriber,
subscribers without a code served on upload, the pool's low warning once per crossing,
and partner links signed with a secret shown once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.api.v1.test_entitlements import Catalog
from tests.api.v1.test_products import assert_problem
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.event_contract import check_recorded

from recura.core import perk_tokens
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.partner_perks import views

TEXTS = {"en": "Three months of Spotify Premium.", "ro": "Trei luni de Spotify Premium."}
LINK = "https://libris.example/partner?token={token}"


def voucher(plans: list[str] = (), **over: Any) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "name": "Spotify Premium",
        "partner_name": "Spotify",
        "description": TEXTS,
        "kind": "voucher",
        "plans": list(plans),
        **over,
    }


def link(**over: Any) -> dict[str, Any]:
    return {
        "name": "20% off at Libris",
        "partner_name": "Libris",
        "description": {"en": "20% off every book."},
        "kind": "link",
        "url_template": LINK,
        **over,
    }


def events_of(api: Api, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.ok("GET", "/v1/events", params={"type": kind, "limit": 100})[
        "data"
    ]
    return found[::-1]  # oldest first


@pytest.fixture
def shop(api: Api) -> Catalog:
    return Catalog(api)


def test_create_read_update_archive_a_voucher_perk(api: Api, shop: Catalog) -> None:
    plan = shop.plan({})
    created = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan]))
    assert created["id"].startswith("perk_")
    assert created["object"] == "partner_perk"
    assert created["kind"] == "voucher"
    assert created["secret"] is None  # a voucher perk signs nothing
    assert created["low_stock_threshold"] == 10  # warned by default
    assert created["vouchers"] == {"available": 0, "assigned": 0, "waiting": 0}
    assert (created["plans"], created["add_ons"]) == ([plan], [])
    assert created["description"] == TEXTS
    got = api.ok("GET", f"/v1/partner_perks/{created['id']}")
    assert got == {k: v for k, v in created.items() if k != "secret"}

    add_on = shop.add_on({})
    changed = api.ok(
        "PATCH",
        f"/v1/partner_perks/{created['id']}",
        json={"name": "Spotify Family", "add_ons": [add_on], "low_stock_threshold": None},
    )
    assert (changed["name"], changed["plans"], changed["add_ons"]) == (
        "Spotify Family",
        [plan],
        [add_on],
    )
    assert changed["low_stock_threshold"] is None
    listed = api.ok("GET", "/v1/partner_perks")
    assert [p["id"] for p in listed["data"]] == [created["id"]]

    archived = api.ok("POST", f"/v1/partner_perks/{created['id']}/archive")
    assert archived["archived"] is True
    assert_problem(api.post(f"/v1/partner_perks/{created['id']}/archive"), 409)
    upload = api.post(f"/v1/partner_perks/{created['id']}/vouchers", json={"codes": ["A"]})
    assert_problem(upload, 409)


def test_a_link_perk_shows_its_secret_at_creation_and_rotation_only(api: Api) -> None:
    created = api.ok("POST", "/v1/partner_perks", 201, json=link())
    secret = created["secret"]
    assert secret.startswith("pks_")
    assert len(secret) > 40
    assert (created["vouchers"], created["low_stock_threshold"]) == (None, None)
    got = api.ok("GET", f"/v1/partner_perks/{created['id']}")
    assert "secret" not in got
    assert secret not in str(api.ok("GET", "/v1/partner_perks"))
    rotated = api.ok("POST", f"/v1/partner_perks/{created['id']}/rotate_secret")
    assert rotated["secret"].startswith("pks_")
    assert rotated["secret"] != secret
    perk_id = created["id"]
    assert_problem(api.post(f"/v1/partner_perks/{perk_id}/vouchers", json={"codes": ["A"]}), 409)
    other = api.ok("POST", "/v1/partner_perks", 201, json=voucher())
    assert_problem(api.post(f"/v1/partner_perks/{other['id']}/rotate_secret"), 409)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"kind": "coupon"}, "#/kind"),
        ({"name": " "}, "#/name"),
        ({"partner_name": "a\nb"}, "#/partner_name"),
        ({"description": {}}, "#/description"),
        ({"description": {"de": "Drei Monate"}}, "#/description/de"),
        ({"description": {"en": "x" * 1001}}, "#/description/en"),
        ({"url_template": LINK}, "#/url_template"),
        ({"low_stock_threshold": -1}, "#/low_stock_threshold"),
        ({"low_stock_threshold": "5"}, "#/low_stock_threshold"),
        ({"plans": ["plan_missing"]}, "#/plans/0"),
        ({"add_ons": ["addon_missing"]}, "#/add_ons/0"),
        ({"metadata": {}}, "#/metadata"),
    ],
)
def test_invalid_voucher_perks_point_at_the_field(api: Api, body: dict, pointer: str) -> None:
    problem = assert_problem(api.post("/v1/partner_perks", json={**voucher(), **body}), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer], problem


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url_template": None}, "#/url_template"),
        ({"url_template": "https://libris.example/partner"}, "#/url_template"),
        ({"url_template": "https://l.example/{token}/{token}"}, "#/url_template"),
        ({"url_template": "https://l.example/{token}?u={user}"}, "#/url_template"),
        ({"url_template": "ftp://l.example/{token}"}, "#/url_template"),
        ({"url_template": "/partner?t={token}"}, "#/url_template"),
        ({"url_template": "https://l.example/a b/{token}"}, "#/url_template"),
        ({"low_stock_threshold": 5}, "#/low_stock_threshold"),
    ],
)
def test_invalid_link_perks_point_at_the_field(api: Api, body: dict, pointer: str) -> None:
    problem = assert_problem(api.post("/v1/partner_perks", json={**link(), **body}), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer], problem


def test_live_links_must_be_https(merchant: Merchant) -> None:
    body = link(url_template="http://libris.example/?t={token}")
    problem = assert_problem(merchant.live.post("/v1/partner_perks", json=body), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/url_template"]
    assert merchant.api.ok("POST", "/v1/partner_perks", 201, json=body)["kind"] == "link"


def test_a_plan_named_twice_or_of_another_account_is_refused(
    api: Api, shop: Catalog, session_factory: Any, client: Any
) -> None:
    plan = shop.plan({})
    problem = assert_problem(api.post("/v1/partner_perks", json=voucher([plan, plan])), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/plans/1"]
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    foreign = Catalog(other.api).plan({})
    problem = assert_problem(api.post("/v1/partner_perks", json=voucher([foreign])), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/plans/0"]


def test_another_accounts_perk_is_not_found(api: Api, session_factory: Any, client: Any) -> None:
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher())["id"]
    other = make_merchant(session_factory, client, name="Alt Firma SRL")
    for method, path in [
        ("GET", f"/v1/partner_perks/{perk}"),
        ("PATCH", f"/v1/partner_perks/{perk}"),
        ("POST", f"/v1/partner_perks/{perk}/archive"),
        ("POST", f"/v1/partner_perks/{perk}/vouchers"),
    ]:
        body = {"codes": ["X"]} if path.endswith("vouchers") else {}
        assert_problem(other.api.request(method, path, json=body), 404)
    assert other.api.ok("GET", "/v1/partner_perks")["data"] == []


def test_uploads_skip_and_count_codes_already_in_the_pool(api: Api) -> None:
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher())["id"]
    first = api.ok(
        "POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", " B ", "A", "C"]}
    )
    assert first == {
        "object": "voucher_upload",
        "perk": perk,
        "added": 3,
        "skipped": 1,
        "assigned": 0,
        "available": 3,
    }
    again = api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["B", "C", "D"]})
    assert (again["added"], again["skipped"], again["available"]) == (1, 2, 4)
    # Another perk's pool is its own: the same code goes in.
    other = api.ok("POST", "/v1/partner_perks", 201, json=voucher())["id"]
    assert api.ok("POST", f"/v1/partner_perks/{other}/vouchers", json={"codes": ["A"]})["added"]


@pytest.mark.parametrize(
    ("codes", "pointer"),
    [
        ([], "#/codes"),
        (["ok", ""], "#/codes/1"),
        (["ok", "a\tb"], "#/codes/1"),
        (["x" * 201], "#/codes/0"),
        (["ok", 5], "#/codes/1"),
        ([f"C{n}" for n in range(10_001)], "#/codes"),
    ],
)
def test_invalid_uploads_point_at_the_code(api: Api, codes: list[Any], pointer: str) -> None:
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher())["id"]
    response = api.post(f"/v1/partner_perks/{perk}/vouchers", json={"codes": codes})
    problem = assert_problem(response, 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


def test_ten_thousand_long_codes_go_in_one_request(api: Api) -> None:
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher(low_stock_threshold=None))["id"]
    codes = [f"{n:06d}-" + "x" * 190 for n in range(10_000)]
    done = api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": codes})
    assert (done["added"], done["available"]) == (10_000, 10_000)


def test_each_subscriber_gets_one_code_and_keeps_it(api: Api, shop: Catalog) -> None:
    plan, other_plan = shop.plan({}), shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan, other_plan]))["id"]
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", "B", "C"]})
    ana, ion = shop.customer(), shop.customer()
    first = shop.subscribe(ana, plan)
    shop.subscribe(ana, other_plan)  # a second subscription granting it: no second code
    shop.subscribe(ion, plan)
    assigned = events_of(api, "partner_perk.assigned")
    assert [(e["data"]["customer"], e["data"]["perk"]) for e in assigned] == [
        (ana, perk),
        (ion, perk),
    ]
    assert assigned[0]["data"]["subscription"] == first["id"]
    codes = [e["data"]["code"] for e in assigned]
    assert len(set(codes)) == 2
    got = api.ok("GET", f"/v1/partner_perks/{perk}")
    assert got["vouchers"] == {"available": 1, "assigned": 2, "waiting": 0}


def test_an_add_on_added_later_grants_its_perk(api: Api, shop: Catalog) -> None:
    plan, extra = shop.plan({}), shop.add_on({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher(add_ons=[extra]))["id"]
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", "B"]})
    ana = shop.customer()
    sub = shop.subscribe(ana, plan)
    assert events_of(api, "partner_perk.assigned") == []
    api.ok(
        "POST",
        f"/v1/subscriptions/{sub['id']}/change",
        json={"add_ons": [{"add_on": extra, "quantity": 1}]},
    )
    [given] = events_of(api, "partner_perk.assigned")
    assert (given["data"]["customer"], given["data"]["subscription"]) == (ana, sub["id"])


def test_an_empty_pool_lets_subscriptions_start_and_serves_them_on_upload(
    api: Api, shop: Catalog
) -> None:
    plan = shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan], low_stock_threshold=None))[
        "id"
    ]
    waiting = [shop.customer() for _ in range(3)]
    subs = [shop.subscribe(customer, plan)["status"] for customer in waiting]
    assert subs == ["active"] * 3
    assert api.ok("GET", f"/v1/partner_perks/{perk}")["vouchers"]["waiting"] == 3
    done = api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", "B"]})
    assert (done["added"], done["assigned"], done["available"]) == (2, 2, 0)
    served = [e["data"]["customer"] for e in events_of(api, "partner_perk.assigned")]
    assert served == waiting[:2]  # longest waiting first
    assert api.ok("GET", f"/v1/partner_perks/{perk}")["vouchers"] == {
        "available": 0,
        "assigned": 2,
        "waiting": 1,
    }
    done = api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["C", "D"]})
    assert (done["assigned"], done["available"]) == (1, 1)
    assert [e["data"]["customer"] for e in events_of(api, "partner_perk.assigned")] == waiting


def test_a_canceled_subscriber_does_not_wait_for_a_code(api: Api, shop: Catalog) -> None:
    plan = shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan]))["id"]
    sub = shop.subscribe(shop.customer(), plan)
    api.ok("POST", f"/v1/subscriptions/{sub['id']}/cancel", json={})
    done = api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A"]})
    assert (done["assigned"], done["available"]) == (0, 1)


def test_granting_a_perk_to_a_plan_serves_its_subscribers(api: Api, shop: Catalog) -> None:
    plan = shop.plan({})
    ana = shop.customer()
    shop.subscribe(ana, plan)
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher())["id"]
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A"]})
    assert events_of(api, "partner_perk.assigned") == []
    api.ok("PATCH", f"/v1/partner_perks/{perk}", json={"plans": [plan]})
    [given] = events_of(api, "partner_perk.assigned")
    assert (given["data"]["customer"], given["data"]["code"]) == (ana, "A")


def test_the_pool_low_warning_comes_once_per_crossing(api: Api, shop: Catalog) -> None:
    plan = shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan], low_stock_threshold=2))[
        "id"
    ]
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", "B", "C", "D"]})
    assert events_of(api, "partner_perk.pool_low") == []
    shop.subscribe(shop.customer(), plan)  # 3 left
    assert events_of(api, "partner_perk.pool_low") == []
    assert api.ok("GET", f"/v1/partner_perks/{perk}")["pool_low"] is False
    shop.subscribe(shop.customer(), plan)  # 2 left: low
    [low] = events_of(api, "partner_perk.pool_low")
    assert low["data"] == {
        "id": perk,
        "object": "partner_perk",
        "name": "Spotify Premium",
        "partner_name": "Spotify",
        "available": 2,
        "low_stock_threshold": 2,
        "waiting": 0,
    }
    assert api.ok("GET", f"/v1/partner_perks/{perk}")["pool_low"] is True
    for _ in range(3):  # 1 left, 0 left, then one waiting: still the same crossing
        shop.subscribe(shop.customer(), plan)
    assert len(events_of(api, "partner_perk.pool_low")) == 1
    # Codes lift it above the threshold (the one waiting served first): cleared, then low again.
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["E", "F", "G", "H"]})
    assert api.ok("GET", f"/v1/partner_perks/{perk}")["pool_low"] is False
    shop.subscribe(shop.customer(), plan)
    assert len(events_of(api, "partner_perk.pool_low")) == 2
    # An upload that leaves it low warns nobody again.
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["I"]})
    assert len(events_of(api, "partner_perk.pool_low")) == 2


def test_an_empty_pool_with_subscribers_waiting_is_low(api: Api, shop: Catalog) -> None:
    plan = shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan]))["id"]
    shop.subscribe(shop.customer(), plan)
    [low] = events_of(api, "partner_perk.pool_low")
    assert (low["data"]["id"], low["data"]["available"], low["data"]["waiting"]) == (perk, 0, 1)


def test_a_lower_threshold_clears_the_warning_and_a_higher_one_warns(
    api: Api, shop: Catalog
) -> None:
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher(low_stock_threshold=0))["id"]
    api.ok("POST", f"/v1/partner_perks/{perk}/vouchers", json={"codes": ["A", "B"]})
    assert events_of(api, "partner_perk.pool_low") == []
    raised = api.ok("PATCH", f"/v1/partner_perks/{perk}", json={"low_stock_threshold": 5})
    assert raised["pool_low"] is True
    assert len(events_of(api, "partner_perk.pool_low")) == 1
    lowered = api.ok("PATCH", f"/v1/partner_perks/{perk}", json={"low_stock_threshold": 1})
    assert lowered["pool_low"] is False


def test_perks_for_shows_codes_pending_codes_and_signed_links(
    api: Api, shop: Catalog, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    plan = shop.plan({})
    spotify = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan]))["id"]
    bolt = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan], name="Bolt"))["id"]
    libris = api.ok("POST", "/v1/partner_perks", 201, json=link(plans=[plan]))
    elsewhere = api.ok("POST", "/v1/partner_perks", 201, json=link(name="Not granted"))["id"]
    api.ok("POST", f"/v1/partner_perks/{spotify}/vouchers", json={"codes": ["SPOT-1"]})
    ana = shop.customer()
    sub = shop.subscribe(ana, plan)
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        found = views.perks_for(session, tenant, ana, "ro", T0)
        english = views.perks_for(session, tenant, ana, "en", T0)
        nobody = views.perks_for(session, tenant, "cus_missing", "ro", T0)
    assert nobody == []
    assert [p.id for p in found] == [spotify, bolt, libris["id"]]
    assert elsewhere not in [p.id for p in found]
    code, pending, partner = found
    assert (code.kind, code.code, code.pending) == ("voucher", "SPOT-1", False)
    assert code.description == TEXTS["ro"]
    assert english[0].description == TEXTS["en"]
    assert (pending.code, pending.pending, pending.url) == (None, True, None)
    assert partner.kind == "link"
    assert partner.description == "20% off every book."  # no Romanian text: the English one
    assert partner.url is not None
    assert partner.url.startswith("https://libris.example/partner?token=v1.")
    token = partner.url.split("token=", 1)[1]
    claims = perk_tokens.verify(token, libris["secret"], T0, perk=libris["id"])
    assert claims.customer == ana
    assert partner.expires_at == T0 + views.PAGE_LINK_TTL
    assert claims.expires == int(partner.expires_at.timestamp())
    with pytest.raises(perk_tokens.InvalidPerkToken):
        perk_tokens.verify(token, libris["secret"], T0 + views.PAGE_LINK_TTL)
    # Once rotated, new links verify with the new secret only.
    rotated = api.ok("POST", f"/v1/partner_perks/{libris['id']}/rotate_secret")["secret"]
    with unit_of_work(session_factory) as session:
        fresh = views.perks_for(session, tenant, ana, "en", T0)[2].url
    assert fresh is not None
    fresh_token = fresh.split("token=", 1)[1]
    assert perk_tokens.verify(fresh_token, rotated, T0).customer == ana
    with pytest.raises(perk_tokens.InvalidPerkToken):
        perk_tokens.verify(fresh_token, libris["secret"], T0)
    # Archived perks and ended subscriptions grant nothing; the code stays the customer's.
    api.ok("POST", f"/v1/partner_perks/{bolt}/archive")
    with unit_of_work(session_factory) as session:
        assert [p.id for p in views.perks_for(session, tenant, ana, "en", T0)] == [
            spotify,
            libris["id"],
        ]
    api.ok("POST", f"/v1/subscriptions/{sub['id']}/cancel", json={})
    with unit_of_work(session_factory) as session:
        assert views.perks_for(session, tenant, ana, "en", T0) == []
    shop.subscribe(ana, plan)
    with unit_of_work(session_factory) as session:
        assert views.perks_for(session, tenant, ana, "en", T0)[0].code == "SPOT-1"


def test_the_perk_events_match_their_webhook_schema(
    api: Api,
    shop: Catalog,
    merchant: Merchant,
    client: Any,
    session_factory: sessionmaker[Session],
) -> None:
    plan = shop.plan({})
    perk = api.ok("POST", "/v1/partner_perks", 201, json=voucher([plan], low_stock_threshold=1))
    api.ok("POST", f"/v1/partner_perks/{perk['id']}/vouchers", json={"codes": ["A", "B"]})
    shop.subscribe(shop.customer(), plan)
    shop.subscribe(shop.customer(), plan)
    seen = check_recorded(session_factory, merchant.account_id, client.app)
    assert {"partner_perk.assigned", "partner_perk.pool_low"} <= seen


def test_webhook_endpoints_may_ask_for_perk_events(api: Api) -> None:
    body = {"url": "https://hooks.example/recura", "enabled_events": ["partner_perk.*"]}
    created = api.ok("POST", "/v1/webhook_endpoints", 201, json=body)
    assert created["enabled_events"] == ["partner_perk.*"]
