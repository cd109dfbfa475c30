"""Renewals month by month, every invoice checked to the cent."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts


def test_monthly_from_jan_31_across_a_leap_year(api: Api) -> None:
    # 10:00 in Bucharest (UTC+2 in winter, +3 in summer) on Jan 31, 2028 (a leap year).
    world = World(api, datetime(2028, 1, 31, 8, 0, tzinfo=UTC))
    customer = world.customer()
    sub = world.subscribe(customer, world.plan(4900))
    assert sub["current_period_end"] == "2028-02-29T08:00:00Z"
    world.advance_to(datetime(2028, 6, 1, tzinfo=UTC))
    invoices = world.invoices(sub["id"])
    starts = [i["period_start"] for i in invoices]
    # Anchored on the 31st: Feb 29, then back to the 31st (not the 29th), 10:00 local time.
    assert starts == [
        "2028-01-31T08:00:00Z",
        "2028-02-29T08:00:00Z",
        "2028-03-31T07:00:00Z",
        "2028-04-30T07:00:00Z",
        "2028-05-31T07:00:00Z",
    ]
    # 49.00 + 21 % VAT, every month.
    for invoice in invoices:
        assert line_amounts(invoice) == [("Pro", 4900)]
        assert invoice["tax_total"]["amount"] == 1029
        assert invoice["total"]["amount"] == 5929
        assert (invoice["status"], invoice["amount_paid"]["amount"]) == ("paid", 5929)
    numbers = [i["number"] for i in invoices]
    assert numbers == [f"NDT-{n:06d}" for n in range(1, 6)]
    # Each invoice was created, finalised, paid (by card) and recorded in the event log, in order.
    family = api.ok("GET", "/v1/events", params={"type": "invoice.*", "limit": 100})["data"]
    kinds = ["invoice.created", "invoice.finalized", "invoice.paid"]
    assert [e["type"] for e in reversed(family)] == kinds * 5
    assert [e["object_id"] for e in reversed(family)][::3] == [i["id"] for i in invoices]


def test_yearly_from_feb_29(api: Api) -> None:
    world = World(api, datetime(2028, 2, 29, 12, 0, tzinfo=UTC), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(99000, interval="year"))
    for year in range(2029, 2033):
        world.advance_to(datetime(year, 3, 1, tzinfo=UTC))
    starts = [i["period_start"] for i in world.invoices(sub["id"])]
    assert starts == [
        "2028-02-29T12:00:00Z",
        "2029-02-28T12:00:00Z",
        "2030-02-28T12:00:00Z",
        "2031-02-28T12:00:00Z",
        "2032-02-29T12:00:00Z",
    ]
    assert world.totals(sub["id"]) == [119790] * 5
