"""Version 1 of the REST API, one module per resource."""

from recura.api.v1 import account, customers

ROUTERS = [account.router, customers.router]
