"""What a support request is about, and where it stands, as the pages name them in each
language Recura writes (`languages.SUPPORTED`)."""

from __future__ import annotations

from typing import Literal, get_args

Category = Literal["billing", "technical", "account", "other"]
Status = Literal["open", "answered", "closed"]
Author = Literal["customer", "merchant"]

CATEGORIES: tuple[Category, ...] = get_args(Category)
STATUSES: tuple[Status, ...] = get_args(Status)

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "billing": {"en": "Billing and payments", "ro": "Facturare și plăți"},
    "technical": {"en": "Technical problem", "ro": "Problemă tehnică"},
    "account": {"en": "My account", "ro": "Contul meu"},
    "other": {"en": "Something else", "ro": "Altceva"},
}
STATUS_LABELS: dict[str, dict[str, str]] = {
    "open": {"en": "Waiting for an answer", "ro": "În așteptarea răspunsului"},
    "answered": {"en": "Answered", "ro": "Răspuns primit"},
    "closed": {"en": "Closed", "ro": "Închisă"},
}


def category_label(category: str, locale: str) -> str:
    """The category as a subscriber reads it in `locale` (`en` or `ro`)."""
    return CATEGORY_LABELS[category][locale]


def status_label(status: str, locale: str) -> str:
    return STATUS_LABELS[status][locale]


def category_choices(locale: str) -> list[tuple[str, str]]:
    """(code, label) of every category, in the order a form lists them."""
    return [(code, category_label(code, locale)) for code in CATEGORIES]
