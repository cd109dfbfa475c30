"""RFC 9457 problem+json: one shape for every error the API returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemField(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pointer": "#/email", "detail": "not a valid email"}]}
    )

    pointer: str | None = None
    parameter: str | None = None
    header: str | None = None
    detail: str


class Problem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:recura:problem:validation",
                    "title": "Invalid request",
                    "status": 422,
                    "detail": "1 field is invalid.",
                    "instance": "/v1/customers",
                    "errors": [{"pointer": "#/currency", "detail": "'RNO' is not a currency"}],
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = None


class ProblemError(Exception):
    """Raised anywhere in the API layer to answer with a problem document."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: list[ProblemField] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers

    def document(self, instance: str) -> dict[str, Any]:
        return Problem(
            type=f"urn:recura:problem:{self.slug}",
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        ).model_dump(exclude_none=True)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response entries for the given error statuses."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": _TITLES[status],
        }
        for status in statuses
    }


_TITLES = {
    400: "Bad request",
    401: "Missing or invalid API key",
    403: "The API key lacks a permission this request needs",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    422: "Invalid request",
    502: "An outside service gave no usable answer",
    503: "Service unavailable: try again",
}
