"""The first accesses after power-up, driven and read at the pins (SPEC §3.6: the generated
Verilog behaves identically under any standard simulator flags).

Drives agent 0's port by hand, with no bus model in between, so that an X on a response channel
is recorded as it is (a bus model would raise on it or resolve it): a first read of the shared
RAM and of the register block, a first exclusive write with no reservation (a failed SC), a
read-back showing it wrote nothing, then an LL/SC pair and the read-back of its write. Every
response is recorded as the simulator shows it (binary strings, ``x``/``z`` kept) to the JSON
file named by ``IOC_START_LOG``, so the pytest wrapper (``tests/test_verilog.py``) can compare
simulators and flags, and the test itself asserts the expected answers.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP
from rtl.access import HANDSHAKE_TO_ANSWER
from testbench.runner import params_from_env
from testbench.tb import CLOCK_NS

__all__ = ["EXPECTED", "WAIT_CYCLES"]

_ADDR_PLAIN = 0x40
_ADDR_SC_NO_LL = 0x44
_ADDR_LLSC = 0x48
_SC_DATA = 0x1234_5678

#: Cycles a handshake or a response may take before the step is recorded as unanswered
#: (``resp`` "none"): far above the pipeline's answer latency, so that an undefined VALID or
#: READY (a simulator showing X) ends the step instead of hanging the run.
WAIT_CYCLES = 8 * HANDSHAKE_TO_ANSWER

#: The sequence and what each step must answer: (step, channel, address, RESP, data or None).
EXPECTED = [
    ("first read of shared RAM", "r", _ADDR_PLAIN, AxiResp.OKAY, 0),
    ("first read of the register block", "r", REG_BASE + REGMAP["ID"].offset, AxiResp.OKAY,
     sum(f.reset << f.offset for f in REGMAP["ID"].fields)),
    ("first SC, no reservation", "b", _ADDR_SC_NO_LL, AxiResp.OKAY, None),
    ("read-back of the failed SC", "r", _ADDR_SC_NO_LL, AxiResp.OKAY, 0),
    ("LL", "r", _ADDR_LLSC, AxiResp.EXOKAY, 0),
    ("SC after the LL", "b", _ADDR_LLSC, AxiResp.EXOKAY, None),
    ("read-back of the SC", "r", _ADDR_LLSC, AxiResp.OKAY, _SC_DATA),
]


def _pin(dut, name):
    return getattr(dut, f"s0_axi_{name}")


async def _handshake(dut, valid, ready):
    """Hold ``valid`` high until ``ready`` is seen at a rising edge (True), or for
    :data:`WAIT_CYCLES` cycles (False), then drop it."""
    _pin(dut, valid).value = 1
    for _ in range(WAIT_CYCLES):
        await ReadOnly()
        done = str(_pin(dut, ready).value) == "1"
        await RisingEdge(dut.clk)
        if done:
            break
    _pin(dut, valid).value = 0
    return done


async def _response(dut, channel, fields):
    """Wait for the ``channel`` (``r``/``b``) VALID and return its fields as binary strings,
    or ``{"resp": "none"}`` if none came within :data:`WAIT_CYCLES` cycles."""
    for _ in range(WAIT_CYCLES):
        await ReadOnly()
        if str(_pin(dut, f"{channel}valid").value) == "1":
            seen = {f: str(_pin(dut, f"{channel}{f}").value) for f in fields}
            await RisingEdge(dut.clk)
            return seen
        await RisingEdge(dut.clk)
    return {"resp": "none"}


async def _read(dut, addr, lock):
    for name, value in (("araddr", addr), ("arlen", 0), ("arsize", 2), ("arburst", 1),
                        ("arlock", lock), ("arid", 0), ("arprot", 0), ("arcache", 0)):
        _pin(dut, name).value = value
    if not await _handshake(dut, "arvalid", "arready"):
        return {"resp": "none"}
    return await _response(dut, "r", ("resp", "data", "last"))


async def _write(dut, addr, data, lock):
    for name, value in (("awaddr", addr), ("awlen", 0), ("awsize", 2), ("awburst", 1),
                        ("awlock", lock), ("awid", 0), ("awprot", 0), ("awcache", 0),
                        ("wdata", data), ("wstrb", 0xF), ("wlast", 1)):
        _pin(dut, name).value = value
    if not (await _handshake(dut, "awvalid", "awready") and
            await _handshake(dut, "wvalid", "wready")):
        return {"resp": "none"}
    return await _response(dut, "b", ("resp",))


def _quiet_inputs(dut, n_agents):
    """Every input 0 from time 0, as a testbench that only drives what it uses would."""
    dut.rst.value = 1
    dut.resv_clear.value = 0
    for k in range(n_agents):
        for ch in ("ar", "aw"):
            for f in ("valid", "addr", "len", "size", "burst", "lock", "id", "prot", "cache"):
                getattr(dut, f"s{k}_axi_{ch}{f}").value = 0
        for f in ("wvalid", "wdata", "wstrb", "wlast", "rready", "bready"):
            getattr(dut, f"s{k}_axi_{f}").value = 0


@cocotb.test()
async def first_accesses_after_power_up(dut):
    """Every response of the power-up sequence is defined (no X) and as SPEC §3.1/§3.3 say."""
    params = params_from_env()
    _quiet_inputs(dut, params.n_agents)
    cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    dut.rst.value = 0
    _pin(dut, "rready").value = 1
    _pin(dut, "bready").value = 1

    log = []
    for step, channel, addr, _resp, _data in EXPECTED:
        lock = int(step.startswith(("LL", "first SC", "SC")))
        if channel == "r":
            seen = await _read(dut, addr, lock)
        else:
            seen = await _write(dut, addr, _SC_DATA, lock)
        log.append({"step": step, **seen})
    path = os.environ.get("IOC_START_LOG")
    if path:
        with open(path, "w") as f:
            json.dump(log, f, indent=1)

    for (step, _channel, _addr, resp, data), seen in zip(EXPECTED, log, strict=True):
        assert seen["resp"] == f"{resp.value:02b}", f"{step}: RESP {seen['resp']}, not {resp!r}"
        if "data" in seen:
            assert "x" not in seen["data"].lower() and "z" not in seen["data"].lower(), \
                f"{step}: RDATA {seen['data']}"
            assert seen["last"] == "1", f"{step}: RLAST {seen['last']}"
        if data is not None:
            assert int(seen["data"], 2) == data, f"{step}: RDATA {int(seen['data'], 2):#x}"
