"""The account's pricing page and its JSON: monthly and yearly side by side with the saving,
the visitor's currency, VAT as the account's prices are, trials, features, the highlighted
plan, embedding only where the merchant allows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura import demo
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.portal import pricing
from tests.conftest import T0, Api, Merchant
from tests.portal.conftest import Page


@pytest.fixture
def site(api: Api, merchant: Merchant, session_factory: sessionmaker[Session]) -> str:
    with unit_of_work(session_factory) as session:
        demo._catalog(session, Tenant(merchant.account_id, False), T0)
    pro = next(
        p for p in api.ok("GET", "/v1/plans?limit=100")["data"] if p["code"] == "pro-monthly"
    )
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    api.ok(
        "PATCH",
        "/v1/account",
        json={
            "slug": slug,
            "tax_rate": 21,
            "vat_registered": True,
            "pricing_highlight_plan_id": pro["id"],
            "pricing_embed_origins": ["https://shop.example"],
        },
    )
    return f"/p/{slug}/test"


def cards(page: Page) -> dict[str, str]:
    found = {}
    for card in page.tree.xpath('//section[contains(@class, "card")]'):
        name = card.xpath(".//h3")[0].text_content().strip()
        found[name] = " ".join(card.text_content().split())
    return found


def test_monthly_and_yearly_side_by_side_in_the_accounts_language(api: Api, site: str) -> None:
    page = Page(api.client.get(site))
    assert page.response.status_code == 200
    assert page.tree.get("lang") == "ro"
    shown = cards(page)
    assert list(shown) == ["Free", "Starter", "Pro", "Enterprise"]
    assert "49,00 RON pe lună" in shown["Starter"]
    assert "490,00 RON pe an" in shown["Starter"]
    assert "Economisiți 16% cu plata anuală" in shown["Starter"]
    assert "29,00 RON pe lună, per utilizator" in shown["Pro"]
    assert "14 zile de probă gratuită" in shown["Pro"]
    assert "Recomandat" in shown["Pro"]
    assert "Recomandat" not in shown["Starter"]
    assert "Single sign-on" in shown["Pro"]
    assert "Projects: până la 50" in shown["Pro"]
    assert "pentru 5 utilizatori" in shown["Enterprise"]
    assert "Taxă unică de instalare" in shown["Enterprise"]
    assert "Plus consum: API calls" in shown["Pro"]
    assert "Gratuit" in shown["Free"]
    assert "Prețurile nu includ TVA (21%)" in page.text
    links = page.tree.xpath('//a[contains(@class, "button")]/@href')
    assert any("/checkout/plan_" in link for link in links)


def test_a_plan_at_a_reduced_vat_rate_says_its_rate(api: Api, site: str) -> None:
    plans = api.ok("GET", "/v1/plans?limit=100")["data"]
    starter = next(p for p in plans if p["code"] == "starter-monthly")
    api.ok("PATCH", f"/v1/plans/{starter['id']}", json={"tax_rate_kind": "reduced"})
    page = Page(api.client.get(site))
    shown = cards(page)
    assert "TVA pentru acest plan: 11%." in shown["Starter"]
    assert "TVA pentru acest plan" not in shown["Pro"]
    assert "Prețurile nu includ TVA (21%)" in page.text
    body = api.client.get(f"{site}/pricing.json").json()
    offers = {o["name"]: o for o in body["products"][0]["offers"]}
    assert (offers["Starter"]["monthly"]["tax_rate"], offers["Pro"]["monthly"]["tax_rate"]) == (
        "11",
        "21",
    )


def test_the_visitors_currency_chosen_or_by_country(api: Api, site: str) -> None:
    chosen = Page(api.client.get(f"{site}?currency=EUR&lang=en"))
    assert "€9.90 a month" in cards(chosen)["Starter"]
    api.client.cookies.clear()
    # A German browser: prices in euro, words in English (Recura writes no German).
    german = Page(api.client.get(site, headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert "€9.90 a month" in cards(german)["Starter"]
    assert "API calls: 10,000 included" in cards(german)["Starter"]
    unknown = Page(api.client.get(f"{site}?currency=XYZ&country=US"))
    assert "RON" in cards(unknown)["Starter"]  # no plan in USD: the account's currency


def test_only_the_merchants_sites_may_frame_it(api: Api, site: str) -> None:
    response = api.client.get(f"{site}?embed=1")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors https://shop.example" in policy
    assert 'target="_top"' in response.text
    assert "public" in response.headers["cache-control"]
    sign_in = api.client.get(f"{site}/sign-in")
    assert "frame-ancestors 'none'" in sign_in.headers["content-security-policy"]


def test_the_same_data_as_json(api: Api, site: str) -> None:
    response = api.client.get(
        f"{site}/pricing.json?currency=EUR", headers={"Origin": "https://shop.example"}
    )
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["currencies"] == ["EUR", "RON"]
    (product,) = body["products"]
    starter = next(o for o in product["offers"] if o["name"] == "Starter")
    assert starter["monthly"]["amount"] == 990
    assert starter["yearly"]["amount"] == 9900
    assert starter["saving"] == 16
    assert "/test/checkout/plan_" in starter["monthly"]["checkout_url"]
    other = api.client.get(f"{site}/pricing.json", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_live_and_test_catalogs_are_apart(api: Api, site: str) -> None:
    live = Page(api.client.get(site.removesuffix("/test")))
    assert cards(live) == {}
    assert "Încă nu există planuri" in live.text
    assert api.client.get("/p/no-such-shop").status_code == 404


def test_a_price_change_shows_once_the_kept_page_expires(api: Api, site: str) -> None:
    before = cards(Page(api.client.get(site)))
    product = api.ok("GET", "/v1/products")["data"][0]["id"]
    body = {
        "product": product,
        "code": "team-monthly",
        "name": "Team",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 9900}],
    }
    api.ok("POST", "/v1/plans", 201, json=body)
    assert cards(Page(api.client.get(site))) == before  # kept a few seconds
    pricing.KEPT.clear()
    assert "Team" in cards(Page(api.client.get(site)))


def test_a_plans_button_opens_its_checkout(api: Api, site: str) -> None:
    page = Page(api.client.get(f"{site}?currency=EUR&lang=en"))
    link = next(h for h in page.tree.xpath('//a[contains(@class, "button")]/@href') if "plan_" in h)
    opened = api.client.get(link, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"].startswith("/checkout/cs_")
    checkout = Page(api.client.get(opened.headers["location"]))
    assert checkout.response.status_code == 200
    assert "€" in checkout.text
