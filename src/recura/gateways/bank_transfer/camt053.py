"""Bank statements in ISO 20022 camt.053 (BkToCstmrStmt), versions .001.02 to .001.13.

Only what reconciliation needs is read, and every lookup uses the namespace of the
document's root, so one reader serves every version. The elements read kept their names
across versions, with three exceptions handled here: the entry status is a bare code up
to .07 and `Sts/Cd` from .08; a party's name is `Dbtr/Nm` up to .07 and `Dbtr/Pty/Nm`
from .08; a transaction's own amount is `TxDtls/Amt` from .03, `AmtDtls/TxAmt/Amt` in .02.

Banks' files are read as the banks write them: the account is `Acct/Id/IBAN` or
`Acct/Id/Othr/Id` (an IBAN or the bank's own number), kept as written (spaces and case
aside) even where an IBAN's check digits do not add up; an entry without a status is
booked, since a statement reports booked entries; one without any date was booked on
the statement's day.

A batch entry (one booking for several transfers) becomes one Entry per transaction,
each with its own amount, when the transactions' amounts add up to the booking; when
they do not, or some are missing, it stays one Entry for the whole booking carrying
every transaction's references, so no money is ever invented or lost in the split.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from lxml import etree

from recura.core.money import Money, is_currency
from recura.gateways.bank_transfer._xml import Reader, load
from recura.gateways.bank_transfer.references import find_references, normalize
from recura.gateways.bank_transfer.statement import (
    BOOKED,
    Entry,
    Statement,
    StatementError,
    statement_key,
)

__all__ = [
    "BOOKED",
    "Entry",
    "Statement",
    "StatementError",
    "parse_statement",
    "parse_statements",
    "statement_key",
]

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4})\.([0-9]{3})\.001\.([0-9]{2})")
_VERSIONS = range(2, 14)
# SEPA's placeholder when the payer gave no end-to-end id.
_NOT_PROVIDED = "NOTPROVIDED"


def parse_statement(data: bytes, *, local_zone: tzinfo = UTC) -> Statement:
    """The one statement in a camt.053 document; StatementError if it holds several."""
    statements = parse_statements(data, local_zone=local_zone)
    if len(statements) != 1:
        raise StatementError(f"expected one statement, the document holds {len(statements)}")
    return statements[0]


def parse_statements(data: bytes, *, local_zone: tzinfo = UTC) -> tuple[Statement, ...]:
    """Every statement (one per account) in a camt.053 document.

    Times written without an offset are read in `local_zone`, the bank's time zone.
    """
    root = load(data)
    reader = Reader(_namespace(root), local_zone)
    body = reader.find(root, "BkToCstmrStmt")
    if body is None:
        raise StatementError("camt.053 document without BkToCstmrStmt")
    message_id = reader.required(body, "GrpHdr/MsgId")
    sent_at = reader.moment(reader.required(body, "GrpHdr/CreDtTm"))
    statements = reader.findall(body, "Stmt")
    if not statements:
        raise StatementError("camt.053 document without any statement (Stmt)")
    return tuple(_statement(reader, stmt, message_id, sent_at) for stmt in statements)


def _namespace(root: Any) -> str:
    name = etree.QName(root)
    namespace = name.namespace or ""
    found = _NAMESPACE.fullmatch(namespace)
    if found is None or name.localname != "Document":
        where = f"in namespace {namespace}" if namespace else "without a namespace"
        raise StatementError(
            f"not an ISO 20022 camt.053 statement: root element <{name.localname}> {where}"
        )
    area, number, version = found.groups()
    if (area, number) != ("camt", "053"):
        raise StatementError(f"not a camt.053 statement but a {area}.{number} message")
    if int(version) not in _VERSIONS:
        raise StatementError(f"camt.053.001.{version} is not supported (.02 to .13 are)")
    return namespace


def _statement(reader: Reader, stmt: Any, message_id: str, sent_at: datetime) -> Statement:
    statement_id = reader.required(stmt, "Id")
    try:
        account = _account(reader, stmt)
        created = reader.text(stmt, "CreDtTm")
        created_at = reader.moment(created) if created else sent_at
        currency = _currency(reader, stmt)
    except StatementError as exc:
        raise StatementError(f"statement {statement_id}: {exc}") from None

    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for number, ntry in enumerate(reader.findall(stmt, "Ntry"), 1):
        try:
            entries.extend(_entries(reader, ntry, statement_id, account, created_at, seen))
        except StatementError as exc:
            raise StatementError(f"statement {statement_id}, entry {number}: {exc}") from None
    return Statement(message_id, statement_id, account, currency, created_at, tuple(entries))


def _account(reader: Reader, stmt: Any) -> str:
    # Check digits are not verified: the bank knows its own accounts, and a sample or a
    # test platform's made-up IBAN is still the number the merchant registers.
    text = reader.text(stmt, "Acct/Id/IBAN") or reader.text(stmt, "Acct/Id/Othr/Id")
    if text is None:
        raise StatementError("the account has neither Acct/Id/IBAN nor Acct/Id/Othr/Id")
    return normalize(text)


def _currency(reader: Reader, stmt: Any) -> str:
    # Acct/Ccy is optional (multi-currency accounts); every balance has a currency.
    currency = reader.text(stmt, "Acct/Ccy")
    if currency is None:
        amount = reader.find(stmt, "Bal/Amt")
        currency = amount.get("Ccy") if amount is not None else None
    if currency is None or not is_currency(currency):
        raise StatementError(f"no valid account currency (Acct/Ccy or Bal/Amt): {currency!r}")
    return currency


@dataclass(frozen=True, slots=True)
class _Party:
    name: str | None = None
    iban: str | None = None


_NOBODY = _Party()


@dataclass(frozen=True, slots=True)
class _Part:
    """What one TxDtls says (or, without any, the entry itself)."""

    amount: Money | None
    credit: bool | None
    structured: tuple[str, ...]
    remittance: str
    debtor: _Party
    creditor: _Party
    end_to_end_id: str | None

    @property
    def references(self) -> tuple[str, ...]:
        return _unique([*self.structured, *find_references(self.remittance)])


def _entries(
    reader: Reader,
    ntry: Any,
    statement_id: str,
    account: str,
    created_at: datetime,
    seen: dict[str, int],
) -> list[Entry]:
    amount_element = reader.find(ntry, "Amt")
    if amount_element is None:
        raise StatementError("missing Amt")
    amount = reader.money(amount_element)
    credit = reader.credit(ntry)
    if credit is None:
        raise StatementError("missing CdtDbtInd")
    # A bare code up to .07; from .08 a choice of Cd or Prtry.
    status = (
        reader.text(ntry, "Sts/Cd")
        or reader.text(ntry, "Sts/Prtry")
        or reader.text(ntry, "Sts")
        or BOOKED
    )
    booked_on = (
        reader.day(ntry, "BookgDt") or reader.day(ntry, "ValDt") or reader.local_date(created_at)
    )
    reversal = reader.text(ntry, "RvslInd") in ("true", "1")

    parts = [_part(reader, tx) for tx in reader.findall(ntry, "NtryDtls/TxDtls")]
    entry_info = reader.text(ntry, "AddtlNtryInf") or ""
    if len(parts) <= 1:
        # One transfer: the booked amount is what arrived, whatever the transaction's own
        # amount says (it may be the instructed one, in another currency, before charges).
        part = parts[0] if parts else _Part(None, None, (), "", _NOBODY, _NOBODY, None)
        if not part.remittance:
            part = replace(part, remittance=entry_info)
        parts = [replace(part, amount=amount, credit=credit)]
    else:
        parts = [p if p.credit is not None else replace(p, credit=credit) for p in parts]
        if not _adds_up(amount, credit, parts):
            parts = [_merged(parts, amount, credit)]

    base = _entry_ref(reader, ntry, statement_id, amount, credit, reversal, seen)
    if base is None:
        base = _content_ref(account, booked_on, reader.day(ntry, "ValDt"), reversal, parts, seen)
    entries = []
    for number, part in enumerate(parts, 1):
        # Every part has both by now: a single one or a merged batch takes the entry's.
        assert part.amount is not None
        assert part.credit is not None
        # The other side of the transfer: who paid a credit, who was paid by a debit.
        counterparty = part.debtor if part.credit else part.creditor
        entries.append(
            Entry(
                entry_ref=base if len(parts) == 1 else f"{base}/{number}",
                booked_on=booked_on,
                amount=part.amount,
                credit=part.credit,
                status=status,
                references=part.references,
                remittance=part.remittance,
                counterparty_name=counterparty.name,
                counterparty_iban=counterparty.iban,
                end_to_end_id=part.end_to_end_id,
                reversal=reversal,
            )
        )
    return entries


def _part(reader: Reader, tx: Any) -> _Part:
    amount_element = reader.find(tx, "Amt")
    if amount_element is None:
        amount_element = reader.find(tx, "AmtDtls/TxAmt/Amt")
    lines = reader.texts(tx, "RmtInf/Ustrd") + reader.texts(tx, "RmtInf/Strd/AddtlRmtInf")
    end_to_end_id = reader.text(tx, "Refs/EndToEndId")
    return _Part(
        amount=reader.money(amount_element) if amount_element is not None else None,
        credit=reader.credit(tx),
        structured=_unique(map(normalize, reader.texts(tx, "RmtInf/Strd/CdtrRefInf/Ref"))),
        # Ustrd is cut into 140-character pieces wherever the bank likes; joining them
        # with a space is what find_references copes with whether or not it split a word.
        remittance=" ".join(lines) or reader.text(tx, "AddtlTxInf") or "",
        debtor=_party(reader, tx, "Dbtr"),
        creditor=_party(reader, tx, "Cdtr"),
        end_to_end_id=None if end_to_end_id == _NOT_PROVIDED else end_to_end_id,
    )


def _party(reader: Reader, tx: Any, role: str) -> _Party:
    iban = reader.text(tx, f"RltdPties/{role}Acct/Id/IBAN")
    return _Party(
        name=reader.text(tx, f"RltdPties/{role}/Pty/Nm") or reader.text(tx, f"RltdPties/{role}/Nm"),
        iban=normalize(iban) if iban else None,
    )


def _adds_up(amount: Money, credit: bool, parts: list[_Part]) -> bool:
    total = 0
    for part in parts:
        if part.amount is None or part.amount.currency != amount.currency:
            return False
        total += part.amount.minor if part.credit else -part.amount.minor
    return total == (amount.minor if credit else -amount.minor)


def _merged(parts: list[_Part], amount: Money, credit: bool) -> _Part:
    def common(values: Iterable[str | None]) -> str | None:
        distinct = set(values)
        return distinct.pop() if len(distinct) == 1 else None

    return _Part(
        amount=amount,
        credit=credit,
        structured=_unique(r for p in parts for r in p.references),
        remittance=" ".join(p.remittance for p in parts if p.remittance),
        debtor=_Party(common(p.debtor.name for p in parts), common(p.debtor.iban for p in parts)),
        creditor=_Party(
            common(p.creditor.name for p in parts), common(p.creditor.iban for p in parts)
        ),
        end_to_end_id=None,
    )


def _entry_ref(
    reader: Reader,
    ntry: Any,
    statement_id: str,
    amount: Money,
    credit: bool,
    reversal: bool,
    seen: dict[str, int],
) -> str | None:
    if (servicer := reader.text(ntry, "AcctSvcrRef")) is None:
        if (entry := reader.text(ntry, "NtryRef")) is None:
            return None
        # Banks commonly number entries 1, 2, 3... in every statement.
        servicer = f"{statement_id}/{entry}"
    # A bank's reference alone does not tell entries apart: PostFinance gives one to every
    # entry of a processing batch. What moved, and which way, does; and it is the same
    # each time the same entry is reported, whatever its status then.
    ref = f"{servicer} {'CRDT' if credit else 'DBIT'} {amount.to_major()} {amount.currency}"
    if reversal:
        ref += " RVSL"
    seen[ref] = seen.get(ref, 0) + 1
    return ref if seen[ref] == 1 else f"{ref} #{seen[ref]}"


def _content_ref(
    account: str,
    booked_on: date,
    value_date: date | None,
    reversal: bool,
    parts: list[_Part],
    seen: dict[str, int],
) -> str:
    # The status is left out on purpose: it is the one thing that changes when the same
    # entry is reported again.
    content = [
        account,
        booked_on.isoformat(),
        value_date.isoformat() if value_date else None,
        reversal,
        [
            [
                str(p.amount) if p.amount else None,
                p.credit,
                list(p.structured),
                p.remittance,
                p.debtor.name,
                p.debtor.iban,
                p.end_to_end_id,
            ]
            for p in parts
        ],
    ]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:32]
    seen[digest] = seen.get(digest, 0) + 1
    return f"sha256:{digest}:{seen[digest]}"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
