"""A merchant on a test clock in UTC, with plans of one product, and the cancellation
functions called as the portal's pages call them: each in a unit of work of its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from tests.conftest import Api, Merchant
from tests.scenarios.world import World

APR_1 = datetime(2026, 4, 1, tzinfo=UTC)
T = TypeVar("T")


def day(month: int, d: int) -> datetime:
    return datetime(2026, month, d, tzinfo=UTC)


class Shop(World):
    def __init__(
        self, api: Api, merchant: Merchant, factory: sessionmaker[Session], **settings: Any
    ) -> None:
        super().__init__(api, APR_1, timezone="UTC", **settings)
        self.factory = factory
        self.tenant = Tenant(merchant.account_id, False)
        self.now = APR_1

    def advance_to(self, when: datetime | str) -> None:
        super().advance_to(when)
        if isinstance(when, datetime):
            self.now = when

    def offer(self, offer: dict[str, Any] | None) -> dict[str, Any]:
        return self.api.ok("PATCH", "/v1/account", json={"retention_offer": offer})

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(session, tenant, *args, **kwargs)` in a unit of work that commits."""
        with unit_of_work(self.factory) as session:
            return fn(session, self.tenant, *args, **kwargs)

    def event_types(self, object_id: str) -> list[str]:
        return [e["type"] for e in self.events(object_id)]
