# prefixlab's developer entry points.  Everything runs from the project venv (.venv), which
# is created on first use from the machine's python3 (3.11+); the interpreters under test are
# never installed into.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install dev explain test test-all typecheck bench bench-build compiled sweep conformance clean

# Two installs into the one project venv, each remembered by a stamp (the list of source files
# it was made for): `install` is prefixlab and its runtime dependencies only (what `make explain`
# needs on a fresh clone); `dev` adds the dev extras (pytest, mypy, ruff, uv, virtualenv ...)
# for the test, typecheck and bench targets.  Both are editable and 'strict' (a link tree mypy
# can read) and are refreshed whenever the set of source files changes, so a new module is
# importable without a manual reinstall.  A dev install serves as a runtime one too.
SOURCES = find model impl -name '*.py' -o -name '*.json' -o -name '*.toml' -o -name 'py.typed' | sort | sha1sum
PIP_INSTALL = $(BIN)/python -m pip install -q --disable-pip-version-check --config-settings editable_mode=strict

install:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@files=$$($(SOURCES)); \
	 for stamp in $(VENV)/.source-files $(VENV)/.source-files-dev; do \
	   if [ "$$files" = "$$(cat $$stamp 2>/dev/null)" ] && [ ! pyproject.toml -nt $$stamp ] && [ ! impl/cli/prefixlab -nt $$stamp ]; then exit 0; fi; \
	 done; \
	 $(PIP_INSTALL) -e . && echo "$$files" > $(VENV)/.source-files

dev:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@files=$$($(SOURCES)); \
	 if [ "$$files" != "$$(cat $(VENV)/.source-files-dev 2>/dev/null)" ] || [ pyproject.toml -nt $(VENV)/.source-files-dev ] || [ impl/cli/prefixlab -nt $(VENV)/.source-files-dev ]; then \
	   $(PIP_INSTALL) -e '.[dev]' && echo "$$files" > $(VENV)/.source-files-dev; \
	 fi

explain: install
	$(BIN)/prefixlab explain --compare

# The tests' set-up brings the mypyc build of the model up to date (bench/compiled.py: nothing
# to do when it is current, ~100 s of CPU after the model changed; without a C compiler it is
# left out, in one line), so that the prefixlab in .venv runs it from then on (README,
# "Install").  `install` (make explain's set-up) never builds it.
COMPILED = $(BIN)/python bench/compiled.py --if-possible

test: dev
	$(COMPILED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: dev
	$(COMPILED)
	$(BIN)/python -m pytest --sweep $(PYTEST_ARGS)

typecheck: dev
	$(BIN)/mypy
	$(BIN)/ruff check model impl tests bench tools

# The benchmark times the Python package and, beside it, the mypyc build of the same source
# (build/mypyc, rebuilt only when the sources changed; without a C compiler it is left out):
# its verdict judges the one prefixlab runs by default.
bench: dev
	-$(COMPILED)
	-$(BIN)/python bench/builders.py
	-$(BIN)/python bench/campaign.py
	$(BIN)/python bench/predictions.py
	$(BIN)/python bench/latency.py

# The builders' benchmark alone: build venv against python -m venv, virtualenv and uv (pinned in
# the dev extras), build env against cp -rs (bench/README.md).
bench-build: dev
	$(BIN)/python bench/builders.py

compiled: dev
	$(BIN)/python bench/compiled.py

# The course as a static HTML site: notes/ read by Sphinx and MyST (docs/conf.py), the examples'
# layouts drawn by Graphviz's dot, into build/docs/html (open index.html; no network needed).
# -W: a warning (a broken link, an example that cannot be drawn) fails the build; -E: the
# drawings follow the model's code, which Sphinx does not track.
.PHONY: docs
docs: dev
	$(BIN)/sphinx-build -E -W --keep-going -q -b html -c docs notes build/docs/html

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .hypothesis

# The long real-interpreter sweep: sharded, resumable (completed shards in sweeps/ are kept).
sweep: dev
	$(BIN)/python -m prefixlab.impl.checks.campaign --total $${SWEEP_TOTAL:-2375}

# README's conformance matrix: prefixlab conform on stdlib venv (per interpreter), venv
# --copies, uv, virtualenv and prefixlab; minutes per builder (CONFORM_BUDGET seconds each).
conformance: dev
	$(BIN)/python tools/conformance_matrix.py --budget $${CONFORM_BUDGET:-600} --jobs $${CONFORM_JOBS:-1}
