"""Acquisition: what the merchant spends per channel and month (spend.py, the CSV in
spend_csv.py); customers' own channels are set in domains/customers and the checkout."""
