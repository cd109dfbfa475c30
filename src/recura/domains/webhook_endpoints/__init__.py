"""webhook_endpoints: where the merchant's events go, and the log of sending them"""
