"""Request bodies are capped before they are read, on every route, signed in or not.

A declared Content-Length over the cap is answered at once (the server reads no more than
a declared length); a body sent without one (chunked) is counted as it arrives and answered
the moment it passes the cap. Either way the application never holds more than the cap,
whatever the client sends: the answer is a 413 problem document, and the rest of the body is
never read.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recura.api.problems import PROBLEM_MEDIA_TYPE, ProblemError

KIB = 1024
MIB = 1024 * KIB
API_LIMIT = 1 * MIB
STATEMENT_LIMIT = 20 * MIB  # a year of a busy account's camt.053
VOUCHERS_LIMIT = 3 * MIB  # 10,000 voucher codes of up to 200 characters
PAGE_LIMIT = 256 * KIB  # processors' webhooks and subscribers' forms are a few kilobytes
_PAGES = ("/webhooks/", "/portal/", "/email/", "/p/", "/checkout/")


def limit_for(method: str, path: str) -> int:
    if method == "POST" and path == "/v1/bank_statements":
        return STATEMENT_LIMIT
    if method == "POST" and path.startswith("/v1/partner_perks/") and path.endswith("/vouchers"):
        return VOUCHERS_LIMIT
    if path.startswith(_PAGES):
        return PAGE_LIMIT
    return API_LIMIT


class BodyLimit:
    """Pure ASGI, so that nothing buffers the body before the cap is checked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None:
            if declared > limit:
                await _too_large(scope, send, limit)
            else:
                # The server reads no more than the declared length as this request's body.
                await self.app(scope, receive, send)
            return
        received = 0
        refused = answered = started = False

        async def capped_receive() -> Message:
            nonlocal received, refused, answered
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        answered = True
                        await _too_large(scope, send, limit)
                    # What the application sees: a client that went away mid-body.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 413 has been sent in its place
            started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, guarded_send)
        except Exception:
            if not refused:
                raise  # a body cut short by the cap is no error of the application's


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    size = f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit // KIB} KiB"
    problem = ProblemError(
        413, "too-large", "Body too large", f"A request to this address is at most {size}."
    )
    body = orjson.dumps(problem.document(scope["path"]))
    headers: list[Any] = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        # The rest of the body is never read: the connection cannot carry another request.
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
