"""Live co-simulation: the hypervisor and guests of ``sw_model`` run on the RTL in real time.

:class:`LiveRtlRunner` is a :class:`sw_model.sched.Runner` whose operations are AXI transactions
on the hardware and whose clock is the hardware's: ``now`` counts RTL cycles, idle time passes
as clock cycles, and ``irq``/``agent_rst`` are the DUT's outputs, so watchdogs, doorbells and
guest resets act as they do on silicon. Scheduling (which thread takes the next operation) is
the same policy code as on the reference backend, so the same scenario code runs on both.

The runner's ``system`` is :class:`RtlSystem`: its memory is the scoreboard's mirror of the
shared RAM (exact, fed by the RTL's own granted accesses), which the scheduler and the scenario
read without bus traffic, as the reference does.
"""

from cocotb.triggers import RisingEdge

from sw_model.sched import Pulse, ReplayError, Runner
from testbench.replay import RtlRunner

__all__ = ["RtlSystem", "LiveRtlRunner"]


class RtlSystem:
    """The hardware as a :class:`~sw_model.sched.Runner` sees its system."""

    def __init__(self, tb):
        self.tb = tb

    @property
    def params(self):
        return self.tb.params

    @property
    def memory(self):
        return self.tb.scoreboard.memory

    @property
    def generation(self):
        """Changes with every access and every change of an ``irq``/``agent_rst`` level."""
        d = self.tb.dut
        return (self.tb.scoreboard.accesses, int(d.irq.value), int(d.agent_rst.value))

    def irq(self, agent):
        return bool(int(self.tb.dut.irq.value) >> agent & 1)

    def agent_rst(self, agent):
        return bool(int(self.tb.dut.agent_rst.value) >> agent & 1)


class LiveRtlRunner(Runner):
    """Runs threads on the RTL, one operation at a time, under a scheduling policy.

    Parameters
    ----------
    tb : testbench.tb.TB
        The testbench, started.
    **kwargs
        As for :class:`~sw_model.sched.Runner` (``absorb``, ``clear_on_switch``).
    """

    def __init__(self, tb, **kwargs):
        super().__init__(RtlSystem(tb), **kwargs)
        self.tb = tb
        self._bus = RtlRunner(tb, self)
        self._t0 = tb.cycle

    def _sync_clock(self):
        self.now = self.tb.cycle - self._t0
        for hook in self.hooks:
            hook(self)

    async def astep(self, choice):
        """:meth:`~sw_model.sched.Runner.step`, performed on the hardware."""
        if isinstance(choice, Pulse):
            await self.tb.resv_clear(choice.agent)
            self.trace.append(choice)
            return
        thread = self.threads[choice] if isinstance(choice, int) else choice
        if not self.ready(thread):
            raise ReplayError(f"{thread!r} cannot run at step {len(self.trace)}")
        self.trace.append(thread.tid)
        op = thread.pending
        if self._clear_on_switch and self._last.get(thread.agent, thread.tid) != thread.tid:
            await self.tb.resv_clear(thread.agent)
        self._last[thread.agent] = thread.tid
        self._note_reads(thread, op)
        value, exc = await self._bus._perform(op)
        thread.last_result = value
        self._stepping, self._doomed = thread, False
        self._sync_clock()
        self._advance(thread, value, exc)
        self._stepping = None
        if self._doomed:
            self.kill(thread)

    async def arun(self, policy, *, max_steps=100_000, idle_limit=100_000):
        """:meth:`~sw_model.sched.Runner.run` on the hardware: idle time is clock cycles."""
        schedule = self._schedule(policy, max_steps, idle_limit)
        try:
            while True:
                choice = next(schedule)
                if choice is None:
                    await RisingEdge(self.tb.dut.clk)
                    self._sync_clock()
                else:
                    await self.astep(choice)
        except StopIteration as done:
            return done.value
