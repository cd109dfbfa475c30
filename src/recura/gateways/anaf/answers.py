"""ANAF's answers, read. Every e-Factura answer is one `header` element (its namespace
differs per service) with attributes, and `Errors` children carrying `errorMessage` when
the call itself was refused; the decision on a document comes as a ZIP holding either the
document and ANAF's signature (`ok`) or ANAF's errors and the signature (`nok`)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

# `stare` of stareMesaj.
OK = "ok"
NOK = "nok"
PROCESSING = "in prelucrare"
REFUSED_AT_UPLOAD = "XML cu erori nepreluat de sistem"
# `tip` of listaMesajeFactura: an invoice the CIF sent that ANAF took, and one it rejected.
SENT = "FACTURA TRIMISA"
ERRORS = "ERORI FACTURA"
# Words of ANAF's limit errors ("S-au facut deja 20 descarcari de mesaj in cursul zilei",
# "limita de apeluri"): such a refusal waits for the next day.
LIMIT_WORDS = ("limita", "s-au facut deja")

ROMANIA = ZoneInfo("Europe/Bucharest")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class Unreadable(Exception):
    """Not an answer ANAF gives."""


@dataclass(frozen=True, slots=True)
class Upload:
    """`upload`'s answer: an index (ExecutionStatus 0) or the errors (1)."""

    index: str | None
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Status:
    """`stareMesaj`'s answer: a state, with `download_id` once decided; or only errors
    about the query itself (an unknown index, no rights, the daily limit)."""

    state: str | None
    download_id: str | None
    errors: tuple[str, ...]

    @property
    def over_limit(self) -> bool:
        return any(word in e.lower() for e in self.errors for word in LIMIT_WORDS)


def _root(body: bytes) -> etree._Element:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(f"not XML: {exc}") from None
    if etree.QName(root).localname != "header":
        raise Unreadable(f"unexpected element {etree.QName(root).localname}")
    return root


def _errors(root: etree._Element, name: str = "Errors") -> tuple[str, ...]:
    return tuple(
        str(e.get("errorMessage") or "")
        for e in root.iter()
        if isinstance(e.tag, str) and etree.QName(e).localname == name
    )


def upload(body: bytes) -> Upload:
    root = _root(body)
    errors = _errors(root)
    index = root.get("index_incarcare")
    if root.get("ExecutionStatus") == "0" and index:
        return Upload(index, ())
    return Upload(None, errors or ("ExecutionStatus " + str(root.get("ExecutionStatus")),))


def status(body: bytes) -> Status:
    root = _root(body)
    return Status(root.get("stare"), root.get("id_descarcare"), _errors(root))


def errors_in_zip(answer: bytes) -> list[dict[str, str]]:
    """The errors of a rejection, from the ZIP `descarcare` gives for a `nok`: the file
    that is not the signature holds `header/Error/@errorMessage` (namespace
    mfp:anaf:dgti:efactura:mesajEroriFactuta:v1). Each message is kept as ANAF wrote it,
    with the rule it names when it starts with one ("[BR-RO-010] ...")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(answer))
    except zipfile.BadZipFile:
        raise Unreadable("not a ZIP") from None
    found: list[dict[str, str]] = []
    for name in archive.namelist():
        if "semnatura" in name.lower() or not name.lower().endswith(".xml"):
            continue
        try:
            root = etree.fromstring(archive.read(name), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise Unreadable(f"{name} is not XML: {exc}") from None
        if etree.QName(root).localname != "header":
            continue  # the document itself: accepted
        for message in _errors(root, "Error"):
            rule = (
                message[1 : message.index("]")]
                if message.startswith("[") and "]" in message
                else ""
            )
            found.append({"rule": rule, "message": message})
        if not found:  # an errors file without errors is still a rejection
            found.append({"rule": "", "message": "ANAF rejected the document."})
    return found


def created_at(text: str) -> datetime | None:
    """A listed message's `data_creare` (YYYYMMDDHHMM, Romania's time); None if unreadable."""
    try:
        return datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=ROMANIA)
    except ValueError:
        return None


def document_in_zip(answer: bytes) -> bytes | None:
    """The document inside the ZIP of an accepted invoice (the file that is neither the
    signature nor ANAF's errors), as ANAF keeps it; None in a rejection's ZIP."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(answer))
    except zipfile.BadZipFile:
        raise Unreadable("not a ZIP") from None
    for name in archive.namelist():
        if "semnatura" in name.lower() or not name.lower().endswith(".xml"):
            continue
        body = archive.read(name)
        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            continue
        if etree.QName(root).localname != "header":
            return body
    return None


def same_document(ours: bytes, theirs: bytes) -> bool:
    """The same bytes, or the same XML once both are put in canonical form (should the
    file come back re-serialised)."""
    if ours == theirs:
        return True
    try:
        mine = etree.fromstring(ours, _PARSER)
        other = etree.fromstring(theirs, _PARSER)
    except etree.XMLSyntaxError:
        return False
    return bool(etree.tostring(mine, method="c14n") == etree.tostring(other, method="c14n"))
