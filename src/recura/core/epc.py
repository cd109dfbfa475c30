"""The EPC QR code's text (EPC069-12, version 002): the SEPA credit transfer a banking app
fills in when it scans the code on an invoice email — beneficiary, IBAN, amount in euro and
the structured (ISO 11649) reference that matches the transfer to its invoice.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["MAX_BYTES", "payload"]

MAX_BYTES = 331
_MAX_NAME = 70
_MIN = 1  # 0.01 EUR
_MAX = 99_999_999_999  # 999,999,999.99 EUR


def payload(name: str, iban: str, bic: str | None, amount: int, reference: str) -> str | None:
    """The QR code's text for paying `amount` euro cents, or None when a transfer of it
    cannot be written as one (no name or IBAN, an amount out of the scheme's range)."""
    name = " ".join(name.split())[:_MAX_NAME]
    iban = "".join(iban.split()).upper()
    reference = "".join(reference.split()).upper()
    if not name or not iban or not _MIN <= amount <= _MAX:
        return None
    euro = f"{Decimal(amount).scaleb(-2):.2f}".rstrip("0").rstrip(".")
    lines = [
        "BCD",  # service tag
        "002",  # version: the BIC may be left out within the EEA
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        (bic or "").strip().upper(),
        name,
        iban,
        f"EUR{euro}",
        "",  # purpose code: none
        reference,  # structured creditor reference; the free-text line stays out
    ]
    text = "\n".join(lines)
    return text if len(text.encode()) <= MAX_BYTES else None
