"""The CPU-port interface guest and hypervisor code is written against, and its reference backend.

Guest code only ever awaits the methods of a :class:`CpuPort` (and the primitives its backend
provides through it: :meth:`CpuPort.pause`, :meth:`CpuPort.sleep`); it never touches asyncio or a
scheduler. Each method is one scheduling point, so a scheduler can preempt between any two memory
operations.

Backends: :class:`RefPort` (this module; steps through :class:`sw_model.sched.Runner` on the
pure-Python :class:`sw_model.system.RefSystem`), and the RTL under cocotb (``cosim``).
"""

import abc
from dataclasses import dataclass

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE

__all__ = ["CpuPort", "BusError", "Op", "RefPort"]


class BusError(Exception):
    """An access was answered with SLVERR or DECERR.

    Parameters
    ----------
    resp : AxiResp
        The error response.
    addr : int
        The byte address of the access.
    """

    def __init__(self, resp, addr):
        super().__init__(f"{AxiResp(resp).name} at {addr:#010x}")
        self.resp, self.addr = AxiResp(resp), addr


class CpuPort(abc.ABC):
    """One agent's view of the subsystem, as a guest (``priv=False``) or the hypervisor.

    Members
    -------
    agent : int
        Index of the physical CPU (AXI port) the code runs on.
    priv : bool
        Accesses are privileged (``AxPROT[0]``).
    """

    def __init__(self, agent, *, priv=False):
        if not isinstance(agent, int) or isinstance(agent, bool) or agent < 0:
            raise TypeError(f"agent must be a non-negative integer, not {agent!r}")
        if not isinstance(priv, bool):
            raise TypeError(f"priv must be a bool, not {priv!r}")
        self._agent, self._priv = agent, priv

    @property
    def agent(self):
        return self._agent

    @property
    def priv(self):
        return self._priv

    def __repr__(self):
        return f"{type(self).__name__}(agent={self._agent}, priv={self._priv})"

    @abc.abstractmethod
    async def load(self, addr):
        """``mov.l @addr``: return the 32-bit word at ``addr``. Raises :class:`BusError`."""

    @abc.abstractmethod
    async def store(self, addr, value, strb=0xF):
        """``mov.l value, @addr`` with byte strobes ``strb``. Raises :class:`BusError`."""

    @abc.abstractmethod
    async def movli(self, addr):
        """``movli.l @addr``: load-linked; the word at ``addr``, and a reservation on it."""

    @abc.abstractmethod
    async def movco(self, addr, value):
        """``movco.l value, @addr``: store-conditional; return the T bit (``True`` = stored)."""

    @abc.abstractmethod
    async def resv_clear(self):
        """Pulse ``resv_clear`` for this agent (an interrupt or exception was accepted)."""

    @abc.abstractmethod
    async def pause(self):
        """Spin hint: the caller found nothing to do and will retry. A backend may suspend the
        caller until another agent or thread changes shared state."""

    @abc.abstractmethod
    async def sleep(self, ticks):
        """Let at least ``ticks`` clock ticks pass before returning."""

    @abc.abstractmethod
    async def wait(self, condition):
        """Block until ``condition()`` holds: a predicate over the model's state such as "a
        virtual interrupt is pending for my vCPU". The hypervisor model builds its vCPU
        primitives (wait for interrupt) on it."""

    async def reg_read(self, offset):
        """Read the register at ``offset`` in the register block."""
        return await self.load(REG_BASE + offset)

    async def reg_write(self, offset, value):
        """Write the register at ``offset`` in the register block."""
        await self.store(REG_BASE + offset, value)


@dataclass(frozen=True)
class Op:
    """One scheduling point requested by a thread of the reference backend.

    ``kind`` is one of ``"load"``, ``"store"``, ``"movli"``, ``"movco"``, ``"clear"``,
    ``"pause"``, ``"sleep"`` or ``"wait"``; ``arg`` is the address, the tick count or the wait
    condition; ``value``/``strb`` are the store data.
    """
    kind: str
    agent: int
    priv: bool = False
    arg: object = 0
    value: int = 0
    strb: int = 0xF

    def __await__(self):
        result = yield self
        return result

    @property
    def key(self):
        """A hashable identity of the request (what a history records)."""
        arg = self.arg if isinstance(self.arg, int) else type(self.arg).__qualname__
        return (self.kind, self.agent, self.priv, arg, self.value, self.strb)


class RefPort(CpuPort):
    """:class:`CpuPort` of the reference backend: each method yields an :class:`Op` to the
    :class:`sw_model.sched.Runner` driving the thread, which performs it when the schedule says.
    """

    async def load(self, addr):
        return await Op("load", self.agent, self.priv, addr)

    async def store(self, addr, value, strb=0xF):
        await Op("store", self.agent, self.priv, addr, value & 0xFFFF_FFFF, strb)

    async def movli(self, addr):
        return await Op("movli", self.agent, self.priv, addr)

    async def movco(self, addr, value):
        return await Op("movco", self.agent, self.priv, addr, value & 0xFFFF_FFFF)

    async def resv_clear(self):
        await Op("clear", self.agent, self.priv)

    async def pause(self):
        await Op("pause", self.agent, self.priv)

    async def sleep(self, ticks):
        if not isinstance(ticks, int) or ticks < 0:
            raise ValueError(f"ticks must be a non-negative integer, not {ticks!r}")
        await Op("sleep", self.agent, self.priv, ticks)

    async def wait(self, condition):
        await Op("wait", self.agent, self.priv, condition)
