"""The link: one agent's connection to the bus, as every backend provides it, and the one
function that performs a guest operation on it.

A backend (the pure-Python :class:`~sw_model.system.RefSystem`, the RTL under cocotb, the RTL
in amaranth's simulator, the board through the UART bridge) provides one :class:`Link` per
agent. :func:`perform` turns a :class:`~sw_model.cpu.Op` into link calls and the answer into
what the guest sees (a word, the T bit of ``movco.l``, or a :class:`~sw_model.cpu.BusError`):
every backend runs guest code through it, so the CPU-port semantics exist once.

Guest code reaches a link in one of two ways: through :class:`sw_model.sched.Runner`, which
takes one operation at a time system-wide under a scheduling policy, or through
:class:`BusCpuPort` (this module), which performs each operation at once on its own agent's
link, so that code on different agents runs truly in parallel and meets at the hardware's
arbiter, as CPUs do.
"""

import random
from collections import Counter
from typing import Protocol, runtime_checkable

from ioc_defs.axi import ERROR_RESPONSES, AxiResp

from .cpu import BusError, CpuPort, Op

__all__ = ["Link", "perform", "SCHEDULING_HINTS", "Preemption", "BusCpuPort"]

#: Operations that touch no hardware: they only tell the scheduler when the thread can go on.
SCHEDULING_HINTS = frozenset(("pause", "sleep", "wait"))


@runtime_checkable
class Link(Protocol):
    """One agent's port onto the subsystem (structural: any object with these members).

    Members
    -------
    agent : int
        The agent (AXI port) the link drives.
    now : int
        The current clock cycle of the backend.
    """

    agent: int

    @property
    def now(self): ...

    async def read(self, addr, *, excl=False, priv=False):
        """One 32-bit read (exclusive: ``movli.l``); returns ``(word, AxiResp)``."""

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        """One 32-bit write with byte strobes (exclusive: ``movco.l``); returns the
        :class:`~ioc_defs.axi.AxiResp`."""

    async def tick(self, n=1):
        """Let ``n`` clock cycles pass."""

    async def clear(self):
        """Pulse the agent's ``resv_clear``."""

    def irq(self):
        """The level of the agent's ``irq`` output."""


async def perform(link, op):
    """Carry out ``op`` (a :class:`~sw_model.cpu.Op`) on ``link``; returns ``(value,
    exception)``: the loaded word, the T bit of a ``movco``, or ``None``; and the
    :class:`~sw_model.cpu.BusError` to raise in the guest, or ``None``. Scheduling hints
    (:data:`SCHEDULING_HINTS`) do nothing here."""
    kind = op.kind
    if kind in SCHEDULING_HINTS:
        return None, None
    if kind == "clear":
        await link.clear()
        return None, None
    if kind in ("load", "movli"):
        value, resp = await link.read(op.arg, excl=kind == "movli", priv=op.priv)
    elif kind == "movco":
        resp = await link.write(op.arg, op.value, excl=True, priv=op.priv)
        value = resp == AxiResp.EXOKAY
    elif kind == "store":
        resp = await link.write(op.arg, op.value, op.strb, priv=op.priv)
        value = None
    else:
        raise ValueError(f"unknown operation {op!r}")
    if resp in ERROR_RESPONSES:
        return None, BusError(resp, op.arg)
    return value, None


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

    async def _do(self, kind, addr, value=0, strb=0xF):
        await self._enter(kind)
        result, error = await perform(self.link, Op(kind, self.agent, self.priv, addr, value,
                                                    strb))
        if error is not None:
            raise error
        return result

    async def load(self, addr):
        return await self._do("load", addr)

    async def movli(self, addr):
        return await self._do("movli", addr)

    async def store(self, addr, value, strb=0xF):
        await self._do("store", addr, value, strb)

    async def movco(self, addr, value):
        stored = await self._do("movco", addr, value)
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
