# The two commands a newcomer types: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

# Both editable, for developers: the host, and the firmware's package it depends on
# (firmware-package/: the core `insole` and the image), which the host's install brings as a
# copy and the next line makes editable in its place (pip refuses both in one command).
$(STAMP): requirements-dev.txt requirements-nodeps.txt host_tools/pyproject.toml host_tools/setup.py \
		firmware-package/pyproject.toml firmware-package/setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -e 'host_tools[parquet]'
	$(PY) -m pip install --quiet --no-deps -e firmware-package
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

demo: $(STAMP)
	$(BIN)/insole demo

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache

# A real board. BOARD names firmware/config/BOARD.json (esp32s3, esp32c3, xiao_nrf52840);
# PORT is its serial port, or for deploy to a CircuitPython board its CIRCUITPY drive.
BOARD ?= esp32s3
PORT ?= /dev/ttyACM0
# The mpremote that `make install` put in the venv.
MPREMOTE ?= $(BIN)/mpremote

.PHONY: deploy repl selftest logs

deploy: $(STAMP)
	$(PY) -m insole_host.deploy $(BOARD) $(PORT) $(if $(NEW_KEY),--new-key)

# repl and selftest restart the board in safe boot first: the firmware off, so its
# watchdog cannot reset the board under mpremote (python -m insole_host.deploy --safe-boot).
repl: $(STAMP)
	$(PY) -m insole_host.deploy --safe-boot $(PORT)
	$(MPREMOTE) connect $(PORT) repl

selftest: $(STAMP)
	$(PY) -m insole_host.deploy --safe-boot $(PORT)
	$(MPREMOTE) connect $(PORT) run firmware/selftest.py

# Follows what the running firmware prints, without stopping it, and keeps a copy.
logs: $(STAMP)
	mkdir -p build
	$(MPREMOTE) connect $(PORT) repl --capture build/console.log
