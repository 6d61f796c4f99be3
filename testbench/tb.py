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
from testbench.runner import params_from_env
from testbench.scoreboard import Scoreboard

__all__ = ["TB", "CLOCK_NS", "EXCL", "PRIV", "pause_runs", "pause_coin"]

CLOCK_NS = 10
EXCL = AxiLockType.EXCLUSIVE
PRIV = AxiProt.PRIVILEGED


def pause_runs(rng, busy):
    """A pause generator: pause with probability ``busy``, in runs of one to three cycles."""
    while True:
        run = rng.randint(1, 3)
        pause = rng.random() < busy
        for _ in range(run):
            yield pause


def pause_coin(rng, busy):
    """A pause generator: pause with probability ``busy`` in every cycle, independently."""
    while True:
        yield rng.random() < busy


#: What ``stalls=True`` plugs in: for cocotbext-axi's master, a pause generator per channel;
#: for the raw manager, one shared by its VALID and READY decisions.
_DEFAULT_STALLS = {False: (pause_runs, 0.4), True: (pause_coin, 0.3)}


class TB:
    """Testbench around an ``ioc_subsystem`` instance.

    Parameters
    ----------
    dut : cocotb handle
        The toplevel.
    params : IocParams
        The configuration the toplevel was generated with.
    stalls : bool
        Plug random idle (manager VALID) and back-pressure (R/B READY) generators into every
        channel of every port (see :meth:`set_idle_generator`,
        :meth:`set_backpressure_generator` to plug others).
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

    def __init__(self, dut, params, *, stalls=False, seed=0, raw=False):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self.dut = dut
        self.params = params
        self.raw = bool(raw)
        self.rng = random.Random(seed)
        self.cycle = 0
        dut.resv_clear.value = 0
        dut.rst.value = 1
        cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
        cocotb.start_soon(self._count_cycles())
        self.scoreboard = Scoreboard(dut, params)
        if raw:
            self.masters = [RawAxiManager(dut, f"s{k}_axi", dut.clk)
                            for k in range(params.n_agents)]
            for master in self.masters:
                # one generator for both directions, so VALID and READY stalls interleave
                kind, busy = _DEFAULT_STALLS[True]
                pauses = kind(random.Random(self.rng.random()), busy)
                if stalls:
                    master.set_idle_generator(pauses)
                    master.set_backpressure_generator(pauses)
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
            if stalls:
                kind, busy = _DEFAULT_STALLS[False]
                for channel in self._channels(master, idle=True, backpressure=True):
                    channel.set_pause_generator(kind(random.Random(self.rng.random()), busy))

    @classmethod
    def from_env(cls, dut, *, stalls=False, seed=None, raw=False):
        """The testbench of a cocotb test: the configuration the suite was started with
        (:func:`testbench.runner.params_from_env`) and, unless given, cocotb's seed."""
        return cls(dut, params_from_env(), stalls=stalls,
                   seed=cocotb.RANDOM_SEED if seed is None else seed, raw=raw)

    @staticmethod
    def _channels(master, *, idle, backpressure):
        """cocotbext-axi channels of ``master`` in a fixed order: the manager's sources (AW, W,
        AR: idle) and sinks (B, R: back-pressure)."""
        for channel, source in ((master.write_if.aw_channel, True),
                                (master.write_if.w_channel, True),
                                (master.write_if.b_channel, False),
                                (master.read_if.ar_channel, True),
                                (master.read_if.r_channel, False)):
            if source and idle or not source and backpressure:
                yield channel

    def set_idle_generator(self, generator=None):
        """Plug ``generator()`` (a callable returning a fresh iterator of bools, as in
        cocotbext-axi) into the VALID side of every manager channel of every port: a ``True``
        is a cycle the manager idles. ``None`` removes them."""
        self._plug(generator, idle=True)

    def set_backpressure_generator(self, generator=None):
        """Plug ``generator()`` into the READY side of every R and B channel of every port: a
        ``True`` is a cycle the manager refuses a beat. ``None`` removes them."""
        self._plug(generator, idle=False)

    def _plug(self, generator, *, idle):
        for master in self.masters:
            if self.raw:
                setter = master.set_idle_generator if idle else master.set_backpressure_generator
                setter(generator() if generator else None)
                continue
            for channel in self._channels(master, idle=idle, backpressure=not idle):
                channel.set_pause_generator(generator() if generator else None)
                if generator is None:
                    channel.pause = False  # removing a generator leaves its last value in place

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
        cocotb.log.info("scoreboard: %d accesses in %d cycles agreed with the reference "
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
