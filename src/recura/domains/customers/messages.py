"""What a subscriber is told about the billing details they typed, in each language.

Each validation problem names its field and one of these keys; the checkout page shows
the text in the subscriber's language, the API the English one. `missing()` (run by the
tests) lists any key that lacks a language or whose placeholders differ between them.
"""

from __future__ import annotations

import string

from recura.domains.common.languages import SUPPORTED

TEXTS: dict[str, dict[str, str]] = {
    "email.required": {
        "en": "Enter your email address.",
        "ro": "Introduceți adresa de email.",
    },
    "email.invalid": {
        "en": "This is not a valid email address.",
        "ro": "Adresa de email nu este validă.",
    },
    "email.unchanged": {
        "en": "This is already your email address.",
        "ro": "Aceasta este deja adresa dvs. de email.",
    },
    "name.too_long": {
        "en": "The name is too long (at most {limit} characters).",
        "ro": "Numele este prea lung (cel mult {limit} de caractere).",
    },
    "kind.invalid": {
        "en": "Choose whether you subscribe as a person or as a company.",
        "ro": "Alegeți dacă vă abonați ca persoană fizică sau ca firmă.",
    },
    "legal_name.required": {
        "en": "Enter the company's legal name.",
        "ro": "Introduceți denumirea firmei.",
    },
    "vat_id.required": {
        "en": "Enter the company's VAT number or, in Romania, its CUI.",
        "ro": "Introduceți codul de TVA al firmei sau, în România, codul unic de "
        "înregistrare (CUI).",
    },
    "vat_id.invalid_cui": {
        "en": "This is not a valid Romanian CUI: check its digits.",
        "ro": "Codul unic de înregistrare (CUI) nu este valid: verificați cifrele.",
    },
    "vat_id.invalid": {
        "en": "This is not a valid VAT number: check its country prefix and digits.",
        "ro": "Codul de TVA nu este valid: verificați prefixul țării și cifrele.",
    },
    "vat_id.other_country": {
        "en": "This VAT number belongs to another country than the address.",
        "ro": "Codul de TVA aparține altei țări decât cea din adresă.",
    },
    "registration_number.invalid": {
        "en": "This is not a valid trade register number (for example J40/12345/2020).",
        "ro": "Numărul de înregistrare la Registrul Comerțului nu este valid "
        "(de exemplu J40/12345/2020).",
    },
    "country.required": {
        "en": "Choose your country.",
        "ro": "Alegeți țara.",
    },
    "country.invalid": {
        "en": "Choose a country from the list.",
        "ro": "Alegeți o țară din listă.",
    },
    "line1.required": {
        "en": "Enter the street and number.",
        "ro": "Introduceți strada și numărul.",
    },
    "city.required": {
        "en": "Enter the city.",
        "ro": "Introduceți localitatea.",
    },
    "postal_code.invalid": {
        "en": "This is not a valid postal code.",
        "ro": "Codul poștal nu este valid.",
    },
    "county.required": {
        "en": "Choose the county.",
        "ro": "Alegeți județul.",
    },
    "county.invalid": {
        "en": "Choose a county from the list.",
        "ro": "Alegeți un județ din listă.",
    },
    "sector.required": {
        "en": "Choose the Bucharest sector (1 to 6).",
        "ro": "Alegeți sectorul din București (de la 1 la 6).",
    },
    "sector.not_here": {
        "en": "Only addresses in Bucharest have a sector.",
        "ro": "Doar adresele din București au sector.",
    },
    "field.too_long": {
        "en": "This is too long (at most {limit} characters).",
        "ro": "Textul este prea lung (cel mult {limit} de caractere).",
    },
    "terms.required": {
        "en": "Accept the terms to subscribe.",
        "ro": "Acceptați termenii pentru a vă abona.",
    },
    "promotion_code.invalid": {
        "en": "This promotion code cannot be used.",
        "ro": "Acest cod promoțional nu poate fi folosit.",
    },
    "promotion_code.not_allowed": {
        "en": "Promotion codes cannot be used for this subscription.",
        "ro": "Pentru acest abonament nu se pot folosi coduri promoționale.",
    },
    "payment_method.required": {
        "en": "Add a payment method to subscribe.",
        "ro": "Adăugați o metodă de plată pentru a vă abona.",
    },
    "payment_method.invalid": {
        "en": "This payment method cannot be used; add another one.",
        "ro": "Această metodă de plată nu poate fi folosită; adăugați alta.",
    },
    "payment.declined": {
        "en": "Your payment was declined. Try another payment method.",
        "ro": "Plata a fost refuzată. Încercați altă metodă de plată.",
    },
    "payment.processing": {
        "en": "Your payment is being processed; this page will show the result shortly.",
        "ro": "Plata este în curs de procesare; rezultatul va apărea în curând pe această pagină.",
    },
    "bank_transfer.unavailable": {
        "en": "Payment by bank transfer is not available.",
        "ro": "Plata prin transfer bancar nu este disponibilă.",
    },
    "checkout.expired": {
        "en": "This checkout has expired. Start again from the pricing page.",
        "ro": "Această pagină de plată a expirat. Reîncepeți de pe pagina cu prețuri.",
    },
}


def text(key: str, locale: str, **values: object) -> str:
    """The text of `key` in `locale` (English for a language it lacks), filled in."""
    texts = TEXTS[key]
    return texts.get(locale, texts["en"]).format(**values)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def missing() -> list[str]:
    """Keys without a text in every language, or whose languages name different values."""
    found = []
    for key, texts in TEXTS.items():
        if set(texts) != set(SUPPORTED):
            found.append(f"{key}: languages {sorted(texts)}")
        elif len({frozenset(_fields(t)) for t in texts.values()}) > 1:
            found.append(f"{key}: placeholders differ")
    return found
