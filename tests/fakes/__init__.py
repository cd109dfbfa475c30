"""Stand-ins for the outside world that tests build or run: documents, servers."""
