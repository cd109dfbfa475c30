from __future__ import annotations

import pytest
from tests.conftest import Api

BUCHAREST = {"line1": "Calea Victoriei 1", "city": "București", "country": "RO"}
ANA = {
    "external_id": "user-1",
    "email": "ana.popescu@example.ro",
    "name": "Ana Popescu",
    "country": "RO",
    "locale": "ro",
    "currency": "RON",
    "vat_id": "RO 18547290",
    "address": {"line1": "Str. Memorandumului 28", "city": "Cluj-Napoca", "country": "ro"},
    "metadata": {"crm": "HS-1"},
}


def test_create_read_update_archive(api: Api) -> None:
    created = api.ok("POST", "/v1/customers", 201, json=ANA)
    assert created["id"].startswith("cus_")
    assert created["vat_id"] == "RO18547290"
    assert created["address"]["country"] == "RO"
    assert created["livemode"] is False
    assert created["archived"] is False
    assert api.ok("GET", f"/v1/customers/{created['id']}") == created

    updated = api.ok(
        "PATCH",
        f"/v1/customers/{created['id']}",
        json={"name": "Ana Ionescu", "metadata": {"crm": "", "tier": "gold"}, "locale": None},
    )
    assert updated["name"] == "Ana Ionescu"
    assert updated["metadata"] == {"tier": "gold"}
    assert updated["locale"] is None
    assert updated["email"] == ANA["email"]

    archived = api.ok("POST", f"/v1/customers/{created['id']}/archive")
    assert archived["archived"] is True
    again = api.post(f"/v1/customers/{created['id']}/archive")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_a_company_with_its_register_number_and_a_bucharest_address(api: Api) -> None:
    body = {
        "email": "facturi@norditech.ro",
        "kind": "company",
        "legal_name": "Norditech Software SRL",
        "vat_id": "RO18547290",
        "registration_number": "J40/12345/2020",
        "country": "RO",
        "address": {**BUCHAREST, "county": "ro-b", "sector": 3},
    }
    created = api.ok("POST", "/v1/customers", 201, json=body)
    assert (created["kind"], created["legal_name"]) == ("company", "Norditech Software SRL")
    assert created["registration_number"] == "J40/12345/2020"
    assert (created["address"]["county"], created["address"]["sector"]) == ("RO-B", 3)
    person = api.ok("POST", "/v1/customers", 201, json={"email": "ana@example.ro"})
    assert (person["kind"], person["legal_name"], person["registration_number"]) == (
        "individual",
        None,
        None,
    )
    # A company keeps its legal name; becoming one needs it.
    refused = api.patch(f"/v1/customers/{person['id']}", json={"kind": "company"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["pointer"] == "#/legal_name"
    moved = api.ok(
        "PATCH",
        f"/v1/customers/{created['id']}",
        json={"address": {**BUCHAREST, "city": "Cluj-Napoca", "county": "RO-CJ"}},
    )
    assert (moved["address"]["county"], moved["address"]["sector"]) == ("RO-CJ", None)


def test_external_id_is_unique_per_account(api: Api) -> None:
    api.ok("POST", "/v1/customers", 201, json={"external_id": "dup"})
    second = api.post("/v1/customers", json={"external_id": "dup"})
    assert second.status_code == 409
    assert "dup" in second.json()["detail"]
    other = api.ok("POST", "/v1/customers", 201, json={"external_id": "other"})
    clash = api.patch(f"/v1/customers/{other['id']}", json={"external_id": "dup"})
    assert clash.status_code == 409


def test_external_id_may_repeat_across_accounts_and_modes(api: Api, merchant) -> None:
    api.ok("POST", "/v1/customers", 201, json={"external_id": "same"})
    merchant.live.ok("POST", "/v1/customers", 201, json={"external_id": "same"})


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"email": "not-an-email"}, "#/email"),
        ({"country": "XX"}, "#/country"),
        ({"currency": "RNO"}, "#/currency"),
        ({"locale": "zz_QQ"}, "#/locale"),
        ({"vat_id": "RO18547291"}, "#/vat_id"),
        ({"vat_id": "RO18547290", "country": "DE"}, "#/vat_id"),
        ({"address": {"line1": "x", "country": "RO"}}, "#/address/city"),
        ({"metadata": {"k": "v" * 501}}, "#/metadata"),
        ({"nickname": "typo"}, "#/nickname"),
        ({"name": ""}, "#/name"),
        ({"kind": "company"}, "#/legal_name"),
        ({"kind": "partnership"}, "#/kind"),
        ({"country": "RO", "registration_number": "J99/1/2020"}, "#/registration_number"),
        ({"address": {**BUCHAREST, "county": "RO-XX"}}, "#/address/county"),
        ({"address": {**BUCHAREST, "county": "RO-B"}}, "#/address/sector"),
        ({"address": {**BUCHAREST, "county": "RO-CJ", "sector": 1}}, "#/address/sector"),
        ({"address": {**BUCHAREST, "county": "RO-B", "sector": 7}}, "#/address/sector"),
    ],
)
def test_invalid_fields_have_pointers(api: Api, body: dict, pointer: str) -> None:
    response = api.post("/v1/customers", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["type"] == "urn:recura:problem:validation"
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


def test_malformed_json_is_a_problem(api: Api) -> None:
    response = api.post(
        "/v1/customers", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"].startswith("#")


def test_list_filters_and_pagination(api: Api) -> None:
    ids = [
        api.ok("POST", "/v1/customers", 201, json={"email": f"c{i}@example.com"})["id"]
        for i in range(5)
    ]
    api.ok("POST", f"/v1/customers/{ids[0]}/archive")
    page1 = api.ok("GET", "/v1/customers", params={"limit": 2})
    assert page1["object"] == "list"
    assert [c["id"] for c in page1["data"]] == sorted(ids, reverse=True)[:2]
    assert page1["has_more"] is True
    seen = [c["id"] for c in page1["data"]]
    cursor = seen[-1]
    while True:
        page = api.ok("GET", "/v1/customers", params={"limit": 2, "starting_after": cursor})
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert seen == sorted(ids, reverse=True)
    by_email = api.ok("GET", "/v1/customers", params={"email": "C3@EXAMPLE.COM"})
    assert [c["id"] for c in by_email["data"]] == [ids[3]]
    active = api.ok("GET", "/v1/customers", params={"archived": "false"})
    assert ids[0] not in [c["id"] for c in active["data"]]
    by_ext = api.ok("GET", "/v1/customers", params={"external_id": "nope"})
    assert by_ext["data"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"limit": "x"}])
def test_bad_page_parameters(api: Api, params: dict) -> None:
    response = api.get("/v1/customers", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["parameter"] == "limit"


def test_unknown_customer_is_404(api: Api) -> None:
    response = api.get("/v1/customers/cus_nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_customer_on_a_test_clock_lives_in_its_time(api: Api) -> None:
    clock = api.ok(
        "POST", "/v1/test_clocks", 201, json={"name": "past", "frozen_time": "2025-01-01T00:00:00Z"}
    )["id"]
    created = api.ok("POST", "/v1/customers", 201, json={"name": "Ana", "test_clock": clock})
    assert created["created_at"] == created["updated_at"] == "2025-01-01T00:00:00Z"
    body = {"gateway": "sandbox", "token": "tok_sandbox_visa"}
    api.ok("POST", f"/v1/customers/{created['id']}/payment_methods", 201, json=body)
    renamed = api.ok("PATCH", f"/v1/customers/{created['id']}", json={"name": "Ana P."})
    assert renamed["updated_at"] == "2025-01-01T00:00:00Z"


def test_acquisition_channel_set_read_and_changed(api: Api) -> None:
    utm = {"utm_source": "google", "utm_medium": "cpc"}
    derived = api.ok("POST", "/v1/customers", 201, json={"acquisition": utm})
    assert (derived["acquisition_channel"], derived["acquisition"]) == ("google_ads", utm)
    plain = api.ok("POST", "/v1/customers", 201, json={})
    assert (plain["acquisition_channel"], plain["acquisition"]) == (None, {})
    given = api.ok(
        "POST",
        "/v1/customers",
        201,
        json={"acquisition_channel": " Podcast_X ", "acquisition": utm},
    )
    assert given["acquisition_channel"] == "podcast_x"

    path = f"/v1/customers/{derived['id']}"
    changed = api.ok("PATCH", path, json={"acquisition_channel": "referral"})
    assert (changed["acquisition_channel"], changed["acquisition"]) == ("referral", utm)
    replaced = api.ok("PATCH", path, json={"acquisition": {"utm_source": "partner"}})
    assert replaced["acquisition"] == {"utm_source": "partner"}
    assert replaced["acquisition_channel"] == "referral"
    cleared = api.ok("PATCH", path, json={"acquisition_channel": None, "acquisition": None})
    assert (cleared["acquisition_channel"], cleared["acquisition"]) == (None, {})
    for body, pointer in [
        ({"acquisition_channel": "Google Ads"}, "/acquisition_channel"),
        ({"acquisition_channel": "x" * 41}, "/acquisition_channel"),
        ({"acquisition": {"gclid": "1"}}, "/acquisition/gclid"),
    ]:
        response = api.patch(path, json=body)
        assert response.status_code == 422, body
        assert [e["pointer"] for e in response.json()["errors"]] == ["#" + pointer]
