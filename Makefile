# Two commands on a fresh machine:  `make run` (the app)  and  `make test` (the tests).
# Each creates the virtual environment .venv on first use and keeps it up to date.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: run test lint bench clean-venv

$(VENV)/.installed-run: requirements.txt
	@echo "setting up .venv (the first time: numpy, scipy, Pillow, matplotlib... about a minute)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements.txt
	@echo ".venv is ready"
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed-run
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed-run
	$(PY) interface.py

test: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/train_speed.py

clean-venv:
	rm -rf $(VENV)
