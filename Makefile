# Agent Analytics. `make run` sets up a fresh machine and materializes the whole graph;
# `make test` runs the suite; `make ui` opens the same instance in the Dagster UI.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export DAGSTER_HOME := $(CURDIR)/.dagster_home

DEMO_ARGS ?= --days 90 --developers 12 --seed 7 --scale 1

.PHONY: chromium postgresql install run mine demo test ui bench bench-otlp bench-transcripts bench-receiver bench-freshness bench-push bench-lake dagster-home summary clean

$(STAMP): pyproject.toml analytics_assets/otlp/_fastotlp.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install -q -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import dagster, dagster_dbt, dbt.version, polars, pandera, duckdb, github3, statsforecast"
	$(BIN)/python -c "from analytics_assets.otlp import fast_otlp as f; f._fastotlp or print('note: the compiled OTLP decoder did not build (no C compiler?); OTLP spans and logs take the slower polars path')"
	touch $(STAMP)

# The dbt manifest is prepared here, at install/build time (again whenever the dbt project
# changes), not parsed on every import.
MANIFEST := dbt/target/manifest.json
DBT_FILES := $(shell find dbt/models dbt/macros dbt/seeds -type f) dbt/dbt_project.yml dbt/profiles.yml
$(MANIFEST): $(STAMP) $(DBT_FILES)
	$(BIN)/dbt parse --quiet --project-dir dbt --profiles-dir dbt
	touch $(MANIFEST)

# ccusage, the reference for cost parity tests (its native binary comes in the second package).
CCUSAGE := .tools/node_modules/.bin/ccusage
$(CCUSAGE):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix .tools --no-audit --no-fund --silent ccusage@20.0.24 @ccusage/ccusage-linux-x64@20.0.24; \
	else echo "npm not found: ccusage parity tests will be skipped"; fi

# plotly.js's cartesian bundle for the dashboard (1.4 MB instead of 4.8: it opens several times faster).
PLOTLY_JS := .tools/node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js
$(PLOTLY_JS):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix .tools --no-audit --no-fund --silent plotly.js-cartesian-dist-min@3.7.0; \
	else echo "npm not found: the dashboard embeds plotly's full bundle"; fi

# Headless Chromium for the dashboard's browser test (Debian's package; no downloaded browsers).
CHROMIUM := $(shell command -v chromium || command -v chromium-browser)
chromium:
	@if [ -z "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; \
	fi

# PostgreSQL for the lake's catalog in tests (Debian's package; tests make their own cluster with initdb/pg_ctl).
postgresql:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq postgresql >/dev/null; fi; \
	fi

install: $(STAMP) $(MANIFEST) $(CCUSAGE) $(PLOTLY_JS) postgresql

dagster-home:
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: install
	$(BIN)/python -m analytics_assets.demo $(DEMO_ARGS)

# Without a project config of your own, the demo's (who owns which machine, email, login) is used.
RUN_CONFIG := $(if $(wildcard analytics.yaml),analytics.yaml,landing/analytics.demo.yaml)

# Copilot reports are partitioned by day (no partition for today: GitHub publishes the next morning): their
# range is one run; then the rest of the graph with the daily marts' days, one run too (every asset has a
# single-run backfill policy). Both in one process (`analytics-assets materialize-all`): the code location is
# imported once and every step runs in it (the in-process executor).
run: install dagster-home
	test -f landing/demo_manifest.json || $(BIN)/python -m analytics_assets.demo $(DEMO_ARGS)
	ANALYTICS_CONFIG=$${ANALYTICS_CONFIG:-$(RUN_CONFIG)} $(BIN)/analytics-assets materialize-all
	$(BIN)/analytics-assets summary

summary: install
	$(BIN)/analytics-assets summary

# Your own numbers, apart from the demo: this machine's Claude Code and Codex history (CLAUDE_CONFIG_DIR or
# ~/.claude, CODEX_HOME or ~/.codex) and your analytics.yaml if you have one, in data/mine/ and output/mine/.
MINE_DIR ?= $(CURDIR)/data/mine
MINE_OUTPUT ?= $(CURDIR)/output/mine
MINE_ENV := ANALYTICS_DUCKDB_PATH=$(MINE_DIR)/warehouse.duckdb ANALYTICS_LANDING_DIR=$(MINE_DIR)/landing \
	ANALYTICS_OUTPUT_DIR=$(MINE_OUTPUT) DAGSTER_HOME=$(MINE_DIR)/dagster_home
mine: install
	mkdir -p $(MINE_DIR)/landing/otlp $(MINE_DIR)/dagster_home
	cp dagster.yaml $(MINE_DIR)/dagster_home/dagster.yaml
	$(MINE_ENV) ANALYTICS_CONFIG=$${ANALYTICS_CONFIG:-$(CURDIR)/analytics.yaml} $(BIN)/analytics-assets materialize-all
	$(MINE_ENV) $(BIN)/analytics-assets summary

test: install chromium
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=10

ui: install dagster-home
	ANALYTICS_CONFIG=$${ANALYTICS_CONFIG:-$(RUN_CONFIG)} $(BIN)/dagster dev -w workspace.yaml

bench: bench-transcripts bench-otlp bench-receiver bench-freshness bench-push bench-lake

bench-otlp: install
	$(BIN)/python tests/bench/bench_otlp.py

bench-transcripts: install
	$(BIN)/python tests/bench/bench_transcripts.py

bench-receiver: install
	$(BIN)/python tests/bench/bench_receiver.py

bench-freshness: install
	$(BIN)/python tests/bench/bench_freshness.py

bench-lake: install
	$(BIN)/python tests/bench/bench_lake.py

bench-push: install
	@if ! command -v rsync >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq rsync >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq rsync >/dev/null; fi; \
	fi
	$(BIN)/python tests/bench/bench_push.py

clean:
	rm -rf data landing output .dagster_home dbt/target dbt/logs .tools
