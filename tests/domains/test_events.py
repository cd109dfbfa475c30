from __future__ import annotations

from typing import Any

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
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
