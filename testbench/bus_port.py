"""Concurrent CPU ports: guest code runs on the hardware with no scheduler in between.

:class:`BusCpuPort` implements :class:`sw_model.cpu.CpuPort` by performing each operation at once as
one bus transaction of its agent (``movli``/``movco`` as exclusive accesses), so code on different
agents runs truly in parallel and meets at the RTL's arbiter, as CPUs do. (The scheduled runners,
:class:`testbench.replay.RtlRunner` and :class:`testbench.live.LiveRtlRunner`, take one operation at
a time system-wide instead, to replay or choose interleavings.)

A port talks to the hardware through a *link*, one per agent, which any simulator backend can
provide:

- ``now``: the current clock cycle;
- ``async read(addr, *, excl, priv)`` -> ``(word, resp)``;
- ``async write(addr, word, strb, *, excl, priv)`` -> ``resp``;
- ``async tick(n)``: let ``n`` clock cycles pass;
- ``async clear()``: pulse the agent's ``resv_clear``;
- ``irq()``: the level of the agent's ``irq`` output.

:class:`CocotbLink` is the link of a cocotb :class:`testbench.tb.TB` (a cocotbext-axi master);
:class:`testbench.amaranth_link.AmaranthLink` drives amaranth's simulator.
"""

import random
from collections import Counter

from cocotb.triggers import RisingEdge

from ioc_defs.axi import AxiResp as Resp
from sw_model.cpu import BusError, CpuPort
from testbench.tb import EXCL, PRIV

__all__ = ["CocotbLink", "Preemption", "BusCpuPort"]

_ERRORS = (Resp.SLVERR, Resp.DECERR)


class CocotbLink:
    """The link of agent ``agent`` of a cocotb testbench ``tb``.

    Members
    -------
    transactions : int
        AXI transactions performed.
    """

    def __init__(self, tb, agent):
        self.tb, self.agent = tb, agent
        self._master = tb.masters[agent]
        self.transactions = 0

    @property
    def now(self):
        return self.tb.cycle

    async def read(self, addr, *, excl=False, priv=False):
        r = await self._master.read(addr, 4, arid=self.agent, prot=PRIV if priv else 0,
                                    lock=EXCL if excl else 0)
        self.transactions += 1
        return int.from_bytes(r.data, "little"), Resp(int(r.resp))

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        """One write per run of contiguous enabled byte lanes (an AXI manager model writes byte
        ranges; a full-word store is one transaction). Stops at the first error response and
        returns it, else the last response."""
        data = (word & 0xFFFF_FFFF).to_bytes(4, "little")
        prot, lock = PRIV if priv else 0, EXCL if excl else 0
        resp, lane = Resp.OKAY, 0
        while lane < 4:
            if not strb >> lane & 1:
                lane += 1
                continue
            end = lane
            while end < 4 and strb >> end & 1:
                end += 1
            r = await self._master.write(addr + lane, data[lane:end], awid=self.agent, prot=prot,
                                         lock=lock)
            self.transactions += 1
            resp = Resp(int(r.resp))
            if resp in _ERRORS:
                break
            lane = end
        return resp

    async def tick(self, n=1):
        for _ in range(n):
            await RisingEdge(self.tb.dut.clk)

    async def clear(self):
        await self.tb.resv_clear(self.agent)

    def irq(self):
        return bool(int(self.tb.dut.irq.value) >> self.agent & 1)


class Preemption:
    """Random preemption of a CPU port: before each memory operation, with probability
    ``rate``, the hypervisor takes the CPU away (``resv_clear`` is pulsed, as on every vCPU
    switch) for a number of cycles drawn from ``[min_cycles, max_cycles]``."""

    def __init__(self, rate, min_cycles=8, max_cycles=64, *, seed=0):
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must be within [0, 1], not {rate!r}")
        if not 1 <= min_cycles <= max_cycles:
            raise ValueError(f"need 1 <= min_cycles <= max_cycles, not {min_cycles}, "
                             f"{max_cycles}")
        self.rate, self.min_cycles, self.max_cycles = rate, min_cycles, max_cycles
        self.rng = random.Random(seed)

    def draw(self):
        """Cycles to be away before the next operation, or 0."""
        if self.rate and self.rng.random() < self.rate:
            return self.rng.randint(self.min_cycles, self.max_cycles)
        return 0


class BusCpuPort(CpuPort):
    """A :class:`~sw_model.cpu.CpuPort` whose every operation is performed at once on ``link``.

    Parameters
    ----------
    link : link
        The agent's link (see the module documentation); its ``agent`` is the port's.
    priv : bool
        Privileged accesses (``AxPROT[0]``).
    preempt : Preemption or None
        Random preemption before memory operations.

    Members
    -------
    counts : collections.Counter
        Transactions performed, by operation (``"load"``, ``"store"``, ``"movli"``,
        ``"movco"``), and ``"movco_fail"``, ``"preempted"``.
    """

    def __init__(self, link, *, priv=False, preempt=None):
        super().__init__(link.agent, priv=priv)
        self.link, self.preempt = link, preempt
        self.counts = Counter()

    @property
    def transactions(self):
        c = self.counts
        return c["load"] + c["store"] + c["movli"] + c["movco"]

    async def _enter(self, kind):
        if self.preempt is not None:
            away = self.preempt.draw()
            if away:
                self.counts["preempted"] += 1
                await self.link.clear()
                await self.link.tick(away)
        self.counts[kind] += 1

    async def _read(self, kind, addr):
        await self._enter(kind)
        word, resp = await self.link.read(addr, excl=kind == "movli", priv=self.priv)
        if resp in _ERRORS:
            raise BusError(resp, addr)
        return word

    async def load(self, addr):
        return await self._read("load", addr)

    async def movli(self, addr):
        return await self._read("movli", addr)

    async def store(self, addr, value, strb=0xF):
        await self._enter("store")
        resp = await self.link.write(addr, value, strb, priv=self.priv)
        if resp in _ERRORS:
            raise BusError(resp, addr)

    async def movco(self, addr, value):
        await self._enter("movco")
        resp = await self.link.write(addr, value, excl=True, priv=self.priv)
        if resp in _ERRORS:
            raise BusError(resp, addr)
        stored = resp == Resp.EXOKAY
        if not stored:
            self.counts["movco_fail"] += 1
        return stored

    async def resv_clear(self):
        await self.link.clear()

    async def pause(self):
        await self.link.tick(1)

    async def sleep(self, ticks):
        await self.link.tick(ticks)

    async def wait(self, condition):
        while not condition():
            await self.link.tick(1)

