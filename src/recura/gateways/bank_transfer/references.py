"""Payment references: ISO 11649 RF creditor references, and finding them in remittance text.

A payer's bank carries the reference we print on the invoice to the merchant's bank, but
rarely untouched: online banking forms upper- or lower-case it, regroup its blocks, wrap
it over two lines or glue it to the next word. The check digits (ISO 7064 mod 97-10) are
what lets `find_references` try several readings and keep only real references.
"""

from __future__ import annotations

import hashlib
import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

__all__ = ["display", "find_references", "new_reference", "normalize"]

# Crockford's base32: no I, L, O or U, so a reference read off a PDF and typed in
# cannot confuse 1 with I or L, 0 with O.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# 16 characters are 80 bits of the seed's hash: a collision between two invoices of one
# merchant is out of reach (about 1 in 10**12 at a million invoices), and the whole
# reference stays 20 characters, five blocks of four.
_BODY_LENGTH = 16
_MIN_LENGTH = 5  # "RF", two check digits, at least one character
_MAX_LENGTH = 25  # ISO 11649: at most 21 characters after the check digits
_MIN_WORD = 3  # letters glued after a reference that make it a word ("multumesc")

# Characters that can never belong to a reference end a run of text; inside a run,
# whitespace and hyphens are where a bank or a payer may have split it.
_HARD_BREAK = re.compile(r"[^0-9A-Za-z\s-]+")
_SOFT_BREAK = re.compile(r"[\s-]+")
_START = re.compile(r"RF[0-9]{2}")


def new_reference(seed: str) -> str:
    """The RF reference for `seed` (say "<account id>:<invoice id>"): always the same for
    the same seed, 20 characters, valid check digits.

    The body is a hash rather than the invoice id or number itself: ids are too long for
    the 21 characters ISO 11649 allows, and an invoice number would show the payer how
    many invoices the merchant issues.
    """
    if not seed:
        raise ValueError("a reference needs a non-empty seed")
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    body = "".join(_ALPHABET[(digest >> shift) & 31] for shift in range(75, -1, -5))
    assert len(body) == _BODY_LENGTH
    # The check digits are computed over the body followed by "RF", as validation reads it.
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def normalize(text: str) -> str:
    """`text` without any whitespace, upper case: the form references are compared in."""
    return "".join(text.split()).upper()


def display(reference: str) -> str:
    """Blocks of four, as printed on invoices ("RF18 5390 0754 7034")."""
    return str(iso11649.format(reference))


def find_references(text: str) -> list[str]:
    """Valid RF references in free text, normalized, in the order they appear.

    Spaces and hyphens inside a reference are ignored and case does not matter. Where
    the text is ambiguous, every valid reading is returned: a reference glued to the word
    after it ("RF18539007547034THANKS") gives the one that ends where its check digits
    hold. A reading that happens to validate by chance is rare and harmless, since a
    reference only counts when it is exactly the one of an open invoice.
    """
    found: list[str] = []
    for run in _HARD_BREAK.split(text):
        for reference in _in_run(_SOFT_BREAK.split(run.strip(" \t\r\n-"))):
            if reference not in found:
                found.append(reference)
    return found


def _in_run(tokens: list[str]) -> list[str]:
    chars = "".join(tokens).upper()
    # Where the text had a break: a reference most likely ends at one.
    breaks: set[int] = set()
    position = 0
    for token in tokens:
        position += len(token)
        breaks.add(position)

    found: list[str] = []
    covered = 0
    start = 0
    while (m := _START.search(chars, start)) is not None:
        begin = m.start()
        start = begin + 1
        if begin < covered:
            # "RF" and two digits inside a reference just found are part of its body.
            continue
        ends = range(min(begin + _MAX_LENGTH, len(chars)), begin + _MIN_LENGTH - 1, -1)
        valid = [chars[begin:e] for e in ends if e in breaks and _is_valid(chars[begin:e])]
        if not valid:
            # Glued to the next word: only then may a reference end inside a token. Any
            # end would do, but one check in 97 passes by chance, and a mistyped
            # reference would then come out as a shorter one that merely validates.
            valid = [
                chars[begin:e]
                for e in ends
                if _word_follows(chars, e, breaks) and _is_valid(chars[begin:e])
            ]
        if valid:
            found.extend(valid)
            covered = begin + min(len(v) for v in valid)
    return found


def _word_follows(chars: str, end: int, breaks: set[int]) -> bool:
    rest = chars[end : min((b for b in breaks if b > end), default=len(chars))]
    # A word, or the next reference when two were run together.
    return (len(rest) >= _MIN_WORD and rest.isalpha()) or _START.match(rest) is not None


def _is_valid(candidate: str) -> bool:
    return bool(iso11649.is_valid(candidate))
