"""What the portal lets a subscriber change, by the merchant's settings: an upgrade at
once, a downgrade at the period end (or at once when the merchant says), judged by price;
pause and resume only where the merchant allows them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.core.periods import Interval, IntervalUnit
from recura.domains.cancellations import portal
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.subscriptions import changes
from recura.domains.subscriptions.schemas import ChangeRequest
from tests.conftest import Api, Merchant
from tests.domains.cancellations.shop import Shop, day


@pytest.fixture
def shop(api: Api, merchant: Merchant, session_factory: sessionmaker[Session]) -> Shop:
    return Shop(api, merchant, session_factory)


def change_in_portal(shop: Shop, sub: str, customer: str, plan: str) -> str:
    """What the page does: decide the timing, then change (the preview runs the same)."""
    request = shop.run(
        portal.portal_change_request,
        sub,
        ChangeRequest(plan=plan),
        shop.now,
        customer_id=customer,
    )
    planned, _ = shop.run(changes.preview_change, sub, request, shop.now)
    shop.run(changes.change, sub, request, shop.now)
    assert planned.effective == request.effective
    assert request.effective is not None
    return request.effective


def test_upgrades_apply_now_and_downgrades_by_the_setting_judged_by_price(shop: Shop) -> None:
    # Named to mislead: "Premium" costs less than "Basic".
    basic, premium = shop.plan(6000, name="Basic"), shop.plan(3000, name="Premium")
    customer = shop.customer()
    sub = shop.subscribe(customer, premium)["id"]
    shop.advance_to(day(4, 16))
    assert change_in_portal(shop, sub, customer, basic) == "now"
    assert shop.subscription(sub)["plan"] == basic
    assert change_in_portal(shop, sub, customer, premium) == "period_end"
    waiting = shop.subscription(sub)
    assert (waiting["plan"], waiting["pending_change"]["plan"]) == (basic, premium)

    shop.api.ok("PATCH", "/v1/account", json={"portal_downgrade_timing": "now"})
    other = shop.subscribe(customer, basic)["id"]
    assert change_in_portal(shop, other, customer, premium) == "now"
    assert shop.subscription(other)["plan"] == premium
    # A change to an equally priced plan is not a downgrade.
    same = shop.plan(3000, name="Premium bis")
    shop.api.ok("PATCH", "/v1/account", json={"portal_downgrade_timing": "period_end"})
    shop.advance_to(day(4, 17))
    assert change_in_portal(shop, other, customer, same) == "now"


class Priced:
    def __init__(self, mrr: int, unit: str = "month") -> None:
        self.value = mrr
        self.interval = Interval(IntervalUnit(unit))

    def mrr(self) -> int:
        return self.value


class Settings:
    portal_downgrade_timing = "period_end"


def test_the_timing_compares_what_a_month_costs() -> None:
    account = Settings()
    timing = portal.portal_change_timing
    assert timing(account, Priced(3000), Priced(6000)) == "now"  # type: ignore[arg-type]
    assert timing(account, Priced(6000), Priced(3000)) == "period_end"  # type: ignore[arg-type]
    account.portal_downgrade_timing = "now"
    assert timing(account, Priced(6000), Priced(3000)) == "now"  # type: ignore[arg-type]


def test_between_intervals_the_timing_follows_the_commitment() -> None:
    account = Settings()
    timing = portal.portal_change_timing
    # Yearly costs less a month, yet moving to it commits for longer: now.
    monthly, yearly = Priced(3000), Priced(2500, "year")
    assert timing(account, monthly, yearly) == "now"  # type: ignore[arg-type]
    assert timing(account, yearly, monthly) == "period_end"  # type: ignore[arg-type]
    account.portal_downgrade_timing = "now"
    assert timing(account, yearly, monthly) == "now"  # type: ignore[arg-type]


def test_pause_and_resume_only_where_the_merchant_allows(shop: Shop) -> None:
    customer = shop.customer()
    sub = shop.subscribe(customer, shop.plan(3000))["id"]
    shop.advance_to(day(4, 16))
    mine = {"customer_id": customer}
    with pytest.raises(ConflictError):
        shop.run(portal.portal_pause, sub, shop.now, months=1, **mine)
    assert shop.subscription(sub)["status"] == "active"

    shop.api.ok("PATCH", "/v1/account", json={"portal_pause_enabled": True})
    with pytest.raises(InvalidError):
        shop.run(portal.portal_pause, sub, shop.now, months=4, **mine)
    with pytest.raises(NotFoundError):
        shop.run(portal.portal_pause, sub, shop.now, months=1, customer_id=shop.customer())
    paused = shop.run(portal.portal_pause, sub, shop.now, months=3, **mine)
    assert (paused.status, paused.resume_at) == ("paused", day(7, 16))
    shop.advance_to(day(5, 2))
    resumed = shop.run(portal.portal_resume, sub, shop.now, **mine)
    assert (resumed.status, resumed.current_period_start) == ("active", day(5, 2))

    shop.api.ok("PATCH", "/v1/account", json={"portal_pause_enabled": False})
    with pytest.raises(ConflictError):
        shop.run(portal.portal_resume, sub, shop.now, **mine)
