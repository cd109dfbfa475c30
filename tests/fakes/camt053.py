"""camt.053 statements for tests, built from plain values in any version from .02 to .13.

The layout follows each version where it changed (entry status, debtor name, a
transaction's own amount; see recura.gateways.bank_transfer.camt053), element order
follows the schemas, and values are written exactly as given, so a test can hand the
parser an amount with too many decimals or an odd reference.

    statement(credit("49.00", "Factura RF18 5390 0754 7034"), version="02")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

__all__ = [
    "IBAN",
    "PAYER_IBAN",
    "Ntry",
    "Stmt",
    "Tx",
    "credit",
    "debit",
    "document",
    "namespace",
    "statement",
]

IBAN = "RO49AAAA1B31007593840000"  # the merchant's account
PAYER_IBAN = "RO21INGB0000999901234567"
DAY = date(2026, 1, 15)


@dataclass(frozen=True)
class Tx:
    """One transaction (TxDtls) of an entry."""

    amount: str | None = None  # the transaction's own amount; None leaves it out
    currency: str | None = None  # default: the entry's
    credit: bool | None = None  # default: none written, the entry's applies
    end_to_end_id: str | None = None
    acct_svcr_ref: str | None = None
    debtor_name: str | None = None
    debtor_iban: str | None = None
    ustrd: Sequence[str] = ()
    creditor_refs: Sequence[str] = ()  # Strd/CdtrRefInf/Ref, typed SCOR
    additional_info: str | None = None  # AddtlTxInf


@dataclass(frozen=True)
class Ntry:
    """One statement entry; several `txs` make a batch entry."""

    amount: str
    currency: str = "RON"
    credit: bool = True
    status: str = "BOOK"
    booked_on: date | None = DAY
    booked_at: str | None = None  # BookgDt/DtTm instead of BookgDt/Dt
    value_date: date | None = DAY
    acct_svcr_ref: str | None = None
    ntry_ref: str | None = None
    reversal: bool = False
    txs: Sequence[Tx] = ()
    additional_info: str | None = None  # AddtlNtryInf


@dataclass(frozen=True)
class Stmt:
    """One account's statement."""

    entries: Sequence[Ntry] = ()
    statement_id: str = "STMT-2026-01-15"
    iban: str | None = IBAN  # None: the account is identified otherwise (Othr/Id)
    currency: str | None = "RON"  # Acct/Ccy; None leaves it to the balances
    created_at: str | None = "2026-01-15T18:00:00+02:00"
    opening_balance: str = "1000.00"


def credit(amount: str, ustrd: str = "", **fields: object) -> Ntry:
    """A booked incoming transfer with one transaction; `fields` are Ntry's or Tx's."""
    return _single(amount, ustrd, True, fields)


def debit(amount: str, ustrd: str = "", **fields: object) -> Ntry:
    """A booked outgoing payment with one transaction."""
    return _single(amount, ustrd, False, fields)


def _single(amount: str, ustrd: str, is_credit: bool, fields: dict[str, object]) -> Ntry:
    # A name both have (acct_svcr_ref, currency, additional_info) is the entry's.
    ntry_fields = {k: v for k, v in fields.items() if k in Ntry.__dataclass_fields__}
    tx_fields = {k: v for k, v in fields.items() if k not in ntry_fields}
    tx = Tx(ustrd=(ustrd,) if ustrd else (), **tx_fields)
    return Ntry(amount, credit=is_credit, txs=(tx,), **ntry_fields)


def namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"


def statement(
    *entries: Ntry, version: str = "08", message_id: str = "MSG-1", **stmt: object
) -> bytes:
    """A document with one statement of `entries`; `stmt` are Stmt's other fields."""
    return document(Stmt(entries, **stmt), version=version, message_id=message_id)


def document(
    *statements: Stmt,
    version: str = "08",
    message_id: str = "MSG-1",
    created_at: str = "2026-01-15T18:05:00+02:00",
    xmlns: str | None = None,
) -> bytes:
    """A whole camt.053 document; `xmlns` replaces the version's namespace."""
    _Builder.check(version)
    builder = _Builder(xmlns or namespace(version), int(version))
    root = builder.element("Document")
    body = builder.sub(root, "BkToCstmrStmt")
    header = builder.sub(body, "GrpHdr")
    builder.sub(header, "MsgId", message_id)
    builder.sub(header, "CreDtTm", created_at)
    for stmt in statements:
        builder.statement(body, stmt)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


class _Builder:
    def __init__(self, ns: str, version: int) -> None:
        self.ns = ns
        self.version = version

    @staticmethod
    def check(version: str) -> None:
        if len(version) != 2 or not 2 <= int(version) <= 13:
            raise ValueError(f"camt.053 versions are '02' to '13', not {version!r}")

    def element(self, tag: str) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{tag}", nsmap={None: self.ns})

    def sub(self, parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{self.ns}}}{tag}")
        if text is not None:
            child.text = text
        return child

    def path(self, parent: etree._Element, path: str, text: str | None = None) -> etree._Element:
        *steps, last = path.split("/")
        for step in steps:
            parent = self.sub(parent, step)
        return self.sub(parent, last, text)

    def amount(self, parent: etree._Element, tag: str, value: str, currency: str) -> None:
        self.sub(parent, tag, value).set("Ccy", currency)

    def statement(self, body: etree._Element, stmt: Stmt) -> None:
        node = self.sub(body, "Stmt")
        self.sub(node, "Id", stmt.statement_id)
        self.sub(node, "ElctrncSeqNb", "15")
        if stmt.created_at is not None:
            self.sub(node, "CreDtTm", stmt.created_at)
        account = self.sub(node, "Acct")
        if stmt.iban is not None:
            self.path(account, "Id/IBAN", stmt.iban)
        else:
            self.path(account, "Id/Othr/Id", "0012345678")
        if stmt.currency is not None:
            self.sub(account, "Ccy", stmt.currency)
        currency = stmt.currency or (stmt.entries[0].currency if stmt.entries else "RON")
        opening = Decimal(stmt.opening_balance)
        self.balance(node, "OPBD", opening, currency)
        self.balance(node, "CLBD", opening + _booked_total(stmt.entries), currency)
        for entry in stmt.entries:
            self.entry(node, entry)

    def balance(self, parent: etree._Element, code: str, value: Decimal, currency: str) -> None:
        node = self.sub(parent, "Bal")
        self.path(node, "Tp/CdOrPrtry/Cd", code)
        self.amount(node, "Amt", f"{abs(value):.2f}", currency)
        self.sub(node, "CdtDbtInd", "CRDT" if value >= 0 else "DBIT")
        self.path(node, "Dt/Dt", DAY.isoformat())

    def entry(self, parent: etree._Element, ntry: Ntry) -> None:
        node = self.sub(parent, "Ntry")
        if ntry.ntry_ref is not None:
            self.sub(node, "NtryRef", ntry.ntry_ref)
        self.amount(node, "Amt", ntry.amount, ntry.currency)
        self.sub(node, "CdtDbtInd", "CRDT" if ntry.credit else "DBIT")
        if ntry.reversal:
            self.sub(node, "RvslInd", "true")
        if self.version >= 8:
            self.path(node, "Sts/Cd", ntry.status)
        else:
            self.sub(node, "Sts", ntry.status)
        if ntry.booked_at is not None:
            self.path(node, "BookgDt/DtTm", ntry.booked_at)
        elif ntry.booked_on is not None:
            self.path(node, "BookgDt/Dt", ntry.booked_on.isoformat())
        if ntry.value_date is not None:
            self.path(node, "ValDt/Dt", ntry.value_date.isoformat())
        if ntry.acct_svcr_ref is not None:
            self.sub(node, "AcctSvcrRef", ntry.acct_svcr_ref)
        self.transaction_code(node, ntry.credit)
        if ntry.txs:
            details = self.sub(node, "NtryDtls")
            if len(ntry.txs) > 1:
                self.sub(self.sub(details, "Btch"), "NbOfTxs", str(len(ntry.txs)))
            for tx in ntry.txs:
                self.transaction(details, tx, ntry)
        if ntry.additional_info is not None:
            self.sub(node, "AddtlNtryInf", ntry.additional_info)

    def transaction_code(self, parent: etree._Element, is_credit: bool) -> None:
        domain = self.path(parent, "BkTxCd/Domn")
        self.sub(domain, "Cd", "PMNT")
        family = self.sub(domain, "Fmly")
        self.sub(family, "Cd", "RCDT" if is_credit else "ICDT")
        self.sub(family, "SubFmlyCd", "ESCT" if is_credit else "DMCT")

    def transaction(self, parent: etree._Element, tx: Tx, ntry: Ntry) -> None:
        node = self.sub(parent, "TxDtls")
        if tx.acct_svcr_ref is not None or tx.end_to_end_id is not None:
            refs = self.sub(node, "Refs")
            if tx.acct_svcr_ref is not None:
                self.sub(refs, "AcctSvcrRef", tx.acct_svcr_ref)
            if tx.end_to_end_id is not None:
                self.sub(refs, "EndToEndId", tx.end_to_end_id)
        currency = tx.currency or ntry.currency
        if tx.amount is not None and self.version >= 3:
            self.amount(node, "Amt", tx.amount, currency)
        if tx.credit is not None and self.version >= 3:
            self.sub(node, "CdtDbtInd", "CRDT" if tx.credit else "DBIT")
        if tx.amount is not None and self.version == 2:
            self.amount(self.path(node, "AmtDtls/TxAmt"), "Amt", tx.amount, currency)
        if tx.debtor_name is not None or tx.debtor_iban is not None:
            parties = self.sub(node, "RltdPties")
            if tx.debtor_name is not None:
                name_path = "Dbtr/Pty/Nm" if self.version >= 8 else "Dbtr/Nm"
                self.path(parties, name_path, tx.debtor_name)
            if tx.debtor_iban is not None:
                self.path(parties, "DbtrAcct/Id/IBAN", tx.debtor_iban)
        if tx.ustrd or tx.creditor_refs:
            remittance = self.sub(node, "RmtInf")
            for line in tx.ustrd:
                self.sub(remittance, "Ustrd", line)
            for reference in tx.creditor_refs:
                info = self.path(remittance, "Strd/CdtrRefInf")
                self.path(info, "Tp/CdOrPrtry/Cd", "SCOR")
                self.sub(info, "Ref", reference)
        if tx.additional_info is not None:
            self.sub(node, "AddtlTxInf", tx.additional_info)


def _booked_total(entries: Sequence[Ntry]) -> Decimal:
    total = Decimal(0)
    for entry in entries:
        if entry.status != "BOOK":
            continue
        try:
            value = Decimal(entry.amount)
        except InvalidOperation:
            continue  # a test of a malformed amount: the balance does not matter
        total += value if entry.credit else -value
    return total
