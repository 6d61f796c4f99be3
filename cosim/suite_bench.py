"""cocotb suite of ``make bench``: the measurements, on the RTL.

The plan (which cases to run) comes from the file named by ``IOC_BENCH_PLAN`` (written by
:mod:`bench`); every measurement is written as a row with :meth:`testbench.tb.TB.record`. Each test
also asserts what makes its figures trustworthy: the scoreboard and the AXI checkers agree with
every access, every workload delivers exactly once, and the LL/SC counts the ports saw are the
ones the hardware counted.
"""

import json
import os
import random
import time

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP
from testbench.bench_workload import LatencyCase, LatencyRun, ThroughputCase, ThroughputRun
from testbench.bus_port import CocotbLink
from testbench.tb import TB


def _plan():
    with open(os.environ["IOC_BENCH_PLAN"]) as f:
        return json.load(f)


async def _drive(tb, run):
    """Drive a :mod:`testbench.bench_workload` run on the testbench: set-up, the agents' bodies
    concurrently, finish."""
    links = [CocotbLink(tb, k) for k in range(tb.params.n_agents)]
    await run.setup(links[0])
    tasks = [cocotb.start_soon(body(links[agent])) for agent, body in run.bodies()]
    for task in tasks:
        await task
    await run.finish(links[0])
    return run.result()


async def _watch_irq(tb, log):
    while True:
        await RisingEdge(tb.dut.clk)
        await ReadOnly()
        log.append((tb.cycle, int(tb.dut.irq.value)))


@cocotb.test()
async def transaction_latency(dut):
    """Uncontended latency of each kind of access, at the pins (request handshake to response
    handshake) and as a bus master sees it (call to return), and doorbell to irq."""
    tb = TB.from_env(dut, seed=0)
    await tb.start()
    link = CocotbLink(tb, 0)
    pins = []
    cocotb.start_soon(tb.watch_handshakes(0, ("ar", "r", "aw", "b"), pins))
    shm, reg = 0x40, REG_BASE + REGMAP["CH_ENABLE"].address()
    ops = {
        "read": lambda: link.read(shm),
        "write": lambda: link.write(shm, 0x1234),
        "ll": lambda: link.read(shm, excl=True),
        "sc_ok": lambda: link.write(shm, 0x5678, excl=True),
        "sc_fail": lambda: link.write(shm, 0x9ABC, excl=True),
        "reg_read": lambda: link.read(reg),
        "reg_write": lambda: link.write(reg, 0),
    }
    expected = {"sc_ok": 1, "sc_fail": 0}   # EXOKAY, OKAY
    for name, op in ops.items():
        await tb.cycles(3)
        pins.clear()
        t0 = link.now
        result = await op()
        t1 = link.now
        await tb.cycles(2)
        resp = result[1] if isinstance(result, tuple) else result
        if name in expected:
            assert int(resp) == expected[name], f"{name}: {resp!r}"
        request = next(c for c, ch in pins if ch in ("ar", "aw"))
        response = next(c for c, ch in pins if ch in ("r", "b"))
        tb.record(kind="transaction", op=name, pins=response - request + 1, port=t1 - t0)

    # Doorbell -> irq: channel 0 from agent 0 to agent 1, agent 1's interrupt enabled.
    cfg = REGMAP["CH_CFG"]
    await tb.reg_write(0, "CH_CFG", cfg.compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1}), 0,
                       priv=True)
    await tb.reg_write(1, "CH_ENABLE", 1)
    irq = []
    cocotb.start_soon(_watch_irq(tb, irq))
    pins.clear()
    await tb.reg_write(0, "DOORBELL", 0)
    await tb.cycles(4)
    aw = next(c for c, ch in pins if ch == "aw")
    b = next(c for c, ch in pins if ch == "b")
    rise = next(c for c, level in irq if level >> 1 & 1)
    assert rise == b, f"irq rose in cycle {rise}, the doorbell's B handshake was in cycle {b}"
    tb.record(kind="doorbell_irq", from_request=rise - aw + 1, from_response=rise - b)
    await tb.finish()


@cocotb.test()
async def message_latency(dut):
    """End-to-end latency of one message at a time, per variant, configuration and size."""
    tb = TB.from_env(dut, seed=0)
    for fields in _plan()["latency"]:
        case = LatencyCase(**fields)
        await tb.start()
        result = await _drive(tb, LatencyRun(case, random.Random(case.seed)))
        assert result["delivered"] == case.messages
        tb.record(kind="latency", **result)
    await tb.finish()


@cocotb.test()
async def throughput(dut):
    """Messages per 1000 cycles with 1..4 producers, with and without preemption."""
    tb = TB.from_env(dut, seed=0)
    for fields in _plan()["throughput"]:
        case = ThroughputCase(**fields)
        await tb.start()
        result = await _drive(tb, ThroughputRun(case))
        hw, consumer = result["hw"], case.producers
        assert result["messages"] == case.producers * case.messages
        assert sum(hw["LL_COUNT"]) == result["ll"], (hw, result)
        assert sum(hw["SC_OK_COUNT"]) + sum(hw["SC_FAIL_COUNT"]) == result["sc"], (hw, result)
        assert sum(hw["SC_FAIL_COUNT"]) == result["sc_fail"], (hw, result)
        assert hw["LL_COUNT"][consumer] == 0
        tb.record(kind="throughput", **result)
    await tb.finish()


@cocotb.test()
async def simulation_speed(dut):
    """Simulated cycles per wall-clock second of the speed scenario (the same workload
    :mod:`testbench.amaranth_link` runs on amaranth's simulator). The scoreboard and the AXI
    checkers are stopped for it, as the other simulators have none."""
    tb = TB.from_env(dut, seed=0)
    case = ThroughputCase(**_plan()["speed"])
    await tb.start()
    tb.scoreboard.stop()
    for checker in tb.checkers:
        checker.stop()
    c0, t0 = tb.cycle, time.perf_counter()
    result = await _drive(tb, ThroughputRun(case))
    wall = time.perf_counter() - t0
    assert result["messages"] == case.producers * case.messages
    tb.record(kind="speed", cycles=tb.cycle - c0, wall_s=wall, messages=result["messages"])
