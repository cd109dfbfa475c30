"""The account's VAT settings through PATCH /v1/account."""

from __future__ import annotations

import pytest
from tests.conftest import Api


@pytest.mark.parametrize("rate", [21, "21", "21.00", 21.0])
def test_vat_rate_is_a_percentage(api: Api, rate: object) -> None:
    account = api.ok("PATCH", "/v1/account", json={"tax_rate": rate, "tax_inclusive": True})
    assert (account["tax_rate"], account["tax_inclusive"]) == ("21", True)
    assert api.ok("GET", "/v1/account")["tax_rate"] == "21"


@pytest.mark.parametrize("rate", [0.21, "0.21", "0.0900"])
def test_a_fraction_for_a_percentage_is_refused(api: Api, rate: object) -> None:
    response = api.patch("/v1/account", json={"tax_rate": rate})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["pointer"] == "#/tax_rate"
    assert "the VAT rate is a percentage" in error["detail"]
    assert api.ok("GET", "/v1/account")["tax_rate"] == "0"


@pytest.mark.parametrize("rate", [0, "0", 1, "5.5", 100])
def test_zero_and_whole_percentages_are_kept(api: Api, rate: object) -> None:
    assert api.ok("PATCH", "/v1/account", json={"tax_rate": rate})["tax_rate"] == str(rate)
