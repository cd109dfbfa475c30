"""ANAF's answers as its documentation shows them (the e-Factura swagger examples), read."""

from __future__ import annotations

import io
import zipfile

import pytest

from recura.gateways.anaf import answers, oauth

UPLOAD_OK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" dateResponse="202108051140"'
    b' ExecutionStatus="0" index_incarcare="3828"/>'
)
UPLOAD_REFUSED = (
    b'<header xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1" dateResponse="202108051144"'
    b' ExecutionStatus="1">\n    <Errors errorMessage="Marime fisier transmis mai mare de 10 MB."/>'
    b"\n</header>"
)


def status(body: str) -> answers.Status:
    return answers.status(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + f'<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1"{body}'.encode()
    )


def test_an_upload_answer_gives_the_index_or_the_errors() -> None:
    assert answers.upload(UPLOAD_OK) == answers.Upload("3828", ())
    assert answers.upload(UPLOAD_REFUSED) == answers.Upload(
        None, ("Marime fisier transmis mai mare de 10 MB.",)
    )


def test_the_states_of_a_message() -> None:
    assert status(' stare="ok" id_descarcare="1234"/>') == answers.Status("ok", "1234", ())
    assert status(' stare="nok" id_descarcare="123"/>').state == answers.NOK
    assert status(' stare="in prelucrare"/>').download_id is None
    refused = status(' stare="XML cu erori nepreluat de sistem"/>')
    assert refused.state == answers.REFUSED_AT_UPLOAD
    limit = status(
        '>\n    <Errors errorMessage="S-au facut deja 20 descarcari de mesaj in'
        ' cursul zilei"/>\n</header>'
    )
    assert limit.state is None
    assert limit.over_limit
    unknown = status(
        '>\n    <Errors errorMessage="Nu exista factura cu id_incarcare= 15000"/>\n</header>'
    )
    assert not unknown.over_limit


def test_what_is_not_an_answer_is_refused() -> None:
    with pytest.raises(answers.Unreadable):
        answers.upload(b'{"status": 400}')
    with pytest.raises(answers.Unreadable):
        answers.status(b"<Invoice/>")
    with pytest.raises(answers.Unreadable):
        answers.errors_in_zip(b"not a zip")


def test_the_errors_of_a_rejection_come_from_its_zip() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "4001.xml",
            '<header xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1" Index_incarcare="4001">'
            '<Error errorMessage="[BR-RO-010] CUI invalid"/>'
            '<Error errorMessage="Eroare fara regula"/>'
            "</header>",
        )
        archive.writestr("semnatura_4001.xml", "<Signature/>")
    assert answers.errors_in_zip(buffer.getvalue()) == [
        {"rule": "BR-RO-010", "message": "[BR-RO-010] CUI invalid"},
        {"rule": "", "message": "Eroare fara regula"},
    ]
    accepted = io.BytesIO()
    with zipfile.ZipFile(accepted, "w") as archive:
        archive.writestr(
            "4002.xml", "<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>"
        )
        archive.writestr("semnatura_4002.xml", "<Signature/>")
    assert answers.errors_in_zip(accepted.getvalue()) == []


def test_a_tokens_expiry_is_read_from_its_jwt() -> None:
    # {"exp": 1800000000}
    token = "eyJhbGciOiJub25lIn0.eyJleHAiOjE4MDAwMDAwMDB9.sig"
    assert oauth._expiry(token) is not None
    assert oauth._expiry(token).timestamp() == 1800000000  # type: ignore[union-attr]
    assert oauth._expiry("opaque-token") is None
    assert oauth._expiry("a.!!!.c") is None


def test_the_document_in_an_accepted_zip_and_none_in_a_rejection() -> None:
    document = b'<?xml version="1.0"?>\n<Invoice xmlns="urn:x"><ID>F-1</ID></Invoice>'
    accepted = io.BytesIO()
    with zipfile.ZipFile(accepted, "w") as archive:
        archive.writestr("5000000001.xml", document)
        archive.writestr("semnatura_5000000001.xml", "<Signature/>")
    found = answers.document_in_zip(accepted.getvalue())
    assert found == document
    assert answers.same_document(b'<Invoice xmlns="urn:x"><ID>F-1</ID></Invoice>', found)
    assert not answers.same_document(b'<Invoice xmlns="urn:x"><ID>F-2</ID></Invoice>', found)
    rejected = io.BytesIO()
    with zipfile.ZipFile(rejected, "w") as archive:
        errors = '<header xmlns="urn:e"><Error errorMessage="x"/></header>'
        archive.writestr("5000000002.xml", errors)
    assert answers.document_in_zip(rejected.getvalue()) is None
    created = answers.created_at("202601151131")  # Romania's time
    assert created is not None
    assert created.isoformat() == "2026-01-15T11:31:00+02:00"
    assert answers.created_at("later") is None
