"""Usage events: ingestion (idempotent on transaction_id), aggregation into billable
quantities, and what a customer's usage costs so far in the current period."""
