"""The account's sender settings: set with PATCH /v1/account, cleared with null, checked."""

from __future__ import annotations

from tests.conftest import Api


def test_sender_settings_are_set_cleared_and_checked(api: Api) -> None:
    account = api.ok("GET", "/v1/account")
    assert account["email_from_name"] is None
    assert account["winback_days"] == 14
    body = {
        "email_from_name": "Norditech",
        "email_from_address": "facturare@norditech.ro",
        "email_reply_to": "suport@norditech.ro",
        "winback_days": 30,
    }
    assert api.ok("PATCH", "/v1/account", json=body) | body == api.ok("GET", "/v1/account")
    # Other changes leave them alone; null clears them (the win-back: never).
    assert (
        api.ok("PATCH", "/v1/account", json={"legal_name": "Norditech SRL"})["winback_days"] == 30
    )
    cleared = api.ok("PATCH", "/v1/account", json={"email_reply_to": None, "winback_days": None})
    assert cleared["email_reply_to"] is None
    assert cleared["winback_days"] is None
    assert cleared["email_from_name"] == "Norditech"
    for field, value in [
        ("email_from_address", "not an address"),
        ("email_from_name", "Evil\r\nBcc: victim@example.com"),
        ("winback_days", 0),
    ]:
        response = api.patch("/v1/account", json={field: value})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["pointer"] == f"#/{field}"
