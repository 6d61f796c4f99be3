"""Functional coverage sampled from what the DUT did, every cycle of every cocotb test.

:class:`CoverageMonitor` watches the subsystem's ports and the probes documented in
:class:`rtl.subsystem.IocSubsystem` (the access in stage X ``x_access__*``, its answer ``answer_*``,
``bus_error``), the front ends' requests for the access slot, the LL/SC monitor's status and the
register block's set/clear terms, and feeds the cover groups of :mod:`testbench.covergroups`.
Nothing is sampled from what a test intended: a transaction counts with the response the port
gave, an event when the hardware's signals show it.

:class:`testbench.tb.TB` starts one when the run has a coverage directory (``IOC_COVERAGE``, set by
``testbench.runner.run(..., coverage=True)``) and :meth:`~testbench.tb.TB.finish` dumps the test's
hits to ``<run dir>/coverage/<n>.json``."""

import json
import os
from collections import deque
from pathlib import Path

import cocotb
from cocotb.task import current_task
from cocotb.triggers import ReadOnly, RisingEdge

from ioc_defs import probes as ioc_probes
from ioc_defs.params import REG_BASE, Region, ScFailCause
from ioc_defs.regmap import REGMAP, Event
from testbench.background import Background
from testbench.covergroups import BURSTS, RESPONSES, SIZES, declare, delta, snapshot, static_refusal
from testbench.probes import Probes
from testbench.runner import COVERAGE_ENV

__all__ = ["CoverageMonitor"]

_SLVERR = RESPONSES.index("SLVERR")
_EXOKAY = RESPONSES.index("EXOKAY")
_DOORBELL = REGMAP["DOORBELL"]


def _test_name():
    """The running cocotb test's name: cocotb names a test's main task ``Test <name>``, and the
    monitor is made in that task (by the test's :class:`~testbench.tb.TB`)."""
    return current_task().get_name().removeprefix("Test ")


class _Txn:
    """One AXI transaction in flight on a port."""
    __slots__ = ("op", "resp", "contended")

    def __init__(self, op):
        self.op, self.resp, self.contended = op, 0, False


def _op(write, lock, length):
    kind = ("sc" if lock else "write") if write else ("ll" if lock else "read")
    return kind + ("-burst" if length else "")


class CoverageMonitor(Background):
    """Samples the cover groups from ``tb``'s DUT every cycle while started.

    Parameters
    ----------
    tb : testbench.tb.TB
    out_dir : path
        Where :meth:`dump` writes the per-test files.
    """

    def __init__(self, tb, out_dir):
        self.tb = tb
        self.params = p = tb.params
        self.cover = declare(p)
        self.out_dir = Path(out_dir)
        self._test = _test_name()
        self._before = snapshot()
        d = tb.dut
        self._probes = probes = Probes(d)
        n = p.n_agents
        self._ports = [{s: getattr(d, f"s{k}_axi_{s}") for s in (
            "arvalid", "arready", "arlen", "arlock", "arsize", "arburst",
            "rvalid", "rready", "rresp", "rlast",
            "awvalid", "awready", "awlen", "awlock", "awsize", "awburst",
            "bvalid", "bready", "bresp")}
            for k in range(n)]
        fes = [probes.frontend(k) for k in range(n)]
        self._req = [(fe.req__valid, fe.req__write) for fe in fes]
        # flips when a port's read and write both wanted the slot and one was granted
        self._prefer = [getattr(fe, ioc_probes.PREFER_WRITE) for fe in fes]
        self._prefer_last = [None] * n
        mb = probes.mailbox
        self._sets = [tuple(getattr(mb, ioc_probes.agent_state(k, what))
                            for what in ("ch_set", "ch_clr", "ev_set", "ev_clr"))
                      for k in range(n)]
        self._mb = mb
        self._cause = [getattr(probes.monitor, f"status__cause__{k}") for k in range(n)]
        self._reads = [deque() for _ in range(n)]
        self._writes = [deque() for _ in range(n)]

    @classmethod
    def from_env(cls, tb):
        """A monitor if the run collects coverage (``IOC_COVERAGE`` set), else ``None``."""
        out = os.environ.get(COVERAGE_ENV)
        return cls(tb, out) if out else None

    def dump(self):
        """Write the hits since this monitor was created (or last dumped) to a new file."""
        after = snapshot()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        n = len(list(self.out_dir.glob("*.json")))
        record = {"test": self._test, "config": self.params.name(),
                  "simulator": cocotb.SIM_NAME, "hits": delta(self._before, after)}
        (self.out_dir / f"{n:03d}.json").write_text(json.dumps(record, indent=1))
        self._before = after

    def sample_history(self, history):
        """Ring outcomes of ``sw_model`` code that ran on this DUT (a :class:`History`)."""
        for event in history:
            self.cover.ring(event.kind)

    # -- sampling ----------------------------------------------------------------------------

    async def _run(self):
        d = self.dut = self.tb.dut
        self._prev_access = None
        self._irq = self._rst = self._x_clears = 0
        self._x_access = None
        await ReadOnly()
        while True:
            if int(d.rst.value):
                for q in self._reads + self._writes:
                    q.clear()
                self._prev_access = self._x_access = None
            else:
                self._sample_cycle()
            await RisingEdge(d.clk)
            await ReadOnly()

    def _sample_cycle(self):
        d, event = self.dut, self.cover.event
        self._answer(self._prev_access)
        self._prev_access = self._access()
        # the access in X and the clears it sees: _access looks at them one cycle later, in E
        self._x_access = self._sample_x()
        self._x_clears = int(d.resv_clear.value) | int(d.agent_rst.value)

        irq, rst = int(d.irq.value), int(d.agent_rst.value)
        if irq & ~self._irq:
            event("irq_raise")
        if self._irq & ~irq:
            event("irq_ack")
        if rst & ~self._rst:
            event("agent_reset")
            for k in range(self.params.n_agents):
                if (rst & ~self._rst) >> k & 1:
                    self.cover.agent_reset(f"a{k}")
        self._irq, self._rst = irq, rst
        if int(d.resv_clear.value):
            event("resv_clear")
        if self._probes.bus_error():
            event("bus_error_fabric")

        mb = self._mb
        for k, (ch_set, ch_clr, ev_set, ev_clr) in enumerate(self._sets):
            ch = int(ch_set.value)
            if ch:
                for c in range(self.params.n_channels):
                    if ch >> c & 1:
                        self.cover.doorbell(f"a{k} x c{c}")
            if ch & int(ch_clr.value):
                event("doorbell_and_ack_same_cycle")
            ev = int(ev_set.value)
            if ev & int(ev_clr.value):
                event("event_and_ack_same_cycle")
            if ev >> Event.PEER_RESET & 1:
                event("peer_reset_event")
        if int(mb.channel_reset_q.value):
            event("channel_reset")
        bumps = int(mb.epoch_bump.value)
        if bumps:
            event("epoch_change_agent_reset" if int(mb.agent_reset_q.value)
                  else "epoch_change_channel_reset")
            for c in range(self.params.n_channels):
                if bumps >> c & 1:
                    self.cover.epoch(f"c{c}")
        if self.params.n_watchdogs and int(mb.wd_exp_set.value):
            event("watchdog_expiry")
        if self.params.fifo_depth:
            self._sample_fifos(bumps)
        self._transactions()

    def _sample_fifos(self, bumps):
        mb, fifo = self._mb, self.cover.fifo
        error = int(mb.fifo_error.value)
        for name, happened in (
                ("send", int(mb.fifo_push.value)), ("receive", int(mb.fifo_pop.value)),
                ("send_full", error and int(mb.e_write.value)),
                ("receive_empty", error and not int(mb.e_write.value)),
                ("send_threshold", int(mb.fifo_tx_event.value)),
                ("receive_threshold", int(mb.fifo_rx_event.value))):
            if happened:
                fifo(name)
        empty = int(mb.fifo_empty.value)
        if any(bumps >> (f // 2) & 1 and not empty >> f & 1
               for f in range(self.params.n_fifos)):
            fifo("flush_drops_words")

    def _sample_x(self):
        """The access in stage X this cycle, or ``None``."""
        return self._probes.access()

    def _access(self):
        """The access in stage E this cycle (sampled into ``ioc.reg``; read in stage X the
        cycle before), or ``None``."""
        acc = self._x_access
        if acc is None:
            return None
        agent = acc["agent"]
        if acc["region"] == Region.REG:
            offset = acc["addr"] - REG_BASE
            acc["refusal"] = static_refusal(
                self.params, offset, write=acc["write"], size=acc["size"], strb=acc["strb"],
                priv=acc["priv"], data=acc["data"])
            hit = REGMAP.decode(self.params, offset)
            if hit is not None:
                reg, i = hit
                access = "write" if acc["write"] else "read"
                self.cover.reg(reg.name, access, "priv" if acc["priv"] else "user")
                self.cover.entry(reg.name if reg.array is None else f"{reg.name}[{i}]", access)
            acc["doorbell"] = hit is not None and hit[0] is _DOORBELL and acc["write"]
            # a doorbell that rings the caller itself (both endpoints are the caller)
            acc["self"] = acc["doorbell"] and bool(int(self._sets[agent][0].value))
        elif acc["region"] == Region.SHM and acc["excl"]:
            if self._x_clears >> agent & 1:
                self.cover.llsc("sc_and_clear_same_cycle" if acc["write"]
                                else "ll_and_clear_same_cycle", f"a{agent}")
        return acc

    def _answer(self, acc):
        """Sample what the DUT answered to last cycle's access ``acc``."""
        if acc is None:
            return
        (resp, _), event = self._probes.answer(data=False), self.cover.event
        if acc["region"] == Region.REG:
            if resp == _SLVERR:
                self.cover.refusal(acc["refusal"] or "CHECK")
                event("bus_error_register")
            elif acc["doorbell"]:
                event("doorbell")
                if acc["self"]:
                    event("doorbell_self")
        elif acc["region"] == Region.SHM and acc["write"] and acc["lock"]:
            agent = acc["agent"]
            if not acc["excl"]:
                outcome = "sc_fail_unsupported_form"
            elif resp == _EXOKAY:
                outcome = "sc_success"
            else:
                outcome = f"sc_fail_{ScFailCause(int(self._cause[agent].value)).name}"
            self.cover.llsc(outcome, f"a{agent}")

    def _transactions(self):
        """Per port: AXI transactions from address handshake to response, with contention."""
        requesting = [(int(v.value), int(w.value)) for v, w in self._req]
        n_req = sum(v for v, _ in requesting)
        if n_req == len(requesting) > 1:
            self.cover.event("all_agents_request")
        for k, s in enumerate(self._ports):
            reads, writes = self._reads[k], self._writes[k]
            valid, write = requesting[k]
            if valid and n_req > 1:
                # the newest transaction of the direction presented is the one being issued
                queue = writes if write else reads
                if queue:
                    queue[-1].contended = True
            if int(s["rvalid"].value):
                if int(s["rready"].value) and reads:
                    txn = reads[0]
                    txn.resp = max(txn.resp, int(s["rresp"].value))
                    if int(s["rlast"].value):
                        self._sample_txn(k, reads.popleft())
                elif not int(s["rready"].value):
                    self.cover.event("r_backpressure")
            if int(s["bvalid"].value):
                if int(s["bready"].value) and writes:
                    txn = writes.popleft()
                    txn.resp = int(s["bresp"].value)
                    self._sample_txn(k, txn)
                elif not int(s["bready"].value):
                    self.cover.event("b_backpressure")
            if int(s["arvalid"].value) and int(s["arready"].value):
                reads.append(_Txn(_op(False, int(s["arlock"].value), int(s["arlen"].value))))
                self._sample_form(s["arsize"], s["arburst"], "read")
            if int(s["awvalid"].value) and int(s["awready"].value):
                writes.append(_Txn(_op(True, int(s["awlock"].value), int(s["awlen"].value))))
                self._sample_form(s["awsize"], s["awburst"], "write")
            prefer = int(self._prefer[k].value)
            if self._prefer_last[k] is not None and prefer != self._prefer_last[k]:
                self.cover.event("read_write_alternation")
            self._prefer_last[k] = prefer
            if reads and writes:
                self.cover.event("read_and_write_in_flight_same_port")

    def _sample_form(self, size, burst, direction):
        size, burst = int(size.value), int(burst.value)
        self.cover.axi(SIZES[min(size, 3)], BURSTS[burst] if burst < 3 else "reserved",
                       direction)

    def _sample_txn(self, agent, txn):
        self.cover.txn(txn.op, RESPONSES[txn.resp], f"a{agent}",
                       "contended" if txn.contended else "alone")
