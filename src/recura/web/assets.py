"""The pages' own assets, served by the app (no CDN): the stylesheet, and each merchant's
logo by its hash, so a browser may keep either for a long time."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import repository as accounts

DIRECTORY = Path(__file__).parent / "assets"
FILES = {
    "recura.css": "text/css; charset=utf-8",
    "card.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# Logos are addressed by their hash: a new logo is a new address.
FOREVER = "public, max-age=31536000, immutable"

router = APIRouter(prefix="/assets", include_in_schema=False)
icons = APIRouter(include_in_schema=False)


@router.get("/{name}")
def asset(name: str) -> Response:
    media_type = FILES.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(
        DIRECTORY / name, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"}
    )


@icons.get("/favicon.ico")
def favicon() -> Response:
    """What browsers ask for on every page of ours."""
    return asset("favicon.svg")


@router.get("/logos/{account_id}/{sha256}")
async def logo(account_id: str, sha256: str, request: Request) -> Response:
    def read() -> tuple[str, bytes] | None:
        with unit_of_work(request.app.state.read_session_factory) as session:
            found = accounts.logo(session, account_id)
            if found is None or found.sha256 != sha256:
                return None
            return found.content_type, found.data

    found = await run_in_threadpool(read)
    if found is None:
        return Response(status_code=404)
    content_type, data = found
    return Response(data, media_type=content_type, headers={"Cache-Control": FOREVER})
