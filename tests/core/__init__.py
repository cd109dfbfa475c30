"""Core tests: no database; a package so their module names may repeat those under tests/api."""
