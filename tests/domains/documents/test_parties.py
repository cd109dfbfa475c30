"""The VAT mentions a document prints (its PDF and the invoice pages): why no VAT is charged,
and why some is when VIES could not confirm the customer's VAT number, in the reader's language,
once each."""

from __future__ import annotations

from recura.db.models import InvoiceLine
from recura.domains.documents.parties import mentions


def line(key: str | None, notes: list[str] | None) -> InvoiceLine:
    return InvoiceLine(tax_exemption_key=key, tax_notes=notes)


def test_a_vat_number_vies_could_not_confirm_is_said_in_both_languages() -> None:
    lines = [line(None, ["tax.note.vat_id_unchecked"]), line(None, ["tax.note.vat_id_unchecked"])]
    (en,) = mentions(lines, "en")
    (ro,) = mentions(lines, "ro")
    assert "VIES" in en
    assert "VIES" in ro
    assert en != ro


def test_reverse_charge_and_notes_keep_the_lines_order() -> None:
    lines = [
        line("tax.reverse_charge.ro", None),
        line(None, ["tax.note.vat_id_invalid", "tax.note.destination_services"]),
        line(None, None),
    ]
    found = mentions(lines, "en")
    assert len(found) == 3
    assert "VIES" in found[1]


def test_lines_without_mentions_print_none() -> None:
    assert mentions([line(None, None), line(None, [])], "ro") == []
