"""VAT ids checked with python-stdnum: format and check digits, no hand-written tables."""

from __future__ import annotations

from typing import Any

from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import clean


def _scheme(cc: str) -> Any:
    return get_cc_module(cc, "vat")


def normalize_vat_id(value: str, country: str | None) -> str:
    """Return the compact VAT id, or raise ValueError saying why it is not valid.

    EU ids carry their country prefix (RO18547290). Without a prefix the customer's country
    decides the scheme, which covers Romanian companies that are not VAT-registered (CUI only).
    """
    compact = clean(value, " -./,").upper().strip()
    if not compact:
        raise ValueError("VAT id is empty")
    prefix = compact[:2].lower() if compact[:2].isalpha() else None
    if prefix:
        cc = "gr" if prefix == "el" else prefix
        if country and cc != country.lower():
            raise ValueError(f"'{value}' is a VAT id of {cc.upper()}, not of {country.upper()}")
        module: Any = eu_vat if prefix in eu_vat.MEMBER_STATES or prefix == "el" else _scheme(cc)
    elif country:
        cc = country.lower()
        module = _scheme(cc)
    else:
        raise ValueError(
            f"'{value}' has no country prefix; add one (e.g. RO) or set the customer's country"
        )
    if module is None:
        raise ValueError(f"VAT ids of {cc.upper()} cannot be checked; leave vat_id empty")
    try:
        result: str = module.validate(compact)
    except ValidationError as exc:
        raise ValueError(f"'{value}' is not a valid VAT id: {exc}") from None
    if prefix and not result[:2].isalpha():
        result = prefix.upper() + result  # keep the prefix the customer wrote (GB980780684)
    return result
