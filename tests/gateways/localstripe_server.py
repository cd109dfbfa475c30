"""Run localstripe on 127.0.0.1 only, on a port the kernel picks, and print that port.

localstripe's own CLI binds to every interface (`::`) and keeps its state in the shared
/tmp/localstripe.pickle; neither is acceptable for a test run, so its aiohttp app is run
here instead. Three gaps between localstripe and Stripe are filled, each the way Stripe
documents it:

- Idempotency-Key: localstripe ignores it. Stripe saves the result of a POST under its key
  and replays it (with `Idempotent-Replayed: true`) for a retry with the same parameters,
  and answers `idempotency_error` for other parameters. Declines (402) are saved too.
- Parameters localstripe refuses as "Unexpected" although Stripe has them: `description`
  on PaymentIntents, `reason` on Refunds, `allowed_payment_method_types` on SetupIntents
  and PaymentIntents (the pinned API version no longer accepts `payment_method_types`).

What each request carried (method, path, Stripe-Version, form body) is kept and shown at
GET /_recorded, so tests can see what the SDK sent.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources
from localstripe.errors import UserError
from localstripe.server import app, json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_saved: dict[tuple[str, str], tuple[tuple[str, bytes], int, bytes]] = {}


@web.middleware
async def idempotency(request: web.Request, handler: Handler) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    scope = (request.headers.get("Authorization", ""), key)
    params = (request.path, await request.read())
    if scope in _saved:
        first_params, status, body = _saved[scope]
        if first_params != params:
            return json_response(
                {
                    "error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with.",
                    }
                },
                status=400,
            )
        return web.Response(
            status=status,
            body=body,
            content_type="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        response = await handler(request)
    except UserError as exc:
        response = exc.to_response()
    if isinstance(response, web.Response) and (response.status < 300 or response.status == 402):
        _saved[scope] = (params, response.status, bytes(response.body or b""))
    return response


_recorded: list[dict[str, str]] = []


@web.middleware
async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/_recorded":
        return json_response(_recorded)
    body = (await request.read()).decode()
    version = request.headers.get("Stripe-Version", "")
    _recorded.append(
        {"method": request.method, "path": request.path, "stripe_version": version, "body": body}
    )
    return await handler(request)


def _accept(cls: type, renames: dict[str, str | None]) -> None:
    """Let `cls` take Stripe parameters it does not know: renamed to one it knows, or
    (None) kept as a plain attribute, which localstripe then returns like its own."""
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kept = {}
        for name, known in renames.items():
            if name in kwargs:
                value = kwargs.pop(name)
                if known is None:
                    kept[name] = value
                else:
                    kwargs[known] = value
        original(self, *args, **kwargs)
        for name, value in kept.items():
            setattr(self, name, value)

    cls.__init__ = __init__  # type: ignore[misc]


def main() -> None:
    resources.Store.dump_to_disk = lambda self: None
    _accept(
        resources.PaymentIntent,
        {"description": None, "allowed_payment_method_types": "payment_method_types"},
    )
    _accept(resources.Refund, {"reason": None})
    _accept(resources.SetupIntent, {"allowed_payment_method_types": "payment_method_types"})
    app.middlewares.insert(0, record)  # before localstripe's own authentication
    app.middlewares.append(idempotency)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    sys.exit(main())
