"""A client of VIES, the European Commission's VAT Information Exchange System, over its REST
API (`POST {base}/check-vat-number`, described by the Commission's OpenAPI file
swagger_publicVAT.yaml on ec.europa.eu).

Plain httpx rather than a library: the Python clients on PyPI either speak the SOAP service
through zeep or suds, or are unmaintained for years (pyVies/pyvieser, pyvies), and none
separates "VIES could not answer" (MS_UNAVAILABLE, TIMEOUT, ...) from "the number is not
valid" the way proof of a check needs; the REST call is one JSON request.

A request that names the requester's own VAT number (`requesterMemberStateCode`,
`requesterNumber`) gets a consultation number (`requestIdentifier`): the proof, accepted by
tax offices, that the check was made that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from recura.config import vies_settings

# VIES's member-state prefixes: Greece's VAT numbers start EL, Northern Ireland's XI.
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
# The answer VIES gives when the number is not valid: it has nothing to name.
_NOTHING = {"", "---"}
# The requester's own number was refused: the check is asked again without it.
REQUESTER_REFUSED = "INVALID_REQUESTER_INFO"
# The customer's number was refused as malformed: as good as an invalid number.
INVALID_INPUT = "INVALID_INPUT"


def checkable(vat_id: str | None) -> bool:
    """Whether VIES knows numbers like `vat_id`: one with an EU member state's prefix."""
    return bool(vat_id) and str(vat_id)[:2].upper() in MEMBER_STATES


@dataclass(frozen=True, slots=True)
class Answer:
    """VIES answered: the number is valid or not, with the consultation number (when a
    requester was named) and the name and address the member state gives."""

    valid: bool
    checked_at: datetime
    consultation_number: str | None = None
    name: str | None = None
    address: str | None = None


class Unavailable(Exception):
    """VIES could not answer: its code (MS_UNAVAILABLE, TIMEOUT, SERVICE_UNAVAILABLE,
    MS_MAX_CONCURRENT_REQ, GLOBAL_MAX_CONCURRENT_REQ, or NETWORK / HTTP_5xx for failures
    on the way). Never a verdict on the number."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def _split(vat_id: str) -> tuple[str, str]:
    compact = vat_id.replace(" ", "").upper()
    return compact[:2], compact[2:]


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or value.strip() in _NOTHING:
        return None
    return value.strip()


def _when(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return found if found.tzinfo else found.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _errors(body: Any) -> list[str]:
    """VIES's error codes in a response body: `errorWrappers` of a failed call, or the
    `userError` some of its answers carry (VALID / INVALID are verdicts, not errors)."""
    if not isinstance(body, dict):
        return []
    codes = [
        str(w.get("error"))
        for w in body.get("errorWrappers") or []
        if isinstance(w, dict) and w.get("error")
    ]
    user = body.get("userError")
    if isinstance(user, str) and user not in ("", "VALID", "INVALID"):
        codes.append(user)
    return codes


class Vies:
    """Checks VAT numbers with VIES at `base_url` (default: the setting RECURA_VIES_URL)."""

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        settings = vies_settings()
        self.base_url = (base_url or settings.vies_url).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.vies_timeout_seconds
        self._transport = transport

    def check(self, vat_id: str, requester: str | None = None) -> Answer:
        """Whether `vat_id` (with its member-state prefix) is valid; `requester`, the
        account's own EU VAT number, makes VIES give a consultation number. Raises
        `Unavailable` when VIES could not say."""
        if requester is not None and not checkable(requester):
            requester = None
        try:
            return self._ask(vat_id, requester)
        except Unavailable as exc:
            if exc.code != REQUESTER_REFUSED or requester is None:
                raise
        # The account's own number was refused (mistyped, or deregistered): the customer's
        # is still checked, without a consultation number.
        return self._ask(vat_id, None)

    def _ask(self, vat_id: str, requester: str | None) -> Answer:
        country, number = _split(vat_id)
        payload: dict[str, str] = {"countryCode": country, "vatNumber": number}
        if requester is not None:
            payload["requesterMemberStateCode"], payload["requesterNumber"] = _split(requester)
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(f"{self.base_url}/check-vat-number", json=payload)
        except httpx.TimeoutException as exc:
            raise Unavailable("TIMEOUT", str(exc)) from exc
        except httpx.HTTPError as exc:
            raise Unavailable("NETWORK", str(exc)) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        codes = _errors(body)
        if INVALID_INPUT in codes:
            return Answer(valid=False, checked_at=datetime.now(UTC))
        if codes:
            raise Unavailable(codes[0], response.text[:200])
        if response.status_code != 200 or not isinstance(body, dict):
            raise Unavailable(f"HTTP_{response.status_code}", response.text[:200])
        valid = body.get("valid", body.get("isValid"))
        if not isinstance(valid, bool):
            raise Unavailable("SERVICE_UNAVAILABLE", "an answer without a verdict")
        return Answer(
            valid=valid,
            checked_at=_when(body.get("requestDate")),
            consultation_number=_text(body.get("requestIdentifier")),
            name=_text(body.get("name")) if valid else None,
            address=_text(body.get("address")) if valid else None,
        )
