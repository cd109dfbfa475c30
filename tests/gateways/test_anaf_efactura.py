"""The e-Factura client against the local fake ANAF: both environments' paths, the
Bearer token, and the message list with ANAF's "no messages" answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from recura.gateways.anaf import answers
from recura.gateways.anaf.efactura import EFactura, Refused
from recura.gateways.anaf.http import AnafUnreachable
from tests.domains.efactura.documents import minimal_ubl
from tests.fakes.anaf_server import FakeAnaf, running_fake_anaf

CIF = "18547290"


@pytest.fixture
def fake() -> Iterator[FakeAnaf]:
    with running_fake_anaf() as fake:
        fake.add_client("app", "secret", cifs={CIF})
        yield fake


def token(fake: FakeAnaf) -> str:
    return str(fake.issue("app")["access_token"])


def test_upload_status_download_and_the_list_in_production(fake: FakeAnaf) -> None:
    api = EFactura(fake.base_url, "prod", token(fake))
    assert api.messages(CIF, 1) == []
    fake.processing_polls = 0
    upload = api.upload(minimal_ubl("F-1", date(2026, 1, 15), "RON", 100), CIF)
    assert upload.index is not None
    status = api.status(upload.index)
    assert status.state == answers.OK
    assert api.download(status.download_id or "").startswith(b"PK")
    (listed,) = api.messages(CIF, 1)
    assert (listed["id_solicitare"], listed["id"]) == (upload.index, status.download_id)
    assert {path.split("/")[1] for _, path in fake.calls} == {"prod"}


def test_refusals(fake: FakeAnaf) -> None:
    assert EFactura(fake.base_url, "test", token(fake)).upload(b"<CreditNote/>", CIF).errors
    with pytest.raises(Refused) as refused:
        EFactura(fake.base_url, "test", "not-a-token").status("1")
    assert refused.value.status == 401
    with pytest.raises(Refused, match="nu este un numar"):
        EFactura(fake.base_url, "test", token(fake)).messages("RO" + CIF, 1)


def test_what_the_client_says_of_an_upload_whose_answer_is_lost(fake: FakeAnaf) -> None:
    api = EFactura(fake.base_url, "test", token(fake))
    xml = minimal_ubl("F-2", date(2026, 1, 15), "RON", 100)
    fake.lose_upload_answers = 1
    with pytest.raises(Refused) as lost:
        api.upload(xml, CIF)
    assert lost.value.status == 504
    (taken,) = fake.messages.values()  # taken all the same
    fake.processing_polls = 0
    taken.polls_left = 0
    (listed,) = api.messages(CIF, 1)
    assert (listed["id_solicitare"], listed["tip"]) == (taken.index, answers.SENT)
    document = answers.document_in_zip(api.download(listed["id"]))
    assert document is not None
    assert answers.same_document(xml, document)
    # Nothing listening: the request never left, so ANAF cannot have it.
    with pytest.raises(AnafUnreachable) as unreachable:
        EFactura("http://127.0.0.1:9", "test", token(fake)).upload(xml, CIF)
    assert unreachable.value.sent is False
