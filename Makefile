# Event Composer — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench package package-selftest install-desktop clean system-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 14), "Python 3.11 to 3.13 is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Installs what the app and the tests need from Debian's packages when it is absent:
# gnome-keyring and D-Bus for a real Secret Service, and the X/EGL libraries Qt loads.
system-deps:
	@bash .ci/system-deps

run: $(STAMP)
	@bash .ci/system-deps || echo "Could not install Qt's system libraries or gnome-keyring; starting anyway."
	$(BIN)/event-composer

lint: $(STAMP)
	$(BIN)/ruff check composer tests
	$(BIN)/ruff format --check composer tests
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) system-deps lint package-selftest
	@echo "== everything but the GUI, with PySide6 and qasync blocked from import"
	EVENT_COMPOSER_BLOCK_QT=1 QT_QPA_PLATFORM=offscreen bash .ci/keyring-session $(BIN)/python -m pytest -q -p no:pytest-qt --ignore=tests/ui --ignore=tests/flows
	@echo "== the GUI, the flows through it and the bundle's Qt checks (everything else ran above)"
	QT_QPA_PLATFORM=offscreen bash .ci/keyring-session $(BIN)/python -m pytest -q tests/ui tests/flows tests/packaging

bench: $(STAMP) system-deps
	QT_QPA_PLATFORM=offscreen bash .ci/keyring-session $(BIN)/python -m tests.benchmarks

# The desktop bundle, built by PyInstaller from its own clean virtualenv (build/venv), lands in
# dist/event-composer/ (EVENT_COMPOSER_ONEFILE=1: one file, dist/event-composer-onefile).
package:
	PYTHON=$(PYTHON) bash packaging/build.sh

# Builds the bundle and runs its self-test (Qt offscreen, validate, sandbox send, history).
package-selftest: package
	dist/event-composer/event-composer --self-test

# The packaged app, its menu entry and its icons for the current user (PREFIX=~/.local).
install-desktop: package
	bash packaging/install-desktop.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
