"""Prefixed, time-ordered identifiers: `cus_01JD...` (prefix + 26 Crockford base32 chars).

48 bits of milliseconds then 80 random bits, so ids sort roughly by creation time
(cursor pagination orders by id) and cannot be guessed.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PREFIXES = {
    "account": "acct",
    "api_key": "key",
    "customer": "cus",
    "product": "prod",
    "feature": "feat",
    "plan": "plan",
    "plan_version": "plv",
    "billable_metric": "bm",
    "charge": "chg",
    "feature_grant": "fg",
    "add_on": "addon",
    "coupon": "cpn",
    "promotion_code": "promo",
    "subscription": "sub",
    "invoice": "inv",
    "invoice_line": "il",
    "event": "evt",
    "subscription_add_on": "si",
    "balance_entry": "cbt",
    "credit_note": "cn",
    "usage_event": "ue",
    "test_clock": "clock",
}


def new_id(kind: str) -> str:
    prefix = PREFIXES[kind]
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return f"{prefix}_{''.join(reversed(chars))}"
