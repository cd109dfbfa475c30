"""What a subscriber does in the portal records its events as the subscriber's."""

from __future__ import annotations

from tests.conftest import Api
from tests.portal.conftest import subscriber
from tests.portal.test_cancel import answer, cancel_page
from tests.portal.test_sign_in import signed_in


def test_a_cancellation_from_the_portal_is_the_subscribers_event(api: Api) -> None:
    who = subscriber(api, "en")
    client = signed_in(api, who.customer)
    before = {e["id"] for e in api.ok("GET", "/v1/events", params={"limit": 100})["data"]}
    answer(client, who.subscription, cancel_page(client, who.subscription), action="cancel")
    new = [
        e
        for e in api.ok("GET", "/v1/events", params={"object_id": who.subscription})["data"]
        if e["id"] not in before
    ]
    assert new
    assert {(e["actor"]["kind"], e["actor"]["id"]) for e in new} == {("subscriber", who.customer)}
    assert new[0]["actor"]["label"] == who.email
    # What the merchant's key did before stays the key's.
    first = api.ok("GET", "/v1/events", params={"object_id": who.subscription})["data"][-1]
    assert first["actor"]["kind"] == "api_key"
