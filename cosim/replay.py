"""The RTL backend of the CPU-port interface: ``sw_model`` threads run on the hardware.

Guest, hypervisor and protocol code is written once against :class:`sw_model.cpu.CpuPort`; its
reference port yields one :class:`sw_model.cpu.Op` per operation. :class:`RtlRunner` drives the
very same coroutines and performs each ``Op`` on the RTL instead of the reference model: loads
and stores as AXI transactions of the thread's agent (``AxPROT[0]`` for privileged ports),
``movli``/``movco`` as exclusive reads/writes, ``resv_clear`` as a pulse on the agent's input.

Replaying the trace of a reference run (:attr:`sw_model.sched.Runner.trace`) reproduces its
interleaving exactly on the hardware, switches included: as in the reference, a change of thread
on an agent pulses that agent's ``resv_clear`` first (an interrupt took the CPU away).
"""

from cocotbext.axi import AxiResp

from cosim.tb import EXCL, PRIV
from sw_model.cpu import BusError
from sw_model.sched import Pulse, ReplayError

__all__ = ["RtlRunner"]

_ERRORS = (AxiResp.SLVERR, AxiResp.DECERR)


class RtlRunner:
    """Performs the operations of a :class:`sw_model.sched.Runner`'s threads on the RTL.

    Parameters
    ----------
    tb : cosim.tb.TB
        The testbench (one AXI master per agent).
    runner : sw_model.sched.Runner
        A runner with its threads spawned and not yet stepped; only its threads are used (its
        reference system is not touched).
    clear_on_switch : bool
        As in :class:`~sw_model.sched.Runner`.

    Members
    -------
    transactions : int
        AXI transactions performed.
    """

    def __init__(self, tb, runner, *, clear_on_switch=True):
        self.tb = tb
        self.runner = runner
        self.clear_on_switch = clear_on_switch
        self.transactions = 0
        self._last = {}

    async def replay(self, trace):
        """Take the schedule entries of ``trace`` (thread ids and :class:`Pulse`) in order."""
        for step, entry in enumerate(trace):
            if isinstance(entry, Pulse):
                await self.tb.resv_clear(entry.agent)
                continue
            thread = self.runner.threads[entry]
            if thread.pending is None:
                raise ReplayError(f"{thread!r} has finished before step {step}")
            if self.clear_on_switch and self._last.get(thread.agent, thread.tid) != thread.tid:
                await self.tb.resv_clear(thread.agent)
            self._last[thread.agent] = thread.tid
            value, exc = await self._perform(thread.pending)
            # Resuming a thread is the reference runner's own mechanism: share it, so the two
            # backends cannot drift apart in how a result reaches the thread.
            self.runner._advance(thread, value, exc)

    async def _perform(self, op):
        kind = op.kind
        if kind == "clear":
            await self.tb.resv_clear(op.agent)
            return None, None
        if kind in ("pause", "sleep", "wait"):
            # Scheduling hints: in a replay the order of operations is already fixed.
            return None, None
        master = self.tb.masters[op.agent]
        prot = PRIV if op.priv else 0
        if kind in ("load", "movli"):
            r = await master.read(op.arg, 4, arid=op.agent, prot=prot,
                                  lock=EXCL if kind == "movli" else 0)
            self.transactions += 1
            if r.resp in _ERRORS:
                return None, BusError(r.resp, op.arg)
            return int.from_bytes(r.data, "little"), None
        if kind == "movco":
            r = await master.write(op.arg, op.value.to_bytes(4, "little"), awid=op.agent,
                                   prot=prot, lock=EXCL)
            self.transactions += 1
            if r.resp in _ERRORS:
                return None, BusError(r.resp, op.arg)
            return r.resp == AxiResp.EXOKAY, None
        if kind == "store":
            return None, await self._store(master, op, prot)
        raise ValueError(f"unknown operation {op!r}")

    async def _store(self, master, op, prot):
        """A store with byte strobes: one write per run of contiguous enabled bytes (an AXI
        manager model writes byte ranges; a full-word store is one transaction)."""
        data = op.value.to_bytes(4, "little")
        lane = 0
        while lane < 4:
            if not op.strb >> lane & 1:
                lane += 1
                continue
            end = lane
            while end < 4 and op.strb >> end & 1:
                end += 1
            r = await master.write(op.arg + lane, data[lane:end], awid=op.agent, prot=prot)
            self.transactions += 1
            if r.resp in _ERRORS:
                return BusError(r.resp, op.arg)
            lane = end
        return None
