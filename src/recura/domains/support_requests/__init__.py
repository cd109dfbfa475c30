"""Support requests: subscribers' questions from the portal, answered by the merchant."""
