# Costbook: `make run` starts the app with the demo company, `make test` runs the test suite.
# Both create .venv on first use and reinstall into it only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ARGS ?=

.PHONY: run test venv clean

run: $(INSTALLED)
	$(VENV_PYTHON) scripts/dev.py

test: $(INSTALLED)
	$(VENV_PYTHON) -m pytest $(ARGS)

venv: $(INSTALLED)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev,test]'
	touch $@

clean:
	rm -rf $(VENV)
