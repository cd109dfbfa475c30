"""A local fake of ANAF's OAuth2 and e-Factura services, written from ANAF's published
documentation (the OAuth procedure, the e-Factura API presentation and its swagger pages,
limiteApeluriAPI), for the calls Recura makes:

- `GET  /anaf-oauth2/v1/authorize`: where a person would pick the company's certificate;
  here the browser is sent straight back to the redirect URI with a code and the state;
- `POST /anaf-oauth2/v1/token`: HTTP Basic client auth; `authorization_code` (the code
  once, within 60 s, the same redirect URI) and `refresh_token` (rotated: new access and
  refresh tokens, the old refresh token spent); JWT-shaped tokens with `exp`;
- `/{test|prod}/FCTEL/rest/upload` and `uploadb2c` (`standard`, `cif`, `extern`,
  `executare`), `stareMesaj`, `descarcare`, `listaMesajeFactura`, with ANAF's XML answers
  and errors, Bearer tokens (401 without a valid one), and ANAF's daily limits per message
  and per CIF (lowered by a test when it wants to reach them).

    with running_fake_anaf() as anaf:
        anaf.add_client("client", "secret", cifs={"12345678"})
        anaf.reject("NDT-000001", ["[BR-RO-010] ..."])   # the next upload of that number

Documents are processed after `processing_polls` questions (`in prelucrare` until then),
or, as ANAF does whether asked or not, once `processing_time` has passed since the upload
when a test sets it; only processed ones are listed and downloaded. One whose number the
test named is decided `nok` with the given messages, the rest `ok`.

Failures of ANAF's gateway a test asks for: `refuse_uploads` (statuses, one per upload:
answered before anything is taken, e.g. 429, or a 504 for an upload that never reached
e-Factura) and `lose_upload_answers` (that many uploads are taken and stored, then their
answer is lost: 504, as when the gateway times out after passing the file on);
`upload_answer_delay` (seconds an upload's answer waits once the file is stored, for a
client whose deadline is shorter).
The ZIP of a decision holds `{index}.xml` (the document, or ANAF's errors) and
`semnatura_{index}.xml`, as ANAF's does. Test-only; it checks no UBL rule.
"""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import secrets
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server_thread import serve_in_thread

UPLOAD_NS = "mfp:anaf:dgti:spv:respUploadFisier:v1"
STATUS_NS = "mfp:anaf:dgti:efactura:stareMesajFactura:v1"
ERRORS_NS = "mfp:anaf:dgti:efactura:mesajEroriFactuta:v1"
STANDARDS = ("UBL", "CN", "CII", "RASP")
ROMANIA = ZoneInfo("Europe/Bucharest")
ACCESS_LIFETIME = timedelta(days=90)
REFRESH_LIFETIME = timedelta(days=365)
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


@dataclass
class Client:
    secret: str
    cifs: set[str]


@dataclass
class Token:
    client_id: str
    expires_at: datetime
    spent: bool = False


@dataclass
class Message:
    index: str
    cif: str
    standard: str
    xml: bytes
    number: str
    b2c: bool
    extern: bool
    polls_left: int
    verdict: str  # "ok" or "nok"
    errors: list[str]
    download_id: str
    created_at: datetime


@dataclass
class FakeAnaf:
    base_url: str = ""
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    access: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, Token] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    # Invoice number -> the errors ANAF is to find in it.
    rejections: dict[str, list[str]] = field(default_factory=dict)
    processing_polls: int = 1
    processing_time: timedelta | None = None
    refuse_uploads: list[int] = field(default_factory=list)
    lose_upload_answers: int = 0
    upload_answer_delay: float = 0.0
    # limiteApeluriAPI; a test lowers them to reach them.
    status_per_message: int = 100
    downloads_per_message: int = 10
    lists_per_cif: int = 1500
    used: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # (method, path) of every call, in order.
    calls: list[tuple[str, str]] = field(default_factory=list)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(5_000_000_001))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_client(self, client_id: str, secret: str, cifs: set[str]) -> None:
        self.clients[client_id] = Client(secret, set(cifs))

    def reject(self, number: str, errors: list[str]) -> None:
        self.rejections[number] = list(errors)

    def processed(self, message: Message) -> bool:
        return message.polls_left == 0 or (
            self.processing_time is not None
            and self.now() - message.created_at >= self.processing_time
        )

    def calls_to(self, service: str) -> int:
        return sum(1 for _, path in self.calls if path.endswith("/" + service))

    def expire_access_tokens(self) -> None:
        for token in self.access.values():
            token.expires_at = self.now() - timedelta(seconds=1)

    # -- tokens ---------------------------------------------------------------------

    def _jwt(self, client_id: str, expires_at: datetime, kind: str) -> str:
        def part(data: dict[str, Any]) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        claims = {
            "iss": "https://logincert.anaf.ro",
            "clientappid": client_id,
            "exp": int(expires_at.timestamp()),
            "typ": kind,
            "jti": secrets.token_hex(8),
        }
        return f"{part({'alg': 'RS512', 'kid': 'fake'})}.{part(claims)}.{secrets.token_hex(16)}"

    def issue(self, client_id: str, refresh_expires_at: datetime | None = None) -> dict[str, Any]:
        now = self.now()
        access_at = now + ACCESS_LIFETIME
        refresh_at = refresh_expires_at or now + REFRESH_LIFETIME
        access = self._jwt(client_id, access_at, "access")
        refresh = self._jwt(client_id, refresh_at, "refresh")
        self.access[access] = Token(client_id, access_at)
        self.refresh[refresh] = Token(client_id, refresh_at)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
        }

    def bearer(self, request: Request) -> Client | None:
        header = request.headers.get("authorization", "")
        token = self.access.get(header.removeprefix("Bearer ").strip())
        if token is None or token.expires_at <= self.now():
            return None
        return self.clients.get(token.client_id)

    def over(self, method: str, subject: str, limit: int) -> bool:
        key = (self.now().astimezone(ROMANIA).date().isoformat(), method, subject)
        if self.used[key] >= limit:
            return True
        self.used[key] += 1
        return False


def _upload_answer(index: str | None, errors: list[str], now: datetime) -> Response:
    stamp = now.astimezone(ROMANIA).strftime("%Y%m%d%H%M")
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    if index is not None:
        body = (
            f'<header xmlns="{UPLOAD_NS}" dateResponse="{stamp}" ExecutionStatus="0"'
            f' index_incarcare="{index}"/>'
        )
    else:
        inner = "".join(f"\n    <Errors errorMessage={quoteattr(e)}/>" for e in errors)
        body = (
            f'<header xmlns="{UPLOAD_NS}" dateResponse="{stamp}" ExecutionStatus="1">'
            f"{inner}\n</header>"
        )
    return Response(head + body, media_type="application/xml")


def _status_answer(attributes: dict[str, str] | None = None, error: str | None = None) -> Response:
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    if error is not None:
        inner = f"\n    <Errors errorMessage={quoteattr(error)}/>\n"
        body = f'<header xmlns="{STATUS_NS}">{inner}</header>'
    else:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in (attributes or {}).items())
        body = f'<header xmlns="{STATUS_NS}"{attrs}/>'
    return Response(head + body, media_type="application/xml")


def _bad_request(message: str) -> JSONResponse:
    stamp = datetime.now(UTC).strftime("%d-%m-%Y %H:%M:%S")
    body = {"timestamp": stamp, "status": 400, "error": "Bad Request", "message": message}
    return JSONResponse(body, status_code=400)


def _gateway_error(status: int) -> Response:
    return Response(f"<html><body><h1>{status}</h1></body></html>", status, media_type="text/html")


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "invalid_token"}, status_code=401)


def _zip(message: Message) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if message.verdict == "ok":
            archive.writestr(f"{message.index}.xml", message.xml)
        else:
            errors = "".join(f"\n    <Error errorMessage={quoteattr(e)}/>" for e in message.errors)
            archive.writestr(
                f"{message.index}.xml",
                f'<?xml version="1.0" encoding="UTF-8"?>\n<header xmlns="{ERRORS_NS}"'
                f' Index_incarcare="{message.index}" Cif_emitent="{message.cif}">'
                f"{errors}\n</header>",
            )
        archive.writestr(
            f"semnatura_{message.index}.xml",
            '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>'
            + base64.b64encode(secrets.token_bytes(32)).decode()
            + "</SignatureValue></Signature>",
        )
    return buffer.getvalue()


def app_of(fake: FakeAnaf) -> Starlette:
    async def authorize(request: Request) -> Response:
        q = request.query_params
        client = fake.clients.get(q.get("client_id", ""))
        if q.get("response_type") != "code" or client is None:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        fake.codes[code] = (q["client_id"], q.get("redirect_uri", ""), fake.now())
        back = {"code": code}
        if q.get("state"):
            back["state"] = q["state"]
        return RedirectResponse(f"{q.get('redirect_uri', '')}?{urlencode(back)}", status_code=302)

    async def token(request: Request) -> Response:
        fake.calls.append(("POST", request.url.path))
        try:
            kind, _, encoded = request.headers.get("authorization", "").partition(" ")
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            kind, client_id, secret = "", "", ""
        client = fake.clients.get(client_id)
        if kind != "Basic" or client is None or client.secret != secret:
            return JSONResponse({"error": "invalid_client"}, status_code=400)
        # Read by hand: the form parser would need python-multipart.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        with fake.lock:
            if form.get("grant_type") == "authorization_code":
                found = fake.codes.pop(str(form.get("code", "")), None)
                if (
                    found is None
                    or found[0] != client_id
                    or found[1] != form.get("redirect_uri")
                    or fake.now() - found[2] > timedelta(seconds=60)
                ):
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                return JSONResponse(fake.issue(client_id))
            if form.get("grant_type") == "refresh_token":
                old = fake.refresh.get(str(form.get("refresh_token", "")))
                if (
                    old is None
                    or old.spent
                    or old.client_id != client_id
                    or old.expires_at <= fake.now()
                ):
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                old.spent = True
                # The refresh token keeps its end: only a new authorisation gives a new year.
                return JSONResponse(fake.issue(client_id, old.expires_at))
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    async def upload(request: Request) -> Response:
        fake.calls.append((request.method, request.url.path))
        client = fake.bearer(request)
        if client is None:
            return _unauthorized()
        with fake.lock:
            refused = fake.refuse_uploads.pop(0) if fake.refuse_uploads else None
        if refused is not None:
            return _gateway_error(refused)
        q = request.query_params
        now = fake.now()
        standard, cif = q.get("standard", ""), q.get("cif", "")
        if standard not in STANDARDS:
            return _upload_answer(
                None, [f"Valoarea {standard} pentru parametrul standard nu este corecta"], now
            )
        if not cif.isdigit():
            return _upload_answer(None, [f"CIF introdus= {cif} nu este un numar"], now)
        if cif not in client.cifs:
            return _upload_answer(None, [f"Nu aveti drept in SPV pentru CIF={cif}"], now)
        for name in ("extern", "autofactura", "executare"):
            if name in q and q[name] != "DA":
                return _upload_answer(None, [f"Valoarea parametrului {name} poate fi doar DA"], now)
        body = await request.body()
        if len(body) > 10 * 1024 * 1024:
            return _upload_answer(None, ["Marime fisier transmis mai mare de 10 MB."], now)
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return _upload_answer(
                None, ["Fisierul transmis nu este valid. org.xml.sax.SAXParseException"], now
            )
        expected = "CreditNote" if standard == "CN" else "Invoice"
        if etree.QName(root).localname != expected:
            return _upload_answer(
                None, [f"Fisierul transmis nu corespunde standardului {standard}"], now
            )
        number = root.findtext(f"{{{CBC}}}ID") or ""
        with fake.lock:
            index = str(next(fake._ids))
            errors = fake.rejections.pop(number, None)
            fake.messages[index] = Message(
                index=index,
                cif=cif,
                standard=standard,
                xml=body,
                number=number,
                b2c=request.url.path.endswith("uploadb2c"),
                extern=q.get("extern") == "DA",
                polls_left=fake.processing_polls,
                verdict="nok" if errors else "ok",
                errors=errors or [],
                download_id=str(3_000_000_000 + int(index) - 5_000_000_000),
                created_at=now,
            )
            lost = fake.lose_upload_answers > 0
            if lost:
                fake.lose_upload_answers -= 1
        if lost:
            return _gateway_error(504)
        if fake.upload_answer_delay:
            await asyncio.sleep(fake.upload_answer_delay)
        return _upload_answer(index, [], now)

    async def status(request: Request) -> Response:
        fake.calls.append((request.method, request.url.path))
        client = fake.bearer(request)
        if client is None:
            return _unauthorized()
        index = request.query_params.get("id_incarcare")
        if index is None:
            return _bad_request("Parametrul id_incarcare este obligatoriu")
        if not index.isdigit():
            return _status_answer(error=f"Id_incarcare introdus= {index} nu este un numar intreg")
        with fake.lock:
            message = fake.messages.get(index)
            if message is None:
                return _status_answer(error=f"Nu exista factura cu id_incarcare= {index}")
            if message.cif not in client.cifs:
                return _status_answer(
                    error=f"Nu aveti dreptul de inteorgare pentru id_incarcare= {index}"
                )
            if fake.over("stareMesaj", index, fake.status_per_message):
                return _status_answer(
                    error=f"S-au facut deja {fake.status_per_message} interogari de stare"
                    " pentru mesaj in cursul zilei; limita de apeluri a fost atinsa"
                )
            if not fake.processed(message):
                message.polls_left -= 1
                return _status_answer({"stare": "in prelucrare"})
            return _status_answer({"stare": message.verdict, "id_descarcare": message.download_id})

    async def download(request: Request) -> Response:
        fake.calls.append((request.method, request.url.path))
        client = fake.bearer(request)
        if client is None:
            return _unauthorized()
        wanted = request.query_params.get("id", "")
        with fake.lock:
            message = next(
                (
                    m
                    for m in fake.messages.values()
                    if m.download_id == wanted and fake.processed(m)
                ),
                None,
            )
            if message is None or message.cif not in client.cifs:
                return JSONResponse(
                    {
                        "eroare": f"Pentru id={wanted} nu exista inregistrata nici o factura",
                        "titlu": "Descarcare mesaj",
                    }
                )
            if fake.over("descarcare", wanted, fake.downloads_per_message):
                return JSONResponse(
                    {
                        "eroare": f"S-au facut deja {fake.downloads_per_message} descarcari"
                        " de mesaj in cursul zilei",
                        "titlu": "Descarcare mesaj",
                    }
                )
            return Response(_zip(message), media_type="application/zip")

    async def listing(request: Request) -> Response:
        fake.calls.append((request.method, request.url.path))
        client = fake.bearer(request)
        if client is None:
            return _unauthorized()
        q = request.query_params
        cif, days = q.get("cif", ""), q.get("zile", "")
        if not cif.isdigit():
            return JSONResponse(
                {"eroare": f"CIF introdus= {cif} nu este un numar", "titlu": "Lista Mesaje"}
            )
        if not days.isdigit() or not 1 <= int(days) <= 60:
            return JSONResponse(
                {"eroare": "Numarul de zile trebuie sa fie intre 1 si 60", "titlu": "Lista Mesaje"}
            )
        if cif not in client.cifs:
            return JSONResponse(
                {"eroare": f"Nu aveti drept in SPV pentru CIF={cif}", "titlu": "Lista Mesaje"}
            )
        with fake.lock:
            if fake.over("listaMesajeFactura", cif, fake.lists_per_cif):
                return JSONResponse(
                    {
                        "eroare": "S-a atins limita de apeluri zilnice pentru lista",
                        "titlu": "Lista Mesaje",
                    }
                )
            since = fake.now() - timedelta(days=int(days))
            found = [
                {
                    "data_creare": m.created_at.astimezone(ROMANIA).strftime("%Y%m%d%H%M"),
                    "cif": m.cif,
                    "id_solicitare": m.index,
                    "detalii": f"Factura cu id_incarcare={m.index} emisa de cif_emitent={m.cif}",
                    "tip": "FACTURA TRIMISA" if m.verdict == "ok" else "ERORI FACTURA",
                    "id": m.download_id,
                }
                for m in fake.messages.values()
                if m.cif == cif and fake.processed(m) and m.created_at >= since
            ]
        if not found:
            return JSONResponse(
                {"eroare": f"Nu exista mesaje in ultimele {days} zile", "titlu": "Lista Mesaje"}
            )
        return JSONResponse(
            {"mesaje": found, "serial": "fake", "cui": cif, "titlu": "Lista Mesaje disponibile"}
        )

    routes = [
        Route("/anaf-oauth2/v1/authorize", authorize, methods=["GET"]),
        Route("/anaf-oauth2/v1/token", token, methods=["POST"]),
    ]
    for environment in ("test", "prod"):
        rest = f"/{environment}/FCTEL/rest"
        routes += [
            Route(f"{rest}/upload", upload, methods=["POST"]),
            Route(f"{rest}/uploadb2c", upload, methods=["POST"]),
            Route(f"{rest}/stareMesaj", status, methods=["GET"]),
            Route(f"{rest}/descarcare", download, methods=["GET"]),
            Route(f"{rest}/listaMesajeFactura", listing, methods=["GET"]),
        ]
    return Starlette(routes=routes)


@contextmanager
def running_fake_anaf(now: Callable[[], datetime] | None = None) -> Iterator[FakeAnaf]:
    fake = FakeAnaf()
    if now is not None:
        fake.now = now
    with serve_in_thread(app_of(fake)) as base_url:
        fake.base_url = base_url
        yield fake
