"""Payment processors behind one protocol (`base.PaymentGateway`)."""
