"""Cycle-exact scoreboard: the RTL against the reference models of ``sw_model``.

Every cycle, the scoreboard takes the access in the pipeline's stage E (the one it read in stage X,
``x_access__*``, the cycle before; accesses pass each stage in grant order, so the models see them
in the true order) and performs it on the reference models,
:class:`sw_model.memory.SharedMemory` (shared RAM + LL/SC monitor) and
:class:`sw_model.regblock.RegBlock` (the register block). It then compares the RTL's answer in the
next cycle, and the ``irq`` and ``agent_rst`` levels of every cycle, with the models'.

Timing model (:class:`rtl.subsystem.IocSubsystem`): the register block performs an access in E,
the cycle it is sampled; the shared RAM and the LL/SC monitor performed it one cycle earlier, in
X, with that cycle's reservation clears, and a register read in E sees the monitor after that.

Answers the front ends give themselves (DECERR/SLVERR of refused bursts) never reach the granted
access; the AXI-level tests check those.
"""

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from rtl.params import Region
from sw_model.memory import SharedMemory
from sw_model.regblock import MonitorStatus, RegBlock

__all__ = ["Scoreboard"]


class Scoreboard:
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
    memory : SharedMemory
    regblock : RegBlock
    accesses : int
        Number of granted accesses checked so far.
    mismatches : list of str
        Every disagreement found (the first few are enough to debug).
    """

    def __init__(self, dut, params):
        self.dut = dut
        self.params = params
        self.memory = SharedMemory(params)
        self.regblock = RegBlock(params)
        self.accesses = 0
        self.cycles = 0
        self.mismatches = []
        self._task = None

    def start(self):
        """Start comparing from the current cycle, which must be the first one after reset."""
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def check(self):
        """Raise ``AssertionError`` if the RTL and the models ever disagreed."""
        assert self.accesses > 0, "the scoreboard checked no access"
        assert not self.mismatches, (f"{len(self.mismatches)} mismatches with the reference "
                                     f"model, first: " + "; ".join(self.mismatches[:3]))

    def _mismatch(self, what):
        if len(self.mismatches) < 100:
            self.mismatches.append(f"cycle {self.cycles}: {what}")

    def _sample_access(self):
        """The access in stage X this cycle, or None."""
        d = self.dut
        if not int(d.x_access__valid.value):
            return None
        return {
            "agent": int(d.x_access__agent.value), "addr": int(d.x_access__addr.value),
            "write": bool(int(d.x_access__write.value)), "data": int(d.x_access__w_data.value),
            "strb": int(d.x_access__w_strb.value), "size": int(d.x_access__size.value),
            "lock": bool(int(d.x_access__lock.value)),
            "excl": bool(int(d.x_access__excl.value)),
            "priv": bool(int(d.x_access__priv.value)),
            "region": Region(int(d.x_access_region.value)),
        }

    def _perform(self, acc, x_clears):
        """One cycle of the models, with the access ``acc`` (or None) in E and the reservation
        clears (``resv_clear | agent_rst``) of the cycle before, when ``acc`` was in X;
        returns the expected answer."""
        mem, reg = self.memory, self.regblock
        # X, one cycle ago: in the RTL a clear wins over an LL or an SC by the same agent in
        # the same cycle: the LL leaves no reservation, the SC fails as PREEMPTED.
        is_ll = acc is not None and acc["region"] == Region.SHM and acc["excl"] \
            and not acc["write"]
        if not is_ll:
            self._clear(x_clears)
        expected = None
        if acc is not None and acc["region"] == Region.SHM:
            # `single` tells the model whether an exclusive is of the supported form.
            expected = mem.access(acc["agent"], acc["addr"], write=acc["write"],
                                  data=acc["data"], strb=acc["strb"], size=acc["size"],
                                  lock=acc["lock"], single=acc["excl"])
        if is_ll:
            self._clear(x_clears)
        # E, this cycle: the register block sees the monitor as X left it.
        for k in range(self.params.n_agents):
            counts = mem.counters(k)
            reg.monitor[k] = MonitorStatus(mem.cause(k), counts.ll, counts.sc_ok, counts.sc_fail)
        reg.bus_error = int(self.dut.bus_error.value)
        if acc is None or acc["region"] != Region.REG:
            reg.tick()
        else:
            expected = reg.access(acc["agent"], acc["addr"], acc["write"], acc["data"],
                                  acc["strb"], acc["size"], acc["priv"], acc["lock"])
        return expected

    def _clear(self, clears):
        for k in range(self.params.n_agents):
            if clears >> k & 1:
                self.memory.resv_clear(k)

    async def _run(self):
        d = self.dut
        expected = None
        x_acc, x_clears = None, 0
        await ReadOnly()
        while True:
            if expected is not None:
                # Write answers carry no data (the RAM's read port then holds a stale word).
                got = (int(d.answer_resp.value),
                       0 if self._last["write"] else int(d.answer_data.value))
                want = (int(expected[0]), 0 if self._last["write"] else expected[1])
                if got != want:
                    self._mismatch(f"answer {got}, model {want} for {self._last}")
            irq, rst = int(d.irq.value), int(d.agent_rst.value)
            if irq != self.regblock.irq:
                self._mismatch(f"irq {irq:#x}, model {self.regblock.irq:#x}")
            if rst != self.regblock.agent_rst:
                self._mismatch(f"agent_rst {rst:#x}, model {self.regblock.agent_rst:#x}")
            acc = x_acc
            self._last = acc
            expected = self._perform(acc, x_clears)
            x_acc, x_clears = self._sample_access(), int(d.resv_clear.value) | rst
            if acc is not None:
                self.accesses += 1
            self.cycles += 1
            await RisingEdge(d.clk)
            await ReadOnly()
