# winkmon: two commands set up a fresh machine (see README Quick start).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-test
DSTAMP := $(VENV)/.installed
# Modules setup.py compiles with mypyc: an edit rebuilds them (see src/winkmon/_native.py).
NATIVE := setup.py src/winkmon/pipeline/squat.py

.PHONY: demo demo-headless test lint typecheck bench clean venv firmware-test firmware-cross

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# An editable install leaves winkmon's own modules uncompiled; byte-compile them as a regular
# install does, so no command compiles them again at start-up (PYTHONDONTWRITEBYTECODE=1
# would make every run do it). Python recompiles a module whose source changed.
$(DSTAMP): pyproject.toml $(NATIVE) | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	$(PY) -m compileall -q src/winkmon
	touch $@

$(STAMP): pyproject.toml $(NATIVE) | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m compileall -q src/winkmon
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

# The firmware core (firmware_protocol/core): its host tests (C, built with the system cc by
# pytest, also part of `make test`) and the Cortex-M4F cross build. The cross build is skipped,
# with a message saying what to install, when arm-none-eabi-gcc is absent; nothing is installed.
ARM_CC    ?= arm-none-eabi-gcc
ARM_SIZE  ?= arm-none-eabi-size
ARM_FLAGS := -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb -Os -std=c99 \
             -Wall -Wextra -Werror -pedantic -DWM_NO_FLOAT -ffunction-sections -fdata-sections
FW_SRC    := firmware_protocol/c/winkmon_protocol.c firmware_protocol/core/wm_core.c
FW_OUT    := build/firmware

firmware-test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/firmware tests/protocol/test_c_codec.py
	@$(MAKE) --no-print-directory firmware-cross

firmware-cross:
	@if command -v $(ARM_CC) >/dev/null 2>&1; then \
		mkdir -p $(FW_OUT) && \
		$(ARM_CC) $(ARM_FLAGS) -Ifirmware_protocol/c -Ifirmware_protocol/core \
			$(FW_SRC) firmware_protocol/core/size_probe.c \
			--specs=nano.specs --specs=nosys.specs -Wl,--gc-sections -o $(FW_OUT)/size_probe.elf && \
		for f in $(FW_SRC); do \
			$(ARM_CC) $(ARM_FLAGS) -Ifirmware_protocol/c -Ifirmware_protocol/core -c $$f \
				-o $(FW_OUT)/$$(basename $$f .c).o || exit 1; \
		done && \
		$(ARM_SIZE) $(FW_OUT)/winkmon_protocol.o $(FW_OUT)/wm_core.o $(FW_OUT)/size_probe.elf && \
		echo "firmware-test: Cortex-M4F cross build OK ($(ARM_CC), -Wall -Wextra -Werror)"; \
	else \
		echo "firmware-test: SKIPPED the Cortex-M4F cross build: $(ARM_CC) is not installed" \
			"(Debian/Ubuntu: apt-get install gcc-arm-none-eabi). The host tests above ran."; \
	fi

bench: $(STAMP)
	$(PY) bench/accuracy.py --sessions 24
	$(PY) bench/decode_throughput.py
	$(PY) bench/offline_report.py
	$(PY) bench/csv_import.py
	$(PY) bench/live_latency.py
	$(PY) bench/ble_latency.py --seconds 10
	$(PY) bench/gui_perf.py
	$(PY) bench/firmware_core.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
	find src/winkmon \( -name '*.so' -o -name '*.so.sha256' \) -delete
