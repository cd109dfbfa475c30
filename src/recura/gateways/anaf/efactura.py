"""e-Factura's REST services (api.anaf.ro/{test|prod}/FCTEL/rest), with a Bearer access
token: `upload` (companies; `extern=DA` for a buyer outside Romania), `uploadb2c`
(Romanian individuals), `stareMesaj` and `descarcare`. ANAF answers 200 with XML for
what it refuses as well as for what it takes; other statuses are its gateway's (401/403
for a token, 429 over the per-minute limit, 5xx)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from recura.gateways.anaf import answers
from recura.gateways.anaf.http import request
from recura.staged import Deadline

PRODUCTION_BASE = "https://api.anaf.ro"


class Refused(Exception):
    """ANAF's gateway refused the call (not 200): `status` says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


@dataclass(frozen=True, slots=True)
class EFactura:
    """One environment (`test` or `prod`) of e-Factura, for one access token."""

    base: str
    environment: str
    access_token: str

    def _url(self, service: str) -> str:
        return f"{self.base}/{self.environment}/FCTEL/rest/{service}"

    def _get(self, service: str, params: dict[str, str], deadline: Deadline | None) -> bytes:
        headers = {"authorization": f"Bearer {self.access_token}"}
        response = request(
            "GET", self._url(service), params=params, headers=headers, deadline=deadline
        )
        if response.status_code != 200:
            raise Refused(response.status_code, response.text[:300])
        return response.content

    def upload(
        self,
        xml: bytes,
        cif: str,
        *,
        credit_note: bool = False,
        b2c: bool = False,
        foreign_buyer: bool = False,
        deadline: Deadline | None = None,
    ) -> answers.Upload:
        params = {"standard": "CN" if credit_note else "UBL", "cif": cif}
        if foreign_buyer:
            params["extern"] = "DA"
        body = self._post_xml("uploadb2c" if b2c else "upload", params, xml, deadline)
        return answers.upload(body)

    def _post_xml(
        self, service: str, params: dict[str, str], xml: bytes, deadline: Deadline | None
    ) -> bytes:
        headers = {"authorization": f"Bearer {self.access_token}", "content-type": "text/plain"}
        response = request(
            "POST",
            self._url(service),
            params=params,
            content=xml,
            headers=headers,
            deadline=deadline,
        )
        if response.status_code != 200:
            raise Refused(response.status_code, response.text[:300])
        return response.content

    def status(self, upload_index: str, deadline: Deadline | None = None) -> answers.Status:
        body = self._get("stareMesaj", {"id_incarcare": upload_index}, deadline)
        return answers.status(body)

    def messages(
        self, cif: str, days: int, deadline: Deadline | None = None
    ) -> list[dict[str, str]]:
        """`listaMesajeFactura`: the messages of the last `days` (1 to 60) for `cif`, each
        with `id_solicitare` (the upload index), `tip` and `id` (the download id). ANAF
        says "no messages" in the same `eroare` field as its errors."""
        body = self._get("listaMesajeFactura", {"zile": str(days), "cif": cif}, deadline)
        try:
            found = json.loads(body)
        except ValueError:
            raise Refused(200, body[:300].decode("utf-8", "replace")) from None
        if "mesaje" in found:
            return [{k: str(v) for k, v in m.items()} for m in found["mesaje"]]
        error = str(found.get("eroare", ""))
        if error.startswith("Nu exista mesaje"):
            return []
        raise Refused(200, error[:300])

    def download(self, download_id: str, deadline: Deadline | None = None) -> bytes:
        """The ZIP of ANAF's decision; an XML or JSON answer instead is an error."""
        body = self._get("descarcare", {"id": download_id}, deadline)
        if not body.startswith(b"PK"):
            raise Refused(200, body[:300].decode("utf-8", "replace"))
        return body
