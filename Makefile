# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FEATURES := $(patsubst jichikai/%/,%,$(sort $(dir $(wildcard jichikai/*/__init__.py))))

export FLASK_APP := wsgi

.PHONY: run test install install-dev translations messages lint clean migration design-tokens vendor-leaflet

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

## Compile every feature's catalogues (Japanese is the source language).
translations: $(VENV)/.installed
	@for dir in jichikai/translations $(addprefix jichikai/,$(addsuffix /translations,$(FEATURES))); do \
	  if [ -d $$dir ]; then $(BIN)/pybabel compile --statistics -d $$dir >/dev/null || exit 1; fi; \
	done

## Extract the UI strings of each feature into its own catalogues, one per language of the
## LANGUAGES setting (or only LANGS="en vi"); see scripts/update-messages.
messages: $(VENV)/.installed
	$(BIN)/python scripts/update-messages

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty --base-url http://$(HOST):$(PORT)
	JICHIKAI_RUN_WORKER_IN_PROCESS=true $(BIN)/flask serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-dev
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## Create a migration from the models: make migration m="add notices"
migration: $(VENV)/.installed
	$(BIN)/flask db migrate -m "$(m)"

## Refresh the vendored Digital Agency design tokens (static/vendor/dads) from npm.
## Only this target needs npm; the app and `make run` use the committed files.
DESIGN_TOKENS_VERSION ?= 1.1.9
DADS := static/vendor/dads
design-tokens:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd $$tmp && npm pack --silent @digital-go-jp/design-tokens@$(DESIGN_TOKENS_VERSION) >/dev/null && tar xzf *.tgz) && \
	version=$$($(PYTHON) -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' $$tmp/package/package.json) && \
	mkdir -p $(DADS) && \
	{ printf '/* @digital-go-jp/design-tokens %s (MIT, see LICENSE beside this file). Vendored by make design-tokens. */\n' \
	    "$$version"; \
	  cat $$tmp/package/dist/tokens.css; } > $(DADS)/tokens.css && \
	cp $$tmp/package/LICENSE $(DADS)/LICENSE && \
	echo "$$version" > $(DADS)/VERSION && \
	echo "design tokens $$(cat $(DADS)/VERSION) in $(DADS)"

## Vendor Leaflet for the shelter map from the npm registry: make vendor-leaflet [v=1.9.4]
vendor-leaflet:
	scripts/update-leaflet $(v)
