"""The webhook endpoints API: secrets shown once, filters checked, URLs checked."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import Api, Merchant

from recura.api.app import create_app
from recura.clock import FixedClock
from recura.config import Settings

PATH = "/v1/webhook_endpoints"


def create(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"url": "https://hooks.merchant.example/recura", **fields}
    created: dict[str, Any] = api.ok("POST", PATH, 201, json=body)
    return created


def test_the_secret_is_shown_on_create_and_rotation_only(api: Api) -> None:
    created = create(api, description="Provisioning")
    assert created["secret"].startswith("whsec_")
    assert len(created["secret"]) > len("whsec_") + 32
    assert created["enabled_events"] == ["*"]
    assert created["status"] == "enabled"
    found = api.ok("GET", f"{PATH}/{created['id']}")
    assert "secret" not in found
    assert found == {k: v for k, v in created.items() if k != "secret"}
    assert all("secret" not in e for e in api.ok("GET", PATH)["data"])
    rotated = api.ok("POST", f"{PATH}/{created['id']}/rotate_secret", json={})
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] == "2026-01-16T09:30:00Z"  # 24 h
    at_once = api.ok(
        "POST", f"{PATH}/{created['id']}/rotate_secret", json={"expire_previous_in_hours": 0}
    )
    assert at_once["previous_secret_expires_at"] is None


def test_filters_take_known_event_families(api: Api) -> None:
    created = create(api, enabled_events=["invoice.*", "subscription.created", "invoice.*"])
    assert created["enabled_events"] == ["invoice.*", "subscription.created"]
    assert create(api, enabled_events=["invoice.paid", "*"])["enabled_events"] == ["*"]
    for bad in (["invoices.paid"], ["nope.*"], ["invoice"], [], ["invoice.*x"]):
        response = api.post(
            PATH, json={"url": "https://hooks.merchant.example/", "enabled_events": bad}
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["errors"][0]["pointer"].startswith("#/enabled_events")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.merchant.example/",
        "hooks.merchant.example/x",
        "https://",
        "https://user:pw@hooks.merchant.example/",
        "https://hooks.merchant.example:0/",
    ],
)
def test_urls_must_be_http_and_plain(api: Api, url: str) -> None:
    response = api.post(PATH, json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "#/url"


def test_update_disable_enable_and_delete(api: Api) -> None:
    created = create(api)
    path = f"{PATH}/{created['id']}"
    changed = api.ok(
        "PATCH",
        path,
        json={"url": "https://hooks.merchant.example/v2", "enabled_events": ["payment.*"]},
    )
    assert changed["url"] == "https://hooks.merchant.example/v2"
    assert changed["enabled_events"] == ["payment.*"]
    off = api.ok("PATCH", path, json={"enabled": False})
    assert off["status"] == "disabled"
    assert off["disabled_reason"] == "Disabled through the API."
    conflict = api.post(f"{path}/replay", json={"failed_since": "2026-01-01T00:00:00Z"})
    assert conflict.status_code == 409
    on = api.ok("PATCH", path, json={"enabled": True, "description": None})
    assert on["status"] == "enabled"
    assert on["disabled_reason"] is None
    assert api.ok("GET", f"{path}/deliveries")["data"] == []
    assert api.ok("DELETE", path) == {
        "object": "webhook_endpoint",
        "id": created["id"],
        "deleted": True,
    }
    assert api.get(path).status_code == 404


def test_a_replay_names_an_event_or_a_time(api: Api) -> None:
    path = f"{PATH}/{create(api)['id']}/replay"
    for body in ({}, {"event": "evt_x", "failed_since": "2026-01-01T00:00:00Z"}):
        assert api.post(path, json=body).status_code == 422
    missing = api.post(path, json={"event": "evt_missing"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "#/event"
    none = api.ok("POST", path, json={"failed_since": "2026-01-01T00:00:00Z"})
    assert none == {"object": "webhook_replay", "endpoint": path.split("/")[3], "replayed": 0}


SPELLINGS_OF_LOOPBACK = [
    "http://2130706433/",
    "http://127.1/",
    "http://localhost./",
    "http://0x7f.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://0177.0.0.1/",
]


def test_loopback_in_any_spelling_is_refused_when_saved(
    settings: Settings, clock: FixedClock, engine: Engine, merchant: Merchant
) -> None:
    guarded = settings.model_copy(update={"webhooks_allow_private": False})
    with TestClient(create_app(guarded, clock=clock, engine=engine)) as client:
        api = Api(client, merchant.test_key)
        for url in SPELLINGS_OF_LOOPBACK:
            response = api.post(PATH, json={"url": url})
            assert response.status_code == 422, (url, response.text)
            (error,) = response.json()["errors"]
            assert error["pointer"] == "#/url"
            assert "refused" in error["detail"]
        saved = create(api)
        response = api.patch(f"{PATH}/{saved['id']}", json={"url": "http://127.1:8080/"})
        assert response.status_code == 422, response.text
