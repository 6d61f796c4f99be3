"""Cycle-exact scoreboard: the RTL against the reference models of ``sw_model``.

The scoreboard predicts every access from the AXI pins: each accepted AR/AW burst is decoded on
its own (:func:`sw_model.bursts.decode_burst`: region, refusal, beat addresses, exclusive form)
into the beats it must become, and each port's W beats are kept in order. Every cycle it reads
the granted access in the pipeline's stage X (accesses pass each stage in grant order, so the
models see them in the true order), compares it with the predicted next beat of that agent and
direction (address, size, region, exclusive flag, privilege, write data and strobes) and, one
cycle later, when it is in stage E, performs the *predicted* beat on the reference models as
:class:`sw_model.system.RefSystem` puts them together
(:meth:`~sw_model.system.RefSystem.granted`: shared RAM + LL/SC monitor with the clears of the X
cycle, then the register block): a front end that decodes a burst wrongly is caught, not copied
into the model. It then compares the RTL's answer in the next cycle, and the ``irq`` and
``agent_rst`` levels of every cycle, with the models'. Which access enters X is checked too:
the agent the round-robin order (:class:`sw_model.arbiter.RoundRobin`) grants among the
arbiter's requests of the cycle before.

Answers the front ends give themselves (DECERR/SLVERR of refused bursts) never reach the granted
access (a granted beat of a burst predicted refused is a mismatch); the AXI checkers and the
AXI-level tests check those answers.
"""

from collections import deque

from cocotb.triggers import ReadOnly, RisingEdge

from ioc_defs.axi import monitor_op, write_response
from ioc_defs.params import Region
from sw_model.arbiter import RoundRobin
from sw_model.bursts import decode_burst
from sw_model.holds import HoldRequest, ResvHolds
from sw_model.system import RefSystem
from testbench.background import Background
from testbench.probes import Probes

__all__ = ["Scoreboard"]

# the AXI pins the prediction reads, per port
_WATCHED = tuple(f"{ch}{name}" for ch in ("ar", "aw")
                 for name in ("valid", "ready", "id", "addr", "len", "size", "burst", "lock",
                              "prot")) \
    + ("wvalid", "wready", "wdata", "wstrb", "rvalid", "rready", "rid", "rdata", "rresp", "rlast",
       "bvalid", "bready", "bid", "bresp")


class _BAnswer:
    """The B a write burst must get: its ID and, once all its beats were performed (or at once
    for a refused burst), :func:`~ioc_defs.axi.write_response` of their answers."""

    def __init__(self, ident, beats, error):
        self.id, self.beats, self.refused = ident, beats, error is not None
        self.resp = error
        self._answers = []

    def performed(self, resp):
        self._answers.append(resp)
        if len(self._answers) == self.beats:
            self.resp = write_response(self._answers)

    def pins(self):
        return self.resp, self.id


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
        n = params.n_agents
        # per port: predicted read beats; write bursts as (refused, beats) in AW order; W beats
        self._reads = [deque() for _ in range(n)]
        self._writes = [deque() for _ in range(n)]
        self._w = [deque() for _ in range(n)]
        # per port, the answers the pins must show, in AXI order: R beats as [resp, data, last,
        # id, refused] and write bursts as _BAnswer; those of performed beats are completed when
        # the models answer them (the *_fill queues, in grant order)
        self._r_answers = [deque() for _ in range(n)]
        self._r_fill = [deque() for _ in range(n)]
        self._b_answers = [deque() for _ in range(n)]
        self._b_fill = [deque() for _ in range(n)]
        # per port: refused beats accepted, bus_error pulses seen, refused beats answered
        self._owed = [0] * n
        self._pulses = [0] * n
        self._answered = [0] * n
        self._pins = [{name: getattr(dut, f"s{k}_axi_{name}") for name in _WATCHED}
                      for k in range(n)]
        # the arbitration order: the agent granted last cycle, as the model picks it
        self.arbiter = RoundRobin(n)
        self._granted = None
        # the forward-progress holds: the model's verdicts against the monitor's, every cycle
        self.holds = ResvHolds(params)
        if not params.resv_hold_cycles:
            return    # the plain monitor has no holds to check
        self._requests = [{name: getattr(self._probes.frontend(k), f"req__{name}")
                           for name in ("valid", "region", "addr", "write", "lock", "excl")}
                          for k in range(n)]
        self._hold_rtl = {name: getattr(self._probes.monitor, name)
                          for name in ("hold", "blocked", "grant")}

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

    def _pin(self, k, name):
        return int(self._pins[k][name].value)

    def _watch_pins(self):
        """Record this cycle's AR, AW and W handshakes of every port (they complete at the
        coming edge; a beat they bring is granted in a later cycle at the earliest)."""
        for k in range(self.params.n_agents):
            for ch, queue in (("ar", self._reads[k]), ("aw", self._writes[k])):
                if not (self._pin(k, f"{ch}valid") and self._pin(k, f"{ch}ready")):
                    continue
                error, beats = decode_burst(
                    self.params, write=ch == "aw", addr=self._pin(k, f"{ch}addr"),
                    length=self._pin(k, f"{ch}len"), size=self._pin(k, f"{ch}size"),
                    burst=self._pin(k, f"{ch}burst"), lock=self._pin(k, f"{ch}lock"),
                    prot=self._pin(k, f"{ch}prot"))
                count, ident = self._pin(k, f"{ch}len") + 1, self._pin(k, f"{ch}id")
                if error is not None:
                    error = int(error)
                    self._owed[k] += count
                if ch == "ar":
                    queue.extend(beats)
                    for i in range(count):
                        answer = [error, 0, int(i == count - 1), ident, error is not None]
                        self._r_answers[k].append(answer)
                        if error is None:
                            self._r_fill[k].append(answer)
                else:
                    queue.append((error is not None, count, deque(beats)))
                    answer = _BAnswer(ident, count, error)
                    self._b_answers[k].append(answer)
                    if error is None:
                        self._b_fill[k].append(answer)
            if self._pin(k, "wvalid") and self._pin(k, "wready"):
                self._w[k].append((self._pin(k, "wdata"), self._pin(k, "wstrb")))

    def _fill(self, acc, answer):
        """Complete the pin answer of the performed beat ``acc`` with the models' ``answer``."""
        k = acc["agent"]
        fill = self._b_fill[k] if acc["write"] else self._r_fill[k]
        if not fill:
            return    # a granted access no request asked for: already a mismatch
        resp = int(answer[0])
        if not acc["write"]:
            beat = fill.popleft()
            beat[0], beat[1] = resp, answer[1]
            return
        burst = fill[0]
        burst.performed(resp)
        if burst.resp is not None:
            fill.popleft()

    def _watch_answers(self):
        """Compare this cycle's R and B handshakes with the predicted answers, then count the
        ``bus_error`` pulses (returned, for the models) against the refused beats."""
        pulses = self._probes.bus_error()
        for k in range(self.params.n_agents):
            if self._pin(k, "rvalid") and self._pin(k, "rready"):
                got = tuple(self._pin(k, f"r{name}") for name in ("resp", "data", "last", "id"))
                self._answer(k, "R", self._r_answers[k], got, lambda beat: (beat[4], 1, beat))
            if self._pin(k, "bvalid") and self._pin(k, "bready"):
                got = (self._pin(k, "bresp"), self._pin(k, "bid"))
                self._answer(k, "B", self._b_answers[k], got,
                             lambda burst: (burst.refused, burst.beats, burst.pins()))
            if pulses >> k & 1:
                self._pulses[k] += 1
                if self._pulses[k] > self._owed[k]:
                    self._mismatch(f"agent {k}: bus_error pulse {self._pulses[k]}, but only "
                                   f"{self._owed[k]} refused beats were accepted")
        return pulses

    def _answer(self, k, channel, queue, got, judge):
        if not queue:
            self._mismatch(f"agent {k}: {channel} {got} answers no request")
            return
        refused, beats, want = judge(queue.popleft())
        want = tuple(want[:len(got)])
        if want[0] is None:
            self._mismatch(f"agent {k}: {channel} {got} before its beat was performed")
        elif got != want:
            fields = "(resp, data, last, id)" if channel == "R" else "(resp, id)"
            self._mismatch(f"agent {k}: {channel} {fields} {got}, predicted {want}")
        if refused:
            self._answered[k] += beats
            # the pulse of the last of these beats came in an earlier cycle at the latest
            if self._answered[k] > self._pulses[k]:
                self._mismatch(f"agent {k}: {self._answered[k]} refused beats answered on "
                               f"{channel}, but only {self._pulses[k]} bus_error pulses")

    def _predicted(self, agent, write):
        """The next beat the pins asked ``agent``'s front end for, as an access, or None."""
        if not write:
            beat = self._reads[agent].popleft() if self._reads[agent] else None
            data, strb = 0, 0
        else:
            bursts, w = self._writes[agent], self._w[agent]
            # refused bursts before it were answered by the front end: their W beats are spent
            while bursts and bursts[0][0]:
                for _ in range(min(bursts.popleft()[1], len(w))):
                    w.popleft()
            if not bursts or not bursts[0][2] or not w:
                return None
            beat = bursts[0][2].popleft()
            if not bursts[0][2]:
                bursts.popleft()
            data, strb = w.popleft()
        if beat is None:
            return None
        return {"agent": agent, "addr": beat.addr, "write": beat.write, "data": data,
                "strb": strb, "size": beat.size, "lock": beat.lock, "excl": beat.excl,
                "priv": beat.priv, "region": beat.region}

    def _sample_access(self):
        """The granted access as predicted from the pins, after comparing it with the RTL's."""
        granted = self._probes.access()
        if granted is None:
            return None
        want = self._predicted(granted["agent"], granted["write"])
        if want is None:
            self._mismatch(f"granted access no AXI request asked for: {granted}")
            return granted
        if not want["write"]:
            granted["data"], granted["strb"] = 0, 0   # a read carries no write payload
        if granted != want:
            diff = {k: (granted[k], want[k]) for k in want if granted[k] != want[k]}
            self._mismatch(f"granted access differs from the pins' request (RTL, pins): {diff}")
        return want

    def _check_grant(self, x):
        """Compare the agent whose access is in X with the one the round-robin order granted
        last cycle, then pick this cycle's among the arbiter's requests."""
        agent = None if x is None else x["agent"]
        if agent != self._granted:
            self._mismatch(f"stage X holds agent {agent}'s access, the round-robin order "
                           f"granted agent {self._granted}")
        self._granted = self.arbiter.grant(int(self._probes.arbiter.requests.value))

    def _check_holds(self, x, clears):
        """Step the holds' model through this cycle (the access in X, the requests in G) and
        compare the agents holding a granule and the requests withheld with the monitor's."""
        p = self.params
        glo = p.granule_log2
        if x is not None and x["region"] == Region.SHM:
            ll, sc, store, unsupported = monitor_op(x["write"], x["lock"], x["excl"])
            kind = "ll" if ll else "sc" if sc else "store" if store else None
            if unsupported:
                clears |= 1 << x["agent"]      # an unsupported SC clears as a pulse does
            spot = (x["agent"], kind, (x["addr"] % p.shm_bytes) >> glo)
        else:
            spot = None
        requests = []
        for fields in self._requests:
            f = {name: int(h.value) for name, h in fields.items()}
            if not f["valid"]:
                requests.append(None)
                continue
            _, sc, store, _ = monitor_op(f["write"], f["lock"], f["excl"])
            write = f["region"] == Region.SHM and bool(sc | store)
            requests.append(HoldRequest(write, (f["addr"] % p.shm_bytes) >> glo))
        hold = sum(1 << i for i, h in enumerate(self.holds.hold) if h)
        reservations = [self.memory.reservation(i) for i in range(p.n_agents)]
        blocked = self.holds.step(spot, clears, requests, int(self._hold_rtl["grant"].value),
                                  reservations)
        got = (int(self._hold_rtl["hold"].value), int(self._hold_rtl["blocked"].value))
        if got != (hold, blocked):
            self._mismatch(f"holds (hold, blocked) {got}, model {(hold, blocked)}")

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
            bus_error = self._watch_answers()
            self._watch_pins()
            # the access in E this cycle is the one read in X the cycle before
            acc = x_acc
            self._last = acc
            expected = self.system.granted(acc, x_clears, bus_error)
            if acc is not None:
                self._fill(acc, expected)
            x_acc, x_clears = self._sample_access(), int(d.resv_clear.value) | rst
            self._check_grant(x_acc)
            if self.params.resv_hold_cycles:
                self._check_holds(x_acc, x_clears)
            if acc is not None:
                self.accesses += 1
            self.cycles += 1
            await RisingEdge(d.clk)
            await ReadOnly()
