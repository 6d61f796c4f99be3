#!/usr/bin/env bash
# Installs what the flow needs, idempotently: OS packages (Icarus Verilog; a C++ toolchain, perl
# and liblz4 for Verilator and its FST writer; GTKWave to view waveforms, whose fst2vcd the tests
# use; the SH-4A and RV32 cross compilers, picolibc and qemu-user for the C guest library and
# the SoC firmware; patch for the CV32E40X fixes) and a project venv with the pinned Python
# packages.
# Every Makefile target that runs something calls this first, so any target works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

missing=()
command -v iverilog >/dev/null || missing+=(iverilog)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v perl >/dev/null || missing+=(perl)
command -v gtkwave >/dev/null || missing+=(gtkwave)
command -v cc >/dev/null || missing+=(gcc)
dpkg-query -W -f='${Status}' liblz4-dev 2>/dev/null | grep -q "ok installed" || missing+=(liblz4-dev)
dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q "ok installed" || missing+=(zlib1g-dev)
# the C guest library (make firmware) and the SoC firmware (make soc): SH-4A and RV32 cross compilers, picolibc, qemu-sh4
command -v sh4-linux-gnu-gcc >/dev/null || missing+=(gcc-sh4-linux-gnu)
# the SH-4 GCC 12's plugin headers: firmware/toolchain/sh_treg_combine_off.cc turns off the pass
# that miscompiles from -O1 up
dpkg-query -W -f='${Status}' gcc-12-plugin-dev-sh4-linux-gnu 2>/dev/null | grep -q "ok installed" \
    || missing+=(gcc-12-plugin-dev-sh4-linux-gnu)
command -v qemu-sh4 >/dev/null || missing+=(qemu-user)
command -v riscv64-unknown-elf-gcc >/dev/null || missing+=(gcc-riscv64-unknown-elf)
dpkg-query -W -f='${Status}' picolibc-riscv64-unknown-elf 2>/dev/null | grep -q "ok installed" \
    || missing+=(picolibc-riscv64-unknown-elf)
command -v patch >/dev/null || missing+=(patch)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "bootstrap: installing OS packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "bootstrap: missing OS packages: ${missing[*]}" >&2
        echo "bootstrap: run 'sudo apt-get install ${missing[*]}' and try again" >&2
        exit 1
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "bootstrap: creating $VENV"
    python3 -m venv "$VENV"
fi
stamp="$VENV/.installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "bootstrap: installing Python packages into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[dev,fpga,bench,formal,soc]"
    touch "$stamp"
fi
