"""Version 1 of the REST API, one module per resource."""

from recura.api.v1 import (
    account,
    add_ons,
    billable_metrics,
    coupons,
    customers,
    features,
    plans,
    products,
    promotion_codes,
)

ROUTERS = [
    account.router,
    customers.router,
    products.router,
    features.router,
    plans.router,
    add_ons.router,
    billable_metrics.router,
    coupons.router,
    promotion_codes.router,
]
