"""A local fake of VIES's REST API, written from the Commission's published description
(swagger_publicVAT.yaml): `POST /check-vat-number` and `GET /check-status`.

    with running_fake_vies() as fake:
        fake.register("DE136695976", "Muster GmbH", "Musterstr. 1, 10115 Berlin")
        fake.outage("DE", "MS_UNAVAILABLE")

What it answers, as VIES does:
- a registered number: `valid` true with the name and address; any other: `valid` false,
  name and address "---";
- a request naming the requester's own (registered) number: a fresh consultation number in
  `requestIdentifier`, else an empty one; an unregistered requester: INVALID_REQUESTER_INFO;
- a member state's outage (MS_UNAVAILABLE, TIMEOUT, MS_MAX_CONCURRENT_REQ) or the whole
  service's (SERVICE_UNAVAILABLE, GLOBAL_MAX_CONCURRENT_REQ): HTTP 500 with
  `{"actionSucceed": false, "errorWrappers": [{"error": code, "message": ...}]}`;
- a malformed request (unknown country, empty number): HTTP 400, INVALID_INPUT.
Every request is kept in `requests`. It listens on 127.0.0.1 in a background thread.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from recura.config import vies_settings
from recura.db.models import Customer
from recura.db.unit_of_work import unit_of_work
from tests.fakes.server_thread import serve_in_thread

MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "XI",
    ]
)
MESSAGES = {
    "INVALID_INPUT": "The provided CountryCode is invalid or the VAT number is empty",
    "INVALID_REQUESTER_INFO": "Invalid requester information",
    "SERVICE_UNAVAILABLE": "An error was encountered either at the network level or the Web "
    "application level",
    "MS_UNAVAILABLE": "The application at the Member State is not replying or not available",
    "TIMEOUT": "The application did not receive a reply within the allocated time period",
    "MS_MAX_CONCURRENT_REQ": "Maximum number of concurrent requests for this Member State",
    "GLOBAL_MAX_CONCURRENT_REQ": "Maximum number of concurrent requests has been reached",
}
# The errors of the whole service, whatever the member state.
GLOBAL = frozenset({"SERVICE_UNAVAILABLE", "GLOBAL_MAX_CONCURRENT_REQ"})


@dataclass
class FakeVies:
    base_url: str = ""
    registered: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Member state (or "*" for the whole service) -> the error it answers with.
    outages: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    consultations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Called as each request arrives: a test looks at its own side (open transactions).
    on_request: Callable[[], None] | None = None
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, vat_id: str, name: str = "---", address: str = "---") -> None:
        self.registered[vat_id.upper()] = (name, address)

    def outage(self, country: str, error: str = "MS_UNAVAILABLE") -> None:
        """`country`'s checks fail with `error` ("*": every country's) until `restore`."""
        self.outages["*" if error in GLOBAL else country.upper()] = error

    def restore(self) -> None:
        self.outages.clear()

    def answer(self, body: Any) -> tuple[int, dict[str, Any]]:
        if self.on_request is not None:
            self.on_request()
        with self._lock:
            self.requests.append(body if isinstance(body, dict) else {"raw": body})
            return self._answer(body)

    def _answer(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return _error(400, "INVALID_INPUT")
        country = str(body.get("countryCode") or "").upper()
        number = str(body.get("vatNumber") or "").replace(" ", "").upper()
        if country not in MEMBER_STATES or not number:
            return _error(400, "INVALID_INPUT")
        down = self.outages.get("*") or self.outages.get(country)
        if down:
            return _error(500, down)
        consultation = ""
        requester_country = body.get("requesterMemberStateCode")
        requester_number = body.get("requesterNumber")
        if requester_country or requester_number:
            requester = f"{requester_country or ''}{requester_number or ''}".upper()
            if requester not in self.registered:
                return _error(400, "INVALID_REQUESTER_INFO")
            consultation = f"WAPIAAAAX{next(self._numbers):07d}"
        found = self.registered.get(country + number)
        name, address = found if found else ("---", "---")
        answer = {
            "countryCode": country,
            "vatNumber": number,
            "requestDate": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "valid": found is not None,
            "requestIdentifier": consultation,
            "name": name,
            "address": address,
            "traderName": None,
            "traderStreet": None,
            "traderPostalCode": None,
            "traderCity": None,
            "traderCompanyType": None,
            "traderNameMatch": "NOT_PROCESSED",
            "traderStreetMatch": "NOT_PROCESSED",
            "traderPostalCodeMatch": "NOT_PROCESSED",
            "traderCityMatch": "NOT_PROCESSED",
            "traderCompanyTypeMatch": "NOT_PROCESSED",
        }
        if consultation:
            self.consultations[consultation] = answer
        return 200, answer

    def status(self) -> dict[str, Any]:
        down = "*" in self.outages
        return {
            "vow": {"available": not down},
            "countries": [
                {
                    "countryCode": c,
                    "availability": "Unavailable" if down or c in self.outages else "Available",
                }
                for c in sorted(MEMBER_STATES)
            ],
        }


def _error(status: int, code: str) -> tuple[int, dict[str, Any]]:
    wrapper = {"error": code, "message": MESSAGES.get(code, code)}
    return status, {"actionSucceed": False, "errorWrappers": [wrapper]}


def app_of(fake: FakeVies) -> Starlette:
    async def check(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        status, answer = fake.answer(body)
        return JSONResponse(answer, status_code=status)

    async def status(request: Request) -> JSONResponse:
        return JSONResponse(fake.status())

    return Starlette(
        routes=[
            Route("/check-vat-number", check, methods=["POST"]),
            Route("/check-status", status, methods=["GET"]),
        ]
    )


@contextmanager
def running_fake_vies() -> Iterator[FakeVies]:
    fake = FakeVies()
    with serve_in_thread(app_of(fake)) as base_url:
        fake.base_url = base_url
        yield fake


@pytest.fixture(scope="session")
def vies_server() -> Iterator[FakeVies]:
    with running_fake_vies() as fake:
        yield fake


@pytest.fixture
def vies(vies_server: FakeVies, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVies]:
    """The fake, emptied, with the server's VIES checks (RECURA_VIES_URL) pointed at it."""
    vies_server.registered.clear()
    vies_server.requests.clear()
    vies_server.consultations.clear()
    vies_server.restore()
    vies_server.on_request = None
    monkeypatch.setenv("RECURA_VIES_URL", vies_server.base_url)
    vies_settings.cache_clear()
    yield vies_server
    vies_settings.cache_clear()


@pytest.fixture
def vies_alone(vies: FakeVies, session_factory: sessionmaker[Session]) -> FakeVies:
    """`vies`, with no check of an earlier test's customers due any more (tests of a backend
    share its database): the worker's checks are this test's only."""
    with unit_of_work(session_factory) as session:
        session.execute(update(Customer).values(vat_check_due_at=None))
    return vies
