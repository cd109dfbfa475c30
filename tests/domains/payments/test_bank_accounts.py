"""The merchant's bank accounts: which statements of a file are imported, how accounts are
recognised as banks write them, and what GET /v1/bank_transactions says of each entry."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.conftest import Api
from tests.domains.payments.test_bank_transfers import sent_invoice, transactions, upload
from tests.fakes.camt053 import IBAN, PAYER_IBAN, Stmt, credit, debit, document, statement

EUR_IBAN = "RO02AAAA1B31007593840001"
# As a bank with its own numbering writes it in Acct/Id/Othr/Id (the builder's default).
OWN_NUMBER = "0012345678"


def register(api: Api, status: int = 201, **body: Any) -> Any:
    return api.ok("POST", "/v1/bank_accounts", status, json=body)


def three_accounts() -> bytes:
    return document(
        Stmt((credit("1.00", acct_svcr_ref="A"),), statement_id="S-RON"),
        Stmt(
            (credit("2.00", currency="EUR", acct_svcr_ref="B"),),
            statement_id="S-EUR",
            iban=EUR_IBAN,
            currency="EUR",
        ),
        Stmt((credit("3.00", acct_svcr_ref="C"),), statement_id="S-OWN", iban=None),
    )


def test_without_bank_accounts_every_statement_is_imported(api: Api) -> None:
    imported = upload(api, three_accounts())
    assert [s["statement_id"] for s in imported["data"]] == ["S-RON", "S-EUR", "S-OWN"]
    assert [s["account_number"] for s in imported["data"]] == [IBAN, EUR_IBAN, OWN_NUMBER]
    assert imported["skipped"] == []
    assert len(transactions(api)) == 3


def test_only_the_merchants_accounts_are_imported_and_the_others_reported(api: Api) -> None:
    # Written as people copy them: spaced, lower case.
    spaced = " ".join(IBAN[i : i + 4] for i in range(0, len(IBAN), 4)).lower()
    ron = register(api, iban=spaced, currency="RON")
    assert (ron["object"], ron["iban"], ron["number"], ron["currency"]) == (
        "bank_account",
        IBAN,
        None,
        "RON",
    )
    register(api, number="00 1234 5678")
    imported = upload(api, three_accounts())
    assert [s["statement_id"] for s in imported["data"]] == ["S-RON", "S-OWN"]
    assert imported["skipped"] == [
        {"statement_id": "S-EUR", "account_number": EUR_IBAN, "currency": "EUR", "entry_count": 1}
    ]
    assert sorted(t["amount"]["amount"] for t in transactions(api)) == [100, 300]

    # A currency given is a currency required: the RON account's EUR statement is not it.
    eur_on_ron = statement(credit("4.00", currency="EUR"), currency="EUR", statement_id="S-X")
    assert upload(api, eur_on_ron)["skipped"][0]["statement_id"] == "S-X"

    listed = api.ok("GET", "/v1/bank_accounts")["data"]
    assert len(listed) == 2
    api.ok("DELETE", f"/v1/bank_accounts/{ron['id']}")
    assert [a["number"] for a in api.ok("GET", "/v1/bank_accounts")["data"]] == [OWN_NUMBER]
    assert api.request("DELETE", f"/v1/bank_accounts/{ron['id']}").status_code == 404


def test_an_iban_in_othr_id_or_with_wrong_check_digits_is_still_the_merchants(api: Api) -> None:
    wrong_digits = "CH1111000000123456789"  # a bank's test platform's, as in its samples
    register(api, iban=wrong_digits)
    in_othr = statement(credit("5.00"), iban=None).replace(
        OWN_NUMBER.encode(), wrong_digits.lower().encode()
    )
    imported = upload(api, in_othr)
    assert (imported["data"][0]["account_number"], imported["skipped"]) == (wrong_digits, [])


def test_a_bank_account_needs_a_number_and_is_registered_once(api: Api) -> None:
    response = api.post("/v1/bank_accounts", json={"currency": "RON"})
    assert response.status_code == 422
    assert "needs an iban, a number, or both" in response.json()["detail"]
    response = api.post("/v1/bank_accounts", json={"iban": "RO49-AAAA"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "#/iban"
    register(api, iban=IBAN)
    assert api.post("/v1/bank_accounts", json={"iban": IBAN.lower()}).status_code == 409


def test_the_invoices_iban_is_one_of_the_merchants_bank_accounts(api: Api) -> None:
    api.ok("PATCH", "/v1/account", json={"iban": IBAN})
    api.ok("PATCH", "/v1/account", json={"iban": IBAN})
    (account,) = api.ok("GET", "/v1/bank_accounts")["data"]
    assert (account["iban"], account["currency"]) == (IBAN, None)
    assert [s["statement_id"] for s in upload(api, three_accounts())["skipped"]] == [
        "S-EUR",
        "S-OWN",
    ]


def test_transactions_say_direction_status_and_the_other_side(api: Api) -> None:
    data = statement(
        credit("10.00", "in", acct_svcr_ref="IN", debtor_name="Ana", debtor_iban=PAYER_IBAN),
        debit("4.00", "out", acct_svcr_ref="OUT", debtor_name="Shop SRL"),
        credit("7.00", "soon", acct_svcr_ref="LATER", status="PDNG", value_date=date(2026, 1, 16)),
    )
    # The builder writes a transaction's party as Dbtr; the debit's is its Cdtr.
    head, tail = data.split(b'<Amt Ccy="RON">4.00</Amt>', 1)
    tail = tail.replace(b"<Dbtr>", b"<Cdtr>", 1).replace(b"</Dbtr>", b"</Cdtr>", 1)
    upload(api, head + b'<Amt Ccy="RON">4.00</Amt>' + tail)
    by_amount = {t["amount"]["amount"]: t for t in transactions(api)}
    seen = {
        amount: (t["direction"], t["entry_status"], t["counterparty_name"])
        for amount, t in by_amount.items()
    }
    assert seen == {
        1000: ("credit", "booked", "Ana"),
        400: ("debit", "booked", "Shop SRL"),
        700: ("credit", "pending", None),
    }
    assert by_amount[1000]["counterparty_iban"] == PAYER_IBAN


def test_a_pending_transfer_pays_when_it_is_booked(api: Api) -> None:
    _, invoice = sent_invoice(api)
    ref = invoice["payment_reference"]
    pending = credit("60.50", ref, acct_svcr_ref="P-1", status="PDNG")
    upload(api, statement(pending, statement_id="S-1"))
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"
    booked = credit("60.50", ref, acct_svcr_ref="P-1")
    upload(api, statement(booked, statement_id="S-2"))
    (transaction,) = transactions(api)
    assert (transaction["entry_status"], transaction["status"]) == ("booked", "matched")
    assert api.ok("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"


def test_entries_sharing_a_bank_reference_each_pay_and_overlaps_count_once(api: Api) -> None:
    world, first = sent_invoice(api)
    _, second = sent_invoice(api, world, minutes=2)
    # As PostFinance does: one AcctSvcrRef for two different credits.
    day_one = statement(
        credit("60.50", first["payment_reference"], acct_svcr_ref="07582000303KBMSU"),
        credit("60.50", second["payment_reference"], acct_svcr_ref="X-2"),
        credit("15.37", "other", acct_svcr_ref="07582000303KBMSU"),
        statement_id="S-1",
    )
    upload(api, day_one)
    # The next statement repeats the first entry (an overlap) and adds one.
    day_two = statement(
        credit("60.50", first["payment_reference"], acct_svcr_ref="07582000303KBMSU"),
        credit("1.00", "new", acct_svcr_ref="07582000303KBMSU"),
        statement_id="S-2",
        message_id="MSG-2",
    )
    upload(api, day_two)
    assert sorted(t["amount"]["amount"] for t in transactions(api)) == [100, 1537, 6050, 6050]
    for invoice in (first, second):
        paid = api.ok("GET", f"/v1/invoices/{invoice['id']}")
        assert (paid["status"], paid["amount_paid"]["amount"]) == ("paid", 6050)
    assert len(api.ok("GET", "/v1/payments", params={"invoice": first["id"]})["data"]) == 1
