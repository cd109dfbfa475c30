"""The console's home dashboard: the figures the metrics API gives, to the cent, in the
operator's language; the charts' SVG with a title beside a table of the same numbers; and
the customers behind each movement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.console import charts
from recura.db.unit_of_work import unit_of_work
from recura.domains.funnels import rollups as funnel_rollups
from recura.domains.metrics import rollups
from tests.conftest import Merchant
from tests.console.conftest import add_user, browser, sign_in
from tests.portal.conftest import Page, get
from tests.scenarios.world import World


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def fold(factory: sessionmaker[Session]) -> None:
    """What the worker does: the MRR and the funnel rollups take in the event log."""
    for fold_events in (rollups.fold_events, funnel_rollups.fold_events):
        while True:
            with unit_of_work(factory) as session:
                if fold_events(session) == 0:
                    break


@pytest.fixture
def story(
    merchant: Merchant, session_factory: sessionmaker[Session], clock: FixedClock
) -> dict[str, str]:
    """Ana starts on 1 234,56 and Bogdan on 2 000,00 RON in January; Ana moves up to
    2 000,00 in February and leaves in March. The console's clock reads mid-March."""
    world = World(merchant.api, at(1, 1), timezone="UTC")
    basic, pro = world.plan(123456, name="Basic"), world.plan(200000, name="Pro")
    ana = world.customer(country="RO", name="Ana Popescu")
    bogdan = world.customer(country="DE", name="Bogdan Ionescu")
    first = world.subscribe(ana, basic)
    world.subscribe(bogdan, pro)
    world.advance_to(at(2, 10))
    world.act(first["id"], "change", plan=pro)
    world.advance_to(at(3, 2))
    world.act(first["id"], "cancel")
    fold(session_factory)
    clock.advance(at(3, 15) - clock.now())
    return {"ana": ana, "bogdan": bogdan}


def operator_browser(
    client: TestClient, factory: sessionmaker[Session], merchant: Merchant, role: str, locale: str
) -> TestClient:
    operator = add_user(factory, merchant, role, locale=locale)
    own = browser(client)
    sign_in(own, operator.email)
    return own


def figure(page: Page, name: str) -> str:
    (found,) = page.tree.xpath(f'//dd[@data-figure="{name}"]')
    return " ".join(found.text_content().split())


def cells(page: Page, table: str) -> list[list[str]]:
    rows = page.tree.xpath(f'//table[@id="{table}"]/tbody/tr')
    return [[" ".join(c.text_content().split()) for c in row.xpath("./th|./td")] for row in rows]


def test_the_figures_match_the_metrics_api(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],
) -> None:
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    page = get(own, "/console?mode=test")
    assert figure(page, "mrr") == "RON 2,000.00"
    assert figure(page, "arr") == "RON 24,000.00"
    assert figure(page, "change") == "-RON 2,000.00 (-50.0%)"
    assert figure(page, "subscribers") == "1"
    statuses = {
        e.get("data-status"): e.text_content() for e in page.tree.xpath("//dd[@data-status]")
    }
    assert statuses == {"active": "1", "canceled": "1"}
    assert cells(page, "month-movements") == [
        ["New", "RON 0.00", "0"],
        ["Expansion", "RON 0.00", "0"],
        ["Reactivation", "RON 0.00", "0"],
        ["Contraction", "RON 0.00", "0"],
        ["Churn", "-RON 2,000.00", "1"],
    ]
    # The same numbers as GET /v1/metrics/mrr, month by month.
    api = merchant.api.ok(
        "GET",
        "/v1/metrics/mrr",
        params={"start": "2025-04-01", "end": "2026-03-15", "currency": "RON"},
    )["data"]
    mrr_rows = cells(page, "mrr-table")
    assert len(mrr_rows) == 12 == len(api)
    assert mrr_rows[0] == ["April 2025", "RON 0.00"]
    assert mrr_rows[-3:] == [
        ["January 2026", "RON 3,234.56"],
        ["February 2026", "RON 4,000.00"],
        ["March 2026", "RON 2,000.00"],
    ]
    assert [p["mrr"] for p in api][-3:] == [323456, 400000, 200000]
    movement_rows = cells(page, "movements-table")
    assert movement_rows[-3] == [
        "January 2026",
        "RON 3,234.56",
        "RON 0.00",
        "RON 0.00",
        "RON 0.00",
        "RON 0.00",
    ]
    assert movement_rows[-2][2] == "RON 765.44"
    assert movement_rows[-1][5] == "-RON 2,000.00"
    # Each chart is an image with a title and a description.
    for ident in ("mrr-chart", "movements-chart"):
        (svg,) = page.tree.xpath(
            f'//*[local-name()="svg"][@aria-labelledby="{ident}-title {ident}-desc"]'
        )
        assert svg.get("role") == "img"
        (title,) = svg.xpath('./*[local-name()="title"]')
        assert title.text_content()
    (mrr_svg,) = page.tree.xpath(
        '//*[local-name()="svg"][starts-with(@aria-labelledby,"mrr-chart")]'
    )
    assert len(mrr_svg.xpath('.//*[local-name()="circle"]')) == 12
    # Live data is apart: nothing yet.
    live = get(own, "/console")
    assert figure(live, "mrr") == "RON 0.00"


def test_each_movement_lists_the_customers_behind_it(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],
) -> None:
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    page = get(own, "/console?mode=test")
    (link,) = page.tree.xpath('//tr[@data-month="2026-02"]/td[@data-type="expansion"]/a')
    behind = get(own, link.get("href"))
    assert "Expansion, February 2026" in behind.text
    rows = behind.tree.xpath('//table[@id="movements"]/tbody/tr')
    assert [r.get("data-customer") for r in rows] == [story["ana"]]
    assert cells(behind, "movements") == [
        ["February 10, 2026", f"Ana Popescu{story['ana']}", "RON 765.44"]
    ]
    new = get(own, "/console/metrics/movements?type=new&month=2026-01&currency=RON&mode=test")
    assert {r.get("data-customer") for r in new.tree.xpath("//tr[@data-customer]")} == {
        story["ana"],
        story["bogdan"],
    }
    assert "2 movements, RON 3,234.56 in all." in new.text


def test_romanian_numbers_money_and_months(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],
) -> None:
    own = operator_browser(client, session_factory, merchant, "owner", "ro")
    page = get(own, "/console?mode=test")
    assert figure(page, "mrr") == "2.000,00 RON"
    assert figure(page, "change") == "-2.000,00 RON (-50,0 %)"
    assert cells(page, "mrr-table")[-3][:2] == ["ianuarie 2026", "3.234,56 RON"]
    assert "Mișcările MRR, martie 2026" in page.text


def test_movements_paginate(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recura.console import home

    monkeypatch.setattr(home, "PER_PAGE", 1)
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    first = get(own, "/console/metrics/movements?type=new&month=2026-01&mode=test")
    assert len(first.tree.xpath("//tr[@data-customer]")) == 1
    (after,) = first.tree.xpath('//a[@rel="next"]')
    second = get(own, after.get("href"))
    assert len(second.tree.xpath("//tr[@data-customer]")) == 1
    assert second.tree.xpath('//a[@rel="prev"]')
    assert not second.tree.xpath('//a[@rel="next"]')


def test_charts_stack_gains_up_and_losses_down() -> None:
    svg = charts.stacked_bars(
        "c",
        "Title",
        "Description",
        ["Jan", "Feb"],
        [charts.Series("new", "New", [100, 0]), charts.Series("churn", "Churn", [0, -50])],
        str,
    )
    assert '<title id="c-title">Title</title>' in svg
    assert svg.count("<rect") == 2
    assert "New: 100" in svg
    assert "Churn: -50" in svg
    empty = charts.line("e", "T", "D", [], [], str)
    assert "<polyline" not in empty


def test_a_switch_between_the_accounts_currencies(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
) -> None:
    world = World(merchant.api, at(1, 1), timezone="UTC")
    euro = world.plan(
        name="Euro", pricing_model="flat", prices=[{"currency": "EUR", "amount": 5000}]
    )
    world.subscribe(world.customer(name="Carla Rossi"), euro, currency="EUR")
    fold(session_factory)
    clock.advance(at(1, 20) - clock.now())
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    page = get(own, "/console?mode=test")
    assert page.tree.xpath('//select[@id="currency"]/option/@value') == ["EUR", "RON"]
    assert figure(page, "mrr") == "RON 0.00"
    euros = get(own, "/console?mode=test&currency=EUR")
    assert figure(euros, "mrr") == "€50.00"
    assert figure(euros, "subscribers") == "1"
    # A currency the account has no figures in is not offered: the default instead.
    assert figure(get(own, "/console?mode=test&currency=USD"), "mrr") == "RON 0.00"
