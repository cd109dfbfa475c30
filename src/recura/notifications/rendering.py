"""Subscriber emails as HTML and plain text, in the customer's language.

An email's stored context holds raw values (amounts in minor units, instants in RFC 3339);
`view` turns them into what a reader sees, money and dates formatted by Babel in the
customer's locale and the account's time zone. Recura's templates (Jinja2, one HTML and one
text file per email on a shared layout) take their sentences from `texts`. An operator's
override gets exactly the same values and nothing else, rendered apart (`overrides`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from recura.core.money import exponent
from recura.domains.common import markdown
from recura.domains.support_requests.categories import CATEGORY_LABELS
from recura.gateways.bank_transfer import references
from recura.notifications import epc_qr, texts
from recura.notifications.links import Purpose

TemplateName = Literal[
    "welcome",
    "trial_ending",
    "upcoming_renewal",
    "receipt",
    "payment_failed",
    "dunning_reminder",
    "plan_changed",
    "canceled",
    "card_expiring",
    "winback",
    "invoice_sent",
    "invoice_due_reminder",
    "refund",
    "cancel_scheduled",
    "sign_in",
    "email_change",
    "support_notice",
    "support_confirmation",
    "support_reply",
    "support_follow_up",
    "perk_pool_low",
    "announcement",
    "retention_offer_accepted",
    "password_reset",
]
TEMPLATES: tuple[TemplateName, ...] = get_args(TemplateName)
# Notices to the merchant itself, not to a subscriber: written in the account's language
# to the account's address (`TO_MERCHANT` in emails).
MERCHANT = frozenset({"perk_pool_low"})
# To an operator (a console user), written by `users.reset`, not by an event. Its link signs
# someone in, so the email log keeps no copy of what was sent.
OPERATOR = frozenset({"password_reset"})
# Marketing, not billing: these carry List-Unsubscribe, and an opted-out customer gets none.
MARKETING = frozenset({"winback", "announcement"})
# Written to the merchant's support address, in the account's language, with the
# subscriber as Reply-To; the others go to the subscriber.
TO_SUPPORT = frozenset({"support_notice", "support_follow_up"})
# About a support request: to the subscriber, replies go to the support address.
SUPPORT = TO_SUPPORT | {"support_confirmation", "support_reply"}
# The signed links each email carries.
LINKS: dict[str, tuple[Purpose, ...]] = {
    "payment_failed": ("update_payment_method",),
    "dunning_reminder": ("update_payment_method",),
    "card_expiring": ("update_payment_method",),
    "canceled": ("reactivate",),
    "cancel_scheduled": ("reactivate",),
    "winback": ("reactivate", "unsubscribe"),
    "announcement": ("unsubscribe",),
    "receipt": ("invoice",),
    "invoice_sent": ("invoice",),
    "invoice_due_reminder": ("invoice",),
    "sign_in": ("sign_in",),
    "email_change": ("email_change",),
    "password_reset": ("password_reset",),
}
# Sent to the address the subscriber asked to change to, which their row does not hold yet.
TO_NEW_ADDRESS = frozenset({"email_change"})
DIRECTORY = Path(__file__).parent / "templates"


def environment(directory: Path) -> Environment:
    """Templates as Recura writes them: HTML escaped, every value required."""
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_env = environment(DIRECTORY)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    html: str
    text: str
    # Images the HTML shows by Content-ID (the EPC QR code), sent inline with it.
    images: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Brand:
    """What the emails say about the merchant."""

    name: str
    timezone: str
    support_address: str
    # The merchant's colour (buttons), logo (an absolute address) and legal pages.
    color: str = "#2f6fed"
    logo_url: str | None = None
    terms_url: str | None = None
    privacy_url: str | None = None


def money(amount: int, currency: str, locale: str) -> str:
    major = Decimal(amount).scaleb(-exponent(currency))
    formatted = format_currency(major, currency, locale=locale)
    # CLDR's currency spacing, which Babel leaves out: "RON 49.00", not "RON49.00" (nor
    # "-RON49.00").
    return re.sub(r"^(-?[^\W\d]{2,})(?=[\d\-])", "\\1\xa0", formatted)


def day(value: str | datetime | None, locale: str, timezone: str) -> str:
    if value is None:
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_date(instant.astimezone(ZoneInfo(timezone)).date(), "long", locale=locale)


def month(year: int, month_: int, locale: str) -> str:
    return format_date(date(year, month_, 1), "MMMM yyyy", locale=locale)


def view(
    template: str,
    locale: str,
    context: Mapping[str, Any],
    brand: Brand,
    links: Mapping[Purpose, str],
) -> dict[str, Any]:
    """Everything a template (Recura's or an override) may use, formatted for `locale`."""
    values: dict[str, Any] = {
        "locale": locale,
        "customer_name": context.get("customer_name") or "",
        "account_name": brand.name,
        "support_address": brand.support_address,
        "brand_color": brand.color,
        "logo_url": brand.logo_url or "",
        "terms_url": brand.terms_url or "",
        "privacy_url": brand.privacy_url or "",
    }
    tz = brand.timezone
    if "plan" in context:
        values["plan"] = context["plan"]
    if "guide" in context:
        # The merchant's getting-started steps, in the reader's language (`fan_out`).
        values["guide"] = [
            {
                "title": step["title"],
                "body_html": markdown.to_html(step.get("body", "")),
                "body_text": markdown.to_text(step.get("body", "")),
                "link": step.get("link") or "",
            }
            for step in context["guide"]
        ]
    if "title" in context:
        values["title"] = context["title"]
        values["body_html"] = markdown.to_html(context.get("body", ""))
        values["body_text"] = markdown.to_text(context.get("body", ""))
    for name in DATES:
        if name in context:
            values[name] = day(context[name], locale, tz)
    currency = context.get("currency", "")
    for name in ("amount", "total"):
        if name in context:
            values[name] = money(context[name], currency, locale)
    if "lines" in context:
        values["lines"] = [
            {"description": line["description"], "amount": money(line["amount"], currency, locale)}
            for line in context["lines"]
        ]
        values["tax"] = money(context["tax"], currency, locale) if context.get("tax") else ""
        values["tax_inclusive"] = bool(context.get("tax_inclusive"))
    if "reference" in context:
        values["beneficiary"] = context.get("beneficiary") or ""
        values["iban"] = blocks(context.get("iban") or "")
        values["bic"] = context.get("bic") or ""
        values["reference"] = references.display(context["reference"] or "")
        values["qr"] = epc_qr.CONTENT_ID if epc_qr.payload(dict(context)) else ""
    if "user_name" in context:
        values["user_name"] = context["user_name"]
    if "new_email" in context:
        values["new_email"] = context["new_email"]
    for name in ("number", "attempt", "last_attempt", "last4", "offer"):
        if name in context:
            values[name] = context[name]
    if "periods" in context:
        values.update(_discount(context, locale))
    if "brand" in context:
        raw = context["brand"] or ""
        values["brand"] = texts.BRANDS.get(raw, raw.title())
    if "exp_year" in context:
        values["expiry"] = month(context["exp_year"], context["exp_month"], locale)
    if "request" in context:
        values.update(_support(context, locale))
    if template == "welcome":
        values["perks"] = [_perk(perk, locale, tz) for perk in context.get("perks", [])]
    for name in ("perk", "partner", "available", "threshold", "waiting"):
        if name in context:
            values[name] = context[name]
    for purpose in LINKS.get(template, ()):
        values[f"{purpose}_url"] = links.get(purpose, "")
    return values


def _support(context: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A support request's values: its id, subject, category, the message the email is
    about and, for the support address, who wrote it (name and address)."""
    category = context.get("category", "")
    values = {
        "request": context["request"],
        "request_subject": context.get("request_subject", ""),
        "category": CATEGORY_LABELS.get(category, {}).get(locale, category),
        "message": context.get("message", ""),
    }
    if "customer_email" in context:
        name, address = context.get("customer_name") or "", context["customer_email"] or ""
        values["customer_email"] = address
        values["customer"] = f"{name} ({address})" if name and address else name or address
    return values


def _perk(perk: Mapping[str, Any], locale: str, timezone: str) -> dict[str, Any]:
    """A partner perk as the welcome email lists it (`partner_perks.views.PerkView`)."""
    return {
        "name": perk["name"],
        "partner_name": perk["partner_name"],
        "description": perk["description"],
        "kind": perk["kind"],
        "code": perk.get("code") or "",
        "url": perk.get("url") or "",
        "expires": day(perk.get("expires_at"), locale, timezone),
    }


def _discount(context: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """A coupon's discount as a reader sees it, and how many invoices it lowers."""
    periods = context["periods"]
    if context.get("percent_off") is not None:
        share = (Decimal(str(context["percent_off"])) / 100).normalize()
        discount = format_percent(share, locale=locale, decimal_quantization=False)
    else:
        discount = money(context.get("amount_off") or 0, context.get("currency", ""), locale)
    invoices = texts.counted("invoices", periods, locale) if periods else ""
    return {"discount": discount, "periods": periods, "invoices": invoices}


# The instants an email may show, as days.
DATES = (
    "trial_end",
    "period_end",
    "renews_at",
    "paid_at",
    "next_attempt",
    "canceled_at",
    "due_at",
    "ends_at",
    "refunded_at",
    "resume_at",
)


def blocks(account_number: str) -> str:
    """An IBAN as banks print it, in blocks of four."""
    compact = "".join(account_number.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def images(context: Mapping[str, Any]) -> dict[str, bytes]:
    """The inline images an email with `context` carries, by Content-ID."""
    text = epc_qr.payload(dict(context)) if "reference" in context else None
    return {epc_qr.CONTENT_ID: epc_qr.png(text)} if text else {}


def _translator(locale: str) -> Any:
    def t(key: str, **values: object) -> str:
        return texts.text(key, locale, **values)

    return t


def render(
    template: str,
    locale: str,
    context: Mapping[str, Any],
    brand: Brand,
    links: Mapping[Purpose, str],
) -> Rendered:
    """Recura's own version of the email (an override renders through `overrides`)."""
    values = view(template, locale, context, brand, links)
    t = _translator(locale)
    args = {**values, "t": t, "template": template, "marketing": template in MARKETING}
    return Rendered(
        subject=one_line(_subject(template, t, values)),
        html=_env.get_template(f"{template}.html").render(args),
        text=_env.get_template(f"{template}.txt").render(args),
        images=images(context),
    )


def _subject(template: str, t: Any, values: Mapping[str, Any]) -> str:
    date_of = {
        "trial_ending": "trial_end",
        "upcoming_renewal": "renews_at",
        "invoice_sent": "due_at",
        "invoice_due_reminder": "due_at",
        "cancel_scheduled": "ends_at",
    }
    extra: dict[str, Any] = {"account": values["account_name"]}
    for name in ("plan", "number", "amount", "last4", "perk", "title"):
        if name in values:
            extra[name] = values[name]
    if template in date_of:
        extra["date"] = values[date_of[template]]
    if template in SUPPORT:
        extra["subject"] = values["request_subject"]
    return str(t(f"{template}.subject", **extra))


def one_line(value: str) -> str:
    # Header-safe, keeping the no-break spaces Babel puts between amount and currency.
    return re.sub(r"[ \t\r\n\f\v]+", " ", value).strip()


# What the preview and an override's check render with: one plausible email of each kind.
SAMPLE_BRAND = Brand(
    "Norditech Software SRL",
    "Europe/Bucharest",
    "suport@norditech.ro",
    terms_url="https://norditech.ro/termeni",
    privacy_url="https://norditech.ro/confidentialitate",
)
SAMPLE_LINKS: dict[Purpose, str] = {
    "update_payment_method": "http://127.0.0.1:8000/portal/payment-method/SAMPLE",
    "reactivate": "http://127.0.0.1:8000/portal/reactivate/SAMPLE",
    "unsubscribe": "http://127.0.0.1:8000/email/unsubscribe/SAMPLE",
    "invoice": "http://127.0.0.1:8000/portal/invoice/SAMPLE",
    "sign_in": "http://127.0.0.1:8000/portal/sign-in/SAMPLE",
    "email_change": "http://127.0.0.1:8000/portal/email-change/SAMPLE",
    "password_reset": "http://127.0.0.1:8000/console/reset-password/SAMPLE",
}
_INVOICE = {"number": "NDT-000042", "amount": 4900, "currency": "RON"}
_LINES = {
    "invoice": "inv_SAMPLE",
    "lines": [{"description": "Pro monthly", "amount": 4900}],
    "tax": 1029,
    "tax_inclusive": False,
    "total": 5929,
}
_TRANSFER = {
    "customer_name": "Ana Popescu",
    **_LINES,
    "number": "NDT-000042",
    "amount": 5929,
    "currency": "EUR",
    "due_at": "2026-01-29T09:30:00+00:00",
    "beneficiary": "Norditech Software SRL",
    "iban": "RO49AAAA1B31007593840000",
    "bic": "AAAARO22",
    "reference": "RF18539007547034",
}
_SUPPORT = {
    "customer_name": "Ana Popescu",
    "customer_email": "ana.popescu@example.ro",
    "request": "sr_SAMPLE",
    "request_subject": "Plată dublă în februarie",
    "category": "billing",
    "message": "Bună ziua,\n\nAm fost taxată de două ori luna aceasta. Puteți verifica?",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "password_reset": {"user_name": "Ioana Marin", "password_reset": "usr_SAMPLE.SAMPLE"},
    "sign_in": {"customer_name": "Ana Popescu", "portal_session": "pss_SAMPLE"},
    "email_change": {
        "customer_name": "Ana Popescu",
        "email_change": "ecr_SAMPLE",
        "new_email": "ana@norditech.ro",
    },
    "welcome": {
        "customer_name": "Ana Popescu",
        "plan": "Pro",
        "trial_end": "2026-01-29T09:30:00+00:00",
        "period_end": "2026-01-29T09:30:00+00:00",
        "perks": [
            {
                "name": "Spotify Premium",
                "partner_name": "Spotify",
                "description": "Spotify Premium: 3 months free",
                "kind": "voucher",
                "code": "SPOT-7KQ2-9XHF",
                "url": None,
                "expires_at": None,
                "pending": False,
            },
            {
                "name": "Libris -20%",
                "partner_name": "Libris",
                "description": "Libris: 20% off every book",
                "kind": "link",
                "code": None,
                "url": "https://libris.example/partner?token=v1.perk_SAMPLE.cus_SAMPLE.1",
                "expires_at": "2026-02-14T09:30:00+00:00",
                "pending": False,
            },
            {
                "name": "Bolt Food",
                "partner_name": "Bolt",
                "description": "Bolt Food: 5 deliveries free",
                "kind": "voucher",
                "code": None,
                "url": None,
                "expires_at": None,
                "pending": True,
            },
        ],
        "guide": [
            {
                "title": "Connect your bank",
                "body": "Open **Settings → Bank** and follow the steps.",
                "link": "https://app.norditech.ro/settings/bank",
            },
            {"title": "Invite your team", "body": "", "link": None},
        ],
    },
    "trial_ending": {
        "customer_name": "Ana Popescu",
        "plan": "Pro",
        "trial_end": "2026-01-29T09:30:00+00:00",
    },
    "upcoming_renewal": {
        "customer_name": "Ana Popescu",
        "plan": "Pro (yearly)",
        "renews_at": "2027-01-15T09:30:00+00:00",
        "amount": 49000,
        "currency": "RON",
    },
    "receipt": {
        "customer_name": "Ana Popescu",
        **_INVOICE,
        **_LINES,
        "amount": 5929,
        "paid_at": "2026-01-15T09:30:00+00:00",
    },
    "invoice_sent": _TRANSFER,
    "invoice_due_reminder": _TRANSFER,
    "refund": {
        "customer_name": "Ana Popescu",
        **_INVOICE,
        "invoice": "inv_SAMPLE",
        "refunded_at": "2026-02-03T09:30:00+00:00",
    },
    "cancel_scheduled": {
        "customer_name": "Ana Popescu",
        "plan": "Pro",
        "ends_at": "2026-03-15T09:30:00+00:00",
    },
    "payment_failed": {
        "customer_name": "Ana Popescu",
        **_INVOICE,
        "attempt": 1,
        "next_attempt": "2026-01-16T09:30:00+00:00",
    },
    "dunning_reminder": {
        "customer_name": "Ana Popescu",
        **_INVOICE,
        "attempt": 2,
        "last_attempt": False,
        "next_attempt": "2026-01-18T09:30:00+00:00",
    },
    "plan_changed": {
        "customer_name": "Ana Popescu",
        "plan": "Business",
        "period_end": "2026-02-15T09:30:00+00:00",
    },
    "canceled": {
        "customer_name": "Ana Popescu",
        "plan": "Pro",
        "canceled_at": "2026-03-15T09:30:00+00:00",
    },
    "card_expiring": {
        "customer_name": "Ana Popescu",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 2,
        "exp_year": 2026,
    },
    "winback": {"customer_name": "Ana Popescu", "plan": "Pro"},
    "support_notice": _SUPPORT,
    "support_follow_up": {**_SUPPORT, "message": "Mulțumesc, acum funcționează."},
    "support_confirmation": {
        key: value for key, value in _SUPPORT.items() if key != "customer_email"
    },
    "support_reply": {
        "customer_name": "Ana Popescu",
        "request": _SUPPORT["request"],
        "request_subject": _SUPPORT["request_subject"],
        "message": "Bună ziua! Am verificat: a doua plată a fost rambursată astăzi.\n\n"
        "O zi bună,\nEchipa de suport",
    },
    "perk_pool_low": {
        "perk": "Spotify Premium",
        "partner": "Spotify",
        "available": 9,
        "threshold": 10,
        "waiting": 2,
    },
    "announcement": {
        "customer_name": "Ana Popescu",
        "announcement": "ann_SAMPLE",
        "title": "New: bank sync",
        "body": "Statements now import **every hour**. [Read more](https://norditech.ro/news)",
    },
    "retention_offer_accepted": {
        "customer_name": "Ana Popescu",
        "plan": "Pro",
        "offer": "coupon",
        "currency": "RON",
        "percent_off": 50.0,
        "amount_off": None,
        "periods": 3,
    },
}
# What the samples say in another language than English: the merchant's own words.
LOCALIZED_SAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "welcome": {
        "ro": {
            "guide": [
                {
                    "title": "Conectați banca",
                    "body": "Deschideți **Setări → Bancă** și urmați pașii.",
                    "link": "https://app.norditech.ro/settings/bank",
                },
                {"title": "Invitați-vă colegii", "body": "", "link": None},
            ]
        }
    },
    "announcement": {
        "ro": {
            "title": "Nou: sincronizare bancară",
            "body": "Extrasele se importă **din oră în oră**. "
            "[Detalii](https://norditech.ro/noutati)",
        }
    },
}


def sample(template: str, locale: str) -> Rendered:
    context = {**SAMPLES[template], **LOCALIZED_SAMPLES.get(template, {}).get(locale, {})}
    return render(template, locale, context, SAMPLE_BRAND, SAMPLE_LINKS)


def variables(template: str) -> list[str]:
    """The names an override of `template` may use."""
    return sorted(view(template, "en", SAMPLES[template], SAMPLE_BRAND, SAMPLE_LINKS))


def unsubscribe_page(state: str, locale: str, account_name: str = "", address: str = "") -> str:
    """The page behind the unsubscribe link: asking (`ask`), `done`, or `invalid`."""
    values = {"state": state, "locale": locale, "account_name": account_name}
    return _env.get_template("unsubscribe_page.html").render(
        values, address=address, t=_translator(locale)
    )
