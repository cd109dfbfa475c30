"""A domain's refusal, said in the operator's language.

Services explain a refusal in English (`InvalidError`'s field details, a `ConflictError`'s
message): that is what the API's problem+json documents carry, and integrators read
English. A console page shows the common ones as the `operations` catalog's sentences
(`refusal.*`, with the refusal's own values put back in); one not listed here is shown as
the service said it, after a sentence in the operator's language.

Each entry matches the service's sentence as written in `domains/`; a test
(`tests/console/test_refusals.py`) has each service refuse and checks the match, so a
reworded refusal fails there rather than quietly turning back to English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recura.console import operations
from recura.domains.common.errors import InvalidError


@dataclass(frozen=True, slots=True)
class Known:
    key: str  # the sentence: `refusal.<key>` in the operations catalog
    pattern: re.Pattern[str]  # the service's sentence, its variable parts named


def _known(key: str, pattern: str) -> Known:
    return Known(key, re.compile(pattern))


KNOWN = (
    # Catalog objects: billable metrics, features, plans, prices, coupons, promotion codes.
    _known("code_exists", r"^An? (?P<kind>[a-z -]+) with code '(?P<code>[^']+)' already exists"),
    _known("code_exists", r"^The (?P<kind>promotion code) '(?P<code>[^']+)' already exists\.$"),
    _known("field_empty_for_count", r"^must be empty when aggregation is count$"),
    _known("field_needed", r"^is required when aggregation is (?P<aggregation>[a-z_]+)$"),
    _known("filtered_twice", r"^'(?P<property>[^']+)' is filtered twice$"),
    _known("metered_needs_metric", r"^a metered feature needs the billable metric it counts$"),
    _known("only_metered", r"^only metered features have one, not (?P<kind>[a-z_]+)$"),
    _known("interval_limit", r"^at most (?P<limit>\d+) for (?P<unit>[a-z]+) intervals$"),
    _known("price_needed", r"^at least one price \(one per currency\) is required$"),
    _known("priced_twice", r"^(?P<currency>[A-Z]{3}) is priced twice$"),
    _known("not_used_by_model", r"^is not used by the (?P<model>[a-z_]+) model$"),
    _known("needed_by_model", r"^is required by the (?P<model>[a-z_]+) model$"),
    _known("in_future", r"^must be in the future$"),
    _known("percent_or_amount", r"^give either percent_off or amounts_off$"),
    _known("percent_and_amount", r"^give either percent_off or amounts_off, not both$"),
    _known("above_zero", r"^must be greater than 0$"),
    _known("periods_needed", r"^is required when duration is repeating$"),
    _known("periods_unused", r"^must be empty when duration is (?P<duration>[a-z]+)$"),
    _known("below_redeemed", r"^cannot be below times_redeemed \((?P<count>\d+)\)$"),
    _known("granted_twice", r"^is granted twice$"),
    _known("tier_above_zero", r"^up_to must be greater than 0$"),
    _known("tier_above_previous", r"^up_to must be greater than the previous tier's up_to$"),
    _known("tier_unbounded_last", r"^only the last tier may be unbounded$"),
    _known("tier_last_open", r"^the last tier must be unbounded \(up_to: null\)$"),
    _known(
        "grant_number",
        r"^a (?P<kind>[a-z]+) feature takes a whole number from 0 \(or null for unlimited\)$",
    ),
    _known("already_archived", r"^(?P<kind>[A-Za-z -]+) '(?P<id>[^']+)' is already archived\.$"),
    _known(
        "archived_no_codes",
        r"^Coupon '(?P<id>[^']+)' is archived; it takes no new promotion codes\.$",
    ),
    # Any object named by id (`lookup.resolve`, a promotion code's coupon).
    _known("no_such", r"^[Nn]o (?P<kind>[a-z -]+) with id '(?P<id>[^']+)'\.?$"),
    _known("archived", r"^(?P<kind>[a-z -]+) '(?P<id>[^']+)' is archived$"),
    # Bank transfers: a statement file, an invoice matched by hand.
    _known("not_open", r"^invoice '(?P<invoice>[^']+)' is (?P<status>[a-z_]+), not open$"),
    _known("not_a_statement", r"^not a camt\.053 statement: (?P<reason>.*)$"),
    _known("statement_too_big", r"^a statement file is at most (?P<limit>\d+) MiB$"),
)

# Values that are a catalog choice ("max", "per_unit", "repeating") are said by its name.
_CHOICES = ("aggregation", "model", "duration", "kind", "unit")


def said(detail: str, locale: str) -> str | None:
    """The refusal in `locale` when it is a known one, else None."""
    for known in KNOWN:
        match = known.pattern.match(detail)
        if match is None:
            continue
        values = {name: _value(name, value, locale) for name, value in match.groupdict().items()}
        return operations.text(f"refusal.{known.key}", locale, **values)
    return None


def sentence(detail: str, locale: str) -> str:
    """A refusal to show on its own: translated when known, else as the service said it
    after "Not accepted:" in the operator's language."""
    return said(detail, locale) or operations.text("error.rejected", locale, detail=detail)


def details(error: InvalidError, locale: str) -> str:
    """Every field's refusal, each in `locale` when known, as one line (a page that shows
    them together, after its own sentence)."""
    parts = [said(item.detail, locale) or item.detail for item in error.errors]
    return " ".join(part if part.endswith((".", "?", "!")) else part + "." for part in parts)


def _value(name: str, value: str, locale: str) -> str:
    if name == "status":
        return operations.state(value, locale)
    if name in _CHOICES and operations.known(f"catalog.option.{value}"):
        return operations.text(f"catalog.option.{value}", locale)
    if name == "kind":
        kind = "catalog.one." + value.lower().replace(" ", "_").replace("-", "_") + "s"
        if operations.known(kind):
            return operations.text(kind, locale)
    return value
