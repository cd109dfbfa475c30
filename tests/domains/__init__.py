"""Domain-service tests; a package so their module names may repeat those under tests/api."""
