"""Every failure becomes problem+json: validation, domain errors, unknown routes, crashes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from recura.api.problems import PROBLEM_MEDIA_TYPE, ProblemError, ProblemField
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError

log = logging.getLogger(__name__)


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    return JSONResponse(
        problem.document(request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


def _field(loc: tuple[Any, ...], detail: str) -> ProblemField:
    where, *rest = loc or ("body",)
    path = "/".join(str(part) for part in rest)
    if where == "body":
        return ProblemField(pointer="#/" + path if path else "#", detail=detail)
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
        fields = [_field(tuple(e.get("loc", ())), _message(e)) for e in exc.errors()]
        return problem_response(request, validation_problem(fields))

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

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A unique constraint lost a race that the service's own check could not see.
        log.info("integrity error on %s: %s", request.url.path, exc.orig)
        detail = "The request conflicts with data written at the same time; retry it."
        return problem_response(request, ProblemError(409, "conflict", "Conflict", detail))

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
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = ProblemError(500, "internal", "Internal error", "Something failed on our side.")
        return problem_response(request, problem)
