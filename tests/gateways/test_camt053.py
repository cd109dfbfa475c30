"""Reading camt.053 statements: every version, batches, statuses, hostile and broken files."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from recura.core.money import Money
from recura.gateways.bank_transfer.camt053 import (
    Entry,
    StatementError,
    parse_statement,
    parse_statements,
    statement_key,
)
from recura.gateways.bank_transfer.references import new_reference
from tests.fakes.camt053 import (
    IBAN,
    PAYER_IBAN,
    Ntry,
    Stmt,
    Tx,
    credit,
    debit,
    document,
    namespace,
    statement,
)

VERSIONS = [f"{n:02d}" for n in range(2, 14)]
REF = new_reference("acct_1:inv_1")
OTHER_REF = new_reference("acct_1:inv_2")
BUCHAREST = ZoneInfo("Europe/Bucharest")


def paid(version: str = "08", **fields: object) -> bytes:
    """A statement with one booked transfer paying REF."""
    entry = credit(
        "49.90",
        f"Plata factura {REF.lower()} multumesc",
        acct_svcr_ref="BTRL2026011500001",
        debtor_name="Ion Popescu",
        debtor_iban=PAYER_IBAN,
        end_to_end_id="E2E-0001",
        **fields,
    )
    return statement(entry, version=version)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_version_reads_the_same(version: str) -> None:
    parsed = parse_statement(paid(version))

    assert parsed.message_id == "MSG-1"
    assert parsed.statement_id == "STMT-2026-01-15"
    assert parsed.account == IBAN
    assert parsed.currency == "RON"
    assert parsed.created_at == datetime(2026, 1, 15, 16, 0, tzinfo=UTC)
    assert parsed.entries == (
        Entry(
            entry_ref="BTRL2026011500001 CRDT 49.90 RON",
            booked_on=date(2026, 1, 15),
            amount=Money(4990, "RON"),
            credit=True,
            status="BOOK",
            references=(REF,),
            remittance=f"Plata factura {REF.lower()} multumesc",
            counterparty_name="Ion Popescu",
            counterparty_iban=PAYER_IBAN,
            end_to_end_id="E2E-0001",
        ),
    )
    assert parsed.entries[0].pays_invoices


@pytest.mark.parametrize(
    ("version", "status", "debtor", "tx_amount"),
    [
        ("02", "<Sts>BOOK</Sts>", "<Dbtr><Nm>", "<AmtDtls><TxAmt><Amt"),
        ("08", "<Sts><Cd>BOOK</Cd></Sts>", "<Dbtr><Pty><Nm>", "<TxDtls><Amt"),
    ],
)
def test_the_builder_writes_each_versions_own_layout(
    version: str, status: str, debtor: str, tx_amount: str
) -> None:
    # The version tests above are worth something only if the layouts really differ.
    batch = Ntry("3.00", txs=(Tx(amount="1.00", debtor_name="A"), Tx(amount="2.00")))
    xml = statement(batch, version=version).decode()
    compact = "".join(line.strip() for line in xml.splitlines())
    assert f'xmlns="{namespace(version)}"' in compact
    assert status in compact
    assert debtor in compact
    assert tx_amount in compact


def test_structured_references_come_first_then_those_in_the_text() -> None:
    entry = credit("10.00", f"also {OTHER_REF} and {REF}", creditor_refs=(f" {REF.lower()} ",))
    (parsed,) = parse_statement(statement(entry)).entries
    assert parsed.references == (REF, OTHER_REF)


def test_a_structured_reference_is_kept_even_if_not_rf() -> None:
    (parsed,) = parse_statement(statement(credit("10.00", creditor_refs=("inv 2026/17",)))).entries
    assert parsed.references == ("INV2026/17",)


def test_remittance_split_over_lines_is_joined_and_still_found() -> None:
    entry = Ntry(
        "10.00",
        txs=(
            Tx(
                ustrd=(f"Plata {REF[:11]}", f"{REF[11:]} ianuarie"),
            ),
        ),
    )
    (parsed,) = parse_statement(statement(entry)).entries
    assert parsed.remittance == f"Plata {REF[:11]} {REF[11:]} ianuarie"
    assert parsed.references == (REF,)


def test_an_invalid_check_digit_is_not_a_reference() -> None:
    wrong = REF[:2] + f"{(int(REF[2:4]) + 1) % 100:02d}" + REF[4:]
    (parsed,) = parse_statement(statement(credit("10.00", f"Plata {wrong}"))).entries
    assert parsed.references == ()


def test_without_transaction_details_the_entry_text_is_read() -> None:
    entry = Ntry("10.00", acct_svcr_ref="A1", additional_info=f"INCASARE {REF} POPESCU ION")
    (parsed,) = parse_statement(statement(entry)).entries
    assert parsed.remittance == f"INCASARE {REF} POPESCU ION"
    assert parsed.references == (REF,)
    assert parsed.counterparty_name is None


def test_not_provided_end_to_end_id_is_none() -> None:
    (parsed,) = parse_statement(statement(credit("1.00", end_to_end_id="NOTPROVIDED"))).entries
    assert parsed.end_to_end_id is None


@pytest.mark.parametrize("version", ["02", "08"])
def test_a_batch_becomes_one_entry_per_transaction(version: str) -> None:
    batch = Ntry(
        "150.00",
        acct_svcr_ref="BATCH-7",
        txs=(
            Tx(amount="49.90", debtor_name="Ana", debtor_iban=PAYER_IBAN, ustrd=(f"fact {REF}",)),
            Tx(amount="100.10", debtor_name="Dan", creditor_refs=(OTHER_REF,)),
        ),
    )
    first, second = parse_statement(statement(batch, version=version)).entries

    assert (first.entry_ref, second.entry_ref) == (
        "BATCH-7 CRDT 150.00 RON/1",
        "BATCH-7 CRDT 150.00 RON/2",
    )
    assert (first.amount, second.amount) == (Money(4990, "RON"), Money(10010, "RON"))
    assert (first.references, second.references) == ((REF,), (OTHER_REF,))
    assert (first.counterparty_name, second.counterparty_name) == ("Ana", "Dan")
    assert (first.counterparty_iban, second.counterparty_iban) == (PAYER_IBAN, None)
    assert first.credit
    assert second.credit


def test_a_batch_whose_amounts_do_not_add_up_stays_one_entry() -> None:
    batch = Ntry(
        "150.00",
        acct_svcr_ref="BATCH-8",
        txs=(
            Tx(amount="49.90", debtor_name="Ana", ustrd=(f"fact {REF}",)),
            Tx(amount="100.00", debtor_name="Ana", creditor_refs=(OTHER_REF,)),
        ),
    )
    (parsed,) = parse_statement(statement(batch)).entries
    assert parsed.entry_ref == "BATCH-8 CRDT 150.00 RON"
    assert parsed.amount == Money(15000, "RON")
    assert parsed.references == (REF, OTHER_REF)
    assert parsed.counterparty_name == "Ana"


def test_a_batch_with_a_transaction_without_amount_stays_one_entry() -> None:
    batch = Ntry("20.00", acct_svcr_ref="B9", txs=(Tx(amount="10.00"), Tx(debtor_name="X")))
    (parsed,) = parse_statement(statement(batch)).entries
    assert parsed.amount == Money(2000, "RON")


def test_a_single_transaction_keeps_the_booked_amount() -> None:
    # The transaction's amount may be the instructed one, in the payer's currency.
    entry = Ntry("100.00", txs=(Tx(amount="20.00", currency="EUR"),))
    (parsed,) = parse_statement(statement(entry)).entries
    assert parsed.amount == Money(10000, "RON")


def test_debits_are_read_but_never_pay_invoices() -> None:
    (parsed,) = parse_statement(statement(debit("12.34", f"refund {REF}"))).entries
    assert parsed.credit is False
    assert parsed.amount == Money(1234, "RON")
    assert parsed.references == (REF,)
    assert parsed.booked
    assert not parsed.pays_invoices


@pytest.mark.parametrize("version", ["02", "08"])
@pytest.mark.parametrize("status", ["PDNG", "INFO", "FUTR"])
def test_entries_not_booked_are_read_but_never_pay_invoices(version: str, status: str) -> None:
    entry = credit("49.90", REF, status=status, booked_on=None, value_date=date(2026, 1, 16))
    (parsed,) = parse_statement(statement(entry, version=version)).entries
    assert parsed.status == status
    assert parsed.booked_on == date(2026, 1, 16)
    assert parsed.references == (REF,)
    assert not parsed.booked
    assert not parsed.pays_invoices


def test_a_pending_entry_without_any_date_takes_the_statements() -> None:
    entry = credit("1.00", status="PDNG", booked_on=None, value_date=None)
    (parsed,) = parse_statement(statement(entry, created_at="2026-01-14T23:30:00Z")).entries
    assert parsed.booked_on == date(2026, 1, 14)


def test_an_entry_without_any_date_was_booked_on_the_statements_day() -> None:
    entry = credit("1.00", booked_on=None, value_date=None)
    (parsed,) = parse_statement(statement(entry, created_at="2026-01-14T23:30:00Z")).entries
    assert (parsed.booked_on, parsed.booked) == (date(2026, 1, 14), True)


def test_an_entry_without_a_status_is_booked() -> None:
    xml = statement(credit("49.90", REF), version="02").replace(b"<Sts>BOOK</Sts>", b"")
    assert b"<Sts>" not in xml
    (parsed,) = parse_statement(xml).entries
    assert (parsed.status, parsed.pays_invoices) == ("BOOK", True)


def test_a_debits_counterparty_is_its_creditor() -> None:
    # The builder writes the payer of a credit and the payee of a debit in the same
    # fields; the payee is what a debit's Cdtr holds.
    xml = statement(debit("12.00", debtor_name="Shop SRL", debtor_iban=PAYER_IBAN))
    xml = xml.replace(b"<Dbtr>", b"<Cdtr>").replace(b"</Dbtr>", b"</Cdtr>")
    xml = xml.replace(b"<DbtrAcct>", b"<CdtrAcct>").replace(b"</DbtrAcct>", b"</CdtrAcct>")
    (parsed,) = parse_statement(xml).entries
    assert (parsed.counterparty_name, parsed.counterparty_iban) == ("Shop SRL", PAYER_IBAN)
    (only_debtor,) = parse_statement(
        statement(debit("12.00", debtor_name="Me SRL", debtor_iban=PAYER_IBAN))
    ).entries
    assert only_debtor.counterparty_name is None


def test_a_reversal_never_pays_invoices() -> None:
    (parsed,) = parse_statement(statement(credit("5.00", REF, reversal=True))).entries
    assert parsed.reversal
    assert parsed.credit
    assert parsed.booked
    assert not parsed.pays_invoices


def test_a_proprietary_status_is_kept_and_does_not_count() -> None:
    xml = statement(credit("1.00")).replace(b"<Cd>BOOK</Cd>", b"<Prtry>HELD</Prtry>")
    (parsed,) = parse_statement(xml).entries
    assert parsed.status == "HELD"
    assert not parsed.pays_invoices


def test_times_without_an_offset_are_the_banks_local_time() -> None:
    entry = credit("1.00", booked_at="2026-01-15T23:30:00Z")
    xml = statement(entry, created_at="2026-01-15T18:00:00")
    parsed = parse_statement(xml, local_zone=BUCHAREST)
    assert parsed.created_at == datetime(2026, 1, 15, 18, tzinfo=BUCHAREST)
    assert parsed.created_at.utcoffset() == timedelta(hours=2)
    # 23:30 UTC is already the 16th in Bucharest.
    assert parsed.entries[0].booked_on == date(2026, 1, 16)
    assert parse_statement(xml).created_at == datetime(2026, 1, 15, 18, tzinfo=UTC)


def test_without_a_statement_time_the_messages_is_used() -> None:
    parsed = parse_statement(statement(created_at=None))
    assert parsed.created_at == datetime(2026, 1, 15, 18, 5, tzinfo=timezone(timedelta(hours=2)))


def test_currency_comes_from_the_balances_without_acct_ccy() -> None:
    parsed = parse_statement(statement(credit("1.00", currency="EUR"), currency=None))
    assert parsed.currency == "EUR"  # the builder's balances follow the first entry
    assert parsed.entries[0].amount == Money(100, "EUR")


def test_several_statements_in_one_document() -> None:
    xml = document(
        Stmt((credit("1.00"),), statement_id="S-RON"),
        Stmt((credit("2.00", currency="EUR"),), statement_id="S-EUR", currency="EUR"),
    )
    ron, eur = parse_statements(xml)
    assert (ron.statement_id, ron.currency, ron.entries[0].amount) == (
        "S-RON",
        "RON",
        Money(100, "RON"),
    )
    assert (eur.statement_id, eur.currency, eur.entries[0].amount) == (
        "S-EUR",
        "EUR",
        Money(200, "EUR"),
    )
    with pytest.raises(StatementError, match="expected one statement, the document holds 2"):
        parse_statement(xml)


# Entry references: what makes a second import change nothing.


def test_the_entry_reference_falls_back_to_the_entry_number_within_its_statement() -> None:
    (parsed,) = parse_statement(statement(credit("1.00", ntry_ref="1"))).entries
    assert parsed.entry_ref == "STMT-2026-01-15/1 CRDT 1.00 RON"
    (tomorrow,) = parse_statement(
        statement(credit("1.00", ntry_ref="1"), statement_id="S2")
    ).entries
    assert tomorrow.entry_ref != parsed.entry_ref


def test_entries_sharing_the_banks_reference_are_told_apart_by_what_moved() -> None:
    # PostFinance gives every entry of a processing batch the same AcctSvcrRef.
    entries = (
        credit("1537.00", acct_svcr_ref="07582000303KBMSU", ntry_ref="014295803"),
        credit("1692.22", acct_svcr_ref="07582000303KBMSU", ntry_ref="CH77"),
        credit("1692.22", acct_svcr_ref="07582000303KBMSU", ntry_ref="CH78"),
        debit("1537.00", acct_svcr_ref="07582000303KBMSU"),
    )
    today = [e.entry_ref for e in parse_statement(statement(*entries)).entries]
    assert today == [
        "07582000303KBMSU CRDT 1537.00 RON",
        "07582000303KBMSU CRDT 1692.22 RON",
        "07582000303KBMSU CRDT 1692.22 RON #2",
        "07582000303KBMSU DBIT 1537.00 RON",
    ]
    # The next day's statement repeats the first entry, reported as pending then: the same.
    again = credit("1537.00", acct_svcr_ref="07582000303KBMSU", status="PDNG")
    (repeated,) = parse_statement(statement(again, statement_id="S2", message_id="M2")).entries
    assert repeated.entry_ref == today[0]


def test_without_bank_references_the_entry_reference_is_a_stable_content_hash() -> None:
    entries = (credit("10.00", f"Plata {REF}", debtor_name="Ana"), credit("10.00", "alta"))
    first = parse_statement(statement(*entries, version="02", message_id="A")).entries
    again = parse_statement(statement(*entries, version="08", message_id="B")).entries
    assert [e.entry_ref for e in first] == [e.entry_ref for e in again]
    assert first[0].entry_ref.startswith("sha256:")
    assert first[0].entry_ref != first[1].entry_ref


def test_two_identical_transfers_stay_two() -> None:
    entry = credit("10.00", f"Plata {REF}", debtor_name="Ana")
    one, two = parse_statement(statement(entry, entry)).entries
    assert one.entry_ref != two.entry_ref
    assert replace(one, entry_ref="") == replace(two, entry_ref="")


def test_the_content_hash_ignores_the_status() -> None:
    # A pending entry reported again as booked is the same entry.
    pending = parse_statement(statement(credit("3.00", REF, status="PDNG"))).entries[0]
    booked = parse_statement(statement(credit("3.00", REF))).entries[0]
    assert pending.entry_ref == booked.entry_ref


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "10.01"},
        {"credit": False},
        {"booked_on": date(2026, 1, 16)},
        {"ustrd": "Plata altceva"},
        {"debtor_name": "Dan"},
    ],
)
def test_the_content_hash_changes_with_the_content(change: dict[str, object]) -> None:
    fields: dict[str, object] = {"amount": "10.00", "ustrd": f"Plata {REF}", "debtor_name": "Ana"}
    base = parse_statement(statement(credit(**fields))).entries[0]  # type: ignore[arg-type]
    is_credit = change.pop("credit", True)
    make = credit if is_credit else debit
    changed = parse_statement(statement(make(**(fields | change)))).entries[0]  # type: ignore[arg-type]
    assert changed.entry_ref != base.entry_ref


def test_statement_key_is_the_same_for_the_same_statement_only() -> None:
    key = statement_key(parse_statement(paid()))
    assert statement_key(parse_statement(paid())) == key
    assert statement_key(parse_statement(paid(version="02"))) == key
    assert len(key) == 64
    assert statement_key(parse_statement(statement(statement_id="S2"))) != statement_key(
        parse_statement(statement())
    )
    assert statement_key(parse_statement(statement(message_id="M2"))) != statement_key(
        parse_statement(statement())
    )


# Amounts.


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.5", "RON", 123450),
        ("0.01", "EUR", 1),
        ("1500", "JPY", 1500),
        ("1.234", "BHD", 1234),
        ("0", "RON", 0),
        ("99999999999.99", "RON", 9999999999999),
        ("8.850", "EUR", 885),
        ("10.00000", "RON", 1000),
        ("1500.000", "JPY", 1500),
    ],
)
def test_amounts_are_read_exactly(text: str, currency: str, minor: int) -> None:
    xml = statement(credit(text, currency=currency), currency=currency)
    assert parse_statement(xml).entries[0].amount == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("10.001", "RON", "amount 10.001 RON is not exact in RON, which has 2 decimals"),
        ("10.0001", "RON", "not exact in RON"),
        ("1500.5", "JPY", "JPY, which has 0"),
        ("1.2345", "BHD", "BHD, which has 3"),
        ("-5.00", "RON", "is not an amount"),
        ("1e3", "RON", "is not an amount"),
        ("12,50", "RON", "is not an amount"),
        ("", "RON", "is not an amount"),
        ("5.00", "XYZ", "unknown currency 'XYZ'"),
    ],
)
def test_amounts_that_are_not_exact_are_refused(text: str, currency: str, message: str) -> None:
    with pytest.raises(StatementError, match=f"statement STMT-2026-01-15, entry 2: .*{message}"):
        parse_statement(statement(credit("1.00"), credit(text, currency=currency)))


def test_a_batch_transaction_with_too_many_decimals_is_refused() -> None:
    batch = Ntry("3.00", txs=(Tx(amount="1.001"), Tx(amount="1.999")))
    with pytest.raises(StatementError, match=r"entry 1: amount 1\.001 RON is not exact"):
        parse_statement(statement(batch))


# Documents that are not statements, or not safe to read.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed XML"),
        (b"<Document><BkToCstmrStmt>", "not well-formed XML"),
        (b"not xml at all", "not well-formed XML"),
        (b"\xff\xfe<\x00", "not well-formed XML"),
        (b"<Document/>", "root element <Document> without a namespace"),
        (b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>', "<Invoice>"),
    ],
)
def test_what_is_not_a_camt053_document_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        parse_statements(data)


@pytest.mark.parametrize(
    ("xmlns", "message"),
    [
        (
            "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
            "not a camt.053 statement but a camt.054",
        ),
        ("urn:iso:std:iso:20022:tech:xsd:camt.052.001.02", "but a camt.052"),
        ("urn:iso:std:iso:20022:tech:xsd:pain.001.001.09", "but a pain.001"),
        ("urn:iso:std:iso:20022:tech:xsd:camt.053.001.14", "camt.053.001.14 is not supported"),
        ("urn:iso:std:iso:20022:tech:xsd:camt.053.001.01", "camt.053.001.01 is not supported"),
        ("urn:example:camt.053.001.08", "not an ISO 20022 camt.053 statement"),
    ],
)
def test_other_messages_and_versions_are_refused(xmlns: str, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        parse_statements(document(Stmt((credit("1.00"),)), xmlns=xmlns))


def test_a_document_without_statements_is_refused() -> None:
    with pytest.raises(StatementError, match="without any statement"):
        parse_statements(document())


def test_the_account_must_be_identified() -> None:
    xml = statement(credit("1.00"), iban=None).replace(b"<Id>0012345678</Id>", b"")
    with pytest.raises(StatementError, match=r"statement STMT-2026-01-15: .*neither Acct/Id/IBAN"):
        parse_statement(xml)


def test_an_iban_whose_check_digits_do_not_add_up_is_kept_as_written() -> None:
    parsed = parse_statement(statement(credit("1.00"), iban="ro49 aaaa 1b31 0075 9384 0001"))
    assert parsed.account == "RO49AAAA1B31007593840001"


def test_the_account_may_be_the_banks_own_number() -> None:
    xml = statement(credit("1.00"), iban=None).replace(b"0012345678", b"0012 3456 78")
    assert parse_statement(xml).account == "0012345678"


def test_missing_mandatory_elements_are_named() -> None:
    xml = statement(credit("1.00")).replace(b"<MsgId>MSG-1</MsgId>", b"")
    with pytest.raises(StatementError, match="missing GrpHdr/MsgId"):
        parse_statement(xml)
    xml = statement(credit("1.00")).replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>X</CdtDbtInd>"
    )
    with pytest.raises(StatementError, match="entry 1: CdtDbtInd 'X'"):
        parse_statement(xml)


def test_only_bytes_are_parsed() -> None:
    with pytest.raises(TypeError, match="bytes"):
        parse_statements(paid().decode())  # type: ignore[arg-type]


def _with_dtd(dtd: str, msg_id: str) -> bytes:
    xml = paid().decode().replace("<MsgId>MSG-1</MsgId>", f"<MsgId>{msg_id}</MsgId>")
    head, body = xml.split("\n", 1)
    return f"{head}\n<!DOCTYPE Document [{dtd}]>\n{body}".encode()


def test_an_entity_expansion_attack_is_refused_quickly() -> None:
    levels = ['<!ENTITY e0 "lollollollollollollollollollol">']
    levels += [f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10)]
    started = time.monotonic()
    with pytest.raises(StatementError):
        parse_statements(_with_dtd("".join(levels), "&e9;"))
    assert time.monotonic() - started < 1


def test_a_small_internal_entity_is_refused_too() -> None:
    with pytest.raises(StatementError, match="may not contain a DTD"):
        parse_statements(_with_dtd('<!ENTITY id "MSG-1">', "&id;"))


def test_an_external_entity_is_never_read(tmp_path: pytest.TempPathFactory) -> None:
    secret = tmp_path / "secret.txt"  # type: ignore[operator]
    secret.write_text("s3cret-contents")
    data = _with_dtd(f'<!ENTITY x SYSTEM "file://{secret}">', "&x;")
    with pytest.raises(StatementError, match="may not contain a DTD") as refused:
        parse_statements(data)
    assert "s3cret" not in str(refused.value)


def test_an_external_dtd_is_not_fetched() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        port = server.getsockname()[1]
        xml = paid().decode()
        head, body = xml.split("\n", 1)
        doctype = f'<!DOCTYPE Document SYSTEM "http://127.0.0.1:{port}/camt.dtd">'
        with pytest.raises(StatementError, match=r"network|DTD"):
            parse_statements(f"{head}\n{doctype}\n{body}".encode())
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody came
