"""The FastAPI application: settings, database, clock and routers wired together."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, get_args

import fastapi_offline
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Engine

from recura import __version__
from recura.api import email_links, errors, event_webhooks, gateway_webhooks, routing, signed_paths
from recura.api.body_limit import BodyLimit
from recura.api.key_cache import KeyCache
from recura.api.key_usage import KeyUsage
from recura.api.problems import PROBLEM_MEDIA_TYPE
from recura.api.v1 import ROUTERS
from recura.clock import Clock, SystemClock
from recura.config import Settings, get_settings
from recura.console import auth as console_auth
from recura.console import routes as console
from recura.db.engine import make_engine, make_read_session_factory, make_session_factory
from recura.jobs.worker import EmbeddedWorker
from recura.portal import routes as portal
from recura.web import assets
from recura.web.headers import SecurityHeaders
from recura.web.rate_limits import Limiter

GC_THRESHOLD = 50_000
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DESCRIPTION = """
Recura's REST API. Authenticate with `Authorization: Bearer rk_test_…` (test data) or
`rk_live_…` (live data). Money is `{"amount": <minor units>, "currency": "RON"}`; ids carry a
type prefix (`cus_…`); lists are cursor-paginated with `limit` and `starting_after`; errors are
RFC 9457 `application/problem+json`. Every POST accepts an `Idempotency-Key` header.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    run_worker: bool = False,
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the process: out of the collector's
        # sight, a request's garbage collections only walk what requests create.
        gc.freeze()
        # A collection every 700 new objects (the default) walked a batch of usage events,
        # some ten thousand objects alive until its answer, over and over: a tenth of the
        # batch's CPU. Requests make few cycles, so collecting less often keeps little.
        gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
        worker = None
        if run_worker:
            worker = EmbeddedWorker(app.state.session_factory, app.state.clock, settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            app.state.key_usage.write()

    app = FastAPI(
        title="Recura API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_read_session_factory(engine)
    app.state.connection_slots = routing.connection_slots(engine.pool)
    app.state.clock = clock or SystemClock()
    app.state.secret = settings.secret_key.get_secret_value().encode()
    app.state.api_keys = KeyCache(settings.api_key_cache_seconds)
    app.state.key_usage = KeyUsage(app.state.session_factory)
    app.state.limiter = Limiter()
    errors.install(app)
    console_auth.install(app)
    signed_paths.install()
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, https=settings.public_url.startswith("https://"))
    # The routes themselves, not `include_router`: FastAPI then matches a request against
    # one flat list instead of walking each included router's own, which took more than
    # half of a trivial request's time. The routers carry their prefixes and settings.
    for router in (
        *ROUTERS,
        gateway_webhooks.router,
        email_links.router,
        portal.router,
        console.router,
        assets.router,
    ):
        app.router.routes.extend(router.routes)

    # The docs page loads its assets from us, not a CDN: installs may have no internet.
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Recura API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    event_webhooks.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with its validation-error shapes replaced by our problem document."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        webhooks=app.webhooks.routes,
    )
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Invalid request",
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": problem_ref}},
                }
            for status, response in responses.items():
                content = response.get("content", {})
                if status.startswith(("4", "5")) and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    for path_item in schema.get("webhooks", {}).values():
        for operation in path_item.values():
            # Recura's receivers answer as they like; there is no request to validate.
            operation.get("responses", {}).pop("422", None)
    for name, examples in _model_examples(app).items():
        if name in components:
            # get_openapi drops every None, also inside examples ({"up_to": null} is the
            # unbounded last tier); put the models' own examples back, nulls included.
            components[name]["examples"] = jsonable_encoder(examples)
    for component in components.values():
        # Enums get their first member as the example; models carry hand-written ones.
        if "enum" in component and "examples" not in component:
            component["examples"] = [component["enum"][0]]
    app.openapi_schema = schema
    return schema


def _model_examples(app: FastAPI) -> dict[str, list[Any]]:
    """The hand-written examples of every model the routes use, by component name."""
    found: dict[str, type[BaseModel]] = {}
    clashes: set[str] = set()
    seen: set[type[BaseModel]] = set()

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            known = found.setdefault(annotation.__name__, annotation)
            if known is not annotation:
                clashes.add(annotation.__name__)  # FastAPI names these apart; leave them be
            elif annotation not in seen:
                seen.add(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    for route in iter_route_contexts([*app.routes, *app.webhooks.routes]):
        body = getattr(route, "body_field", None)
        visit(body.field_info.annotation if body is not None else None)
        visit(getattr(route, "response_model", None))
        for response in (getattr(route, "responses", None) or {}).values():
            visit(response.get("model"))
    examples: dict[str, list[Any]] = {}
    for name, model in found.items():
        extra = model.model_config.get("json_schema_extra")
        items = extra.get("examples") if isinstance(extra, dict) else None
        if name not in clashes and isinstance(items, list) and items:
            examples[name] = items
    return examples
