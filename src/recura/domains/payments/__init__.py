"""Collecting invoices: payment methods, charge attempts, dunning, refunds, disputes, the
processors' webhooks and bank transfers."""
