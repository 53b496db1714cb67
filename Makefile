# Parley — everyday commands. `make help` lists them.
SHELL := /bin/bash
PY    := .venv/bin/python

.DEFAULT_GOAL := help
.PHONY: help run test test-fast install lint messages clean otp

help: ## Show this help
	@echo "Parley — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "Start here: 'make run' (then open http://127.0.0.1:8000/) and 'make test'."

run: ## Install what is missing, migrate, load demo data, serve on http://127.0.0.1:8000/ (PORT=... to change)
	scripts/run.sh

otp: ## The current two-factor code of a demo account, for `make run` (ACCOUNT=bob|carol|dave)
	DEBUG=true $(PY) manage.py demo_totp_code $(or $(ACCOUNT),bob)

test: ## Lint + the whole suite, embedded and PostGIS+Redis halves (ARGS="-x -k foo" for pytest)
	scripts/test.sh $(ARGS)

test-fast: install ## The edit-test loop (~2 min, two processes): SpatiaLite, no browser, no subprocess, no deploy checks, no slow tests
	env -u DATABASE_URL -u REDIS_URL SECRET_KEY="$${SECRET_KEY:-insecure-test-only-key-not-for-production-0123456789abcdef}" \
		$(PY) -m pytest -m "not e2e and not deploy and not subprocess and not slow" -n auto -q $(ARGS)

install: ## Install missing system packages, create .venv, install requirements.lock
	scripts/bootstrap.sh

lint: install ## ruff check, and lint-imports (the layers: pyproject.toml, [tool.importlinter])
	.venv/bin/ruff check .
	.venv/bin/lint-imports

messages: install ## Update the French and Spanish translations (pages and page scripts) and compile them
	DEBUG=true $(PY) manage.py makemessages -l fr -l es --ignore=.venv --ignore=var --ignore=staticfiles --ignore=node_modules
	DEBUG=true $(PY) manage.py makemessages -d djangojs -l fr -l es --ignore=.venv --ignore=var --ignore=staticfiles --ignore=node_modules
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

clean: ## Remove local databases, demo accounts, test reports and collected static files (keeps .venv)
	rm -f var/*.sqlite3 var/*.sqlite3-journal var/*.sqlite3-wal var/*.sqlite3-shm var/demo-accounts.json
	rm -rf var/test-reports staticfiles .pytest_cache test-results
