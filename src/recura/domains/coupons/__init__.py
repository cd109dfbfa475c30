"""Coupons (a discount's terms) and promotion codes (customer-facing codes that apply them)."""
