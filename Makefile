# csvdrop developer commands. `make run` and `make test` do all set-up
# themselves on a fresh machine; everything installed goes under .venv/,
# .tools/ and .local/, all ignored by git.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test venv lint dist bundle bench clean

# The stamp is rebuilt when the dependency list or the engine's C core
# changes: an editable install compiles the core once, at install time.
$(VENV)/.installed: pyproject.toml setup.py app/csvdrop/conversion/_core.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

run: venv
	exec scripts/run.sh

test:
	scripts/test.sh

lint: venv
	$(BIN)/ruff format --check app tests bench
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

# csvdrop side by side with pandas, polars, DuckDB, Miller and csvkit; writes
# docs/benchmarks.md. The comparison tools go into .tools/bench, not the app.
bench: venv
	bench/setup.sh
	$(BIN)/python bench/run.py

# The release wheel that the Ansible csvdrop role installs.
dist: venv
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .

# The release bundle new instances boot from (ansible/, inventories/, the
# wheel and its dependency wheels): dist/csvdrop-bundle-<version>.tar.gz.
bundle: dist
	scripts/build-bundle.sh

clean:
	rm -rf $(VENV) .tools build dist app/*.egg-info
