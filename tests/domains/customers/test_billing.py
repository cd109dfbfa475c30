"""Who the e-invoice names the buyer by, and a Romanian person's CNP checked with
python-stdnum."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.ro import cnp

from recura.domains.customers import billing, messages
from recura.domains.customers.billing import NO_CNP, buyer_identifier

# A CNP with a valid birth date, county and check digit (stdnum's own example).
CNP = "1630615123457"


@dataclass(frozen=True)
class Someone:
    kind: str = "individual"
    country: str | None = "RO"
    vat_id: str | None = None
    national_id: str | None = None


def test_a_romanian_person_is_named_by_their_cnp() -> None:
    assert buyer_identifier(Someone(national_id=CNP)) == CNP


def test_a_romanian_person_without_a_cnp_is_thirteen_zeros() -> None:
    assert buyer_identifier(Someone()) == "0000000000000" == NO_CNP
    assert buyer_identifier(Someone(country="ro")) == NO_CNP


def test_a_sole_trader_is_named_by_their_tax_number() -> None:
    assert buyer_identifier(Someone(vat_id="18547290")) == "18547290"


def test_a_company_is_named_by_its_vat_number_or_cui() -> None:
    assert buyer_identifier(Someone("company", vat_id="RO18547290")) == "RO18547290"
    assert buyer_identifier(Someone("company", vat_id="18547290")) == "18547290"
    assert buyer_identifier(Someone("company", "DE", vat_id="DE136695976")) == "DE136695976"
    assert buyer_identifier(Someone("company", vat_id=None)) is None


def test_a_foreign_person_is_named_by_nothing() -> None:
    assert buyer_identifier(Someone(country="DE")) is None
    assert buyer_identifier(Someone(country=None)) is None


def test_a_cnp_is_checked_and_kept_compact() -> None:
    assert billing.national_id(" 163 0615 123457 ") == (CNP, [])


@pytest.mark.parametrize("typed", ["1630615123458", "163061512345", "abc", NO_CNP])
def test_a_wrong_cnp_is_refused_in_both_languages(typed: str) -> None:
    _, problems = billing.national_id(typed)
    assert [p.pointer for p in problems] == ["/national_id"]
    assert "CNP" in problems[0].message("en")
    assert "CNP" in problems[0].message("ro")
    assert problems[0].message("en") != problems[0].message("ro")
    assert "national_id.invalid" in set(messages.keys())


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_the_check_agrees_with_stdnum(digits: str) -> None:
    _, problems = billing.national_id(digits)
    assert (not problems) == (cnp.is_valid(digits) and digits != NO_CNP)


people = st.builds(
    Someone,
    kind=st.sampled_from(["individual", "company"]),
    country=st.sampled_from(["RO", "ro", "DE", "FR", None]),
    vat_id=st.sampled_from([None, "", "18547290", "RO18547290", "DE136695976"]),
    national_id=st.sampled_from([None, "", CNP]),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(people)
def test_every_buyer_is_named_as_anaf_asks(someone: Someone) -> None:
    found = buyer_identifier(someone)
    if someone.kind == "company":
        assert found == (someone.vat_id or None)
    elif (someone.country or "").upper() == "RO":
        # A Romanian person is always named: never left out of a B2C e-invoice.
        assert found == (someone.national_id or someone.vat_id or NO_CNP)
    else:
        assert found == (someone.national_id or someone.vat_id or None)
    # The thirteen zeros stand only for a Romanian person without any number.
    if found == NO_CNP:
        assert someone.kind == "individual"
        assert not someone.national_id
        assert not someone.vat_id
