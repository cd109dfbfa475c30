# Two commands matter: `make demo` and `make test`. Both install everything they need
# (uv into .tools/, the project and its pinned dependencies into .venv/ from uv.lock).

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
WORKERS ?= 2

.PHONY: install demo serve test lint types layers unit bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(BIN)/recura: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(BIN)/recura

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))' > $@
	@chmod 600 $@

# SQLite under var/, demo data, the API on http://127.0.0.1:8000.
demo: install var/secret_key
	RECURA_SECRET_KEY=$$(cat var/secret_key) $(BIN)/recura demo
	RECURA_SECRET_KEY=$$(cat var/secret_key) $(BIN)/recura serve

serve: install var/secret_key
	RECURA_SECRET_KEY=$$(cat var/secret_key) $(BIN)/recura serve

lint: install
	$(BIN)/ruff check src tests migrations/env.py
	$(BIN)/ruff format --check src tests migrations/env.py

types: install
	$(BIN)/mypy

layers: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

test: lint types layers unit

# Not part of `make test`: each needs the local PostgreSQL and a quiet machine.
bench: install
	$(BIN)/python bench/billing_run.py
	$(BIN)/python bench/usage_ingest.py
	$(BIN)/python bench/entitlements.py

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache .hypothesis
