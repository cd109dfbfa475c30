"""Entitlements: the features a customer's live subscriptions grant, combined, with metered
usage so far; and the `entitlements.updated` event when they change."""
