"""The subscriber's details: each problem names its field and a message in English and
Romanian; numbers checked with python-stdnum; counties against ISO 3166-2."""

from __future__ import annotations

from typing import Any

import pycountry
import pytest

from recura import i18n
from recura.domains.checkout import details
from recura.domains.customers import billing, messages
from recura.domains.customers.billing import BillingDetailsInvalid

CLUJ = {
    "line1": "Str. Memorandumului 28",
    "city": "Cluj-Napoca",
    "country": "RO",
    "county": "RO-CJ",
}


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BillingDetailsInvalid) as caught:
        details.validate(data)
    return {p.pointer: p.key for p in caught.value.problems}


def test_a_person_gives_an_email_and_an_address() -> None:
    found = details.validate({"email": " Ana@Example.ro ", "name": "Ana  Popescu", "address": CLUJ})
    assert found.email == "Ana@example.ro"
    assert found.name == "Ana Popescu"
    assert found.kind == "individual"
    assert found.address.county == "RO-CJ"
    assert found.vat_id is None


def test_a_persons_company_fields_are_ignored() -> None:
    found = details.validate(
        {"email": "ana@example.ro", "vat_id": "nonsense", "legal_name": "X", "address": CLUJ}
    )
    assert (found.vat_id, found.legal_name) == (None, None)


def test_a_person_in_romania_may_give_a_cnp() -> None:
    person = {"email": "ana@example.ro", "address": CLUJ}
    assert details.validate(person).national_id is None
    found = details.validate({**person, "national_id": " 180 0101 221144 "})
    assert found.national_id == "1800101221144"
    assert found.customer_create("ro", "RON").national_id == "1800101221144"
    assert found.customer_update(email=False).national_id == "1800101221144"
    assert problems({**person, "national_id": "1800101221145"}) == {
        "/national_id": "national_id.invalid"
    }
    # ANAF's thirteen zeros stand in for no CNP: they are not one.
    assert problems({**person, "national_id": "0000000000000"}) == {
        "/national_id": "national_id.invalid"
    }


def test_a_cnp_is_ignored_for_a_company_or_outside_romania() -> None:
    company = {"kind": "company", "legal_name": "Firma SRL", "vat_id": "RO18547290"}
    berlin = {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"}
    for data in (
        {"email": "a@firma.ro", "address": CLUJ, "national_id": "nonsense", **company},
        {"email": "ana@example.de", "address": berlin, "national_id": "nonsense"},
    ):
        assert details.validate(data).national_id is None


def test_every_problem_is_named_at_once() -> None:
    assert problems({"kind": "company", "address": {"country": "RO"}}) == {
        "/email": "email.required",
        "/address/line1": "line1.required",
        "/address/city": "city.required",
        "/address/county": "county.required",
        "/legal_name": "legal_name.required",
        "/vat_id": "vat_id.required",
    }


def test_a_romanian_company_gives_a_cui_or_an_ro_vat_number() -> None:
    base = {"email": "f@norditech.ro", "kind": "company", "legal_name": "Norditech SRL"}
    cui = details.validate({**base, "vat_id": "18547290", "address": CLUJ})
    assert cui.vat_id == "18547290"
    vat = details.validate({**base, "vat_id": "ro 18547290", "address": CLUJ})
    assert vat.vat_id == "RO18547290"
    assert problems({**base, "vat_id": "18547291", "address": CLUJ}) == {
        "/vat_id": "vat_id.invalid_cui"
    }
    assert problems({**base, "vat_id": "RO18547291", "address": CLUJ}) == {
        "/vat_id": "vat_id.invalid"
    }
    assert problems({**base, "vat_id": "DE136695976", "address": CLUJ}) == {
        "/vat_id": "vat_id.other_country"
    }


def test_a_company_elsewhere_in_the_eu_gives_its_vat_number_if_any() -> None:
    berlin = {"line1": "Unter den Linden 1", "city": "Berlin", "country": "DE"}
    base = {"email": "a@b.de", "kind": "company", "legal_name": "B GmbH", "address": berlin}
    assert details.validate(base).vat_id is None
    assert details.validate({**base, "vat_id": "136695976"}).vat_id == "DE136695976"
    assert problems({**base, "vat_id": "DE136695977"}) == {"/vat_id": "vat_id.invalid"}


def test_the_trade_register_number_is_checked_in_romania() -> None:
    base = {
        "email": "f@norditech.ro",
        "kind": "company",
        "legal_name": "Norditech SRL",
        "vat_id": "RO18547290",
        "address": CLUJ,
    }
    assert details.validate({**base, "registration_number": "J40/12345/2020"}).registration_number
    assert details.validate({**base, "registration_number": "J2020000123408"}).registration_number
    assert problems({**base, "registration_number": "J99/12345/2020"}) == {
        "/registration_number": "registration_number.invalid"
    }


def test_bucharest_has_a_sector_and_nowhere_else_does() -> None:
    bucharest = {"line1": "Calea Victoriei 1", "city": "București", "country": "RO"}
    found = details.validate(
        {"email": "a@b.ro", "address": {**bucharest, "county": "ro-b", "sector": "3"}}
    )
    assert (found.address.county, found.address.sector) == ("RO-B", 3)
    assert problems({"email": "a@b.ro", "address": {**bucharest, "county": "RO-B"}}) == {
        "/address/sector": "sector.required"
    }
    assert problems(
        {"email": "a@b.ro", "address": {**bucharest, "county": "RO-B", "sector": "7"}}
    ) == {"/address/sector": "sector.required"}
    assert problems({"email": "a@b.ro", "address": {**CLUJ, "sector": 2}}) == {
        "/address/sector": "sector.not_here"
    }
    assert problems({"email": "a@b.ro", "address": {**CLUJ, "county": "RO-XX"}}) == {
        "/address/county": "county.invalid"
    }


def test_the_counties_are_iso_3166_2_ro() -> None:
    iso = {s.code: s.name for s in pycountry.subdivisions.get(country_code="RO")}
    assert billing.counties() == dict(sorted(iso.items(), key=lambda item: item[1]))
    assert len(iso) == 42  # 41 counties and Bucharest
    assert iso["RO-B"] == "București"
    assert iso["RO-CJ"] == "Cluj"


def test_messages_in_english_and_romanian() -> None:
    with pytest.raises(BillingDetailsInvalid) as caught:
        details.validate({"address": {**CLUJ, "county": "RO-B"}})
    assert caught.value.messages("en") == {
        "email": "Enter your email address.",
        "address/sector": "Choose the Bucharest sector (1 to 6).",
    }
    assert caught.value.messages("ro") == {
        "email": "Introduceți adresa de email.",
        "address/sector": "Alegeți sectorul din București (de la 1 la 6).",
    }
    # The API's problem document says the English text at each pointer.
    assert [(e.pointer, e.detail) for e in caught.value.errors] == [
        ("/email", "Enter your email address."),
        ("/address/sector", "Choose the Bucharest sector (1 to 6)."),
    ]


def test_every_message_is_written_in_every_language() -> None:
    assert i18n.missing(messages.DOMAIN) == []
    assert messages.text("name.too_long", "ro", limit=200).endswith("(cel mult 200 de caractere).")


def test_too_long_fields_say_their_limit() -> None:
    assert problems({"email": "a@b.ro", "name": "x" * 201, "address": CLUJ}) == {
        "/name": "field.too_long"
    }
