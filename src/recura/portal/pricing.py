"""The account's pricing page, `/p/{slug}` (live) and `/p/{slug}/test`: its products and
plans, monthly and yearly side by side, in the visitor's currency (chosen, else their
country's, else the account's), VAT as the account's prices are, each with a link to its
checkout. The sites in `pricing_embed_origins` may frame it; `pricing.json` is the same data
for a merchant's own page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_territory_currencies
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.domains.common import languages
from recura.domains.plans import public
from recura.portal import pages, site
from recura.portal.site import open_site
from recura.web import csp
from recura.web.kept import Kept

router = APIRouter()
# The page is the same for everyone asking the same: shared caches may keep it a minute.
CACHE = "public, max-age=60"


def _wanted_currencies(request: Request) -> list[str]:
    """The visitor's currencies, best first: the one they chose, then their country's (as
    `country=`, else the region of their browser's first language)."""
    wanted = []
    chosen = request.query_params.get("currency", "").strip().upper()
    if len(chosen) == 3 and chosen.isalpha():
        wanted.append(chosen)
    country = request.query_params.get("country", "").strip().upper()
    if not country:
        first = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
        _, _, region = first.strip().replace("_", "-").partition("-")
        country = region.upper()
    if len(country) == 2 and country.isalpha():
        # An unknown territory names no currency.
        wanted += get_territory_currencies(country, datetime.now(UTC).date())
    return wanted


# What a pricing page shows, kept this long per (slug, mode, currencies): a busy page reads
# the catalog once in a while, and a price changed shows within this time.
KEPT: Kept[tuple[Any, public.Catalog] | None] = Kept(10.0, 512)


def _load(request: Request, slug: str, livemode: bool) -> tuple[Any, public.Catalog] | None:
    key = (slug, livemode, tuple(_wanted_currencies(request)))
    loaded = KEPT.get(key, lambda: _read(request, slug, livemode))
    if loaded is None:
        KEPT.forget(key)  # a slug set a moment ago shows at once
    return loaded


def _read(request: Request, slug: str, livemode: bool) -> tuple[Any, public.Catalog] | None:
    with pages.unit(request) as session:
        found = open_site(session, slug, livemode)
        if found is None:
            return None
        return found, public.catalog(
            session,
            found.tenant,
            found.account,
            _wanted_currencies(request),
            datetime.now(ZoneInfo(found.account.timezone)).date(),
        )


async def page(slug: str, request: Request) -> Response:
    loaded = await run_in_threadpool(_load, request, slug, site.livemode(request, slug))
    if loaded is None:
        return pages.not_found(request)
    found, catalog = loaded
    embed = request.query_params.get("embed") == "1"
    policy = csp.Policy(csp.nonce(), frame_ancestors=tuple(found.account.pricing_embed_origins))
    frame = dataclasses.replace(found.frame(request, policy), private=False)
    return pages.PAGES.render(
        request,
        "pricing.html",
        frame,
        headers={"Cache-Control": CACHE, "Vary": "Accept-Language, Cookie"},
        catalog=catalog,
        root=found.root,
        embed=embed,
        checkout_url=lambda option: _checkout_url(
            found.root, option.plan_id, option.currency, frame.locale
        ),
    )


def _checkout_url(root: str, plan_id: str, currency: str, locale: str) -> str:
    """The plan's public checkout (`portal.checkout`), in this currency and language."""
    return f"{root}/checkout/{plan_id}?currency={currency}&lang={locale}"


async def data(slug: str, request: Request) -> Response:
    loaded = await run_in_threadpool(_load, request, slug, site.livemode(request, slug))
    if loaded is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    found, catalog = loaded
    locale = languages.negotiate(request.query_params.get("lang")) or found.account.locale
    body = _json(dataclasses.asdict(catalog))
    for product in body["products"]:
        for offer in product["offers"]:
            for name in ("monthly", "yearly"):
                option = offer[name]
                if option is not None:
                    option["checkout_url"] = _checkout_url(
                        found.root, option["plan_id"], option["currency"], locale
                    )
    headers = {"Cache-Control": CACHE, "Vary": "Origin"}
    origin = request.headers.get("origin")
    if origin and origin.lower() in found.account.pricing_embed_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return JSONResponse(body, headers=headers)


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


for _root in ("/p/{slug}", "/p/{slug}/test"):
    router.add_api_route(_root, page, methods=["GET"])
    router.add_api_route(f"{_root}/pricing.json", data, methods=["GET"])
