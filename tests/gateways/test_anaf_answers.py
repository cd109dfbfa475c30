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
