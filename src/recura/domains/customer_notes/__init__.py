"""Support notes: what operators wrote about a customer, for the team, newest first."""
