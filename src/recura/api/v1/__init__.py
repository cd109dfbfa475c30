"""Version 1 of the REST API, one module per resource."""

from recura.api.v1 import (
    account,
    add_ons,
    billable_metrics,
    coupons,
    credit_notes,
    customers,
    entitlements,
    events,
    features,
    invoices,
    payment_methods,
    payments,
    plans,
    products,
    promotion_codes,
    subscriptions,
    test_clocks,
    usage,
    usage_events,
)

# Requests are matched against the routes in this order, one by one: the merchant's hot
# paths (entitlements on every request of its product, usage as it happens) come first.
ROUTERS = [
    entitlements.router,
    usage_events.router,
    account.router,
    customers.router,
    products.router,
    features.router,
    plans.router,
    add_ons.router,
    billable_metrics.router,
    coupons.router,
    promotion_codes.router,
    subscriptions.router,
    invoices.router,
    invoices.customer_router,
    payment_methods.router,
    payment_methods.customer_router,
    payments.router,
    credit_notes.router,
    events.router,
    test_clocks.router,
    usage.router,
]
