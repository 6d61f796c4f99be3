"""The RTL under cocotb as a backend of :class:`sw_model.sched.Runner`, the one executor of
guest operations: the hypervisor, guests and protocol code of ``sw_model`` run on the hardware.

Every memory operation of a thread is an AXI transaction of its agent on the thread's
:class:`~testbench.bus_port.CocotbLink` (``AxPROT[0]`` for privileged ports, exclusive
reads/writes for ``movli``/``movco``), a ``resv_clear`` is a pulse on the agent's input, and
the rules of scheduling (a thread switch pulses ``resv_clear`` first, spinning, sleeping,
kills) are the runner's, shared with the reference backend. Two kinds of time:

- ``live`` (:meth:`RtlSystem.live`): ``now`` counts RTL cycles, idle time passes as clock
  cycles, and ``irq``/``agent_rst`` are the DUT's outputs, so watchdogs, doorbells and guest
  resets act as they do on silicon;
- ``replay`` (:meth:`RtlSystem.replay`): time counts steps as on the reference, so a schedule
  recorded there (:attr:`~sw_model.sched.Runner.trace`, fed back through
  :class:`~sw_model.sched.ReplayPolicy`) reproduces its interleaving exactly on the hardware.

The system's memory is the scoreboard's mirror of the shared RAM (exact, fed by the RTL's own
granted accesses), which the scheduler and the scenario read without bus traffic, as the
reference does.
"""

from cocotb.triggers import RisingEdge

from sw_model.guests import DATA, PING, GuestCrash
from sw_model.layout import A2B
from sw_model.scenario import Scenario, scenario_fits, scenario_layout, scenario_params
from sw_model.sched import Runner
from testbench.bus_port import CocotbLink

__all__ = ["RtlSystem", "RTL_TIMING", "run_live", "message_latencies"]


class RtlSystem:
    """The hardware as a :class:`~sw_model.sched.Runner` sees its system.

    Parameters
    ----------
    tb : testbench.tb.TB
        The testbench, started.
    live : bool
        Time is the RTL's clock (see the module documentation); else one tick per step.
    """

    def __init__(self, tb, *, live):
        self.tb = tb
        self._live = bool(live)
        self._links = [CocotbLink(tb, k) for k in range(tb.params.n_agents)]
        self._seen = tb.cycle

    @classmethod
    def live(cls, tb):
        """Time is the RTL's clock: the scenarios, watchdogs and latencies in cycles."""
        return cls(tb, live=True)

    @classmethod
    def replay(cls, tb):
        """Time counts steps, as on the reference: replays a reference schedule exactly."""
        return cls(tb, live=False)

    @property
    def params(self):
        return self.tb.params

    @property
    def memory(self):
        return self.tb.scoreboard.memory

    @property
    def regblock(self):
        """The scoreboard's register block model, in step with the RTL's."""
        return self.tb.scoreboard.regblock

    @property
    def transactions(self):
        """AXI transactions performed through the links."""
        return sum(link.transactions for link in self._links)

    @property
    def generation(self):
        """Changes with every access and every change of an ``irq``/``agent_rst`` level."""
        d = self.tb.dut
        return (self.tb.scoreboard.accesses, int(d.irq.value), int(d.agent_rst.value))

    def link(self, agent):
        return self._links[agent]

    async def elapse(self, idle):
        if not self._live:
            return 1
        if idle:
            await RisingEdge(self.tb.dut.clk)
        cycles, self._seen = self.tb.cycle - self._seen, self.tb.cycle
        return cycles

    def irq(self, agent):
        return bool(int(self.tb.dut.irq.value) >> agent & 1)

    def agent_rst(self, agent):
        return bool(int(self.tb.dut.agent_rst.value) >> agent & 1)


#: Timers scaled for the bus: an operation is several cycles here, one on the reference.
RTL_TIMING = {"watchdog_period": 4000, "hb_period": 1500, "hb_timeout": 6000}


async def run_live(tb, config):
    """Run ``config`` on the RTL; returns the :class:`~sw_model.scenario.ScenarioResult`."""
    if not scenario_fits(config, tb.params):
        raise ValueError(f"{config} needs an instance of at least {scenario_params(config)}, "
                         f"not {tb.params}")
    await tb.masters[0].write(0, scenario_layout(config).image())
    runner = Runner(RtlSystem.live(tb), absorb=(GuestCrash,))
    scenario = Scenario(config, runner)
    scenario.history.clock = lambda: runner.now
    outcome = await runner.arun(scenario.policy(), max_steps=config.max_steps)
    tb.cover_history(scenario.history)
    return scenario.result(outcome), message_latencies(scenario.history)


def message_latencies(history):
    """End-to-end latency, in cycles, of every data message Linux sent to SimpleOS: from the
    producer's call to send it (right after the bus response of its previous operation) to
    the last bus response of the receiver's dequeue (its commit, after which the delivery is
    recorded)."""
    sent, latencies = {}, []
    for event, time in zip(history, history.times, strict=True):
        if event.channel != (DATA, A2B) or event.msg is None or event.msg & PING:
            continue
        if event.kind == "send":
            sent.setdefault(event.msg, time)
        elif event.kind == "deliver" and event.msg in sent:
            latencies.append(time - sent.pop(event.msg))
    return latencies
