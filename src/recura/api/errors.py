"""Every failure becomes problem+json: validation, domain errors, unknown routes, crashes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from recura.api.problems import PROBLEM_MEDIA_TYPE, ProblemError, ProblemField
from recura.api.signed_paths import redact
from recura.core.lifecycle import IllegalTransition
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.gateways.base import GatewayError, GatewayTimeout

log = logging.getLogger(__name__)


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    return JSONResponse(
        problem.document(request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _in_body(steps: list[Any], body: Any) -> list[Any]:
    """The steps of an error's location that name places in the body.

    Pydantic adds the member of a union it tried ("bool", "int") to the location; those are
    not in the body, so `{"value": "10"}` is reported at /value, not /value/int.
    """
    kept: list[Any] = []
    node = body
    for index, step in enumerate(steps):
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if (isinstance(node, dict) and step in node) or in_list:
            node = node[step]
        elif not (index == len(steps) - 1 and isinstance(node, dict)):
            continue  # a union member's name; a missing or unknown last key is kept
        kept.append(step)
    return kept


def _field(loc: tuple[Any, ...], detail: str, body: Any = None) -> ProblemField:
    where, *rest = loc or ("body",)
    if where == "body":
        steps = _in_body(rest, body)
        # RFC 6901 escaping, so a metadata key like "a/b" stays one step.
        path = "/".join(str(s).replace("~", "~0").replace("/", "~1") for s in steps)
        return ProblemField(pointer="#/" + path if path else "#", detail=detail)
    path = "/".join(str(part) for part in rest)
    if where == "header":
        return ProblemField(header=path, detail=detail)
    return ProblemField(parameter=path, detail=detail)


def _message(err: dict[str, Any]) -> str:
    if err.get("type") == "missing":
        return "is required"
    if err.get("type") == "extra_forbidden":
        return "is not a known field"
    if err.get("type") == "json_invalid":
        return "the body is not valid JSON"
    msg = str(err.get("msg", "is invalid"))
    return msg.removeprefix("Value error, ")


def validation_problem(errors: list[ProblemField]) -> ProblemError:
    count = len(errors)
    return ProblemError(
        422,
        "validation",
        "Invalid request",
        f"{count} field{'s are' if count != 1 else ' is'} invalid.",
        errors=errors,
    )


# FastAPI's answer when the body cannot be decoded at all (e.g. invalid UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"


def _allowed_methods(request: Request) -> list[str]:
    """Every method routed at this path: Starlette's 405 names only the first route's methods."""
    methods: set[str] = set()
    # Included routers nest their routes; the contexts carry each route's full path.
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        merged: dict[tuple[str | None, ...], ProblemField] = {}
        for error in exc.errors():
            field = _field(tuple(error.get("loc", ())), _message(error), exc.body)
            key = (field.pointer, field.parameter, field.header)
            if key in merged:  # each member of a union failed: one entry naming them all
                merged[key].detail += f"; {field.detail}"
            else:
                merged[key] = field
        return problem_response(request, validation_problem(list(merged.values())))

    @app.exception_handler(InvalidError)
    async def _invalid(request: Request, exc: InvalidError) -> JSONResponse:
        fields = [ProblemField(pointer="#" + e.pointer, detail=e.detail) for e in exc.errors]
        problem = validation_problem(fields)
        problem.detail = exc.detail
        return problem_response(request, problem)

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> JSONResponse:
        return problem_response(request, ProblemError(404, "not-found", "Not found", exc.detail))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> JSONResponse:
        return problem_response(request, ProblemError(409, "conflict", "Conflict", exc.detail))

    @app.exception_handler(IllegalTransition)
    async def _transition(request: Request, exc: IllegalTransition) -> JSONResponse:
        problem = ProblemError(409, "illegal-transition", "Not allowed now", f"{exc.reason}.")
        return problem_response(request, problem)

    @app.exception_handler(GatewayError)
    async def _gateway(request: Request, exc: GatewayError) -> JSONResponse:
        detail = f"The payment processor refused the request: {exc}"
        problem = ProblemError(502, "payment-processor", "Payment processor error", detail)
        return problem_response(request, problem)

    @app.exception_handler(GatewayTimeout)
    async def _gateway_timeout(request: Request, exc: GatewayTimeout) -> JSONResponse:
        detail = "The payment processor did not answer in time; retry the request."
        problem = ProblemError(504, "payment-processor-timeout", "No answer", detail)
        return problem_response(request, problem)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique constraint lost a race that the service's own check could not see.
        log.info("integrity error on %s: %s", redact(request.url.path), exc.orig)
        detail = "The request conflicts with data written at the same time; retry it."
        return problem_response(request, ProblemError(409, "conflict", "Conflict", detail))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL text cannot hold NUL, so `/v1/products/%00` fails in the query; bodies are
        # checked before (common.fields.Schema), path and query parameters only get here.
        given = {**request.path_params, **request.query_params}
        names = [name for name, value in given.items() if "\x00" in str(value)]
        if not names:
            return await _crash(request, exc)
        fields = [
            ProblemField(parameter=n, detail="must not contain NUL characters") for n in names
        ]
        return problem_response(request, validation_problem(fields))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
            # A body that is not even text (bad UTF-8) is malformed JSON, as a syntax error is.
            field = ProblemField(pointer="#", detail="the body is not valid JSON")
            return problem_response(request, validation_problem([field]))
        titles = {404: "Not found", 405: "Method not allowed"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}."
        slug = title.lower().replace(" ", "-")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed here; use {', '.join(allowed)}."
        problem = ProblemError(exc.status_code, slug, title, detail, headers=headers)
        return problem_response(request, problem)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
        problem = ProblemError(500, "internal", "Internal error", "Something failed on our side.")
        return problem_response(request, problem)
