"""Signed links carry their proof in the address (`/portal/reactivate/<token>`,
`/email/unsubscribe/<token>`): anyone who reads a log line holding one could open the
subscriber's page. Paths are logged with that part, and any query, replaced."""

from __future__ import annotations

import logging

REDACTED = "[redacted]"
# Every page below these takes its token as the segment after the page's name.
_SIGNED = ("/portal/", "/email/")
ACCESS_LOGGER = "uvicorn.access"


def redact(path: str) -> str:
    """`path` (with its query, if any) as it may be logged."""
    if not path.startswith(_SIGNED):
        return path
    route, question, _ = path.partition("?")
    segments = route.split("/")  # "", "portal", the page, the token, what follows
    if len(segments) > 3:
        segments[3] = REDACTED
    return "/".join(segments) + (question + REDACTED if question else "")


class RedactSignedPaths(logging.Filter):
    """For the server's access log, whose arguments include the path and query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


_FILTER = RedactSignedPaths()


def install() -> None:
    """On the access logger itself: logging configured later (uvicorn's own, at start)
    replaces its handlers but keeps its filters."""
    logging.getLogger(ACCESS_LOGGER).addFilter(_FILTER)
