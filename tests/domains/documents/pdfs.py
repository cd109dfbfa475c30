"""What the invoice PDF tests share: a Romanian seller with its whole legal profile, the
worker's steps that make the PDFs, and the text a PDF holds."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from pypdf import PdfReader
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import InvoicePdf
from recura.jobs.worker import run_once
from tests.conftest import T0, Api
from tests.scenarios.world import World

SELLER = {
    "legal_name": "Norditech Software SRL",
    "vat_id": "RO18547290",
    "registration_number": "J40/12345/2015",
    "share_capital": 20000,
    "address": {
        "line1": "Bd. Unirii 15",
        "city": "București",
        "postal_code": "030823",
        "county": "RO-B",
        "sector": 3,
        "country": "RO",
    },
    "iban": "RO49AAAA1B31007593840000",
    "bic": "AAAARO22",
}


def logo() -> bytes:
    """A small wordmark, as a merchant's logo."""
    image = Image.new("RGB", (240, 72), "#1f4e99")
    ImageDraw.Draw(image).text((20, 26), "NORDITECH", fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


STEPS = {"dispatch_events", "invoice_pdfs"}


def seller(api: Api, currency: str = "RON", **settings: Any) -> World:
    world = World(api, T0, currency=currency, **{**SELLER, **settings})
    api.ok("PUT", "/v1/account/logo", content=logo(), headers={"Content-Type": "image/png"})
    return world


def rate_in_lei(api: Api, currency: str = "EUR", day: str = "2026-01-14") -> None:
    """The central bank's rate of `currency` in lei on `day`: a Romanian seller's PDF of a
    document in another currency states its VAT in lei, and waits for the rate."""
    body = {"date": day, "base": currency, "quote": "RON", "rate": "5.0865"}
    api.ok("POST", "/v1/exchange_rates", 201, json=body)


def make(factory: sessionmaker[Session], at: datetime = T0) -> dict[str, int]:
    """The outbox's fan-out, then the PDFs it asked for."""
    return run_once(factory, FixedClock(at), only=STEPS)


def made_first(factory: sessionmaker[Session], invoice_id: str, at: datetime = T0) -> None:
    """Dispatch the outbox, then make this invoice's PDF before any other waiting: in a
    database other tests share, theirs may be queued ahead of it."""
    run_once(factory, FixedClock(at), only={"dispatch_events"})
    with factory.begin() as session:
        stmt = (
            update(InvoicePdf)
            .where(InvoicePdf.invoice_id == invoice_id)
            .values(next_attempt_at=at - timedelta(days=365))
        )
        session.execute(stmt)
    run_once(factory, FixedClock(at), only={"invoice_pdfs"})


def text(pdf: bytes) -> str:
    """The PDF's words, with runs of white space as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    words = " ".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(words.split())


def download(api: Api, path: str) -> bytes:
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    content = bytes(response.content)
    # To look at them: RECURA_SAMPLE_PDFS=/tmp/pdfs, then `pdftoppm -png -r 80` each.
    folder = os.environ.get("RECURA_SAMPLE_PDFS")
    if folder:
        name = os.environ.get("PYTEST_CURRENT_TEST", "test").split("::")[-1].split(" ")[0]
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}-{path.split('/')[3]}.pdf").write_bytes(content)
    return content
