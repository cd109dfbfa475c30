"""A local fake of the PayPal REST endpoints Recura's gateway calls, nothing more.

    with running_fake_paypal() as fake:
        gateway = PayPalGateway(fake.client_id, fake.client_secret, fake.webhook_id,
                                api_base=fake.base_url)

(A server under test is pointed at it by its RECURA_PAYPAL_API_BASE setting: the
`processor_api` fixture.)

It runs on 127.0.0.1 in a background thread; the state and its rules live in
`paypal_state.FakePayPal`, this module is the HTTP side: bearer-token auth, the
`Prefer` header, 200-versus-201 on replays, PayPal's error bodies, HATEOAS links, and
the switch that holds answers back past the client's timeout after the work is done.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.fakes.paypal_state import FakePayPal, PayPalProblem, invalid
from tests.fakes.server_thread import serve_in_thread

Handler = Callable[[Request], Awaitable[Response]]
_TOKEN_PATH = "/v1/oauth2/token"
# The POSTs whose PayPal-Request-Id header PayPal's published OpenAPI marks required
# (reference/paypal/vault_payment_tokens_v3.json); elsewhere it is optional.
REQUEST_ID_REQUIRED = frozenset({"/v3/vault/setup-tokens", "/v3/vault/payment-tokens"})


def _link(href: str, rel: str, method: str = "GET") -> dict[str, str]:
    return {"href": href, "rel": rel, "method": method}


class _Renderer:
    """Stored objects as PayPal shows them: with links, minimal unless asked otherwise."""

    def __init__(self, fake: FakePayPal) -> None:
        self.fake = fake

    @property
    def base(self) -> str:
        return self.fake.base_url

    def setup_token(self, token: dict[str, Any]) -> dict[str, Any]:
        shown = {k: copy.deepcopy(v) for k, v in token.items() if k != "experience_context"}
        shown["links"] = [
            _link(f"{self.base}/v3/vault/setup-tokens/{token['id']}", "self"),
            _link(f"{self.base}/v3/vault/payment-tokens", "confirm", "POST"),
        ]
        if token["status"] == "PAYER_ACTION_REQUIRED":
            approve = f"{self.base}/agreements/approve?approval_session_id={token['id']}"
            shown["links"].insert(0, _link(approve, "approve"))
        return shown

    def payment_token(self, token: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(token)
        href = f"{self.base}/v3/vault/payment-tokens/{token['id']}"
        shown["links"] = [_link(href, "self"), _link(href, "delete", "DELETE")]
        return shown

    def capture(self, capture: dict[str, Any]) -> dict[str, Any]:
        shown = copy.deepcopy(capture)
        order_id = capture["supplementary_data"]["related_ids"]["order_id"]
        href = f"{self.base}/v2/payments/captures/{capture['id']}"
        shown["links"] = [
            _link(href, "self"),
            _link(f"{href}/refund", "refund", "POST"),
            _link(f"{self.base}/v2/checkout/orders/{order_id}", "up"),
        ]
        return shown

    def order(self, order: dict[str, Any], full: bool) -> dict[str, Any]:
        href = f"{self.base}/v2/checkout/orders/{order['id']}"
        links = [_link(href, "self")]
        if order["status"] == "CREATED":
            links.append(_link(f"{self.base}/checkoutnow?token={order['id']}", "approve"))
        if order["status"] == "PAYER_ACTION_REQUIRED":
            links.append(_link(f"{self.base}/checkoutnow?token={order['id']}", "payer-action"))
        if order["status"] == "APPROVED":
            links.append(_link(f"{href}/capture", "capture", "POST"))
        if not full:
            return {"id": order["id"], "status": order["status"], "links": links}
        shown = copy.deepcopy(order)
        for unit in shown["purchase_units"]:
            unit["payments"]["captures"] = [
                self.capture(self.fake.captures[c["id"]]) for c in unit["payments"]["captures"]
            ]
        shown["links"] = links
        return shown

    def refund(self, refund: dict[str, Any], full: bool) -> dict[str, Any]:
        links = [
            _link(f"{self.base}/v2/payments/refunds/{refund['id']}", "self"),
            _link(f"{self.base}/v2/payments/captures/{refund['capture_id']}", "up"),
        ]
        if not full:
            return {"id": refund["id"], "status": refund["status"], "links": links}
        shown = {k: v for k, v in refund.items() if k != "capture_id"}
        return {**copy.deepcopy(shown), "links": links}


def _wants_full(request: Request) -> bool:
    return "return=representation" in request.headers.get("prefer", "")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise invalid(
            "MALFORMED_REQUEST_JSON", "/", "The request JSON is not well formed."
        ) from None
    if not isinstance(body, dict):
        raise invalid("MALFORMED_REQUEST_JSON", "/", "Expected a JSON object.")
    return body


def build_app(fake: FakePayPal) -> ASGIApp:
    """The fake's ASGI app over `fake`'s state."""
    show = _Renderer(fake)

    def api(handler: Handler) -> Handler:
        """Bearer-token auth and PayPal-shaped errors around one endpoint."""

        async def endpoint(request: Request) -> Response:
            fake.requests.append((request.method, request.url.path))
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not fake.token_valid(token, time.monotonic()):
                return JSONResponse(
                    {
                        "name": "AUTHENTICATION_FAILURE",
                        "message": "Authentication failed due to missing authorization header,"
                        " or invalid authentication credentials.",
                        "debug_id": "fake",
                        "links": [],
                    },
                    status_code=401,
                )
            try:
                if (
                    request.method == "POST"
                    and request.url.path in REQUEST_ID_REQUIRED
                    and not request.headers.get("paypal-request-id")
                ):
                    raise invalid(
                        "MISSING_REQUIRED_PARAMETER", "PayPal-Request-Id", "Header is required."
                    )
                return await handler(request)
            except PayPalProblem as problem:
                return JSONResponse(problem.body, status_code=problem.status)

        return endpoint

    async def oauth_token(request: Request) -> Response:
        fake.requests.append((request.method, request.url.path))
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        form = parse_qs((await request.body()).decode())
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            if scheme.lower() != "basic" or form.get("grant_type") != ["client_credentials"]:
                raise PermissionError
            grant = fake.grant_token(client_id, secret, time.monotonic())
        except (PermissionError, ValueError):
            # OAuth errors have their own shape, not PayPal's error object.
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
                status_code=401,
            )
        return JSONResponse(grant)

    async def create_setup_token(request: Request) -> Response:
        body = await _json_body(request)
        token = fake.create_setup_token(body, request.headers.get("paypal-request-id"))
        return JSONResponse(show.setup_token(token), status_code=201)

    async def get_setup_token(request: Request) -> Response:
        return JSONResponse(show.setup_token(fake.setup_token(request.path_params["id"])))

    async def create_payment_token(request: Request) -> Response:
        body = await _json_body(request)
        token = fake.create_payment_token(body, request.headers.get("paypal-request-id"))
        return JSONResponse(show.payment_token(token), status_code=201)

    async def delete_payment_token(request: Request) -> Response:
        fake.delete_payment_token(request.path_params["id"])
        return Response(status_code=204)

    async def create_order(request: Request) -> Response:
        body = await _json_body(request)
        order, new = fake.create_order(body, request.headers.get("paypal-request-id"))
        with fake.lock:
            shown = show.order(order, _wants_full(request))
        return JSONResponse(shown, status_code=201 if new else 200)

    async def capture_order(request: Request) -> Response:
        order, new = fake.capture_order(
            request.path_params["id"], request.headers.get("paypal-request-id")
        )
        with fake.lock:
            shown = show.order(order, _wants_full(request))
        return JSONResponse(shown, status_code=201 if new else 200)

    async def get_capture(request: Request) -> Response:
        with fake.lock:
            return JSONResponse(show.capture(fake.capture(request.path_params["id"])))

    async def refund_capture(request: Request) -> Response:
        body = await _json_body(request)
        refund, new = fake.refund(
            request.path_params["id"], body, request.headers.get("paypal-request-id")
        )
        return JSONResponse(
            show.refund(refund, _wants_full(request)), status_code=201 if new else 200
        )

    async def verify_signature(request: Request) -> Response:
        status = fake.verify(await _json_body(request), await request.body())
        return JSONResponse({"verification_status": status})

    async def approve_page(request: Request) -> Response:
        """PayPal's approval page, as much of it as a browser test needs: the payer signs
        in (an email) and agrees, or cancels; either way back to the merchant's URL."""
        token_id = request.query_params.get("approval_session_id", "")
        if token_id not in fake.setup_tokens:
            return HTMLResponse("<p>Unknown approval session</p>", status_code=404)
        context = fake.setup_tokens[token_id]["experience_context"]
        action = "/agreements/approve?" + urlencode({"approval_session_id": token_id})
        page = (
            '<!doctype html><html lang="en"><head><title>PayPal</title></head><body><main>'
            "<h1>Approve with PayPal</h1>"
            f'<form method="post" action="{escape(action)}">'
            '<label for="email">Email</label><input id="email" name="email" type="email">'
            '<button type="submit" id="approve">Agree and continue</button></form>'
            f'<p><a id="cancel" href="{escape(context["cancel_url"])}">Cancel</a></p>'
            "</main></body></html>"
        )
        return HTMLResponse(page)

    async def approve(request: Request) -> Response:
        token_id = request.query_params.get("approval_session_id", "")
        if token_id not in fake.setup_tokens:
            return HTMLResponse("<p>Unknown approval session</p>", status_code=404)
        form = parse_qs((await request.body()).decode())
        fake.approve_setup_token(token_id, form.get("email", ["payer@buyer.example"])[0])
        back = fake.setup_tokens[token_id]["experience_context"]["return_url"]
        query = urlencode({"approval_token_id": token_id, "approval_session_id": token_id})
        return RedirectResponse(f"{back}{'&' if '?' in back else '?'}{query}", status_code=303)

    routes = [
        Route("/agreements/approve", approve_page, methods=["GET"]),
        Route("/agreements/approve", approve, methods=["POST"]),
        Route(_TOKEN_PATH, oauth_token, methods=["POST"]),
        Route("/v3/vault/setup-tokens", api(create_setup_token), methods=["POST"]),
        Route("/v3/vault/setup-tokens/{id}", api(get_setup_token), methods=["GET"]),
        Route("/v3/vault/payment-tokens", api(create_payment_token), methods=["POST"]),
        Route("/v3/vault/payment-tokens/{id}", api(delete_payment_token), methods=["DELETE"]),
        Route("/v2/checkout/orders", api(create_order), methods=["POST"]),
        Route("/v2/checkout/orders/{id}/capture", api(capture_order), methods=["POST"]),
        Route("/v2/payments/captures/{id}", api(get_capture), methods=["GET"]),
        Route("/v2/payments/captures/{id}/refund", api(refund_capture), methods=["POST"]),
        Route(
            "/v1/notifications/verify-webhook-signature", api(verify_signature), methods=["POST"]
        ),
    ]
    return _HangAfterWork(Starlette(routes=routes), fake)


class _HangAfterWork:
    """Holds a finished answer back while `fake.hang_next` says so.

    The work is done and committed first, then the client waits in vain: exactly the
    case where a charge happened and the caller cannot know it.
    """

    def __init__(self, app: ASGIApp, fake: FakePayPal) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The token endpoint is exempt so that "the next request" means the API call.
        if scope["type"] != "http" or scope["path"] == _TOKEN_PATH:
            await self.app(scope, receive, send)
            return
        delay = self.fake.take_hang()
        if not delay:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in held:
            await send(message)


@contextmanager
def running_fake_paypal(**settings: Any) -> Iterator[FakePayPal]:
    """A fake PayPal served on loopback for the duration of the block."""
    fake = FakePayPal(**settings)
    with serve_in_thread(build_app(fake)) as base_url:
        fake.base_url = base_url
        yield fake
