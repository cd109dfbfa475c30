"""The operator console: the business's own pages under /console, for its users."""
