"""Prefixed, time-ordered identifiers: `cus_01JD...` (prefix + 26 Crockford base32 chars).

48 bits of milliseconds then 80 random bits, so ids sort roughly by creation time
(cursor pagination orders by id) and cannot be guessed.
"""

from __future__ import annotations

import base64
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
    "subscription_change": "sch",
    "subscription_add_on": "si",
    "balance_entry": "cbt",
    "credit_note": "cn",
    "usage_event": "ue",
    "test_clock": "clock",
    "payment_method": "pm",
    "payment": "pay",
    "refund": "re",
    "dispute": "dp",
    "gateway_connection": "gwc",
    "bank_statement": "bst",
    "bank_transaction": "btx",
}


# RFC 4648 base32, as the standard library encodes it, to Crockford's alphabet.
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


def new_id(kind: str) -> str:
    return new_ids(kind, 1)[0]


def new_ids(kind: str, count: int) -> list[str]:
    """`count` ids made at once (a billing run makes tens of thousands): one clock reading,
    and the random parts of all of them from one base32 encoding (10 bytes, 16 chars)."""
    millis = time.time_ns() // 1_000_000
    # 48 bits of milliseconds in 10 characters, as the high bits of a 128-bit number.
    head = PREFIXES[kind] + "_" + "".join(_ALPHABET[(millis >> s) & 31] for s in range(45, -1, -5))
    tail = base64.b32encode(secrets.token_bytes(10 * count)).translate(_FROM_RFC4648).decode()
    return [head + tail[i : i + 16] for i in range(0, 16 * count, 16)]
