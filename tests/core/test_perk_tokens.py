"""Partner-link tokens: what is signed verifies, anything changed does not, and the worked
example in docs/partner-perks.md is what the code makes."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recura.core.perk_tokens import InvalidPerkToken, PerkClaims, sign, verify

ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
ids = st.text(alphabet=ID_CHARS, min_size=1, max_size=40)
secrets = st.text(min_size=1, max_size=64)
instants = st.integers(min_value=0, max_value=10**11)

# The worked example of docs/partner-perks.md.
SECRET = "pks_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
PERK, CUSTOMER = "perk_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A"
EXPIRES = 1771234567  # 2026-02-16T09:36:07Z
DOCS = Path(__file__).parents[2] / "docs" / "partner-perks.md"


def reason(token: str, secret: str | list[str], now: int, **kwargs: str) -> str:
    with pytest.raises(InvalidPerkToken) as raised:
        verify(token, secret, now, **kwargs)
    return raised.value.reason


@given(secret=secrets, perk=ids, customer=ids, expires=instants, before=st.integers(1, 10**6))
def test_a_signed_token_verifies_until_it_expires(
    secret: str, perk: str, customer: str, expires: int, before: int
) -> None:
    token = sign(secret, perk, customer, expires)
    assert verify(token, secret, expires - before) == PerkClaims(perk, customer, expires)
    assert verify(token, [f"{secret}x", secret], expires - before, perk=perk).customer == customer
    assert reason(token, secret, expires) == "expired"
    assert reason(token, secret, expires + before) == "expired"


@given(secret=secrets, other=secrets, perk=ids, customer=ids, expires=instants)
def test_another_secret_does_not_verify(
    secret: str, other: str, perk: str, customer: str, expires: int
) -> None:
    token = sign(secret, perk, customer, expires)
    if other != secret:
        assert reason(token, other, 0) == "signature"
    assert reason(token, [], 0) == "signature"


@given(
    secret=secrets,
    perk=ids,
    customer=ids,
    expires=instants,
    data=st.data(),
)
def test_any_change_to_a_token_is_refused(
    secret: str, perk: str, customer: str, expires: int, data: st.DataObject
) -> None:
    token = sign(secret, perk, customer, expires)
    at = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(ID_CHARS + ".="))
    tampered = token[:at] + replacement + token[at + 1 :]
    if tampered == token:
        return
    with pytest.raises(InvalidPerkToken):
        verify(tampered, secret, 0)


@given(secret=secrets, perk=ids, customer=ids, later=st.integers(1, 10**6))
def test_a_later_expiry_cannot_be_written_in(
    secret: str, perk: str, customer: str, later: int
) -> None:
    token = sign(secret, perk, customer, 1000)
    version, perk_id, customer_id, _, signature = token.split(".")
    longer = f"{version}.{perk_id}.{customer_id}.{1000 + later}.{signature}"
    assert reason(longer, secret, 0) == "signature"


@given(st.text(max_size=200))
def test_garbage_is_refused_and_never_crashes(token: str) -> None:
    with pytest.raises(InvalidPerkToken):
        verify(token, SECRET, 0)


def test_malformed_tokens_say_so() -> None:
    token = sign(SECRET, PERK, CUSTOMER, EXPIRES)
    assert reason("", SECRET, 0) == "malformed"
    assert reason(token.replace("v1.", "v2.", 1), SECRET, 0) == "malformed"
    assert reason(token + ".x", SECRET, 0) == "malformed"
    assert reason(token.replace(str(EXPIRES), "-5"), SECRET, 0) == "malformed"
    assert reason(f"v1..{CUSTOMER}.{EXPIRES}.sig", SECRET, 0) == "malformed"


def test_a_token_of_another_perk_is_refused_when_the_perk_is_named() -> None:
    token = sign(SECRET, PERK, CUSTOMER, EXPIRES)
    assert reason(token, SECRET, 0, perk="perk_other") == "perk"


def test_ids_with_dots_are_refused_when_signing() -> None:
    with pytest.raises(ValueError, match="perk id"):
        sign(SECRET, "perk.1", CUSTOMER, EXPIRES)
    with pytest.raises(ValueError, match="customer id"):
        sign(SECRET, PERK, "", EXPIRES)
    with pytest.raises(ValueError, match="secret"):
        sign("", PERK, CUSTOMER, EXPIRES)


def test_datetimes_are_taken_as_their_unix_second() -> None:
    expires = datetime.fromtimestamp(EXPIRES, UTC)
    token = sign(SECRET, PERK, CUSTOMER, expires)
    assert token == sign(SECRET, PERK, CUSTOMER, EXPIRES)
    assert verify(token, SECRET, datetime.fromtimestamp(EXPIRES - 1, UTC)).expires == EXPIRES
    with pytest.raises(ValueError, match="naive"):
        sign(SECRET, PERK, CUSTOMER, datetime(2026, 1, 1))  # noqa: DTZ001 (naive on purpose)


def test_the_algorithm_as_documented_for_partners() -> None:
    """A partner's own few lines, written from the documentation alone, agree."""
    token = sign(SECRET, PERK, CUSTOMER, EXPIRES)
    signed, signature = token.rsplit(".", 1)
    digest = hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()
    assert signature == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert signed == f"v1.{PERK}.{CUSTOMER}.{EXPIRES}"


def test_the_worked_example_in_the_documentation_is_current() -> None:
    text = DOCS.read_text()
    token = sign(SECRET, PERK, CUSTOMER, EXPIRES)
    assert SECRET in text
    assert token in text


def test_the_python_in_the_documentation_verifies_the_example() -> None:
    code = DOCS.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    found: dict[str, object] = {}
    exec(code, found)  # noqa: S102 (the documentation's own example)
    partner_verify = found["verify_perk_token"]
    token = sign(SECRET, PERK, CUSTOMER, EXPIRES)
    assert callable(partner_verify)
    assert partner_verify(token, SECRET, EXPIRES - 1) == {
        "perk": PERK,
        "customer": CUSTOMER,
        "expires": EXPIRES,
    }
    assert partner_verify(token, SECRET, EXPIRES) is None
    assert partner_verify(token, SECRET + "x", 0) is None
    assert partner_verify(token[:-1] + "A", SECRET, 0) is None or token.endswith("A")
