# Two commands are the contract: `make run` and `make test` on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: install translations run test system-deps bench bench-quality bench-speed clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/pybabel compile --statistics -d matchmaker/translations

run: install
	$(BIN)/matchmaker init-db
	$(BIN)/matchmaker seed
	$(BIN)/matchmaker rescore --if-missing
	@echo ""
	@echo "Demo accounts (demo database only):"
	@echo "  admin        admin@demo.matchmaker.example           demo-admin-2026"
	@echo "  coordinator  coordinator@demo.matchmaker.example     demo-coord-2026"
	@echo "  officer      officer.kawachinagano@demo.matchmaker.example  demo-officer-2026"
	@echo "  member       member@naniwa-mobility.example           demo-member-2026"
	@echo "  (all demo accounts: see README.md)"
	@echo "Serving on http://$(HOST):$(PORT)"
	$(BIN)/matchmaker run --host $(HOST) --port $(PORT) --no-reload

# Debian's chromium for the browser journeys, postgresql's server binaries for the tests that
# run against the production database (the tests start their own throwaway cluster).
system-deps:
	@missing=""; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for the tests:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: install system-deps
	$(BIN)/python -m pytest

bench: bench-quality bench-speed

bench-quality: install
	$(BIN)/python -m bench.quality

bench-speed: install
	$(BIN)/python -m bench.speed

clean:
	rm -rf $(VENV) build *.egg-info

# Developers: re-extract user-facing strings and merge them into the English catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o matchmaker/translations/messages.pot .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching
