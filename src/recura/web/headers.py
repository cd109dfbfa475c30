"""Headers every response gets: `nosniff` everywhere, HSTS when the app is served over
https, and on the pages a strict Content-Security-Policy unless the page set its own."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recura.web import csp

PAGES = ("/p/", "/portal", "/checkout", "/email/", "/assets/", "/console")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = scope["path"].startswith(PAGES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("x-content-type-options", "nosniff")
                if self.https:
                    headers.setdefault("strict-transport-security", HSTS)
                if page:
                    headers.setdefault("content-security-policy", csp.DEFAULT)
                    headers.setdefault("referrer-policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
