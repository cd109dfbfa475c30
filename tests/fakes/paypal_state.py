"""The fake PayPal's memory and rules: vault tokens, orders, captures, refunds, webhooks.

Field names, statuses and error issues follow PayPal's published OpenAPI documents
(Orders v2, Payments v2, Vault v3, Webhooks v1). Where those are silent the choice is the
fake's own and says so. Every method runs under one lock: the HTTP handlers (in the
server's thread) and the test's helpers (in the test's thread) share this state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

# Payer e-mails with a scripted outcome; any other e-mail pays.
DECLINE_EMAIL = "decline@payer.example"  # the capture comes back DECLINED
REFUSE_EMAIL = "refuse@payer.example"  # 422 INSTRUMENT_DECLINED, no order
ACTION_EMAIL = "action@payer.example"  # the order needs the payer (PAYER_ACTION_REQUIRED)
PENDING_EMAIL = "pending@payer.example"  # the capture stays PENDING (PENDING_REVIEW)

# PayPal's own decimals per currency (its currency-codes reference), kept apart from the
# gateway's table on purpose: a mistake there must meet a refusal here.
_DECIMALS = {
    **dict.fromkeys(("AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "NOK", "PLN"), 2),
    **dict.fromkeys(("SEK", "USD", "MXN", "NZD", "SGD", "HKD", "ILS", "PHP", "THB"), 2),
    **dict.fromkeys(("HUF", "JPY", "TWD"), 0),
}
_VALUE = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class PayPalProblem(Exception):
    """An error answer in PayPal's shape: name, message, debug_id, details[issue]."""

    def __init__(
        self, status: int, name: str, message: str, issue: str | None = None, **detail: str
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "name": name,
            "message": message,
            "debug_id": secrets.token_hex(7),
        }
        if issue:
            self.body["details"] = [{"issue": issue, **detail}]


def invalid(issue: str, field_: str, description: str) -> PayPalProblem:
    return PayPalProblem(
        400,
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
        issue,
        field=field_,
        location="body",
        description=description,
    )


def unprocessable(issue: str, description: str) -> PayPalProblem:
    return PayPalProblem(
        422,
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation.",
        issue,
        description=description,
    )


def not_found(what: str) -> PayPalProblem:
    return PayPalProblem(
        404,
        "RESOURCE_NOT_FOUND",
        "The specified resource does not exist.",
        "INVALID_RESOURCE_ID",
        description=f"Specified resource ID does not exist: {what}",
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(n: int = 17) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _canonical(event: Any) -> bytes:
    # The fake signs, and later checks, this one serialisation of an event.
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def parse_amount(amount: Any, where: str) -> tuple[str, Decimal]:
    """A Money object checked as PayPal checks it: currency, format, decimals, sign."""
    if not isinstance(amount, dict):
        raise invalid("MISSING_REQUIRED_PARAMETER", where, "A required field is missing.")
    currency, value = amount.get("currency_code"), amount.get("value")
    if currency not in _DECIMALS:
        raise unprocessable("CURRENCY_NOT_SUPPORTED", f"Currency {currency} is not supported.")
    if not isinstance(value, str) or not _VALUE.match(value):
        raise invalid("INVALID_PARAMETER_SYNTAX", f"{where}/value", "Not a decimal value.")
    places = len(value.partition(".")[2])
    if places > _DECIMALS[currency]:
        raise unprocessable(
            "DECIMAL_PRECISION", f"{currency} takes {_DECIMALS[currency]} decimals."
        )
    number = Decimal(value)
    if number <= 0:
        raise unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
    return currency, number


def money(currency: str, number: Decimal) -> dict[str, str]:
    places = _DECIMALS[currency]
    return {"currency_code": currency, "value": f"{number.quantize(Decimal(1).scaleb(-places))}"}


@dataclass
class FakePayPal:
    client_id: str = "fake-client"
    client_secret: str = "fake-secret"
    webhook_id: str = "WH0FAKE0WEBHOOK"
    base_url: str = "http://127.0.0.1"
    token_ttl: int = 32400
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything, issued access tokens included."""
        with self.lock:
            self.tokens: dict[str, float] = {}
            self.token_grants = 0
            self.setup_tokens: dict[str, dict[str, Any]] = {}
            self.payment_tokens: dict[str, dict[str, Any]] = {}
            self.orders: dict[str, dict[str, Any]] = {}
            self.captures: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            # (operation, PayPal-Request-Id) -> id of what that request created
            self.replays: dict[tuple[str, str], str] = {}
            self.requests: list[tuple[str, str]] = []
            self.hang_count = 0
            self.hang_seconds = 0.0
            self.misreport_amounts = 0
            self.next_refund_status = "COMPLETED"

    # -- switches for tests ----------------------------------------------------------

    def hang_next(self, count: int, seconds: float) -> None:
        """The next `count` API requests do their work, then answer only after `seconds`."""
        with self.lock:
            self.hang_count, self.hang_seconds = count, seconds

    def take_hang(self) -> float:
        with self.lock:
            if self.hang_count <= 0:
                return 0.0
            self.hang_count -= 1
            return self.hang_seconds

    def approve_setup_token(self, token_id: str, email: str = "payer@buyer.example") -> None:
        """What the payer does at PayPal's approve page."""
        with self.lock:
            token = self.setup_tokens[token_id]
            token["status"] = "APPROVED"
            wallet = token["payment_source"]["paypal"]
            wallet["email_address"] = email
            wallet["payer_id"] = _id(13)

    def approve_order(self, order_id: str) -> None:
        """The payer confirms an order at its payer-action link."""
        with self.lock:
            order = self.orders[order_id]
            assert order["status"] in ("PAYER_ACTION_REQUIRED", "CREATED"), order["status"]
            order["status"] = "APPROVED"

    def vault(self, email: str = "payer@buyer.example") -> str:
        """A payment token as if set up and approved earlier; returns its id."""
        with self.lock:
            setup = self.create_setup_token(
                {
                    "payment_source": {
                        "paypal": {
                            "usage_type": "MERCHANT",
                            "experience_context": {
                                "return_url": "https://shop.example/return",
                                "cancel_url": "https://shop.example/cancel",
                            },
                        }
                    }
                },
                None,
            )
            self.approve_setup_token(setup["id"], email)
            token = {"payment_source": {"token": {"id": setup["id"], "type": "SETUP_TOKEN"}}}
            return str(self.create_payment_token(token, None)["id"])

    # -- OAuth -------------------------------------------------------------------------

    def grant_token(self, client_id: str, secret: str, now: float) -> dict[str, Any]:
        with self.lock:
            if not (
                hmac.compare_digest(client_id, self.client_id)
                and hmac.compare_digest(secret, self.client_secret)
            ):
                raise PermissionError
            token = "A21AA" + secrets.token_urlsafe(32)
            self.tokens[token] = now + self.token_ttl
            self.token_grants += 1
            return {
                "scope": "https://uri.paypal.com/services/vault/payment-tokens/readwrite",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-FAKE",
                "expires_in": self.token_ttl,
                "nonce": secrets.token_hex(8),
            }

    def token_valid(self, token: str, now: float) -> bool:
        with self.lock:
            return self.tokens.get(token, 0.0) > now

    # -- idempotency ---------------------------------------------------------------------

    def replayed(self, operation: str, request_id: str | None) -> str | None:
        with self.lock:
            return self.replays.get((operation, request_id)) if request_id else None

    def remember(self, operation: str, request_id: str | None, created: str) -> None:
        # Only what was created is remembered: a refused request left nothing to return.
        if request_id:
            with self.lock:
                self.replays[(operation, request_id)] = created

    # -- Vault v3 ----------------------------------------------------------------------

    def create_setup_token(self, body: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        with self.lock:
            if (known := self.replayed("setup-token", request_id)) is not None:
                return self.setup_tokens[known]
            wallet = (body.get("payment_source") or {}).get("paypal")
            if not isinstance(wallet, dict):
                # The fake vaults PayPal wallets only.
                raise invalid("MISSING_REQUIRED_PARAMETER", "/payment_source/paypal", "Missing.")
            context = wallet.get("experience_context") or {}
            for url in ("return_url", "cancel_url"):
                if not context.get(url):
                    raise invalid(
                        "MISSING_REQUIRED_PARAMETER",
                        f"/payment_source/paypal/experience_context/{url}",
                        "Required for the PayPal wallet flow.",
                    )
            if wallet.get("usage_type") not in ("MERCHANT", "PLATFORM"):
                raise invalid(
                    "INVALID_PARAMETER_VALUE", "/payment_source/paypal/usage_type", "Invalid."
                )
            customer_id = (body.get("customer") or {}).get("id") or _id(10)
            token = {
                "id": _id(),
                "customer": {"id": customer_id},
                "status": "PAYER_ACTION_REQUIRED",
                "payment_source": {
                    "paypal": {
                        "usage_type": wallet["usage_type"],
                        "customer_type": wallet.get("customer_type", "CONSUMER"),
                        "permit_multiple_payment_tokens": bool(
                            wallet.get("permit_multiple_payment_tokens", False)
                        ),
                    }
                },
                "experience_context": context,
            }
            self.setup_tokens[token["id"]] = token
            self.remember("setup-token", request_id, token["id"])
            return token

    def setup_token(self, token_id: str) -> dict[str, Any]:
        with self.lock:
            if token_id not in self.setup_tokens:
                raise not_found(token_id)
            return self.setup_tokens[token_id]

    def create_payment_token(self, body: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        with self.lock:
            if (known := self.replayed("payment-token", request_id)) is not None:
                return self.payment_tokens[known]
            source = (body.get("payment_source") or {}).get("token") or {}
            # The published schema lists only BILLING_AGREEMENT here; the SDK and PayPal's
            # save-payment-method guide send SETUP_TOKEN, which is what the fake takes.
            if source.get("type") != "SETUP_TOKEN" or not source.get("id"):
                raise invalid(
                    "INVALID_PARAMETER_VALUE", "/payment_source/token", "Expected a setup token."
                )
            setup = self.setup_token(str(source["id"]))
            if setup["status"] != "APPROVED":
                # The schema names no issue for this; the fake's own.
                raise unprocessable("SETUP_TOKEN_NOT_APPROVED", f"Setup token {setup['status']}.")
            wallet = dict(setup["payment_source"]["paypal"])
            token = {
                "id": _id(8).lower(),
                "customer": dict(setup["customer"]),
                "payment_source": {"paypal": wallet},
            }
            setup["status"] = "VAULTED"
            self.payment_tokens[token["id"]] = token
            self.remember("payment-token", request_id, token["id"])
            return token

    def delete_payment_token(self, token_id: str) -> None:
        with self.lock:
            if self.payment_tokens.pop(token_id, None) is None:
                raise not_found(token_id)

    # -- Orders v2 ---------------------------------------------------------------------

    def create_order(self, body: dict[str, Any], request_id: str | None) -> tuple[dict, bool]:
        """The order and whether it is new (201) rather than replayed (200)."""
        with self.lock:
            if (known := self.replayed("order", request_id)) is not None:
                return self.orders[known], False
            if body.get("intent") not in ("CAPTURE", "AUTHORIZE"):
                raise invalid("INVALID_PARAMETER_VALUE", "/intent", "CAPTURE or AUTHORIZE.")
            units = body.get("purchase_units")
            if not isinstance(units, list) or len(units) != 1:
                # PayPal takes up to 10; the fake one, which is all Recura sends.
                raise invalid("INVALID_ARRAY_MAX_ITEMS", "/purchase_units", "One unit.")
            unit = units[0]
            currency, number = parse_amount(unit.get("amount"), "/purchase_units/0/amount")
            vault_id = ((body.get("payment_source") or {}).get("paypal") or {}).get("vault_id")
            wallet = None
            if vault_id:
                if not request_id:
                    raise invalid(
                        "PAYPAL_REQUEST_ID_REQUIRED", "PayPal-Request-Id", "Header is required."
                    )
                token = self.payment_tokens.get(vault_id)
                if token is None:
                    # No issue is documented for a deleted token; the fake's choice.
                    raise unprocessable("PAYMENT_SOURCE_CANNOT_BE_USED", "Unknown vault_id.")
                wallet = token["payment_source"]["paypal"]
                if wallet.get("email_address") == REFUSE_EMAIL:
                    raise unprocessable(
                        "INSTRUMENT_DECLINED", "The instrument presented was declined."
                    )
            order_id = _id()
            stored_unit = {
                "reference_id": unit.get("reference_id", "default"),
                "amount": money(currency, number),
                "payments": {"captures": []},
                **{k: unit[k] for k in ("description", "custom_id", "invoice_id") if k in unit},
            }
            order: dict[str, Any] = {
                "id": order_id,
                "intent": body["intent"],
                "status": "CREATED",
                "purchase_units": [stored_unit],
                "create_time": _now(),
            }
            if wallet is not None:
                order["payment_source"] = {
                    "paypal": {
                        "email_address": wallet.get("email_address"),
                        "account_id": wallet.get("payer_id"),
                        "attributes": {"vault": {"id": vault_id, "status": "VAULTED"}},
                    }
                }
                if wallet.get("email_address") == ACTION_EMAIL:
                    order["status"] = "PAYER_ACTION_REQUIRED"
                else:
                    self._capture(order, wallet.get("email_address"))
            self.orders[order_id] = order
            self.remember("order", request_id, order_id)
            return order, True

    def capture_order(self, order_id: str, request_id: str | None) -> tuple[dict, bool]:
        with self.lock:
            if (known := self.replayed("capture", request_id)) is not None:
                return self.orders[known], False
            order = self.orders.get(order_id)
            if order is None:
                raise not_found(order_id)
            if order["status"] == "COMPLETED":
                raise unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured.")
            if order["status"] != "APPROVED":
                raise unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the order.")
            email = order.get("payment_source", {}).get("paypal", {}).get("email_address")
            self._capture(order, None if email == ACTION_EMAIL else email)
            self.remember("capture", request_id, order_id)
            return order, True

    def _capture(self, order: dict[str, Any], email: str | None) -> None:
        unit = order["purchase_units"][0]
        status, details = "COMPLETED", None
        if email == DECLINE_EMAIL:
            status = "DECLINED"
        elif email == PENDING_EMAIL:
            status, details = "PENDING", {"reason": "PENDING_REVIEW"}
        amount = dict(unit["amount"])
        if self.misreport_amounts > 0:
            # A test switch: PayPal reporting another amount than was asked for.
            self.misreport_amounts -= 1
            currency, number = amount["currency_code"], Decimal(amount["value"])
            amount = money(currency, number + 1)
        capture: dict[str, Any] = {
            "id": _id(),
            "status": status,
            "amount": amount,
            "final_capture": True,
            "create_time": _now(),
            "update_time": _now(),
            "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            **({"status_details": details} if details else {}),
            **({"custom_id": unit["custom_id"]} if "custom_id" in unit else {}),
        }
        self.captures[capture["id"]] = capture
        unit["payments"]["captures"].append(capture)
        order["status"] = "COMPLETED"

    def capture(self, capture_id: str) -> dict[str, Any]:
        with self.lock:
            if capture_id not in self.captures:
                raise not_found(capture_id)
            return self.captures[capture_id]

    # -- Payments v2: refunds ------------------------------------------------------------

    def refund(
        self, capture_id: str, body: dict[str, Any], request_id: str | None
    ) -> tuple[dict[str, Any], bool]:
        with self.lock:
            if (known := self.replayed("refund", request_id)) is not None:
                return self.refunds[known], False
            capture = self.capture(capture_id)
            if capture["status"] == "REFUNDED":
                raise unprocessable("CAPTURE_FULLY_REFUNDED", "The capture is fully refunded.")
            if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
                raise unprocessable("REFUND_NOT_ALLOWED", f"Capture is {capture['status']}.")
            captured_currency = capture["amount"]["currency_code"]
            captured = Decimal(capture["amount"]["value"])
            refunded = sum(
                (
                    Decimal(r["amount"]["value"])
                    for r in self.refunds.values()
                    if r["capture_id"] == capture_id and r["status"] in ("COMPLETED", "PENDING")
                ),
                Decimal(0),
            )
            if "amount" in body:
                currency, number = parse_amount(body["amount"], "/amount")
                if currency != captured_currency:
                    raise unprocessable(
                        "REFUND_CAPTURE_CURRENCY_MISMATCH", "Refund in another currency."
                    )
            else:
                currency, number = captured_currency, captured - refunded
            if refunded + number > captured:
                raise unprocessable(
                    "REFUND_AMOUNT_EXCEEDED", "The refund amount exceeds the capture's balance."
                )
            refund = {
                "id": _id(),
                "status": self.next_refund_status,
                "amount": money(currency, number),
                "create_time": _now(),
                "update_time": _now(),
                "capture_id": capture_id,  # internal; links say it on the wire
            }
            self.next_refund_status = "COMPLETED"
            self.refunds[refund["id"]] = refund
            if refund["status"] == "COMPLETED":
                capture["status"] = (
                    "REFUNDED" if refunded + number == captured else "PARTIALLY_REFUNDED"
                )
                capture["update_time"] = _now()
            self.remember("refund", request_id, refund["id"])
            return refund, True

    # -- Webhooks v1 -------------------------------------------------------------------

    def event(
        self,
        event_type: str,
        resource: dict[str, Any],
        *,
        resource_type: str = "capture",
        create_time: str | None = None,
    ) -> dict[str, Any]:
        """A webhook event body as PayPal sends it."""
        return {
            "id": "WH-" + _id(20),
            "event_version": "1.0",
            "create_time": create_time or _now(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": f"{event_type} (fake)",
            "resource": resource,
        }

    def sign(
        self, event: dict[str, Any], *, transmission_time: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The body and transmission headers of a delivery of `event`.

        PayPal signs "transmission id|time|webhook id|CRC32 of the body" with its RSA key;
        the fake signs the same string with an HMAC key of its own, so only its verify
        endpoint can tell a genuine delivery from a forged or altered one.
        """
        body = _canonical(event)
        transmission_id = secrets.token_hex(16)
        sent_at = transmission_time or _now()
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": sent_at,
            "PAYPAL-TRANSMISSION-SIG": self._signature(transmission_id, sent_at, body),
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-FAKE",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "Content-Type": "application/json",
        }, body

    def verify(self, request: dict[str, Any], raw: bytes) -> str:
        """SUCCESS for a delivery this fake signed and nobody changed since, else FAILURE.

        Like PayPal, it checks the event as it arrives in `raw`: one re-serialised on the
        way (other spacing, escapes or key order) no longer matches its signature.
        """
        event = request.get("webhook_event")
        fields = ("transmission_id", "transmission_time", "transmission_sig", "webhook_id")
        if not isinstance(event, dict) or not all(isinstance(request.get(f), str) for f in fields):
            raise invalid("MISSING_REQUIRED_PARAMETER", "/", "A required field is missing.")
        if request["webhook_id"] != self.webhook_id or _canonical(event) not in raw:
            return "FAILURE"
        expected = self._signature(
            request["transmission_id"], request["transmission_time"], _canonical(event)
        )
        return (
            "SUCCESS" if hmac.compare_digest(expected, request["transmission_sig"]) else "FAILURE"
        )

    def _signature(self, transmission_id: str, sent_at: str, body: bytes) -> str:
        message = f"{transmission_id}|{sent_at}|{self.webhook_id}|{zlib.crc32(body)}"
        digest = hmac.new(self.signing_key, message.encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()
