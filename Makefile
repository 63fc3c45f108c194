# The two promises of README.md: `make demo` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DSE := $(BIN)/dse-indicators
# The embedded PostgreSQL, whatever PG* the caller has set.
EMBEDDED = eval "$$($(DSE) db start)"

.PHONY: setup demo test lint unit bench clean

setup: $(VENV)/.installed profiles.yml

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@

profiles.yml:
	cp profiles.example.yml profiles.yml

demo: setup
	$(EMBEDDED) \
	&& $(DSE) sample --scrips 40 --days 750 --replace \
	&& $(DSE) load seeds/dse_sample_prices.csv \
	&& $(BIN)/dbt run \
	&& $(DSE) show --limit 8

# sqlfluff renders the SQL with dbt, which needs a live database: the embedded one.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(EMBEDDED) && $(BIN)/sqlfluff lint models tests --disable-progress-bar

test: lint
	$(BIN)/pytest

# docs/benchmarks.md; not a test: ~20 min at 1x. E.g. make bench BENCH_ARGS="--scales 1,10"
bench: setup
	$(EMBEDDED) && $(BIN)/python -m bench --json out/bench.json $(BENCH_ARGS)

clean:
	-$(DSE) db stop
	rm -rf target logs .pytest_cache
