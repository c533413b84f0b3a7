# Costbook: `make run` starts the app with the demo company, `make test` runs the test suite.
# Both create .venv on first use and reinstall into it only when pyproject.toml or the lock changes.
#
# Every package comes from the hashed lock files in requirements/ (pip --require-hashes: a
# package whose download differs from the one locked is refused), never straight from
# pyproject.toml's ranges. `make lock` rewrites the locks after pyproject.toml changes:
#   requirements/dev.txt      make run, make test and CI: runtime + dev + test extras + build backend
#   requirements/runtime.txt  the Docker image: the runtime dependencies only, at the same versions

PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
PIP := $(VENV_PYTHON) -m pip --disable-pip-version-check
INSTALLED := $(VENV)/.installed
LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
ARGS ?=

# One lock for every platform and Python >= 3.11 (environment markers instead of this machine's
# answers), so a developer on another system installs from the same file.
COMPILE := $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"

.PHONY: run test test-fast lint venv lock clean

run: $(INSTALLED)
	$(VENV_PYTHON) scripts/dev.py

test: $(INSTALLED)
	$(VENV_PYTHON) -m pytest $(ARGS)

# The tests that start no browser, server or worker process (pytest -m "not slow"): a quick loop.
test-fast: $(INSTALLED)
	$(VENV_PYTHON) -m pytest -m "not slow" $(ARGS)

# ruff, configured in pyproject.toml: lint and import order. CI runs it before the tests.
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

venv: $(INSTALLED)

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

# The project itself is installed without its dependencies (they all came from the lock) and
# without build isolation, so that the build backend is the locked setuptools too.
$(INSTALLED): pyproject.toml $(LOCK) | $(VENV_PYTHON)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(VENV_PYTHON) scripts/check_lock.py
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Keeps the versions already locked unless pyproject.toml asks otherwise; add --upgrade to
# COMPILE (make lock COMPILE_ARGS=--upgrade) to move everything to the newest allowed versions.
COMPILE_ARGS ?=
lock: | $(VENV_PYTHON)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(COMPILE) $(COMPILE_ARGS) --extra dev --extra test pyproject.toml requirements/build.in -o $(LOCK)
	$(COMPILE) $(COMPILE_ARGS) --constraints $(LOCK) pyproject.toml -o $(RUNTIME_LOCK)
	$(VENV_PYTHON) scripts/check_lock.py

clean:
	rm -rf $(VENV)
