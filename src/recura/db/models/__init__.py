"""Every table, one module each; importing this package registers them all on Base.metadata."""

from recura.db.models.account import Account
from recura.db.models.api_key import ApiKey
from recura.db.models.customer import Customer
from recura.db.models.idempotency_key import IdempotencyKey

__all__ = ["Account", "ApiKey", "Customer", "IdempotencyKey"]
