"""The console's metric pages (retention, unit economics, funnels): reached from Home, the
figures of the metrics API in the operator's language beside each chart, and refused to
anyone signed out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.test_home import cells, operator_browser, story  # noqa: F401
from tests.portal.conftest import get

PAGES = (
    "/console/metrics/retention",
    "/console/metrics/unit-economics",
    "/console/metrics/funnels",
)


def test_home_links_every_metric_page(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],  # noqa: F811
) -> None:
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    home = get(own, "/console")
    links = home.tree.xpath('//nav[@class="metric-pages"]//a/@href')
    assert [link.split("?")[0] for link in links] == list(PAGES)


def test_retention_in_english_and_romanian(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],  # noqa: F811
) -> None:
    """March: two paying at its start, Ana (2 000,00) leaves: logo churn 50 %, NRR 50 %
    of 4 000,00. February: Ana grows 1 234,56 -> 2 000,00 over 3 234,56 open."""
    own = operator_browser(client, session_factory, merchant, "analyst", "en")
    page = get(own, "/console/metrics/retention?currency=RON&mode=test")
    rows = {r[0]: r for r in cells(page, "retention-table")}
    assert rows["March 2026"][1:8] == ["2", "1", "50.0%", "50.0%", "50.0%", "50.0%", "50.0%"]
    assert rows["February 2026"][6] == "123.7%"  # (3 234,56 + 765,44) / 3 234,56
    assert rows["January 2026"][3] == "—"
    assert page.tree.xpath(
        '//*[local-name()="svg"][@aria-labelledby="churn-chart-title churn-chart-desc"]'
    )
    cohort = cells(page, "cohorts-table")[0]
    assert cohort[:5] == ["Jan 2026", "2", "100.0% RON 3,234.56", "100.0% RON 4,000.00",
                          "50.0% RON 2,000.00"]  # fmt: skip
    ro = operator_browser(client, session_factory, merchant, "analyst", "ro")
    page = get(ro, "/console/metrics/retention?currency=RON&mode=test")
    rows = {r[0]: r for r in cells(page, "retention-table")}
    assert rows["martie 2026"][3] == "50,0 %"


def test_unit_economics_and_funnels_render(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    story: dict[str, str],  # noqa: F811
) -> None:
    own = operator_browser(client, session_factory, merchant, "finance", "en")
    page = get(own, "/console/metrics/unit-economics?currency=RON&mode=test")
    rows = {r[0]: r for r in cells(page, "unit-table")}
    # March: 2 000,00 MRR over one payer; churn 1/2: LTV 4 000,00.
    assert rows["March 2026"][1:3] == ["RON 2,000.00", "RON 4,000.00"]
    funnels = get(own, "/console/metrics/funnels?currency=RON&mode=test")
    kinds = {r[0]: r for r in cells(funnels, "kinds-table")}
    assert kinds["March 2026"][1:3] == ["1", "RON 2,000.00"]  # Ana canceled herself
    assert funnels.tree.xpath(
        '//*[local-name()="svg"][@aria-labelledby="kinds-chart-title kinds-chart-desc"]'
    )


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/sign-in")
