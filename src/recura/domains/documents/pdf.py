"""HTML to PDF with WeasyPrint: one template for invoices and credit notes, in any
language, set in DejaVu Sans (Debian's fonts-dejavu-core), which has every Romanian letter
(ș ț ă î â) and is embedded in the file, so the PDF reads the same on any machine."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import jinja2

from recura.domains.documents.content import Document

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def html(document: Document) -> str:
    template = _environment().get_template("document.html")
    return template.render(d=document, w=document.words)


def render(document: Document) -> bytes:
    # Imported here, not with the module: WeasyPrint takes over a second of CPU to import,
    # and every worker process would pay it at its start, PDFs to make or not.
    import weasyprint
    from weasyprint.urls import URLFetcher

    # Everything a document shows is in it (data: URIs): nothing is fetched from elsewhere.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=html(document), url_fetcher=fetcher).write_pdf()  # type: ignore[no-any-return]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
