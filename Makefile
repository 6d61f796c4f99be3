# Thin wrappers over the Python entry points; every target installs what it needs first.
VENV  ?= .venv
PY    := $(VENV)/bin/python
SIM   ?= icarus
WAVES ?= 0
SEED  ?=
JOBS  ?= 2
BOARD ?= icebreaker
DEVICE ?=

export VENV

.PHONY: setup test sim verilog lint clean regmap synth coverage

setup:
	@tools/bootstrap.sh

test: setup lint
	$(PY) -m pytest -n $(JOBS)

sim: setup
	$(PY) -m cosim.regress --sim $(SIM) --waves $(WAVES) $(if $(SEED),--seed $(SEED))

coverage: setup
	$(PY) -m verify.coverage --jobs $(JOBS) $(if $(SEED),--seed $(SEED))

verilog: setup
	$(PY) -m rtl.cli verilog --output build/ioc_subsystem.v

lint: setup
	$(VENV)/bin/ruff check rtl sw_model cosim tests verify

clean:
	rm -rf build

synth: setup
	$(PY) -m rtl.fpga.flow --board $(BOARD) $(if $(DEVICE),--device $(DEVICE))

regmap: setup
	$(PY) -m rtl.regmap_gen --output-dir build
