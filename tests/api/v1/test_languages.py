"""Language settings: a customer's `locale` is any valid language tag; the account's
`fallback_locale` must be one Recura writes."""

from __future__ import annotations

import pytest
from tests.conftest import Api


@pytest.mark.parametrize(
    ("given", "stored"),
    [("de-AT", "de_AT"), ("pt_BR", "pt_BR"), ("ro", "ro"), ("zh-Hant-TW", "zh_Hant_TW")],
)
def test_a_customer_may_have_any_language(api: Api, given: str, stored: str) -> None:
    customer = api.ok("POST", "/v1/customers", 201, json={"locale": given})
    assert customer["locale"] == stored


def test_a_tag_naming_no_language_is_refused_with_its_pointer(api: Api) -> None:
    response = api.post("/v1/customers", json={"locale": "xx-YY"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["pointer"] == "#/locale"
    assert "'xx-YY' is not a known language tag" in error["detail"]


def test_the_fallback_language_is_english_unless_the_merchant_chooses(api: Api) -> None:
    account = api.ok("GET", "/v1/account")
    assert (account["locale"], account["fallback_locale"]) == ("ro", "en")
    assert (
        api.ok("PATCH", "/v1/account", json={"fallback_locale": "ro-RO"})["fallback_locale"] == "ro"
    )
    response = api.patch("/v1/account", json={"fallback_locale": "de"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["pointer"] == "#/fallback_locale"
    assert "'de' is not a language Recura writes (en, ro)" in error["detail"]
    assert api.ok("GET", "/v1/account")["fallback_locale"] == "ro"


def test_the_reminder_days_are_a_setting_that_may_be_turned_off(api: Api) -> None:
    assert api.ok("GET", "/v1/account")["invoice_reminder_days"] == 3
    assert (
        api.ok("PATCH", "/v1/account", json={"invoice_reminder_days": 5})["invoice_reminder_days"]
        == 5
    )
    assert (
        api.ok("PATCH", "/v1/account", json={"invoice_reminder_days": None})[
            "invoice_reminder_days"
        ]
        is None
    )
    assert api.patch("/v1/account", json={"invoice_reminder_days": 0}).status_code == 422
