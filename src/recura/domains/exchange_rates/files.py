"""Rate files: the National Bank of Romania's XML (daily nbrfxrates.xml and the yearly
files, one Cube per day) and a plain CSV (date,base,quote,rate)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from recura.core.exchange import Rate
from recura.core.money import is_currency

BNR_NAMESPACE = "http://www.bnr.ro/xsd"
MAX_BYTES = 5_000_000


class RateFileError(ValueError):
    """The file is not a rate file this reader knows, or a line of it is wrong."""


def _root(data: bytes) -> Any:
    # An upload: no DTD, no entities, nothing fetched (as bank statements are read).
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise RateFileError(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise RateFileError("a rate file may not contain a DTD (<!DOCTYPE ...>)")
    return root


def _day(text: str | None, where: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise RateFileError(f"{where}: not a date: {text!r}") from None


def _decimal(text: str | None, where: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise RateFileError(f"{where}: not a decimal rate: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise RateFileError(f"{where}: a rate must be positive: {text!r}")
    return value


def parse_bnr(data: bytes) -> list[Rate]:
    """Rates of a BNR file: `<Rate currency="EUR">4.9771</Rate>` in a `<Cube date=…>`
    means 1 EUR = 4.9771 RON (the body's OrigCurrency); `multiplier="100"` means the value
    is for 100 units (HUF, JPY...). Codes that are not currencies (XAU gold, XDR) are left
    out: nothing is billed in them."""
    if len(data) > MAX_BYTES:
        raise RateFileError("the file is larger than 5 MB")
    root = _root(data)
    ns = {"b": BNR_NAMESPACE}
    if root.tag != f"{{{BNR_NAMESPACE}}}DataSet":
        raise RateFileError("not a National Bank of Romania rate file (DataSet)")
    quote = (root.findtext("b:Body/b:OrigCurrency", namespaces=ns) or "RON").strip()
    if not is_currency(quote):
        raise RateFileError(f"OrigCurrency {quote!r} is not a currency")
    rates = []
    for cube in root.iterfind("b:Body/b:Cube", namespaces=ns):
        day = _day(cube.get("date"), "Cube")
        for element in cube.iterfind("b:Rate", namespaces=ns):
            code = (element.get("currency") or "").strip()
            if not is_currency(code) or code == quote:
                continue
            where = f"{day.isoformat()} {code}"
            value = _decimal(element.text, where)
            multiplier = element.get("multiplier")
            if multiplier is not None:
                if not multiplier.strip().isdigit() or int(multiplier) <= 0:
                    raise RateFileError(f"{where}: multiplier {multiplier!r}")
                value = value / int(multiplier)
            rates.append(Rate(day, code, quote, value))
    if not rates:
        raise RateFileError("the file holds no rates")
    return rates


CSV_COLUMNS = ("date", "base", "quote", "rate")


def parse_csv(data: bytes) -> list[Rate]:
    """Rates of a CSV file with a header naming date, base, quote and rate (in any
    order; other columns are ignored): `2026-01-09,EUR,RON,4.9771`."""
    if len(data) > MAX_BYTES:
        raise RateFileError("the file is larger than 5 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateFileError("a CSV rate file must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RateFileError(f"the header lacks {', '.join(missing)}")
    rates = []
    for line, row in enumerate(reader, start=2):
        where = f"line {line}"
        base, quote = (row["base"] or "").strip(), (row["quote"] or "").strip()
        for code in (base, quote):
            if not is_currency(code):
                raise RateFileError(f"{where}: {code!r} is not a currency")
        if base == quote:
            raise RateFileError(f"{where}: base and quote are the same currency")
        rates.append(Rate(_day(row["date"], where), base, quote, _decimal(row["rate"], where)))
    if not rates:
        raise RateFileError("the file holds no rates")
    return rates


def parse(data: bytes) -> tuple[str, list[Rate]]:
    """(source, rates) of a file in either format: XML is the BNR's, anything else CSV."""
    if data.lstrip()[:1] == b"<":
        return "bnr", parse_bnr(data)
    return "csv", parse_csv(data)
