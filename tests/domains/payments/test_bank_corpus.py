"""Real camt.053 files from banks' samples and other parsers' fixtures (../shared/corpus,
SOURCES.md there says where each comes from), imported through the API.

What each file should give is worked out here from the XML with plain XPath, not with
Recura's parser: one transaction per entry, booked or pending, or per TxDtls of a batch
entry, with its amount, currency, day and direction. The files are read where they are
and never copied into the project.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from recura.core.money import exponent
from tests.conftest import Api

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "camt053"
FILES = sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []
XML = {"Content-Type": "application/xml"}
POSTFINANCE = "moov-camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml"

Row = tuple[date, int, str, str, str]  # day, minor amount, currency, direction, status


def _required() -> bool:
    return os.environ.get("RECURA_REQUIRE_POSTGRES") == "1" or bool(os.environ.get("CI"))


def _corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        reason = f"the camt.053 corpus is not at {CORPUS}"
        if _required():
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def _files() -> list[Any]:
    if FILES:
        return [pytest.param(p.name, id=p.stem) for p in FILES]
    # One visible skip (or, in CI, failure) rather than a test that silently is not there.
    return [pytest.param("absent", id="corpus-absent")]


def _day(text: str) -> date:
    if "T" not in text:
        return date.fromisoformat(text[:10])
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _minor(element: Any) -> tuple[int, str]:
    currency = element.get("Ccy")
    value = Decimal(element.text.strip()).scaleb(exponent(currency))
    assert value == value.to_integral_value(), f"{element.text} {currency} is not exact"
    return int(value), currency


def expected(data: bytes) -> list[Row]:
    root = etree.fromstring(data)
    ns = {"c": etree.QName(root).namespace}

    def first(element: Any, *paths: str) -> Any:
        for path in paths:
            found = element.xpath(path, namespaces=ns)
            if found:
                return found[0]
        return None

    sent = first(root, "c:BkToCstmrStmt/c:GrpHdr/c:CreDtTm/text()")
    rows: list[Row] = []
    for stmt in root.xpath("//c:Stmt", namespaces=ns):
        stmt_day = _day(first(stmt, "c:CreDtTm/text()") or sent)
        for ntry in stmt.xpath("c:Ntry", namespaces=ns):
            text = first(
                ntry,
                "c:BookgDt/c:Dt/text()",
                "c:BookgDt/c:DtTm/text()",
                "c:ValDt/c:Dt/text()",
                "c:ValDt/c:DtTm/text()",
            )
            day = _day(text) if text else stmt_day
            status = first(ntry, "c:Sts/c:Cd/text()", "c:Sts/text()") or "BOOK"
            shown = {"BOOK": "booked", "PDNG": "pending"}.get(status.strip(), "information")
            direction = first(ntry, "c:CdtDbtInd/text()")
            txs = ntry.xpath("c:NtryDtls/c:TxDtls", namespaces=ns)
            if len(txs) < 2:
                amount, currency = _minor(first(ntry, "c:Amt"))
                rows.append((day, amount, currency, direction, shown))
                continue
            for tx in txs:
                amount, currency = _minor(first(tx, "c:Amt", "c:AmtDtls/c:TxAmt/c:Amt"))
                tx_direction = first(tx, "c:CdtDbtInd/text()") or direction
                rows.append((day, amount, currency, tx_direction, shown))
    return rows


def recorded(api: Api) -> list[Row]:
    rows: list[Row] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = api.ok("GET", "/v1/bank_transactions", params=params)
        for t in page["data"]:
            direction = {"credit": "CRDT", "debit": "DBIT"}[t["direction"]]
            amount = t["amount"]
            day = date.fromisoformat(t["booked_on"])
            rows.append((day, amount["amount"], amount["currency"], direction, t["entry_status"]))
        if not page["has_more"]:
            return rows
        params["starting_after"] = page["data"][-1]["id"]


@pytest.mark.parametrize("name", _files())
def test_every_entry_of_a_real_statement_is_recorded_as_the_file_says(api: Api, name: str) -> None:
    data = _corpus_file(name).read_bytes()
    want = expected(data)
    assert want, "every corpus file has entries"

    imported = api.ok("POST", "/v1/bank_statements", 201, content=data, headers=XML)
    assert imported["skipped"] == []  # no bank account registered: every statement counts
    assert sum(s["entry_count"] for s in imported["data"]) == len(want)
    assert Counter(recorded(api)) == Counter(want)

    # The same file again, or its statements in a file of another day: nothing new.
    again = data.replace(b"<MsgId>", b"<MsgId>AGAIN-", 1)
    api.ok("POST", "/v1/bank_statements", 201, content=again, headers=XML)
    assert Counter(recorded(api)) == Counter(want)


def test_two_postfinance_credits_sharing_a_bank_reference_are_both_recorded(api: Api) -> None:
    data = _corpus_file(POSTFINANCE).read_bytes()
    assert data.count(b"<AcctSvcrRef>07582000303KBMSU</AcctSvcrRef>") == 4  # entries and txs
    api.ok("POST", "/v1/bank_statements", 201, content=data, headers=XML)
    credits = {
        t["amount"]["amount"]
        for t in api.ok("GET", "/v1/bank_transactions")["data"]
        if t["direction"] == "credit"
    }
    assert {153700, 169222} <= credits
