"""What leaves Recura after commit: signed webhooks to the merchant, emails to subscribers."""
