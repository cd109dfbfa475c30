"""Offline validation of an e-invoice: the UBL 2.1 schema (lxml), then CEN's EN 16931 UBL
rules and the Romanian CIUS-RO rules (compiled Schematron, XSLT 2.0, run with Saxon),
whose failed assertions come back as SVRL.

The rules are not part of Recura: an operator installs them in a directory laid out as
docs/architecture.md says and names it in `RECURA_EINVOICE_RULES`. Without them nothing is
validated and `validate` answers one finding saying so (`RULES_MISSING`), which keeps the
document from being sent. Compiling a rule set takes seconds, so each is compiled once per
process and kept.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lxml import etree

ENV = "RECURA_EINVOICE_RULES"
RULES_MISSING = "RECURA-RULES-MISSING"
XSD = "UBL-XSD"
# Paths inside the rules directory: the schemas, and the rule sets run on every document.
SCHEMAS = {
    "Invoice": "ubl21-xsd/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl21-xsd/maindoc/UBL-CreditNote-2.1.xsd",
}
RULE_SETS = {
    "en16931": "en16931/EN16931-UBL-validation.xslt",
    "cius-ro": "cius-ro/xslt/EN16931-CIUS_RO-UBL-validation.xslt",
}
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the rule's id (BR-RO-010, BR-S-08, UBL-XSD), `fatal` or `warning`,
    where (an XPath), and the rule's own message."""

    rule: str
    severity: str
    location: str
    message: str
    rule_set: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rules_directory() -> Path | None:
    """The configured rules directory, or None when none is configured or it holds no
    rules (the same environment variable as the other `RECURA_` settings)."""
    value = os.environ.get(ENV)
    if not value:
        return None
    path = Path(value)
    needed = [*RULE_SETS.values(), *SCHEMAS.values()]
    return path if all((path / p).is_file() for p in needed) else None


def is_fatal(findings: list[Finding]) -> bool:
    return any(f.severity == "fatal" for f in findings)


class _Compiled:
    """Schemas and stylesheets of one rules directory, made once (Saxon's processor is
    not shared between threads: one validation at a time per process)."""

    def __init__(self, root: Path) -> None:
        from saxonche import PySaxonProcessor

        self.lock = threading.Lock()
        self.processor = PySaxonProcessor(license=False)
        xslt = self.processor.new_xslt30_processor()
        self.sheets = {
            name: xslt.compile_stylesheet(stylesheet_file=str(root / path))
            for name, path in RULE_SETS.items()
        }
        self.schemas = {
            name: etree.XMLSchema(etree.parse(str(root / path))) for name, path in SCHEMAS.items()
        }


_cache: dict[Path, _Compiled] = {}
_cache_lock = threading.Lock()


def _compiled(root: Path) -> _Compiled:
    key = root.resolve()
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _Compiled(key)
        return found


def missing() -> list[Finding]:
    return [
        Finding(
            RULES_MISSING,
            "fatal",
            "/",
            f"The EN 16931 and CIUS-RO rules are not installed ({ENV}); the document was "
            "not validated and is not sent until it is.",
        )
    ]


def validate(xml: bytes, root: Path | None = None) -> list[Finding]:
    """Every finding of the schema and both rule sets (schema errors first; the rule sets
    run only on a document the schema accepts, as their rules assume its structure)."""
    root = root or rules_directory()
    if root is None:
        return missing()
    compiled = _compiled(root)
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [Finding(XSD, "fatal", "/", str(error), "xsd")]
    schema = compiled.schemas.get(etree.QName(tree).localname)
    if schema is None:
        return [Finding(XSD, "fatal", "/", "not a UBL Invoice or CreditNote", "xsd")]
    if not schema.validate(tree):
        return [Finding(XSD, "fatal", f"line {e.line}", e.message, "xsd") for e in schema.error_log]
    findings: list[Finding] = []
    text = xml.decode("utf-8")
    with compiled.lock:
        node = compiled.processor.parse_xml(xml_text=text)
        reports = {
            name: sheet.transform_to_string(xdm_node=node)
            for name, sheet in compiled.sheets.items()
        }
    for name, report in reports.items():
        findings.extend(_svrl(report, name))
    return findings


def _svrl(report: str, rule_set: str) -> list[Finding]:
    tree = etree.fromstring(report.encode("utf-8"))
    found = []
    for node in tree.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = node.findtext(f"{{{SVRL}}}text") or ""
        found.append(
            Finding(
                node.get("id") or "",
                node.get("flag") or "fatal",
                node.get("location") or "",
                " ".join(text.split()),
                rule_set,
            )
        )
    return found
