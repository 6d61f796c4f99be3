"""The one testbench of the subsystem: clock, reset, one AXI master per agent, cycle probes.

Every cocotb suite builds a :class:`TB` instead of wiring the DUT itself.
"""

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiBus, AxiLockType, AxiMaster, AxiProt

from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from testbench.axi_checker import AxiProtocolChecker
from testbench.coverage_monitor import CoverageMonitor
from testbench.raw_axi import RawAxiManager
from testbench.scoreboard import Scoreboard

__all__ = ["TB", "CLOCK_NS", "EXCL", "PRIV"]

CLOCK_NS = 10
EXCL = AxiLockType.EXCLUSIVE
PRIV = AxiProt.PRIVILEGED


def _pauses(rng, busy):
    """An idle/back-pressure pattern: pause with probability ``busy``, in short runs."""
    while True:
        run = rng.randint(1, 3)
        pause = rng.random() < busy
        for _ in range(run):
            yield pause


class TB:
    """Testbench around an ``ioc_subsystem`` instance.

    Parameters
    ----------
    dut : cocotb handle
        The toplevel.
    params : IocParams
        The configuration the toplevel was generated with.
    backpressure : bool
        Plug random idle (manager side) and back-pressure (R/B ready) generators into every
        channel of every port.
    seed : int
        Seed of the testbench's own randomness (pause patterns, traffic).
    raw : bool
        Drive the ports with :class:`testbench.raw_axi.RawAxiManager` (any burst, legal or not)
        instead of cocotbext-axi's ``AxiMaster``.

    Members
    -------
    scoreboard : Scoreboard
        Compares the RTL with the reference models from the first cycle after :meth:`reset`;
        :meth:`finish` asserts they agreed.
    checkers : list of AxiProtocolChecker
        One AXI protocol checker per port, running all the time; :meth:`finish` asserts no
        rule was broken and nothing is left unanswered.
    """

    def __init__(self, dut, params, *, backpressure=False, seed=0, raw=False):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self.dut = dut
        self.params = params
        self.rng = random.Random(seed)
        self.cycle = 0
        dut.resv_clear.value = 0
        dut.rst.value = 1
        cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
        cocotb.start_soon(self._count_cycles())
        self.scoreboard = Scoreboard(dut, params)
        if raw:
            self.masters = [RawAxiManager(dut, f"s{k}_axi", dut.clk,
                                          rng=random.Random(self.rng.random()),
                                          busy=0.3 if backpressure else 0.0)
                            for k in range(params.n_agents)]
        else:
            self.masters = [
                AxiMaster(AxiBus.from_prefix(dut, f"s{k}_axi"), dut.clk, dut.rst)
                for k in range(params.n_agents)
            ]
        self.checkers = [AxiProtocolChecker(dut, f"s{k}_axi_", dut.clk, dut.rst)
                         for k in range(params.n_agents)]
        for checker in self.checkers:
            checker.start()
        # functional coverage, when the run collects it (testbench.runner.run(coverage=True))
        self.coverage = CoverageMonitor.from_env(self)
        if self.coverage is not None:
            self.coverage.start()
        for master in self.masters if not raw else ():
            master.write_if.log.setLevel("WARNING")
            master.read_if.log.setLevel("WARNING")
            if backpressure:
                for channel in (master.write_if.aw_channel, master.write_if.w_channel,
                                master.write_if.b_channel, master.read_if.ar_channel,
                                master.read_if.r_channel):
                    channel.set_pause_generator(_pauses(random.Random(self.rng.random()), 0.4))

    async def _count_cycles(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1

    async def reset(self, cycles=4):
        """Reset the subsystem (the shared RAM keeps its contents) and restart the scoreboard
        on fresh models."""
        self.scoreboard.stop()
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        self.scoreboard = Scoreboard(self.dut, self.params)
        self.scoreboard.start()
        await RisingEdge(self.dut.clk)

    async def start(self):
        """Reset, then zero the shared RAM through port 0 (``rst`` leaves the RAM alone, so
        each test starts from a known memory, the one the fresh reference models assume)."""
        await self.reset()
        chunk = 1024
        for addr in range(0, self.params.shm_bytes, chunk):
            await self.masters[0].write(addr, bytes(min(chunk, self.params.shm_bytes - addr)))

    async def finish(self):
        """End of a test: let the last answers arrive, then assert the scoreboard agreed."""
        await self.cycles(2)
        self.scoreboard.stop()
        self.scoreboard.check()
        for checker in self.checkers:
            checker.stop()
            checker.check()
        if self.coverage is not None:
            self.coverage.stop()
            self.coverage.dump()
        self.dut._log.info("scoreboard: %d accesses in %d cycles agreed with the reference "
                           "models; AXI checkers: %d handshakes, no violation",
                           self.scoreboard.accesses, self.scoreboard.cycles,
                           sum(c.handshakes for c in self.checkers))

    def cover_history(self, history):
        """Count the ring outcomes of ``sw_model`` code that ran on the RTL (functional
        coverage; nothing unless the run collects it)."""
        if self.coverage is not None:
            self.coverage.sample_history(history)

    def record(self, **metrics):
        """Append a row of measurements to the run's metrics file (``IOC_METRICS``), which the
        regression's summary reads."""
        path = os.environ.get("IOC_METRICS")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps(metrics) + "\n")

    async def cycles(self, n):
        for _ in range(n):
            await RisingEdge(self.dut.clk)

    async def resv_clear(self, agent):
        """Pulse ``resv_clear[agent]`` for one cycle."""
        await RisingEdge(self.dut.clk)
        self.dut.resv_clear.value = 1 << agent
        await RisingEdge(self.dut.clk)
        self.dut.resv_clear.value = 0

    async def reg_read(self, agent, name, index=0, *, priv=False):
        """Read register ``name[index]`` from ``agent``'s port: ``(value, resp)``."""
        r = await self.masters[agent].read(REG_BASE + REGMAP[name].address(index), 4,
                                           arid=agent, prot=PRIV if priv else 0)
        return int.from_bytes(r.data, "little"), r.resp

    async def reg_write(self, agent, name, value, index=0, *, priv=False):
        """Write register ``name[index]`` from ``agent``'s port: the response."""
        r = await self.masters[agent].write(REG_BASE + REGMAP[name].address(index),
                                            (value & 0xFFFF_FFFF).to_bytes(4, "little"),
                                            awid=agent, prot=PRIV if priv else 0)
        return r.resp

    def port(self, agent, name):
        """Handle of ``s<agent>_axi_<name>``."""
        return getattr(self.dut, f"s{agent}_axi_{name}")

    async def watch_handshakes(self, agent, channels, log):
        """Append ``(cycle, channel)`` to ``log`` for every handshake on ``channels`` of a port
        (``"ar"``, ``"r"``, ``"aw"``, ``"w"``, ``"b"``), and ``(cycle, "rvalid")`` for every
        cycle in which R is valid."""
        while True:
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            for ch in channels:
                if ch == "rvalid":
                    continue
                if self.port(agent, f"{ch}valid").value and self.port(agent, f"{ch}ready").value:
                    log.append((self.cycle, ch))
            if "rvalid" in channels and self.port(agent, "rvalid").value:
                log.append((self.cycle, "rvalid"))
