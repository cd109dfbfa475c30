"""The seller's legal profile through PATCH /v1/account: checked as a customer's details are,
stored in compact form, cleared with null."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

OFFICE = {
    "line1": "Bd. Unirii 15",
    "city": "București",
    "postal_code": "030823",
    "county": "RO-B",
    "sector": 3,
    "country": "RO",
}


def _errors(api: Api, body: dict[str, Any]) -> dict[str, str]:
    response = api.patch("/v1/account", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["pointer"]: e["detail"] for e in response.json()["errors"]}


def test_the_legal_profile_is_kept_in_compact_form(api: Api) -> None:
    account = api.ok(
        "PATCH",
        "/v1/account",
        json={
            "vat_id": "RO 185 472 90",
            "registration_number": "J12/3456/2019",
            "share_capital": 20000,
            "address": OFFICE,
        },
    )
    assert account["vat_id"] == "RO18547290"
    assert account["registration_number"] == "J12/3456/2019"
    # The currency of a share capital given alone is the account's.
    assert (account["share_capital"], account["share_capital_currency"]) == (20000, "RON")
    assert account["address"]["county"] == "RO-B"
    assert account["address"]["sector"] == 3
    assert api.ok("GET", "/v1/account")["vat_id"] == "RO18547290"


def test_a_cui_without_prefix_is_kept_for_a_seller_outside_vat(api: Api) -> None:
    assert api.ok("PATCH", "/v1/account", json={"vat_id": "18547290"})["vat_id"] == "18547290"


def test_wrong_numbers_and_places_are_named(api: Api) -> None:
    errors = _errors(
        api,
        {
            "vat_id": "RO18547291",
            "registration_number": "J12/3456/1800",
            "address": {**OFFICE, "county": "RO-CJ"},
        },
    )
    assert set(errors) == {"#/vat_id", "#/registration_number", "#/address/sector"}
    assert api.ok("GET", "/v1/account")["vat_id"] is None


def test_a_romanian_office_names_its_county(api: Api) -> None:
    office = {k: v for k, v in OFFICE.items() if k not in ("county", "sector")}
    assert set(_errors(api, {"address": office})) == {"#/address/county"}


def test_null_clears_the_profile(api: Api) -> None:
    api.ok("PATCH", "/v1/account", json={"vat_id": "RO18547290", "address": OFFICE})
    cleared = api.ok("PATCH", "/v1/account", json={"vat_id": None, "address": None})
    assert (cleared["vat_id"], cleared["address"]) == (None, None)
