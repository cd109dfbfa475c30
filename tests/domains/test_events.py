from __future__ import annotations

from typing import Any

import pytest

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.actor import Actor, acting_as
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from tests.conftest import T0, Merchant
from tests.factories import sample_payload


def test_events_are_recorded_and_listed_by_type(merchant: Merchant, session_factory: Any) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        invoice = sample_payload("invoice.created", "inv_1", total=4900)
        created = events.record(session, tenant, invoice, T0)
        events.record(session, tenant, sample_payload("invoice.paid", "inv_1"), T0)
        subscription = sample_payload("subscription.created", "sub_1")
        events.record(session, tenant, subscription, T0, mrr_delta=4900, mrr_currency="RON")
    other = Tenant(merchant.account_id, livemode=True)
    with unit_of_work(session_factory) as session:
        assert len(events.page(session, tenant, 10, None, "invoice.*").items) == 2
        assert [e.type for e in events.page(session, tenant, 10, None, "invoice.paid").items] == [
            "invoice.paid"
        ]
        subs = events.page(session, tenant, 10, None, object_id="sub_1").items
        assert (subs[0].mrr_delta, subs[0].mrr_currency) == (4900, "RON")
        found = events.get(session, tenant, created.id)
        assert (found.type, found.object_id) == ("invoice.created", "inv_1")
        assert found.data == invoice.json_data()
        assert found.data["total"] == 4900
        assert events.page(session, other, 10, None).items == []


def test_every_event_type_has_one_model_whose_example_it_takes() -> None:
    assert set(payloads.PAYLOADS) == set(payloads.EventType)
    for kind, model in payloads.PAYLOADS.items():
        assert model.type is kind
        extra = model.model_config.get("json_schema_extra")
        assert isinstance(extra, dict), kind
        for example in extra["examples"]:  # type: ignore[union-attr]
            assert model.model_validate(example).json_data() == example, kind


def test_stored_data_is_read_back_into_its_model() -> None:
    # An `invoice.upcoming` stored before its data named the subscription as `id`.
    stored = {
        "subscription": "sub_1",
        "customer": "cus_1",
        "plan": "plan_1",
        "renews_at": "2027-03-10T12:00:00+00:00",
        "amount": 119790,
        "currency": "RON",
    }
    found = payloads.parse("invoice.upcoming", "sub_1", stored, payloads.UpcomingInvoiceData)
    assert (found.id, found.amount, found.renews_at.isoformat()) == (
        "sub_1",
        119790,
        "2027-03-10T12:00:00+00:00",
    )
    with pytest.raises(TypeError):
        payloads.parse("invoice.upcoming", "sub_1", stored, payloads.InvoiceData)
    with pytest.raises(ValueError, match=r"not_an\.event"):
        payloads.parse("not_an.event", "sub_1", stored, payloads.EventPayload)
    with pytest.raises(ValueError, match="currency"):
        payloads.parse(
            "invoice.upcoming", "sub_1", {**stored, "currency": "lei"}, payloads.EventPayload
        )


def test_a_subscription_event_sends_only_the_fields_that_apply() -> None:
    sample = sample_payload("subscription.updated", "sub_1")
    assert "change" not in sample.json_data()
    changed = sample_payload("subscription.updated", "sub_1", change="cancel_scheduled")
    assert changed.json_data()["change"] == "cancel_scheduled"
    with pytest.raises(ValueError, match="change"):
        sample_payload("subscription.updated", "sub_1", change="renamed")


def test_events_carry_who_acted_and_the_system_when_nobody_did(
    merchant: Merchant, session_factory: Any
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    key = Actor(kind="api_key", id="key_1", label="backend (rk_test_…abcd)")
    with unit_of_work(session_factory) as session:
        by_worker = events.record(session, tenant, sample_payload("invoice.paid", "inv_1"), T0)
        with acting_as(key):
            by_key = events.record(session, tenant, sample_payload("invoice.paid", "inv_2"), T0)
            rows = [events.row(tenant, sample_payload("invoice.paid", "inv_3"), T0)]
            events.record_many(session, rows)
    with unit_of_work(session_factory) as session:
        found = {e.object_id: e for e in events.page(session, tenant, 10, None).items}
    assert (found["inv_1"].actor_kind, found["inv_1"].actor_id) == ("system", None)
    assert found[by_worker.object_id].actor_label == "system"
    for object_id in (by_key.object_id, "inv_3"):
        event = found[object_id]
        assert (event.actor_kind, event.actor_id, event.actor_label) == (
            "api_key",
            "key_1",
            "backend (rk_test_…abcd)",
        )
