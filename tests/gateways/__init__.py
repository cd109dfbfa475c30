"""Gateway tests: no database, no network."""
