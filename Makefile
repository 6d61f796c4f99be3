# Thin wrappers over the Python entry points; every target installs what it needs first.
VENV  ?= .venv
PY    := $(VENV)/bin/python
SIM   ?= icarus
WAVES ?= 0
SEED  ?=
JOBS  ?= 2
BOARD ?= icebreaker
BENCH_QUICK ?= 0
DEVICE ?=
# make verify lengths: fuzz bursts per run, faults on the reference and (per simulator) the RTL
FUZZ  ?= 10000
SOAK  ?= 1000
RTL_SOAK ?= 100

export VENV

.PHONY: setup test sim verilog lint clean regmap synth synth-sweep bench coverage formal verify

setup:
	@tools/bootstrap.sh

test: setup lint
	$(PY) -m pytest -n $(JOBS)

sim: setup
	$(PY) -m cosim.regress --sim $(SIM) --waves $(WAVES) $(if $(SEED),--seed $(SEED))

verify: setup formal coverage
	$(PY) -m verify --fuzz $(FUZZ) --soak-faults $(SOAK) --rtl-faults $(RTL_SOAK) $(if $(SEED),--seed $(SEED))

coverage: setup
	$(PY) -m verify.coverage --jobs $(JOBS) $(if $(SEED),--seed $(SEED))

verilog: setup
	$(PY) -m rtl.cli verilog --output build/ioc_subsystem.v

lint: setup
	$(VENV)/bin/ruff check ioc_defs rtl sw_model host testbench cosim bench verify tests
	$(VENV)/bin/lint-imports --no-logo --cache-dir build/import-linter

clean:
	rm -rf build

synth: setup
	$(PY) -m rtl.fpga.flow --board $(BOARD) $(if $(DEVICE),--device $(DEVICE))

synth-sweep: setup
	$(PY) -m rtl.fpga.sweep

regmap: setup
	$(PY) -m rtl.regmap_gen --output-dir build

bench: setup
	$(PY) -m bench $(if $(filter 1,$(BENCH_QUICK)),--quick)

formal: setup
	$(PY) -m verify.formal
