# winkmon: two commands set up a fresh machine (see README Quick start).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
DSTAMP := $(VENV)/.installed

.PHONY: demo demo-headless test lint typecheck bench clean venv

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DSTAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(DSTAMP)

venv: $(STAMP)

demo: $(DSTAMP)
	$(VENV)/bin/winkmon demo

demo-headless: $(DSTAMP)
	$(VENV)/bin/winkmon demo --headless --seconds 90

lint: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) lint typecheck
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/accuracy.py --sessions 24
	$(PY) bench/decode_throughput.py
	$(PY) bench/offline_report.py
	$(PY) bench/live_latency.py
	$(PY) bench/ble_latency.py --seconds 10
	$(PY) bench/gui_perf.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
