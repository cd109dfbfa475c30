"""Where a customer came from: the acquisition channel, a short slug such as `google_ads`,
`newsletter`, `organic`, `referral` or `pricing_page`, read from a checkout's acquisition
data (an explicit channel and the utm_* fields of the link the subscriber followed).

The rule, in order:
1. an explicit channel, made a slug (`Google Ads` is `google_ads`), except `plan_link`:
   that one says how the checkout was opened (a public plan link), not where from;
2. else the utm_source, mapped: a search engine with a paid medium (cpc, ppc, paid...) is
   `<engine>_ads` (`google_ads`), without one `organic`; a social network is `paid_social`
   with a paid medium, else `social`; a medium of email or a source of newsletter is
   `newsletter`; a medium of referral, affiliate or partner is `referral`; any other source
   is its own slug;
3. else a utm_medium alone, mapped as above (`organic`, `newsletter`, `referral`);
4. else `pricing_page` for a public plan link (the pricing page is what links to it),
   and `direct` for anything else.

Spend is recorded per channel under the same slugs, so CAC per channel joins on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

DIRECT = "direct"
PRICING_PAGE = "pricing_page"
PLAN_LINK = "plan_link"
MAX_LENGTH = 40
CHANNEL_PATTERN = r"^[a-z0-9][a-z0-9_]{0,39}$"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

_SEARCH = {"google": "google", "bing": "bing", "duckduckgo": "duckduckgo", "yahoo": "yahoo"}
_SOCIAL = frozenset(
    {"facebook", "fb", "instagram", "linkedin", "twitter", "x", "tiktok", "reddit", "meta"}
)
_PAID = frozenset({"cpc", "ppc", "paid", "paidsearch", "paid_search", "cpm", "display", "ads"})
_EMAIL = frozenset({"email", "e_mail", "newsletter"})
_REFERRAL = frozenset({"referral", "affiliate", "partner", "partners"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_CHANNEL = re.compile(CHANNEL_PATTERN)


def slug(text: str) -> str:
    """Lower case, runs of anything but letters and digits as one underscore, at most 40
    characters; empty when nothing is left."""
    return _NOT_SLUG.sub("_", text.strip().lower()).strip("_")[:MAX_LENGTH].rstrip("_")


def is_channel(text: str) -> bool:
    return bool(_CHANNEL.match(text))


def channel_of(acquisition: Mapping[str, str]) -> str:
    """The channel of a checkout's acquisition data, by the rule above; never empty."""
    explicit = slug(acquisition.get("channel") or "")
    if explicit and explicit != PLAN_LINK:
        return explicit
    source = slug(acquisition.get("utm_source") or "")
    medium = slug(acquisition.get("utm_medium") or "")
    mapped = _from_utm(source, medium)
    if mapped:
        return mapped
    return PRICING_PAGE if explicit == PLAN_LINK else DIRECT


def _from_utm(source: str, medium: str) -> str:
    paid = medium in _PAID
    if source in _SEARCH:
        return f"{_SEARCH[source]}_ads" if paid else "organic"
    if source in _SOCIAL:
        return "paid_social" if paid else "social"
    if medium in _EMAIL or source in _EMAIL:
        return "newsletter"
    if medium in _REFERRAL:
        return "referral"
    if source:
        return source
    if medium == "organic":
        return "organic"
    return ""


def utm_of(acquisition: Mapping[str, str]) -> dict[str, str]:
    """Only the utm_* fields, as kept on the customer beside its channel."""
    return {k: acquisition[k] for k in UTM_FIELDS if acquisition.get(k)}
