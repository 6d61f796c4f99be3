"""The benchmark workloads on amaranth's own simulator (no HDL simulator, no cocotb).

:class:`AmaranthHarness` puts an :class:`~rtl.subsystem.IocSubsystem` in ``amaranth.sim`` with one
:class:`~testbench.amaranth_axi.AxiManagerModel` per agent port, all stepped by one background
testbench, and gives each agent an :class:`AmaranthLink` (a :class:`sw_model.link.Link`), so a
:mod:`testbench.bench_workload` run drives it exactly as it drives the cocotb testbench."""

import time

from amaranth.sim import Simulator

from ioc_defs.axi import AxiResp
from rtl.subsystem import IocSubsystem
from testbench.amaranth_axi import AxiManagerModel, AxiRead, AxiWrite

__all__ = ["AmaranthHarness", "AmaranthLink", "drive"]


class AmaranthHarness:
    """The subsystem and its port models; :attr:`cycle` counts clock cycles."""

    def __init__(self, params):
        self.params = params
        self.dut = IocSubsystem(params)
        self.models = [AxiManagerModel(getattr(self.dut, f"s{k}_axi"))
                       for k in range(params.n_agents)]
        self.cycle = 0
        self.irq_level = 0
        self.clear_mask = 0     # resv_clear bits to drive in the coming cycle

    async def step(self, ctx):
        """The one testbench that moves every port model, once per cycle."""
        while True:
            for model in self.models:
                model.drive(ctx)
            ctx.set(self.dut.resv_clear, self.clear_mask)
            self.clear_mask = 0
            for model in self.models:
                model.sample(ctx)
            await ctx.tick()
            for model in self.models:
                model.commit()
            self.cycle += 1
            self.irq_level = ctx.get(self.dut.irq)


class AmaranthLink:
    """Agent ``agent``'s link, used from the testbench whose context is ``ctx``."""

    def __init__(self, harness, agent, ctx):
        self.harness, self.agent, self.ctx = harness, agent, ctx
        self._model = harness.models[agent]

    @property
    def now(self):
        return self.harness.cycle

    async def read(self, addr, *, excl=False, priv=False):
        txn = self._model.read(AxiRead(addr, lock=int(excl), prot=int(priv), id=self.agent))
        while not txn.done:
            await self.ctx.tick()
        data, resp = txn.answers[0][:2]
        return data, AxiResp(resp)

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        txn = self._model.write(AxiWrite(addr, [word & 0xFFFF_FFFF], [strb], lock=int(excl),
                                         prot=int(priv), id=self.agent))
        while txn.resp is None:
            await self.ctx.tick()
        return AxiResp(txn.resp)

    async def tick(self, n=1):
        for _ in range(n):
            await self.ctx.tick()

    async def clear(self):
        self.harness.clear_mask |= 1 << self.agent
        await self.ctx.tick()

    def irq(self):
        return bool(self.harness.irq_level >> self.agent & 1)


def drive(params, run):
    """Run a :mod:`testbench.bench_workload` run on a fresh subsystem in amaranth's simulator.
    Returns ``(result, cycles, wall seconds)``: the cycles and wall time of the run itself (set-up,
    bodies, finish), from the same clock as the cocotb measurement."""
    harness = AmaranthHarness(params)
    sim = Simulator(harness.dut)
    sim.add_clock(1e-8)
    sim.add_testbench(harness.step, background=True)
    bodies = run.bodies()
    state = {"setup": False, "left": len(bodies), "start": None}

    def body_testbench(index, agent, body):
        async def testbench(ctx):
            if index == 0:
                state["start"] = (harness.cycle, time.perf_counter())
                await run.setup(AmaranthLink(harness, 0, ctx))
                state["setup"] = True
            while not state["setup"]:
                await ctx.tick()
            await body(AmaranthLink(harness, agent, ctx))
            state["left"] -= 1
            if index == 0:
                while state["left"]:
                    await ctx.tick()
                await run.finish(AmaranthLink(harness, 0, ctx))
                state["end"] = (harness.cycle, time.perf_counter())
        return testbench

    for index, (agent, body) in enumerate(bodies):
        sim.add_testbench(body_testbench(index, agent, body))
    sim.run()
    (c0, t0), (c1, t1) = state["start"], state["end"]
    return run.result(), c1 - c0, t1 - t0
