# evidencekg: `make serve` and `make test` are the whole setup on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install serve test lint bench validate clean browser system

$(STAMP): pyproject.toml package.json package-lock.json
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/evidencekg serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check evidencekg service tests
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/python -m ruff check evidencekg service tests benchmarks

validate: $(STAMP)
	$(BIN)/evidencekg validate

# make bench SIZE=1000000: the scale run's synthetic findings (default 100,000); ONLY=scale or ONLY=small.
SIZE ?= 100000
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --size $(SIZE) $(if $(ONLY),--only $(ONLY))

# Debian's Chromium for the browser tests (needs root; .ci/run calls it).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

# The reference software the tests compare against (needs root; .ci/run calls it):
# Chromium, metafor through Rscript, and Virtuoso 7 as an external engine.
SYSTEM_PACKAGES := chromium r-base-core r-cran-metafor virtuoso-opensource
system:
	command -v chromium >/dev/null && command -v Rscript >/dev/null && command -v virtuoso-t >/dev/null \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES))

clean:
	rm -rf $(VENV) node_modules var
