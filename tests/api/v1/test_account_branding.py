"""The account's public pages and branding: its slug, colour, legal links, who may frame the
pricing page, and its logo, served by the app."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Api, make_merchant

# A one-pixel PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAcCBlCwAAAABJRU5ErkJggg=="
)


def slug() -> str:
    return f"shop-{uuid.uuid4().hex[:8]}"


def test_branding_is_set_and_read_back(api: Api) -> None:
    name = slug()
    account = api.ok(
        "PATCH",
        "/v1/account",
        json={
            "slug": name,
            "brand_color": "#1A4FD0",
            "terms_url": "https://shop.ro/termeni",
            "privacy_url": "https://shop.ro/confidentialitate",
            "pricing_embed_origins": ["https://Shop.ro/", "http://localhost:3000"],
        },
    )
    assert account["slug"] == name
    assert account["brand_color"] == "#1a4fd0"
    assert account["pricing_embed_origins"] == ["https://shop.ro", "http://localhost:3000"]
    cleared = api.ok("PATCH", "/v1/account", json={"slug": None, "terms_url": None})
    assert (cleared["slug"], cleared["terms_url"]) == (None, None)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("slug", "Shop Name", "pattern"),
        ("slug", "portal", "reserved"),
        ("brand_color", "#ffd700", "contrast"),
        ("brand_color", "blue", "pattern"),
        ("terms_url", "http://shop.ro/terms", "https"),
        ("pricing_embed_origins", ["https://shop.ro/pricing"], "origin"),
        ("pricing_embed_origins", ["http://shop.ro"], "https"),
    ],
)
def test_bad_branding_is_refused_with_its_field(
    api: Api, field: str, value: object, said: str
) -> None:
    response = api.patch("/v1/account", json={field: value})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["pointer"].startswith(f"#/{field}")
    assert said in error["detail"]


def test_a_slug_belongs_to_one_account(
    api: Api, session_factory: sessionmaker[Session], client: TestClient
) -> None:
    name = slug()
    api.ok("PATCH", "/v1/account", json={"slug": name})
    other = make_merchant(session_factory, client, "Other SRL")
    taken = other.api.patch("/v1/account", json={"slug": name})
    assert taken.status_code == 409
    assert "taken" in taken.json()["detail"]


def test_the_highlighted_plan_must_exist(api: Api) -> None:
    response = api.patch("/v1/account", json={"pricing_highlight_plan_id": "plan_nope"})
    assert response.status_code == 404


def test_a_logo_is_uploaded_served_by_its_hash_and_removed(api: Api) -> None:
    saved = api.ok("PUT", "/v1/account/logo", content=PNG, headers={"Content-Type": "image/png"})
    assert saved["sha256"] == hashlib.sha256(PNG).hexdigest()
    path = saved["url"].removeprefix("http://127.0.0.1:8000")
    served = api.client.get(path)
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    assert api.client.get(path.replace(saved["sha256"], "0" * 64)).status_code == 404
    assert api.request("DELETE", "/v1/account/logo").status_code == 204
    assert api.client.get(path).status_code == 404


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "PNG"),
        (b"", "empty"),
        (PNG + b"\0" * (256 * 1024), "larger"),
    ],
)
def test_what_is_not_a_small_image_is_refused(api: Api, body: bytes, said: str) -> None:
    response = api.request("PUT", "/v1/account/logo", content=body)
    assert response.status_code == 422
    assert said in response.json()["detail"]
