"""Cycle-exact scoreboard: the RTL against the reference models of ``sw_model``.

Every cycle, the scoreboard reads the granted access in the pipeline's stage X (accesses pass
each stage in grant order, so the models see them in the true order) and, one cycle later, when
it is in stage E, performs it on the reference models as :class:`sw_model.system.RefSystem`
puts them together (:meth:`~sw_model.system.RefSystem.granted`: shared RAM + LL/SC monitor with
the clears of the X cycle, then the register block). It then compares the RTL's answer in the
next cycle, and the ``irq`` and ``agent_rst`` levels of every cycle, with the models'.

Answers the front ends give themselves (DECERR/SLVERR of refused bursts) never reach the granted
access; the AXI-level tests check those.
"""

from cocotb.triggers import ReadOnly, RisingEdge

from sw_model.system import RefSystem
from testbench.background import Background
from testbench.probes import Probes

__all__ = ["Scoreboard"]


class Scoreboard(Background):
    """Compares an ``ioc_subsystem`` instance with the reference models, cycle by cycle.

    Parameters
    ----------
    dut : cocotb handle
        The toplevel (probes the internal signals documented in :class:`rtl.subsystem
        .IocSubsystem`).
    params : IocParams
        Its configuration.

    Members
    -------
    system : RefSystem
        The reference models the RTL is compared with.
    memory : SharedMemory
    regblock : RegBlock
        The system's parts.
    accesses : int
        Number of granted accesses checked so far.
    mismatches : list of str
        Every disagreement found (the first few are enough to debug).
    """

    def __init__(self, dut, params):
        self.dut = dut
        self._probes = Probes(dut)
        self.params = params
        self.system = RefSystem(params)
        self.memory, self.regblock = self.system.memory, self.system.regblock
        self.accesses = 0
        self.cycles = 0
        self.mismatches = []

    def start(self):
        """Start comparing from the current cycle, which must be the first one after reset."""
        super().start()

    def check(self):
        """Raise ``AssertionError`` if the RTL and the models ever disagreed."""
        assert self.accesses > 0, "the scoreboard checked no access"
        assert not self.mismatches, (f"{len(self.mismatches)} mismatches with the reference "
                                     f"model, first: " + "; ".join(self.mismatches[:3]))

    def _mismatch(self, what):
        if len(self.mismatches) < 100:
            self.mismatches.append(f"cycle {self.cycles}: {what}")

    async def _run(self):
        d = self.dut
        expected = None
        x_acc, x_clears = None, 0
        await ReadOnly()
        while True:
            if expected is not None:
                # Write answers carry no data (the RAM's read port then holds a stale word).
                got = self._probes.answer(data=not self._last["write"])
                want = (int(expected[0]), 0 if self._last["write"] else expected[1])
                if got != want:
                    self._mismatch(f"answer {got}, model {want} for {self._last}")
            irq, rst = int(d.irq.value), int(d.agent_rst.value)
            if irq != self.regblock.irq:
                self._mismatch(f"irq {irq:#x}, model {self.regblock.irq:#x}")
            if rst != self.regblock.agent_rst:
                self._mismatch(f"agent_rst {rst:#x}, model {self.regblock.agent_rst:#x}")
            # the access in E this cycle is the one read in X the cycle before
            acc = x_acc
            self._last = acc
            expected = self.system.granted(acc, x_clears, self._probes.bus_error())
            x_acc, x_clears = self._probes.access(), int(d.resv_clear.value) | rst
            if acc is not None:
                self.accesses += 1
            self.cycles += 1
            await RisingEdge(d.clk)
            await ReadOnly()
