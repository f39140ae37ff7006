# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install check pytest bench clean

$(UV): scripts/bootstrap-uv.sh
	@./scripts/bootstrap-uv.sh

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --python python3
	@touch $@

install: $(VENV)/.installed

## Start Nexus on its embedded default (SQLite in ./nexus-data) on http://127.0.0.1:8000
run: install
	$(VENV)/bin/nexus up $(ARGS)

## Static checks: lint, format, types, service boundaries, house rules
check: install
	$(VENV)/bin/ruff check nexus tests bench scripts
	$(VENV)/bin/ruff format --check nexus tests bench scripts
	$(VENV)/bin/mypy --strict nexus
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python scripts/lint_house_rules.py

pytest: install
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

## Everything CI runs
test: check pytest

bench: install
	$(VENV)/bin/python bench/ledger_post.py
	$(VENV)/bin/python bench/ledger_read.py

clean:
	rm -rf .tools $(VENV) .mypy_cache .ruff_cache .pytest_cache
