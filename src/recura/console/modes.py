"""Which data a console page shows: the account's live data, or its test data with
`?mode=test`. One query parameter for every page, so a link carries the mode from a list
to a thing and back."""

from __future__ import annotations

from starlette.requests import Request

from recura.console.auth import Operator
from recura.domains.common.tenant import Tenant

PARAMETER = "mode"
TEST = "test"


def is_test(request: Request) -> bool:
    return request.query_params.get(PARAMETER) == TEST


def tenant(operator: Operator, request: Request) -> Tenant:
    return Tenant(operator.account.id, livemode=not is_test(request))


def query(test: bool) -> dict[str, str]:
    """The mode as query fields, for links and forms: none for live data."""
    return {PARAMETER: TEST} if test else {}
