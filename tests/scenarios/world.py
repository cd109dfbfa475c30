"""A merchant's world driven through the API on a test clock, for month-by-month stories.

Every story runs on a test clock: `advance_to` moves it and the billing engine does what
falls due on the way, exactly as the worker would; `invoices()` then lists what was billed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.conftest import Api


def iso(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat().replace("+00:00", "Z")


class World:
    def __init__(
        self,
        api: Api,
        start: datetime,
        *,
        timezone: str = "Europe/Bucharest",
        tax_rate: str = "21",
        currency: str = "RON",
        **settings: Any,
    ) -> None:
        self.api = api
        self.currency = currency
        api.ok(
            "PATCH",
            "/v1/account",
            json={
                "timezone": timezone,
                "tax_rate": tax_rate,
                # A Romanian seller that charges VAT: the EU rate table's rate (21 % today).
                "vat_registered": Decimal(tax_rate) > 0,
                "default_currency": currency,
                **settings,
            },
        )
        self.clock = api.ok(
            "POST", "/v1/test_clocks", 201, json={"name": "story", "frozen_time": iso(start)}
        )["id"]
        self.product = api.ok("POST", "/v1/products", 201, json={"name": "Norditech CRM"})["id"]
        self._codes = 0

    def _code(self, prefix: str) -> str:
        self._codes += 1
        return f"{prefix}-{self._codes}"

    def plan(
        self, amount: int | None = None, *, interval: str = "month", count: int = 1, **over: Any
    ) -> str:
        body: dict[str, Any] = {
            "product": self.product,
            "code": self._code("plan"),
            "name": over.pop("name", "Pro"),
            "interval_unit": interval,
            "interval_count": count,
        }
        if amount is not None:
            body |= {
                "pricing_model": "flat",
                "prices": [{"currency": self.currency, "amount": amount}],
            }
        return self.api.ok("POST", "/v1/plans", 201, json={**body, **over})["id"]

    def metric(
        self,
        aggregation: str = "count",
        field: str | None = None,
        name: str = "API calls",
        **over: Any,
    ) -> dict[str, Any]:
        code = self._code("metric").replace("-", "_")
        body = {"code": code, "name": name, "aggregation": aggregation, **over}
        if field:
            body["field_name"] = field
        return self.api.ok("POST", "/v1/billable_metrics", 201, json=body)

    def add_on(self, amount: int, name: str = "Extra storage") -> str:
        body = {
            "code": self._code("addon"),
            "name": name,
            "pricing_model": "flat",
            "prices": [{"currency": self.currency, "amount": amount}],
        }
        return self.api.ok("POST", "/v1/add_ons", 201, json=body)["id"]

    def coupon(self, **terms: Any) -> str:
        body = {"code": self._code("coupon"), "name": terms.pop("name", "Welcome"), **terms}
        return self.api.ok("POST", "/v1/coupons", 201, json=body)["id"]

    def customer(self, card: str | None = "tok_sandbox_visa", **over: Any) -> str:
        """A customer on the story's clock, paying with a sandbox card (None: no card)."""
        # English-speaking unless told otherwise: the stories' invoice lines read in English.
        body = {
            "name": "Ana Popescu",
            "email": "ana@example.ro",
            "locale": "en",
            "test_clock": self.clock,
        }
        customer = self.api.ok("POST", "/v1/customers", 201, json={**body, **over})["id"]
        if card is not None:
            self.card(customer, card)
        return customer

    def card(self, customer: str, token: str, **over: Any) -> dict[str, Any]:
        body = {"gateway": "sandbox", "token": token, **over}
        return self.api.ok("POST", f"/v1/customers/{customer}/payment_methods", 201, json=body)

    def subscribe(self, customer: str, plan: str, **over: Any) -> dict[str, Any]:
        body = {"customer": customer, "plan": plan, **over}
        return self.api.ok("POST", "/v1/subscriptions", 201, json=body)

    def subscription(self, sub_id: str) -> dict[str, Any]:
        return self.api.ok("GET", f"/v1/subscriptions/{sub_id}")

    def act(self, sub_id: str, action: str, status: int = 200, **body: Any) -> dict[str, Any]:
        return self.api.ok("POST", f"/v1/subscriptions/{sub_id}/{action}", status, json=body)

    def advance_to(self, when: datetime | str) -> None:
        self.api.ok(
            "POST", f"/v1/test_clocks/{self.clock}/advance", json={"frozen_time": iso(when)}
        )

    def usage(
        self, customer: str, code: str, when: datetime | str, count: int = 1, **properties: Any
    ) -> None:
        """`count` events at `when`, each with `properties`, in one batch."""
        events = []
        for _ in range(count):
            self._codes += 1
            events.append(
                {
                    "transaction_id": f"tx-{self._codes}",
                    "customer": customer,
                    "code": code,
                    "timestamp": iso(when),
                    "properties": properties,
                }
            )
        self.api.ok("POST", "/v1/usage_events", json={"events": events})

    def invoices(self, sub_id: str) -> list[dict[str, Any]]:
        """Oldest first."""
        found = self.api.ok("GET", "/v1/invoices", params={"subscription": sub_id, "limit": 100})
        return list(reversed(found["data"]))

    def totals(self, sub_id: str) -> list[int]:
        return [invoice["total"]["amount"] for invoice in self.invoices(sub_id)]

    def events(self, object_id: str) -> list[dict[str, Any]]:
        found = self.api.ok("GET", "/v1/events", params={"object_id": object_id, "limit": 100})
        return list(reversed(found["data"]))


def line_amounts(invoice: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["description"], line["amount"]["amount"]) for line in invoice["lines"]]
