"""Time zones, calendar billing, currencies and tax settings, to the cent."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Api
from tests.scenarios.world import World, line_amounts


def starts(world: World, sub_id: str) -> list[str]:
    return [invoice["period_start"] for invoice in world.invoices(sub_id)]


def test_customer_at_utc_minus_8_billed_on_calendar_months(api: Api) -> None:
    # 10:00 in Los Angeles on Jan 15; calendar billing starts periods at local midnight.
    world = World(
        api,
        datetime(2026, 1, 15, 18, 0, tzinfo=UTC),
        timezone="America/Los_Angeles",
        billing_alignment="calendar",
    )
    sub = world.subscribe(world.customer(), world.plan(3100))
    world.advance_to(datetime(2026, 4, 2, tzinfo=UTC))
    # Midnight is 08:00Z in winter, 07:00Z once DST starts (Mar 8).
    assert starts(world, sub["id"]) == [
        "2026-01-15T18:00:00Z",
        "2026-02-01T08:00:00Z",
        "2026-03-01T08:00:00Z",
        "2026-04-01T07:00:00Z",
    ]
    first = world.invoices(sub["id"])[0]
    # 16 days 14 hours of January's 31 days: 3100 * 1432800 / 2678400 = 1658.33.
    assert line_amounts(first) == [("Pro", 1658)]
    assert first["lines"][0]["proration"] is True
    assert world.totals(sub["id"]) == [2006, 3751, 3751, 3751]


def test_customer_at_utc_minus_8_anniversary_keeps_local_time(api: Api) -> None:
    # Jan 31 20:00 PST is Feb 1 04:00Z: the anchor day is the 31st, local.
    world = World(api, datetime(2026, 2, 1, 4, 0, tzinfo=UTC), timezone="America/Los_Angeles")
    sub = world.subscribe(world.customer(), world.plan(3100))
    world.advance_to(datetime(2026, 5, 2, tzinfo=UTC))
    assert starts(world, sub["id"]) == [
        "2026-02-01T04:00:00Z",
        "2026-03-01T04:00:00Z",  # Feb 28 20:00 PST
        "2026-04-01T03:00:00Z",  # Mar 31 20:00 PDT
        "2026-05-01T03:00:00Z",  # Apr 30 20:00 PDT
    ]


def test_customer_at_utc_plus_13(api: Api) -> None:
    # Jan 31 09:00 in Tonga (UTC+13) is still Jan 30 in UTC: months count from the local 31st.
    world = World(api, datetime(2026, 1, 30, 20, 0, tzinfo=UTC), timezone="Pacific/Tongatapu")
    sub = world.subscribe(world.customer(), world.plan(3100))
    world.advance_to(datetime(2026, 5, 1, tzinfo=UTC))
    assert starts(world, sub["id"]) == [
        "2026-01-30T20:00:00Z",
        "2026-02-27T20:00:00Z",  # Feb 28 09:00 local
        "2026-03-30T20:00:00Z",  # Mar 31
        "2026-04-29T20:00:00Z",  # Apr 30
    ]


def test_zero_decimal_currency(api: Api) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC", currency="JPY")
    basic, pro = world.plan(980, name="Basic"), world.plan(1980, name="Pro")
    sub = world.subscribe(world.customer(currency="JPY"), basic)
    world.advance_to(datetime(2026, 4, 11, tzinfo=UTC))  # two thirds of April left
    world.act(sub["id"], "change", plan=pro)
    world.advance_to(datetime(2026, 5, 2, tzinfo=UTC))
    invoices = world.invoices(sub["id"])
    assert invoices[0]["total"] == {"amount": 1186, "currency": "JPY"}  # 980 + 205.8 VAT
    # -653.33 and +1320: whole yen, rounded once per line.
    assert line_amounts(invoices[1]) == [
        ("Unused time on Basic", -653),
        ("Remaining time on Pro", 1320),
    ]
    assert invoices[1]["total"]["amount"] == 667 + 140  # 140.07 VAT
    assert invoices[2]["total"]["amount"] == 1980 + 416  # 415.8 VAT


def test_tax_inclusive_prices(api: Api) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC", tax_inclusive=True)
    sub = world.subscribe(world.customer(), world.plan(12100))
    invoice = world.invoices(sub["id"])[0]
    # 121.00 gross holds 21.00 VAT; the total is the price.
    assert (invoice["total"]["amount"], invoice["tax_total"]["amount"]) == (12100, 2100)
    assert invoice["tax_lines"][0]["taxable_amount"]["amount"] == 10000


def test_tax_inclusive_vat_breakdown_excludes_the_tax(api: Api) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC", tax_inclusive=True)
    customer = world.customer()
    sub = world.subscribe(customer, world.plan(4900))
    upcoming = api.ok("GET", f"/v1/customers/{customer}/upcoming_invoice")
    for shown in (world.invoices(sub["id"])[0], upcoming):
        # 49.00 including 21 % VAT: 40.50 taxable, 8.50 tax.
        assert shown["tax_lines"] == [
            {
                "rate": "21",
                "taxable_amount": {"amount": 4050, "currency": "RON"},
                "tax_amount": {"amount": 850, "currency": "RON"},
            }
        ]
        assert shown["total"]["amount"] == 4900


def test_customer_with_its_own_tax_rate(api: Api) -> None:
    world = World(api, datetime(2026, 4, 1, tzinfo=UTC), timezone="UTC")
    exempt = world.customer(name="Export GmbH", tax_rate="0")
    sub = world.subscribe(exempt, world.plan(5000))
    assert world.totals(sub["id"]) == [5000]
    reduced = world.customer(name="Carte SRL", tax_rate="9")
    sub = world.subscribe(reduced, world.plan(5050))
    assert world.invoices(sub["id"])[0]["tax_total"]["amount"] == 455  # 454.5 rounded up


def test_quarterly_plan(api: Api) -> None:
    world = World(api, datetime(2026, 1, 31, tzinfo=UTC), timezone="UTC")
    sub = world.subscribe(world.customer(), world.plan(15000, count=3))
    world.advance_to(datetime(2027, 1, 1, tzinfo=UTC))
    assert starts(world, sub["id"]) == [
        "2026-01-31T00:00:00Z",
        "2026-04-30T00:00:00Z",
        "2026-07-31T00:00:00Z",
        "2026-10-31T00:00:00Z",
    ]
    assert world.totals(sub["id"]) == [18150] * 4
    assert world.subscription(sub["id"])["mrr"]["amount"] == 5000


def test_weekly_plan_across_a_dst_change(api: Api) -> None:
    # Mondays 09:00 in Bucharest; summer time starts on Sunday, Mar 29, 2026.
    world = World(api, datetime(2026, 3, 16, 7, 0, tzinfo=UTC))
    sub = world.subscribe(world.customer(), world.plan(1000, interval="week"))
    world.advance_to(datetime(2026, 4, 7, tzinfo=UTC))
    assert starts(world, sub["id"]) == [
        "2026-03-16T07:00:00Z",
        "2026-03-23T07:00:00Z",
        "2026-03-30T06:00:00Z",
        "2026-04-06T06:00:00Z",
    ]
    # MRR of a weekly plan: 10.00 x 52 / 12.
    assert world.subscription(sub["id"])["mrr"]["amount"] == 4333


def test_moving_the_account_to_another_zone_keeps_sold_periods(api: Api) -> None:
    world = World(api, datetime(2026, 1, 31, 8, 0, tzinfo=UTC))  # 10:00 in Bucharest
    sub = world.subscribe(world.customer(), world.plan(3100))
    api.ok("PATCH", "/v1/account", json={"timezone": "America/Los_Angeles"})
    world.advance_to(datetime(2026, 4, 1, tzinfo=UTC))
    assert starts(world, sub["id"]) == [
        "2026-01-31T08:00:00Z",
        "2026-02-28T08:00:00Z",
        "2026-03-31T07:00:00Z",  # still 10:00 in Bucharest, now in summer time
    ]
