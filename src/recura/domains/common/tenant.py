from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

from recura.db.base import TenantColumns

S = TypeVar("S", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class Tenant:
    """Whose data a request may see: one account, and either its test or its live data."""

    account_id: str
    livemode: bool

    def scope(self, stmt: S, model: type[TenantColumns]) -> S:
        return stmt.where(model.account_id == self.account_id, model.livemode == self.livemode)

    def row_keys(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "livemode": self.livemode}
