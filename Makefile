# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := judging/web/static/vendor
# Debian packages the test suite needs: Chromium for browser tests, CJK fonts for PDFs, poppler for
# reading PDFs back. Pango (WeasyPrint) comes with the base image.
TEST_DEBS := chromium fonts-noto-cjk poppler-utils
RUN_DEBS := fonts-noto-cjk

.PHONY: run test test-fast bench install install-test assets debs-run debs-test clean

run: install assets debs-run
	$(BIN)/judging demo --if-empty
	$(BIN)/judging serve --host 127.0.0.1 --port 8000

# Everything, each database test on SQLite and (with JUDGING_TEST_POSTGRES_URL) PostgreSQL.
test: install-test assets debs-test
	JUDGING_TEST_BACKENDS=sqlite,postgresql $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# The fast set: pure and service tests (no browser, served app, `judging` subprocess or slow mark), on
# SQLite; the backend-sensitive ones on PostgreSQL too when JUDGING_TEST_POSTGRES_URL is set.
test-fast: install-test
	JUDGING_TEST_BACKENDS=sqlite $(BIN)/python -m pytest -n 2 -m "not browser and not served and not cli and not slow" $(PYTEST_ARGS)

bench: install-test
	@for script in $(filter-out benchmarks/scratch_db.py benchmarks/bare_app.py benchmarks/in_process.py,$(wildcard benchmarks/*.py)); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# htmx from the npm registry (major version pinned in package.json, exact one in package-lock.json).
assets: $(VENDOR)/htmx.min.js
$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $@

define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

debs-run:
	$(call install_debs,$(RUN_DEBS))
debs-test:
	$(call install_debs,$(TEST_DEBS))

clean:
	rm -rf $(VENV) node_modules $(VENDOR) build *.egg-info
