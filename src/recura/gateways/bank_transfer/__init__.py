"""Bank transfers: invoices carry the merchant's IBAN and an RF payment reference; the
merchant's camt.053 statements tell which transfers arrived."""
