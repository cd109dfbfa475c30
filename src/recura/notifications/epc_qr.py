"""The EPC QR code of a transfer in euro, as the PNG an invoice email shows inline."""

from __future__ import annotations

import io

import segno

from recura.core import epc

# How the HTML names the image: `<img src="cid:epc-qr@recura">`.
CONTENT_ID = "epc-qr@recura"


def payload(context: dict[str, object]) -> str | None:
    """The code's text for an email's stored values, when they ask for a payment in euro."""
    if context.get("currency") != "EUR" or not context.get("iban") or not context.get("reference"):
        return None
    return epc.payload(
        name=str(context.get("beneficiary") or ""),
        iban=str(context["iban"]),
        bic=str(context["bic"]) if context.get("bic") else None,
        amount=int(context["amount"]),  # type: ignore[call-overload]
        reference=str(context["reference"]),
    )


def png(text: str) -> bytes:
    """The code as EPC069-12 asks for it: error correction level M, UTF-8, at most version
    13; a quiet zone of four modules."""
    code = segno.make_qr(text.encode(), error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=5, border=4)
    return out.getvalue()
