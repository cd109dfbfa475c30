"""The official PayPal SDK (`paypal-server-sdk`), wired for Recura.

What the SDK does not offer is filled in here with the SDK's own machinery (its request
builder, `requests` session, timeout and OAuth manager), so every call shares one
connection pool, one timeout and one cached access token:

- a base URL of our choice: the SDK knows only PayPal's live and sandbox hosts;
- POST /v1/notifications/verify-webhook-signature, for which the SDK has no controller
  (httpx is only a development dependency of Recura, and a second HTTP client would
  need its own token handling);
- renewing an access token PayPal rejects before its announced expiry;
- one translation of its failures: HTTP errors raise `ApiException` (`ErrorException`
  when the body is PayPal's error object), while a timeout or a refused connection
  surfaces untouched as the `requests` exception of the SDK's HTTP adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import requests
from apimatic_core.authentication.multiple.single_auth import (  # type: ignore[import-untyped]
    Single,
)
from apimatic_core.exceptions.auth_validation_exception import (  # type: ignore[import-untyped]
    AuthValidationException,
)
from apimatic_core.request_builder import RequestBuilder  # type: ignore[import-untyped]
from apimatic_core.response_handler import ResponseHandler  # type: ignore[import-untyped]
from apimatic_core.types.parameter import Parameter  # type: ignore[import-untyped]
from paypalserversdk.api_helper import APIHelper
from paypalserversdk.configuration import Configuration, Environment, Server
from paypalserversdk.controllers.base_controller import BaseController
from paypalserversdk.exceptions.api_exception import ApiException
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.http.http_method_enum import HttpMethodEnum
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from recura.gateways.base import GatewayError, GatewayTimeout

LIVE_API_BASE: Final = "https://api-m.paypal.com"
SANDBOX_API_BASE: Final = "https://api-m.sandbox.paypal.com"

# Renew the access token this long before PayPal says it expires, so that a token never
# runs out between being checked and being used.
TOKEN_CLOCK_SKEW_SECONDS: Final = 60


class _Configuration(Configuration):  # type: ignore[misc]
    """The SDK's configuration with one base URL for every endpoint.

    The SDK looks its host up by environment in a fixed table; overriding the lookup is
    the one place that decides where requests go.
    """

    def __init__(self, *, base_uri: str, **kwargs: Any) -> None:
        self._base_uri = base_uri.rstrip("/")
        super().__init__(**kwargs)

    def get_base_uri(self, server: Any = Server.DEFAULT) -> str:
        return self._base_uri


class NotificationsController(BaseController):  # type: ignore[misc]
    """The webhook verification endpoint, which the SDK lacks, on the SDK's HTTP stack."""

    def verify_webhook_signature(self, body: str) -> Any:
        """POST the already serialised `body`; returns the SDK's ApiResponse (dict body).

        The body is passed as text because PayPal checks the signature against the event
        exactly as it was sent: re-serialising a parsed copy can change it.
        """
        return (
            super()
            .new_api_call_builder.request(
                RequestBuilder()
                .server(Server.DEFAULT)
                .path("/v1/notifications/verify-webhook-signature")
                .http_method(HttpMethodEnum.POST)
                .header_param(Parameter().key("Content-Type").value("application/json"))
                .header_param(Parameter().key("accept").value("application/json"))
                .body_param(Parameter().value(body))
                .body_serializer(APIHelper.json_serialize)
                .auth(Single("Oauth2"))
            )
            .response(
                ResponseHandler()
                .deserializer(APIHelper.json_deserialize)
                .is_api_response(True)
                .local_error("default", "The error response.", ErrorException)
            )
            .execute()
        )


@dataclass(frozen=True, slots=True)
class PayPalFailure:
    """An HTTP error from PayPal, in the fields of its error object."""

    status: int
    name: str | None
    message: str | None
    issues: tuple[str, ...]
    debug_id: str | None

    def describe(self) -> str:
        issues = ", ".join(self.issues) or "no details"
        return f"PayPal {self.status} {self.name or ''} ({issues}): {self.message or ''}".strip()


class PayPalError(GatewayError):
    """PayPal refused the request (a 4xx); `failure` says how."""

    def __init__(self, failure: PayPalFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


def failure_of(exc: ApiException) -> PayPalFailure:
    """Read PayPal's error object from any SDK ApiException, whatever subclass it is."""
    try:
        body = json.loads(exc.response.text or "null")
    except (TypeError, ValueError):
        body = None
    if not isinstance(body, dict):
        body = {}
    details = body.get("details")
    issues = (
        tuple(str(d["issue"]) for d in details if isinstance(d, dict) and d.get("issue"))
        if isinstance(details, list)
        else ()
    )
    # OAuth errors use their own shape: {"error": ..., "error_description": ...}.
    name = body.get("name") or body.get("error")
    message = body.get("message") or body.get("error_description")
    return PayPalFailure(
        status=int(exc.response_code),
        name=str(name) if name else None,
        message=str(message) if message else None,
        issues=issues,
        debug_id=str(body["debug_id"]) if body.get("debug_id") else None,
    )


def is_unknown_outcome(failure: PayPalFailure) -> bool:
    """True when PayPal may have done the work despite the error.

    5xx: PayPal asks callers to retry with the same PayPal-Request-Id. 409: an earlier
    request with the same PayPal-Request-Id is still being processed.
    """
    return failure.status >= 500 or failure.status == 409


def raise_failure(failure: PayPalFailure) -> NoReturn:
    """PayPalError for a refusal, GatewayTimeout when PayPal may have done the work."""
    if is_unknown_outcome(failure):
        raise GatewayTimeout(failure.describe())
    raise PayPalError(failure)


class PayPalApi:
    """The SDK client for one PayPal app, and the one way its operations are called.

    The access token is the SDK's: fetched on first use, cached, renewed shortly before it
    expires. The SDK never renews a token PayPal has stopped accepting, though (it would
    fail every call until the expiry it was told, up to nine hours), so a 401 drops the
    cached token and the call is made once more. That is safe for every operation: PayPal
    did nothing with a request it did not authenticate.
    """

    def __init__(
        self, client_id: str, client_secret: str, api_base: str, timeout_seconds: float
    ) -> None:
        self._token: Any = None
        credentials = ClientCredentialsAuthCredentials(
            o_auth_client_id=client_id,
            o_auth_client_secret=client_secret,
            o_auth_clock_skew=TOKEN_CLOCK_SKEW_SECONDS,
            # Only asked when there is no token or it expired; fetching stays the SDK's.
            o_auth_token_provider=self._fetch_token,
        )
        config = _Configuration(
            base_uri=api_base,
            timeout=timeout_seconds,
            # No transport retries: a POST that timed out is not resent behind our back;
            # the caller decides, and resends with the same PayPal-Request-Id if it does.
            max_retries=0,
            environment=Environment.PRODUCTION,
            client_credentials_auth_credentials=credentials,
        )
        self.client = PaypalServersdkClient(config=config)
        self.notifications = NotificationsController(self.client.global_configuration)

    def _fetch_token(self, last_token: Any, auth_manager: Any) -> Any:
        self._token = auth_manager.fetch_token()
        return self._token

    def call(self, operation: Any, *args: Any) -> Any:
        """Run one SDK operation; transport failures and refusals become Recura's errors.

        `ApiException` is left to the caller, which knows what each PayPal error means for
        its operation; only the failures that mean the same everywhere are translated.
        """
        for attempt in (1, 2):
            try:
                return operation(*args)
            except OAuthProviderException:
                # The token endpoint refused the client id and secret: retrying cannot help.
                raise
            except ApiException as exc:
                if exc.response_code != 401 or attempt == 2 or self._token is None:
                    raise
                # The SDK checks `expiry` before each call; zero makes it fetch a new token.
                self._token.expiry = 0
            except requests.exceptions.RequestException as exc:
                # Timeouts and refused or dropped connections alike: the request may have
                # reached PayPal (a read timeout after it did the work) or not.
                raise GatewayTimeout(f"PayPal did not answer: {exc}") from exc
            except AuthValidationException as exc:
                # Raised before anything is sent: the SDK has no access token to send.
                raise GatewayError(f"PayPal refused the client credentials: {exc}") from exc
        raise AssertionError("unreachable")
