"""Domain errors; the API turns them into problem+json, the CLI into a message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """`pointer` is a JSON pointer into the request body, e.g. "/address/country"."""

    pointer: str
    detail: str


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    def __init__(self, kind: str, object_id: str) -> None:
        super().__init__(f"No {kind} with id '{object_id}'.")
        self.kind = kind
        self.object_id = object_id


class ConflictError(DomainError):
    """The request is well formed but clashes with the current state."""


class InvalidError(DomainError):
    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(_said(e) for e in errors))
        self.errors = errors


def _said(error: FieldError) -> str:
    # An error about the whole request (pointer "") is its message alone, not ": message".
    return f"{error.pointer}: {error.detail}" if error.pointer else error.detail


def invalid(pointer: str, detail: str) -> InvalidError:
    return InvalidError([FieldError(pointer, detail)])
