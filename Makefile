# Two commands on a fresh machine: `make run` and `make test`. Both create .venv with
# Python 3.12 (see .python-version) and install the package with its dev extras first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python 3.12 interpreter: an explicit PYTHON=..., python3.12 on PATH, or pyenv's.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || ls -d $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | tail -n1 || echo python3)

.PHONY: run test test-slow lint validate bench update-digest update-baseline mutate clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12+ is needed, found " + sys.version' 
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m sim run configs/baseline.toml --out results/baseline
	$(PY) -m sim report results/baseline --lang zh

test: $(STAMP)
	$(PY) -m ruff check sim tests
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q
	$(MAKE) validate

# Back-test the full-scale baseline (about 10 s) against the held-out published figures
# (sim/data/holdout/); exits 1 when a compared figure falls outside its tolerance band.
validate: $(STAMP)
	$(PY) -m sim run configs/baseline.toml --out results/baseline --quiet
	$(PY) -m sim validate results/baseline

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(PY) -m ruff check sim tests
	$(VENV)/bin/lint-imports --no-cache

# Regenerate the committed digest of the shipped configs' outputs (tests/regression/) after a
# deliberate change to the model's numbers; commit it on its own, saying why.
update-digest: $(STAMP)
	$(PY) -m tests.regression.shipped_digest

# Rewrite the readable regression baseline (key metrics per county and year of a short plan
# run, tests/regression/baseline_summary.csv) after a deliberate change to the model's numbers.
update-baseline: $(STAMP)
	$(PY) -m tests.regression.baseline

# Sampled mutation testing of the processes, levers, standards and measures (mutmut, config in
# pyproject.toml [tool.mutmut]) within a 30-minute budget on 2 cores; writes results/mutation/.
mutate: $(STAMP)
	$(PY) -m tests.mutation --budget 1800 --sample 240 --children 2

bench: $(STAMP)
	$(PY) -m sim bench

clean-venv:
	rm -rf $(VENV)
