"""A form's mistakes as sentences beside its fields, in the operator's language.

Catalog forms are checked by the API's own Pydantic schemas and services, so a page and the
API accept exactly the same things; this turns what they say (Pydantic's error types and
bounds, a domain's JSON pointers) into the `operations` catalog's sentences. A domain's own
explanation is said in the operator's language when it is a common one (`refusals`), else
shown as the service wrote it after a sentence in the operator's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from recura.console import catalog_tiers, operations, refusals
from recura.domains.common.errors import ConflictError, InvalidError

# Pydantic's error types, by the sentence that says them.
KINDS = {
    "missing": "missing",
    "string_too_short": "missing",
    "string_too_long": "too_long",
    "too_long": "too_many",
    "string_pattern_mismatch": "pattern",
    "int_parsing": "whole_number",
    "int_type": "whole_number",
    "int_from_float": "whole_number",
    "decimal_parsing": "number",
    "decimal_type": "number",
    "float_parsing": "number",
    "decimal_max_places": "decimals",
    "greater_than_equal": "at_least",
    "greater_than": "more_than",
    "less_than_equal": "at_most",
    "less_than": "less_than",
    "enum": "choice",
    "literal_error": "choice",
    "bool_type": "choice",
}
# The bound each kind names in its sentence, from Pydantic's context.
BOUNDS = {
    "too_long": "max_length",
    "too_many": "max_length",
    "at_least": "ge",
    "more_than": "gt",
    "at_most": "le",
    "less_than": "lt",
}
FORM = ""  # errors about the whole form, not one field


def field_of(location: tuple[Any, ...] | list[str], aliases: Mapping[str, str]) -> str:
    """The form field a schema location names: a tier's cell, else its first step, or an
    alias for a nested one (`prices` → `amount`)."""
    tier = catalog_tiers.error_field([str(step) for step in location])
    if tier is not None:
        return tier
    head = str(location[0]) if location else FORM
    return aliases.get(head, head)


def of_validation(
    error: ValidationError, locale: str, aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The first mistake of each field."""
    found: dict[str, str] = {}
    for problem in error.errors():
        field = field_of(tuple(problem["loc"]), aliases or {})
        kind = KINDS.get(problem["type"], "invalid")
        if kind == "pattern" and operations.known(f"error.pattern.{field}"):
            kind = f"pattern.{field}"
        context = problem.get("ctx") or {}
        bound = context.get(BOUNDS.get(kind, ""), "")
        found.setdefault(field, operations.text(f"error.{kind}", locale, limit=bound))
    return found


def of_domain(
    error: InvalidError | ConflictError, locale: str, aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A service's refusal: by the field its pointer names (`/interval_count`), else the
    form's; a code already taken is said as such."""
    if isinstance(error, ConflictError):
        if "code" in error.detail and "already exists" in error.detail:
            return {"code": operations.text("error.code_taken", locale)}
        return {FORM: refusals.sentence(error.detail, locale)}
    found: dict[str, str] = {}
    for problem in error.errors:
        steps = [step for step in problem.pointer.split("/") if step]
        field = field_of(steps, aliases or {})
        found.setdefault(field, refusals.sentence(problem.detail, locale))
    return found
