"""A portal page opens only for a genuine, unexpired token of its own purpose that names a
customer (and subscription) of the account and mode it was signed for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recura import i18n
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.portal.conftest import Subscriber, get, sign, subscriber

PAGES = {"update_payment_method": "payment-method", "reactivate": "reactivate"}


def test_every_sentence_has_every_language() -> None:
    assert i18n.languages() == ("en", "ro")
    assert i18n.missing("portal") == []


@pytest.fixture
def who(api: Api) -> Subscriber:
    return subscriber(api, "ro")


@pytest.mark.parametrize("purpose", list(PAGES))
def test_only_a_genuine_token_opens_the_page(
    api: Api, merchant: Merchant, who: Subscriber, purpose: str
) -> None:
    page = PAGES[purpose]
    good = sign(merchant, purpose, who)  # type: ignore[arg-type]
    assert get(api.client, f"/portal/{page}/{good}").tree.get("lang") == "ro"
    payload, mac = good.split(".")
    other_purpose = "reactivate" if purpose == "update_payment_method" else "update_payment_method"
    bad = [
        "nonsense",
        f"{payload}.",
        f"{payload}x.{mac}",  # altered
        f"{payload}.{mac[:-2]}AA",
        sign(merchant, purpose, who, now=T0 - timedelta(days=31)),  # expired
        sign(merchant, other_purpose, who),  # type: ignore[arg-type]
        sign(merchant, "unsubscribe", who),
        sign(merchant, purpose, who, livemode=True),  # type: ignore[arg-type]
        sign(merchant, purpose, who, customer_id="cus_unknown"),  # type: ignore[arg-type]
        "a" * 2000,
    ]
    for token in bad:
        for method in ("GET", "POST"):
            response = api.client.request(method, f"/portal/{page}/{token}")
            assert response.status_code == 404, (token, method)
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "This link is not valid or has expired." in response.text


def test_a_token_opens_nothing_of_another_account(
    api: Api, merchant: Merchant, who: Subscriber, session_factory: object
) -> None:
    other = make_merchant(session_factory, api.client, "Other SRL")  # type: ignore[arg-type]
    theirs = subscriber(other.api, "en")
    # Signed for our account but naming their customer and subscription: not found.
    mixed = sign(merchant, "reactivate", theirs)
    assert api.client.get(f"/portal/reactivate/{mixed}").status_code == 404
    mixed = sign(merchant, "update_payment_method", theirs)
    assert api.client.get(f"/portal/payment-method/{mixed}").status_code == 404
    # Our customer with another customer's subscription: not found either.
    neighbour = who.world.customer(email="vecin@example.ro")
    theirs_here = who.world.subscribe(neighbour, who.world.plan(4900))["id"]
    crossed = sign(merchant, "reactivate", who, subscription=theirs_here)
    assert api.client.get(f"/portal/reactivate/{crossed}").status_code == 404
    assert api.client.get(f"/portal/reactivate/{sign(other, 'reactivate', theirs)}").is_success


def test_the_portal_is_not_in_the_api_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/portal")]
