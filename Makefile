# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install check pytest bench clean web web-api web-test e2e bench-web

$(UV): scripts/bootstrap-uv.sh
	@./scripts/bootstrap-uv.sh

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --python python3
	@touch $@

install: $(VENV)/.installed

## Start Nexus on its embedded default (SQLite in ./nexus-data) on http://127.0.0.1:8000
run: install web
	$(VENV)/bin/nexus up $(ARGS)

# --- web app (frontend/): built only when its sources change -------------------------
WEB := frontend
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) \
	$(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package.json
NPM := npm --prefix $(WEB) --no-audit --no-fund --loglevel=error

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	$(NPM) ci
	@touch $@

$(WEB)/.build-stamp: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && node node_modules/vite/bin/vite.js build --logLevel warn
	@touch $@

## Build the web app (npm ci + vite build, only when needed)
web: $(WEB)/.build-stamp

## Regenerate the OpenAPI document and the typed client from the backend
web-api: install $(WEB)/node_modules/.installed
	cd $(WEB) && npm run --silent gen:api

## Front-end checks: API drift, boundaries, types, unit tests, bundle budget
web-test: install web
	cd $(WEB) && node scripts/check-api-drift.mjs
	cd $(WEB) && node scripts/check-boundaries.mjs
	cd $(WEB) && node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json
	cd $(WEB) && node node_modules/vitest/vitest.mjs run
	cd $(WEB) && node scripts/bundle-budget.mjs

## Browser tests: real `nexus up` + Debian's Chromium (installed here when missing)
e2e: install web
	./tests/e2e/ensure-chromium.sh
	node --test --test-concurrency=1 --test-reporter=spec tests/e2e/

## Time until the demo dashboard is ready in headless Chromium
bench-web: install web
	./tests/e2e/ensure-chromium.sh
	node bench/dashboard_load.mjs

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
test: check web-test e2e pytest

bench: install
	$(VENV)/bin/python bench/ledger_post.py
	$(VENV)/bin/python bench/ledger_read.py

clean:
	rm -rf .tools $(VENV) .mypy_cache .ruff_cache .pytest_cache $(WEB)/node_modules $(WEB)/dist
