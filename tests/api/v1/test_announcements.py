"""Announcements through the API: validation, drafts and their changes, publishing once
with its event, archiving."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import T0, Api, Merchant
from tests.event_contract import check_recorded
from tests.scenarios.world import World, iso

TEXTS = {"en": {"title": "New: bank sync", "body": "Every **hour**."}}


def draft(api: Api, status: int = 201, **over: Any) -> dict[str, Any]:
    return api.ok("POST", "/v1/announcements", status, json={"texts": TEXTS, **over})


def test_announcements_are_validated(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"texts": {}}, "#/texts"),
        ({"texts": {"en": {"title": "x", "body": "y" * 5001}}}, "#/texts/en/body"),
        ({"texts": TEXTS, "statuses": ["sleeping"]}, "#/statuses/0"),
        ({"texts": TEXTS, "plans": ["plan_nope"]}, "#/plans/0"),
        ({"texts": TEXTS, "products": ["prod_nope"]}, "#/products/0"),
        ({"texts": TEXTS, "ends_at": iso(T0 - timedelta(days=1))}, "#/ends_at"),
        ({"texts": TEXTS, "ends_at": 1767225600}, "#/ends_at"),
        ({"texts": TEXTS, "email": "yes"}, "#/email"),
        ({"texts": TEXTS, "plans": ["p"] * 101}, "#/plans"),
    ]
    for body, pointer in cases:
        response = api.post("/v1/announcements", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        pointers = [e["pointer"] for e in response.json()["errors"]]
        assert any(p.startswith(pointer) for p in pointers), (body, pointers)


def test_draft_publish_once_and_archive(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    world = World(api, T0)
    plan = world.plan(4900)
    made = draft(api, plans=[plan, plan], statuses=["trialing", "active"], email=False)
    assert made["id"].startswith("ann_")
    assert made["object"] == "announcement"
    assert made["status"] == "draft"
    assert made["plans"] == [plan]  # once each
    assert made["statuses"] == ["active", "trialing"]
    assert (made["published_at"], made["emailing"], made["emails_written"]) == (None, None, 0)
    assert api.ok("GET", f"/v1/announcements/{made['id']}") == made

    ends = iso(T0 + timedelta(days=30))
    changed = api.ok(
        "PATCH",
        f"/v1/announcements/{made['id']}",
        json={"ends_at": ends, "email": True, "products": [world.product]},
    )
    assert (changed["ends_at"], changed["email"], changed["products"]) == (
        ends,
        True,
        [world.product],
    )
    assert api.patch(f"/v1/announcements/{made['id']}", json={"texts": None}).status_code == 422

    published = api.ok("POST", f"/v1/announcements/{made['id']}/publish", json={})
    assert published["status"] == "published"
    assert published["published_at"] == iso(T0)
    assert published["emailing"] == "pending"
    # Published again (a retry): unchanged, and no second event.
    assert api.ok("POST", f"/v1/announcements/{made['id']}/publish", json={}) == published
    events = api.ok("GET", "/v1/events", params={"type": "announcement.published"})["data"]
    assert len(events) == 1
    assert events[0]["data"] == {
        "id": made["id"],
        "languages": ["en"],
        "products": [world.product],
        "plans": [plan],
        "statuses": ["active", "trialing"],
        "email": True,
        "published_at": iso(T0),
        "ends_at": ends,
    }
    assert "announcement.published" in check_recorded(
        session_factory,
        merchant.account_id,
        api.client.app,  # type: ignore[arg-type]
    )
    # Emailing is decided before publishing; the words may still change.
    assert api.patch(f"/v1/announcements/{made['id']}", json={"email": False}).status_code == 409
    reworded = {"ro": {"title": "Nou", "body": ""}}
    again = api.ok("PATCH", f"/v1/announcements/{made['id']}", json={"texts": reworded})
    assert again["texts"] == {"ro": {"title": "Nou", "body": ""}}

    listed = api.ok("GET", "/v1/announcements")["data"]
    assert [a["id"] for a in listed] == [made["id"]]
    archived = api.ok("POST", f"/v1/announcements/{made['id']}/archive", json={})
    assert archived["status"] == "archived"
    assert api.post(f"/v1/announcements/{made['id']}/archive", json={}).status_code == 409
    assert api.patch(f"/v1/announcements/{made['id']}", json={"ends_at": None}).status_code == 409

    # A draft archived cannot be published; another tenant's is not found.
    other = draft(api)
    api.ok("POST", f"/v1/announcements/{other['id']}/archive", json={})
    assert api.post(f"/v1/announcements/{other['id']}/publish", json={}).status_code == 409
    assert merchant.live.get(f"/v1/announcements/{made['id']}").status_code == 404
    assert merchant.live.post(f"/v1/announcements/{made['id']}/publish").status_code == 404
