"""Reading an uploaded ISO 20022 document safely, and the value types camt messages use."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from typing import Any

from lxml import etree

from recura.core.money import Money, exponent, is_currency
from recura.gateways.bank_transfer.statement import StatementError

__all__ = ["Reader", "load"]

# ISO 20022 amounts: never negative (the direction is CdtDbtInd), at most 5 decimals.
_AMOUNT = re.compile(r"[0-9]{1,18}(?:\.([0-9]{1,5}))?")
# xs:date may carry a zone; the day is what counts.
_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")


def load(data: bytes) -> Any:
    """The root element of `data`, parsed as hostile input: no DTD (hence no entity of any
    kind, internal or external), nothing fetched from the network, libxml2's size limits on."""
    if not isinstance(data, bytes):
        raise TypeError(f"a statement is parsed from bytes, got {type(data).__name__}")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise StatementError(f"not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    # camt.053 has no DTD; one in an upload can only be there to declare entities.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementError("a statement may not contain a DTD (<!DOCTYPE ...>)")
    return root


class Reader:
    """Lookups in the document's own namespace, and the value types camt.053 uses."""

    def __init__(self, namespace: str, local_zone: tzinfo) -> None:
        self._ns = "{" + namespace + "}"
        self._zone = local_zone

    def _path(self, path: str) -> str:
        return "/".join(self._ns + step for step in path.split("/"))

    def find(self, element: Any, path: str) -> Any:
        return element.find(self._path(path))

    def findall(self, element: Any, path: str) -> list[Any]:
        return list(element.iterfind(self._path(path)))

    def text(self, element: Any, path: str) -> str | None:
        found = self.find(element, path)
        value = (found.text or "").strip() if found is not None else ""
        return value or None

    def texts(self, element: Any, path: str) -> list[str]:
        return [t for e in self.findall(element, path) if (t := (e.text or "").strip())]

    def required(self, element: Any, path: str) -> str:
        value = self.text(element, path)
        if value is None:
            raise StatementError(f"missing {path}")
        return value

    def money(self, element: Any) -> Money:
        text = (element.text or "").strip()
        currency = element.get("Ccy") or ""
        if not is_currency(currency):
            raise StatementError(f"amount {text!r} in unknown currency {currency!r}")
        found = _AMOUNT.fullmatch(text)
        if found is None:
            raise StatementError(f"{text!r} is not an amount")
        # Trailing zeros beyond the currency's decimals ("8.850 EUR") change nothing; any
        # other digit there would have to be rounded, and a rounded amount would make the
        # books disagree with the bank's: refuse it.
        decimals = len((found.group(1) or "").rstrip("0"))
        if decimals > exponent(currency):
            raise StatementError(
                f"amount {text} {currency} is not exact in {currency}, which has "
                f"{exponent(currency)} decimals"
            )
        return Money.from_major(text, currency)

    def credit(self, element: Any) -> bool | None:
        indicator = self.text(element, "CdtDbtInd")
        if indicator is None:
            return None
        if indicator not in ("CRDT", "DBIT"):
            raise StatementError(f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT")
        return indicator == "CRDT"

    def moment(self, text: str) -> datetime:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise StatementError(f"{text!r} is not a date and time") from None
        return value if value.tzinfo is not None else value.replace(tzinfo=self._zone)

    def day(self, element: Any, path: str) -> date | None:
        """A DateAndDateTimeChoice (BookgDt, ValDt) as a date in the bank's zone."""
        if (text := self.text(element, f"{path}/Dt")) is not None:
            found = _DATE.fullmatch(text)
            try:
                return date.fromisoformat(found.group(1) if found else text)
            except ValueError:
                raise StatementError(f"{path} {text!r} is not a date") from None
        if (text := self.text(element, f"{path}/DtTm")) is not None:
            return self.moment(text).astimezone(self._zone).date()
        return None

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._zone).date()
