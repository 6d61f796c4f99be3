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

from ioc_defs.axi import AxiResp
from sw_model.cpu import BusError
from sw_model.sched import Pulse, ReplayError
from testbench.bus_port import CocotbLink

__all__ = ["RtlRunner"]

_ERRORS = (AxiResp.SLVERR, AxiResp.DECERR)


class RtlRunner:
    """Performs the operations of a :class:`sw_model.sched.Runner`'s threads on the RTL.

    Parameters
    ----------
    tb : testbench.tb.TB
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
        self._links = [CocotbLink(tb, k) for k in range(tb.params.n_agents)]
        self._last = {}

    @property
    def transactions(self):
        return sum(link.transactions for link in self._links)

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
        link = self._links[op.agent]
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
        if resp in _ERRORS:
            return None, BusError(resp, op.arg)
        return value, None
