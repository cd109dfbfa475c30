"""The account's settings as the console's forms show them: which fields each settings
page holds, how a form's text becomes the body `PATCH /v1/account` takes (an
`AccountUpdate`, checked by the same `accounts.service.update_account`), and each refusal
as a sentence next to its field in the operator's language.

A field is named as its value's place in the body, parts joined by dots
(`address.county`), so the schema's and the domain's error locations name the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from recura.core import money
from recura.db.models import Account
from recura.domains.accounts.schemas import CLEARABLE, AccountUpdate

# Kinds of input: how a field is shown and read.
TEXT, NUMBER, CHECK, CHOICE, LINES, AMOUNT, DAYS, COUNTY, SECTOR, PLAN, REASONS = [
    "text",
    "number",
    "check",
    "choice",
    "lines",
    "amount",
    "days",
    "county",
    "sector",
    "plan",
    "reasons",
]
OFFER_KINDS = ("", "pause", "coupon", "plan")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str = TEXT
    choices: tuple[str, ...] = ()
    # The input's type attribute for TEXT fields (email, url, color).
    input: str = "text"

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")

    @property
    def top(self) -> str:
        return self.name.split(".")[0]


@dataclass(frozen=True, slots=True)
class Form:
    key: str
    fields: tuple[Field, ...]


ADDRESS = tuple(
    Field(f"address.{part}", kind)
    for part, kind in (
        ("line1", TEXT),
        ("line2", TEXT),
        ("city", TEXT),
        ("postal_code", TEXT),
        ("county", COUNTY),
        ("sector", SECTOR),
        ("country", TEXT),
    )
)

FORMS: dict[str, Form] = {
    "legal": Form(
        "legal",
        (
            Field("legal_name"),
            Field("vat_id"),
            Field("registration_number"),
            Field("share_capital", AMOUNT),
            Field("share_capital_currency"),
            *ADDRESS,
            Field("iban"),
            Field("bic"),
        ),
    ),
    "vat": Form(
        "vat",
        (
            Field("vat_registered", CHECK),
            Field("oss_registered", CHECK),
            Field("eu_b2c_over_threshold", CHECK),
            Field("tax_inclusive", CHECK),
            Field("tax_rate", NUMBER),
        ),
    ),
    "invoicing": Form(
        "invoicing",
        (
            Field("invoice_series_prefix"),
            Field("days_until_due", NUMBER),
            Field("billing_alignment", CHOICE, ("anniversary", "calendar")),
            Field("catch_up", CHOICE, ("current_period", "every_period")),
            Field("retry_days", DAYS),
            Field("dunning_final_action", CHOICE, ("cancel", "mark_unpaid", "leave_past_due")),
            Field("invoice_reminder_days", NUMBER),
            Field("winback_days", NUMBER),
        ),
    ),
    "branding": Form(
        "branding",
        (
            Field("slug"),
            Field("brand_color", input="color"),
            Field("terms_url", input="url"),
            Field("privacy_url", input="url"),
            Field("support_email", input="email"),
            Field("pricing_embed_origins", LINES),
            Field("pricing_highlight_plan_id", PLAN),
        ),
    ),
    "portal": Form(
        "portal",
        (
            Field("portal_pause_enabled", CHECK),
            Field("portal_downgrade_timing", CHOICE, ("period_end", "now")),
            Field("trial_requires_payment_method", CHECK),
            Field("cancellation_reasons", REASONS),
            Field("retention_offer.kind", CHOICE, OFFER_KINDS),
            Field("retention_offer.months", NUMBER),
            Field("retention_offer.coupon_id"),
            Field("retention_offer.plan_id", PLAN),
        ),
    ),
}


class Refused(Exception):
    """What the form's values could not be: field name -> (message key, values)."""

    def __init__(self, problems: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(sorted(problems))
        self.problems = problems


def shown(form: Form, account: Account) -> dict[str, str]:
    """The account's current values as the form's inputs hold them."""
    values: dict[str, str] = {}
    for field in form.fields:
        value = _stored(account, field.name)
        values[field.name] = _text(field, value, account)
    return values


def _stored(account: Account, name: str) -> Any:
    top, _, part = name.partition(".")
    # Cancellation reasons left unset show empty: Recura's default list, kept as the default.
    value = getattr(account, top, None)
    if part:
        return (value or {}).get(part)
    return value


def _text(field: Field, value: Any, account: Account) -> str:
    if value is None:
        return ""
    if field.kind == CHECK:
        return "on" if value else ""
    if field.kind == AMOUNT:
        currency = account.share_capital_currency or account.default_currency
        places = money.exponent(currency)
        return f"{Decimal(value).scaleb(-places):.{places}f}"
    if field.kind == NUMBER and isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if field.kind == DAYS:
        return ", ".join(str(day) for day in value)
    if field.kind == LINES:
        return "\n".join(value)
    if field.kind == REASONS:
        return "\n".join(f"{r['code']} | {r['labels']['en']} | {r['labels']['ro']}" for r in value)
    return str(value)


def read(form: Form, fields: Mapping[str, str]) -> dict[str, str]:
    """The form's inputs as sent (a missing checkbox is off), each cut to a sane length."""
    return {
        f.name: fields.get(f.name, "")[: 4000 if f.kind == REASONS else 600] for f in form.fields
    }


def body(form: Form, values: Mapping[str, str], account: Account) -> AccountUpdate:
    """The PATCH body the form's values say, checked by the API's own schema."""
    problems: dict[str, tuple[str, dict[str, Any]]] = {}
    data: dict[str, Any] = {}
    for field in form.fields:
        if field.top in ("address", "retention_offer"):
            continue
        raw = values.get(field.name, "").strip()
        try:
            value = _value(field, raw, values, account)
        except _Wrong as wrong:
            problems[field.name] = (wrong.key, wrong.values)
            continue
        if value is None and field.name not in CLEARABLE:
            # The API cannot clear these: empty is "not set yet" only where none is set.
            if _stored(account, field.name) is not None:
                problems[field.name] = ("settings.error.required", {})
            continue
        data[field.name] = value
    if any(f.top == "address" for f in form.fields):
        data["address"] = _address(values)
    if any(f.top == "retention_offer" for f in form.fields):
        data["retention_offer"] = _offer(values, problems)
    if problems:
        raise Refused(problems)
    try:
        return AccountUpdate.model_validate(data)
    except ValidationError as error:
        raise Refused(_from_schema(form, error)) from None


class _Wrong(Exception):
    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def _value(field: Field, raw: str, values: Mapping[str, str], account: Account) -> Any:
    if field.kind == CHECK:
        return bool(raw)
    if raw == "":
        return [] if field.kind in (DAYS, LINES) else None
    if field.kind == NUMBER:
        if field.name == "tax_rate":
            return raw.replace(",", ".")
        if not raw.lstrip("-").isdigit():
            raise _Wrong("settings.error.whole_number")
        return int(raw)
    if field.kind == AMOUNT:
        currency = values.get("share_capital_currency", "").strip() or (
            account.share_capital_currency or account.default_currency
        )
        places = money.exponent(currency) if money.is_currency(currency) else 2
        try:
            amount = Decimal(raw.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise _Wrong("settings.error.amount") from None
        minor = amount.scaleb(places)
        if not amount.is_finite() or minor != minor.to_integral():
            raise _Wrong("settings.error.amount")
        return int(minor)
    if field.kind == DAYS:
        days = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        if not all(day.isdigit() for day in days):
            raise _Wrong("settings.error.days")
        return [int(day) for day in days]
    if field.kind == LINES:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if field.kind == REASONS:
        found = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 3:
                raise _Wrong("settings.error.reason_line", line=number)
            found.append({"code": parts[0], "labels": {"en": parts[1], "ro": parts[2]}})
        return found or None
    return raw


def _address(values: Mapping[str, str]) -> dict[str, Any] | None:
    given = {f.name.split(".")[1]: values.get(f.name, "").strip() for f in ADDRESS}
    if not any(value for part, value in given.items() if part != "country"):
        return None  # an empty address clears the registered office
    address: dict[str, Any] = {part: value or None for part, value in given.items()}
    sector = address["sector"]
    address["sector"] = int(sector) if sector and sector.isdigit() else sector
    return address


def _offer(values: Mapping[str, str], problems: dict[str, Any]) -> dict[str, Any] | None:
    kind = values.get("retention_offer.kind", "")
    if kind == "pause":
        months = values.get("retention_offer.months", "").strip()
        if not months.isdigit():
            problems["retention_offer.months"] = ("settings.error.whole_number", {})
            return None
        return {"kind": "pause", "months": int(months)}
    if kind == "coupon":
        return {"kind": "coupon", "coupon_id": values.get("retention_offer.coupon_id", "").strip()}
    if kind == "plan":
        return {"kind": "plan", "plan_id": values.get("retention_offer.plan_id", "").strip()}
    return None


# Pydantic's error types, as the console words them; anything else is "not valid".
_TYPES = {
    "missing": "settings.error.required",
    "string_too_short": "settings.error.required",
    "string_too_long": "settings.error.too_long",
    "too_long": "settings.error.too_many",
    "too_short": "settings.error.required",
    "greater_than_equal": "settings.error.at_least",
    "less_than_equal": "settings.error.at_most",
    "int_parsing": "settings.error.whole_number",
    "decimal_parsing": "settings.error.number",
    "decimal_max_places": "settings.error.number",
    "literal_error": "settings.error.choice",
    "value_error": "settings.error.invalid",
    "string_pattern_mismatch": "settings.error.invalid",
}
# Fields whose own rule says more than "not valid" (a colour's contrast, a reserved slug).
_OWN = {
    "brand_color",
    "slug",
    "terms_url",
    "privacy_url",
    "pricing_embed_origins",
    "retry_days",
    "tax_rate",
    "invoice_series_prefix",
    "iban",
    "bic",
    "support_email",
    "cancellation_reasons",
    "share_capital_currency",
    "address.country",
    "address.postal_code",
}


def _from_schema(form: Form, error: ValidationError) -> dict[str, tuple[str, dict[str, Any]]]:
    names = {f.name for f in form.fields}
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        if loc[0] == "retention_offer" and len(loc) > 2:
            del loc[1]  # the union's tag ("pause") is not a field of the form
        name = field_of(loc, names)
        if name in found:
            continue
        kind = item["type"]
        key = _TYPES.get(kind, "settings.error.invalid")
        if key == "settings.error.invalid" and name in _OWN:
            key = f"settings.error.{name}"
        context = item.get("ctx") or {}
        values = {
            "limit": context.get("ge", context.get("le", context.get("max_length", ""))),
        }
        found[name] = (key, values)
    return found


def field_of(loc: list[str], names: set[str]) -> str:
    """The form's field an error location (or a JSON pointer's parts) belongs to: the
    longest start of it that is a field's name; the first field of a group else."""
    for end in range(len(loc), 0, -1):
        name = ".".join(loc[:end])
        if name in names:
            return name
    top = loc[0] if loc else ""
    return next((n for n in sorted(names) if n.startswith(top + ".")), top)
