"""The REST API: FastAPI app, dependencies, errors, /v1 resources."""
