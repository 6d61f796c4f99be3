# Thin wrappers over the Python entry points; every target installs what it needs first.
VENV  ?= .venv
PY    := $(VENV)/bin/python
SIM   ?= icarus
WAVES ?= 0
SEED  ?=
# make sim selection (default: everything): suites, configurations (comma-separated names), a
# regular expression on test names
SUITES ?=
CONFIGS ?=
TESTS ?=
JOBS  ?= 2
BOARD ?= icebreaker
BENCH_QUICK ?= 0
DEVICE ?=
# make verify lengths: fuzz bursts per run, faults on the reference and (per simulator) the RTL
FUZZ  ?= 10000
SOAK  ?= 1000
RTL_SOAK ?= 100
# make soak-native: random runs of the C library against the Verilated RTL
NATIVE_RUNS ?= 40
# make mutate: mutants per RTL module (a random sample of Yosys's mutate -list)
MUTANTS ?= 20

export VENV

.PHONY: setup test test-full sim verilog lint clean regmap synth synth-sweep bench coverage formal \
	verify firmware soak-native soc mutate

setup:
	@tools/bootstrap.sh

test: setup lint
	$(PY) -m pytest -n $(JOBS) --durations=25

test-full: setup lint
	$(PY) -m pytest -n $(JOBS) --durations=25 -m 'full or not full'

sim: setup
	$(PY) -m cosim.regress --sim $(SIM) --waves $(WAVES) $(if $(SEED),--seed $(SEED)) \
		$(if $(SUITES),--suites $(SUITES)) $(if $(CONFIGS),--configs $(CONFIGS)) \
		$(if $(TESTS),--tests '$(TESTS)')

verify: setup formal coverage mutate
	$(PY) -m verify --fuzz $(FUZZ) --soak-faults $(SOAK) --rtl-faults $(RTL_SOAK) $(if $(SEED),--seed $(SEED))

coverage: setup
	$(PY) -m verify.coverage --jobs $(JOBS) $(if $(SEED),--seed $(SEED))

verilog: setup
	$(PY) -m rtl.cli verilog --output build/ioc_subsystem.v

lint: setup
	$(VENV)/bin/ruff check ioc_defs rtl sw_model host testbench cosim bench verify tests firmware soc
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

soc: setup
	$(PY) -m soc scenarios

formal: setup
	$(PY) -m verify.formal

firmware: setup
	$(PY) -m firmware build

soak-native: setup
	$(PY) -m firmware soak --runs $(NATIVE_RUNS) $(if $(SEED),--seed $(SEED))

mutate: setup
	$(PY) -m verify.mutate --sample $(MUTANTS) $(if $(SEED),--seed $(SEED))
