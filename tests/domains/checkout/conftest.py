"""A merchant selling through the hosted checkout: its catalog made through the API, its
checkouts driven through the domain functions the checkout page calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import CheckoutSession
from recura.db.unit_of_work import unit_of_work, units_of
from recura.domains.checkout import complete as completing
from recura.domains.checkout import service
from recura.domains.checkout.complete import Completion
from recura.domains.common.tenant import Tenant
from tests.conftest import T0, Api, Merchant
from tests.scenarios.world import World

ANA = {
    "email": "ana.popescu@example.ro",
    "name": "Ana Popescu",
    "address": {
        "line1": "Str. Memorandumului 28",
        "city": "Cluj-Napoca",
        "country": "RO",
        "county": "RO-CJ",
    },
}
VISA = "tok_sandbox_visa"  # a sandbox test card
SUCCESS_URL = "https://shop.example.ro/welcome?session={CHECKOUT_SESSION_ID}"


@dataclass
class Shop:
    api: Api
    world: World
    tenant: Tenant
    factory: sessionmaker[Session]

    def plan(self, amount: int, **over: Any) -> str:
        return self.world.plan(amount, **over)

    def checkout(self, plan: str, **body: Any) -> str:
        body = {"plan": plan, "success_url": SUCCESS_URL, **body}
        return str(self.api.ok("POST", "/v1/checkout_sessions", 201, json=body)["id"])

    def row(self, checkout_id: str) -> CheckoutSession:
        with unit_of_work(self.factory) as session:
            return service.get(session, self.tenant, checkout_id)

    def details(self, checkout_id: str, data: Mapping[str, Any] = ANA) -> None:
        with unit_of_work(self.factory) as session:
            service.save_details(session, self.tenant, checkout_id, data, T0)

    def customer(self, checkout_id: str) -> str:
        with unit_of_work(self.factory) as session:
            return completing.customer_for(session, self.tenant, checkout_id, T0).id

    def card(self, customer_id: str, token: str = VISA) -> str:
        return str(self.world.card(customer_id, token)["id"])

    def paying(self, checkout_id: str, token: str = VISA) -> str:
        """Details saved, the customer made and a card attached, as the page does it;
        returns the card's id."""
        self.details(checkout_id)
        return self.card(self.customer(checkout_id), token)

    def complete(self, checkout_id: str, **kwargs: Any) -> Completion:
        kwargs.setdefault("terms_accepted", True)
        return completing.complete(units_of(self.factory), self.tenant, checkout_id, T0, **kwargs)


@pytest.fixture
def shop(api: Api, merchant: Merchant, session_factory: sessionmaker[Session]) -> Shop:
    world = World(api, T0, timezone="UTC", tax_rate="21")
    return Shop(api, world, Tenant(merchant.account_id, False), session_factory)
