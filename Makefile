# Two commands are the contract: `make run` and `make test` on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
CHROMIUM ?= /usr/bin/chromium

.PHONY: install translations run serve test lint system-deps bench bench-quality bench-speed bench-load bench-scale clean messages

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
	MATCHMAKER_PUBLIC_BASE_URL=$${MATCHMAKER_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
		$(BIN)/matchmaker run --host $(HOST) --port $(PORT) --no-reload

# Debian's chromium for the browser journeys, postgresql's server binaries for the tests that
# run against the production database (the tests start their own throwaway cluster), and
# redis-server for the job-queue tests (a throwaway server on a Unix socket).
system-deps:
	@missing=""; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages for the tests:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Production shape on one machine: gunicorn workers, an RQ worker for the jobs and `rq cron` for
# the periodic ones, stopped together with Ctrl-C. Uses MATCHMAKER_REDIS_URL when set, otherwise
# starts Debian's redis-server on a Unix socket under instance/. A real deployment also sets
# MATCHMAKER_DATABASE_URL and MATCHMAKER_SECRET_KEY. The RQ worker runs jobs in its own process
# (SimpleWorker), so the app and the engine's token cache are built once, not once per job.
# --preload: the master loads the engine state and catches up on the change feed once (wsgi.py),
# and the workers it forks share it (at M: 4 workers 494 MB PSS instead of 1,024; bench/RESULTS.md).
WORKERS ?= 4
serve: install
	$(BIN)/matchmaker init-db
	$(BIN)/matchmaker rescore --if-missing
	MATCHMAKER_JOBS=rq sh -c 'trap "kill 0" INT TERM EXIT; \
		if [ -z "$$MATCHMAKER_REDIS_URL" ]; then \
			mkdir -p instance; redis-server --port 0 --unixsocket "$$PWD/instance/redis.sock" --unixsocketperm 700 \
				--save "" --appendonly no >instance/redis.log 2>&1 & \
			export MATCHMAKER_REDIS_URL="unix://$$PWD/instance/redis.sock"; \
			while [ ! -S instance/redis.sock ]; do sleep 0.1; done; \
		fi; \
		$(BIN)/rq worker --worker-class rq.worker.SimpleWorker --url "$$MATCHMAKER_REDIS_URL" matchmaker & \
		$(BIN)/rq cron --url "$$MATCHMAKER_REDIS_URL" matchmaker.cron & \
		$(BIN)/gunicorn -w $(WORKERS) --timeout 120 --preload -b $(HOST):$(PORT) wsgi:app'

# The suite on SQLite, then every test that uses a database again on a throwaway PostgreSQL
# cluster that the tests start and stop (tests/databases.py). PYTEST_ARGS goes to both runs
# (e.g. `make test PYTEST_ARGS=-x`). Any failure stops here with a non-zero status.
# Two workers (pytest-xdist), one test file per worker at a time; each worker has its own
# temporary directories and its own PostgreSQL cluster.
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile
test: install system-deps lint
	$(PYTEST) --db=sqlite -m "not postgres" $(PYTEST_ARGS)
	$(PYTEST) --db=postgres $(PYTEST_ARGS)

# ruff and mypy with the configuration in pyproject.toml (part of `make test`).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: bench-quality bench-speed

bench-quality: install
	$(BIN)/python -m bench.quality

bench-speed: install
	$(BIN)/python -m bench.speed

# gunicorn (4 workers) on loopback with a copy of the demo data, 50 users for 60 s closed loop, then 60 s with
# think time (exponential pauses, mean 7 s); figures into bench/RESULTS.md.
bench-load: install
	$(BIN)/python -m bench.load

# Pages at S and M scale (M = 3,000 issues x 10,000 technologies; SIZES=S,M,L for national scale):
# one worker's latency and queries, cold start, memory of one and four workers, replay after 1,000 edits.
SIZES ?= S,M
bench-scale: install
	$(BIN)/python -m bench.scale --sizes $(SIZES)

clean:
	rm -rf $(VENV) build *.egg-info

# Developers: re-extract user-facing strings and merge them into the English catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o matchmaker/translations/messages.pot .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations --no-fuzzy-matching
