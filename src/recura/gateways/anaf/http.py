"""The HTTP side shared by ANAF's two hosts: one httpx client per process that follows no
redirects and reads no proxy settings, each call within a total deadline whose sockets
are cut when it passes (`recura.staged.Deadline`)."""

from __future__ import annotations

import functools
from typing import Any

import httpx

from recura.staged import Deadline

USER_AGENT = "Recura-eFactura/1"
# ANAF's test environment answers in seconds; a download of a large ZIP takes longer.
DEADLINE_SECONDS = 60.0


class AnafUnreachable(Exception):
    """No answer: the connection failed, timed out or was cut at the deadline. `sent` is
    False only when no connection was ever made, so ANAF cannot have read the request."""

    def __init__(self, detail: str, *, sent: bool = True) -> None:
        super().__init__(detail)
        self.sent = sent


# Failures before a connection exists: nothing of the request left this process.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@functools.cache
def _client() -> httpx.Client:
    return httpx.Client(trust_env=False, follow_redirects=False, headers={"user-agent": USER_AGENT})


def request(
    method: str,
    url: str,
    *,
    deadline: Deadline | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """One request, read whole, within `deadline` (a fresh one of DEADLINE_SECONDS when
    none is given)."""
    if deadline is None:
        with Deadline(DEADLINE_SECONDS) as own:
            return request(method, url, deadline=own, **kwargs)
    extensions = {"trace": _watching(deadline)}
    try:
        response = _client().request(
            method,
            url,
            extensions=extensions,
            timeout=max(deadline.remaining(), 0.001),
            **kwargs,
        )
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}"[:300]
        raise AnafUnreachable(detail, sent=not isinstance(exc, _NOT_SENT)) from None
    if deadline.passed:
        raise AnafUnreachable(f"no answer within {deadline.seconds:g} s")
    return response


def _watching(deadline: Deadline) -> Any:
    def trace(event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                deadline.watch(sock)

    return trace
