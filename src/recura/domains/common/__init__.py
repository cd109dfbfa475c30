"""What every domain shares: the tenant scope, domain errors, cursor pages."""
