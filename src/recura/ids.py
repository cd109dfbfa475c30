"""Prefixed, time-ordered identifiers: `cus_01JD...` (prefix + 26 Crockford base32 chars).

48 bits of milliseconds then 80 random bits, so ids sort by creation time (cursor pagination,
and so every listing, orders by id) and cannot be guessed. Within one process, each call
takes a later millisecond than the one before even when the clock has not moved: what one
call made always sorts before what the next one makes. Ids made by one call share their
millisecond and sort among themselves at random.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PREFIXES = {
    "account": "acct",
    "api_key": "key",
    "audit_entry": "aud",
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
    "bank_account": "bac",
    "bank_statement": "bst",
    "bank_transaction": "btx",
    "webhook_endpoint": "we",
    "webhook_delivery": "whd",
    "webhook_attempt": "wha",
    "email_message": "em",
    "email_template": "etpl",
    "portal_session": "pss",
    "support_request": "sr",
    "support_message": "srm",
    "partner_perk": "perk",
    "perk_voucher": "pvc",
    "onboarding_step": "obs",
    "onboarding_completion": "obc",
    "announcement": "ann",
    "cancellation_feedback": "cfb",
    "checkout_session": "cs",
    "email_change": "ecr",
    "user": "usr",
    "console_session": "css",
    "password_reset": "pwr",
    "exchange_rate": "fx",
    "acquisition_spend": "acqs",
    "customer_activity": "act",
    "einvoice": "einv",
    "anaf_connection": "anafc",
    "vat_check": "vck",
    "invoice_pdf": "ipdf",
    "customer_note": "note",
}


# A random byte to a character from its low 5 bits: 256 is a multiple of 32, so each
# character stays equally likely. One translate over all the bytes runs in C, where the
# standard library's base32 encoder is a Python loop (most of the time of a batch's ids).
_FROM_BYTE = bytes(_ALPHABET.encode()[byte & 31] for byte in range(256))


_last_millis = 0
_lock = threading.Lock()


def _next_millis() -> int:
    """The clock's millisecond, or one past the last one used if that is not earlier: a
    logical clock, running at most as far ahead as a burst of calls needs."""
    global _last_millis
    with _lock:
        _last_millis = max(time.time_ns() // 1_000_000, _last_millis + 1)
        return _last_millis


def floor(kind: str, millis: int) -> str:
    """The smallest id of `kind` made at `millis` (ms since the epoch): every id made
    earlier sorts before it."""
    head = PREFIXES[kind] + "_" + "".join(_ALPHABET[(millis >> s) & 31] for s in range(45, -1, -5))
    return head + "0" * 16


def millis_of(id_: str) -> int:
    """The millisecond an id was made at, as its maker's clock read it (`_next_millis`:
    ahead of the wall clock after a burst of calls)."""
    head = id_.split("_", 1)[1][:10]
    found = 0
    for char in head:
        found = found * 32 + _ALPHABET.index(char)
    return found


def new_id(kind: str) -> str:
    return new_ids(kind, 1)[0]


def new_ids(kind: str, count: int) -> list[str]:
    """`count` ids made at once (a billing run makes tens of thousands): one clock reading,
    and the random parts of all of them (16 characters, 80 bits) from one read of random
    bytes."""
    millis = _next_millis()
    # 48 bits of milliseconds in 10 characters, as the high bits of a 128-bit number.
    head = PREFIXES[kind] + "_" + "".join(_ALPHABET[(millis >> s) & 31] for s in range(45, -1, -5))
    tail = secrets.token_bytes(16 * count).translate(_FROM_BYTE).decode()
    return [head + tail[i : i + 16] for i in range(0, 16 * count, 16)]
