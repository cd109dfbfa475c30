"""A change of billing interval through the domain functions: the preview computes the new
cycle and saves nothing; the change puts it on the subscription and its invoice is the
preview's draft, line by line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from recura.core.invoicing import InvoiceDraft
from recura.core.periods import Period
from recura.domains.common.tenant import Tenant
from recura.domains.subscriptions import changes, service
from recura.domains.subscriptions.schemas import ChangeRequest
from tests.conftest import Api, Merchant
from tests.domains.cancellations.shop import Shop, day


def row(session: Session, tenant: Tenant, sub_id: str) -> tuple[str, datetime, datetime]:
    sub = service.get(session, tenant, sub_id)
    return sub.interval_unit, sub.billing_anchor, sub.current_period_end


def test_preview_saves_nothing_and_the_change_bills_its_draft(
    api: Api, merchant: Merchant, session_factory: sessionmaker[Session]
) -> None:
    shop = Shop(api, merchant, session_factory)
    monthly = shop.plan(3000, name="Pro")
    yearly = shop.plan(30000, name="Pro yearly", interval="year")
    sub_id = shop.subscribe(shop.customer(), monthly)["id"]
    shop.advance_to(day(4, 11))
    data = ChangeRequest(plan=yearly)
    before = shop.run(row, sub_id)

    def preview(session: Session, tenant: Tenant) -> tuple[Period, InvoiceDraft]:
        planned, draft = changes.preview_change(session, tenant, sub_id, data, day(4, 11))
        # Read in the same unit of work: nothing was put on the row.
        assert row(session, tenant, sub_id) == before
        assert planned.cycle is not None
        assert draft is not None
        return planned.cycle.first, draft

    first, draft = shop.run(preview)
    assert first == Period(day(4, 11), day(4, 11).replace(year=2027))
    assert shop.run(row, sub_id) == before
    assert len(shop.invoices(sub_id)) == 1

    shop.run(changes.change, sub_id, data, day(4, 11))
    assert shop.run(row, sub_id) == ("year", day(4, 11), first.end)
    issued = shop.invoices(sub_id)[-1]
    assert [(line["description"], line["amount"]["amount"]) for line in issued["lines"]] == [
        (line.description, line.amount) for line in draft.lines
    ]
    assert issued["total"]["amount"] == draft.total
