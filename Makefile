# Every target sets up its own virtualenv (.venv) first, so each works on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: bootstrap example test lint bench docs clean

bootstrap: $(VENV)/.installed

$(VENV)/.installed: setup.py setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[tests,docs]'
	touch $@

example: bootstrap
	$(PY) examples/quickstart.py

test: bootstrap
	$(PY) -m pytest -q -p no:cacheprovider

lint: bootstrap
	$(PY) -m mypy

bench: bootstrap
	$(PY) benchmarks/run_all.py

docs: bootstrap
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build .mypy_cache .pytest_cache build *.egg-info
