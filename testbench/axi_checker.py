"""An AXI4 protocol checker for one port, written from the AXI specification alone.

It shares no code with the front end it watches (``rtl/axi_frontend.py``): it samples the port's
signals every cycle and checks the rules a slave (and, for completeness, a manager) must keep:

* a VALID, once high, stays high until its handshake, with its payload stable (both sides);
* no X/Z on a VALID, or on a payload while its VALID is high;
* every write burst gets exactly one B, after its AW and all its W beats, with its ID; every read
  burst gets exactly ``AxLEN + 1`` R beats with its ID and RLAST on the last one only;
* responses to one ID come in request order; no response without a request;
* EXOKAY only answers an exclusive (``AxLOCK``) request;
* WLAST on exactly the last beat of each burst (manager side);
* VALIDs low while in reset; at the end, every request has been answered.
"""

from collections import defaultdict, deque

from cocotb.triggers import ReadOnly, RisingEdge

from testbench.background import Background

__all__ = ["AxiProtocolChecker"]

_EXOKAY = 1
# (channel, driven by, payload signals)
_CHANNELS = (
    ("aw", "manager", ("awid", "awaddr", "awlen", "awsize", "awburst", "awlock", "awprot")),
    ("w", "manager", ("wdata", "wstrb", "wlast")),
    ("b", "slave", ("bid", "bresp")),
    ("ar", "manager", ("arid", "araddr", "arlen", "arsize", "arburst", "arlock", "arprot")),
    ("r", "slave", ("rid", "rdata", "rresp", "rlast")),
)


class AxiProtocolChecker(Background):
    """Checks the AXI4 port ``<prefix><signal>`` of ``dut`` every cycle while started.

    Members
    -------
    violations : list of str
        Every rule broken, with the cycle and the side (manager or slave) that broke it.
    handshakes : int
        Number of handshakes seen on all channels.
    """

    def __init__(self, dut, prefix, clock, reset):
        self._sig = {name: getattr(dut, prefix + name)
                     for _, _, payload in _CHANNELS for name in payload}
        for ch, _, _ in _CHANNELS:
            for end in ("valid", "ready"):
                self._sig[ch + end] = getattr(dut, prefix + ch + end)
        self._clock, self._reset = clock, reset
        self._prefix = prefix
        self.violations = []
        self.handshakes = 0
        self._cycle = 0
        self._reset_state()

    def check(self, *, idle=True):
        """Assert no rule was broken (and, with ``idle``, that nothing is outstanding)."""
        if idle:
            self._check_idle()
        assert not self.violations, (f"{self._prefix}: {len(self.violations)} AXI protocol "
                                     f"violations, first: " + "; ".join(self.violations[:3]))

    # -- implementation ----------------------------------------------------------------------

    def _violation(self, side, what):
        if len(self.violations) < 100:
            self.violations.append(f"cycle {self._cycle}: {side}: {what}")

    def _reset_state(self):
        self._held = {}                       # channel -> payload while VALID && !READY
        self._aw = deque()                    # accepted AW waiting for their W beats
        self._w_beats = 0                     # W beats of the burst at the head of _aw
        self._early_w = deque()               # W beats accepted before their AW (wlast flags)
        self._b_due = defaultdict(deque)      # id -> lock flags of bursts owed a B
        self._r_due = defaultdict(deque)      # id -> [beats left, lock] of bursts owed R
        self._r_order = deque()               # ids of read bursts in order (for reporting)

    def _check_idle(self):
        if self._aw or self._early_w:
            self._violation("manager", "write burst(s) left without all their W beats")
        if any(self._b_due.values()):
            self._violation("slave", f"{sum(map(len, self._b_due.values()))} write burst(s) "
                                     f"never answered")
        if any(self._r_due.values()):
            self._violation("slave", f"{sum(map(len, self._r_due.values()))} read burst(s) "
                                     f"never fully answered")

    def _value(self, name):
        v = self._sig[name].value
        return None if not v.is_resolvable else int(v)

    async def _run(self):
        while True:
            await RisingEdge(self._clock)
            await ReadOnly()
            self.sample()

    def sample(self):
        """Check one cycle (the signals as they are before the coming clock edge)."""
        self._cycle += 1
        if self._reset.value.is_resolvable and int(self._reset.value):
            for ch, side, _ in _CHANNELS:
                if side == "slave" and self._value(ch + "valid") not in (0, None):
                    self._violation(side, f"{ch.upper()}VALID high during reset")
            self._reset_state()
            return
        for ch, side, payload in _CHANNELS:
            valid = self._value(ch + "valid")
            ready = self._value(ch + "ready")
            if valid is None:
                self._violation(side, f"{ch.upper()}VALID is X/Z")
                continue
            if ready is None:
                other = "manager" if side == "slave" else "slave"
                self._violation(other, f"{ch.upper()}READY is X/Z")
                continue
            held = self._held.pop(ch, None)
            if not valid:
                if held is not None:
                    self._violation(side, f"{ch.upper()}VALID dropped before its handshake")
                continue
            values = {name: self._value(name) for name in payload}
            if None in values.values():
                bad = [n for n, v in values.items() if v is None]
                self._violation(side, f"{', '.join(bad)} X/Z while {ch.upper()}VALID is high")
                continue
            if held is not None and held != values:
                self._violation(side, f"{ch.upper()} payload changed while waiting for READY")
            if ready:
                self.handshakes += 1
                getattr(self, f"_on_{ch}")(values)
            else:
                self._held[ch] = values

    def _on_aw(self, v):
        self._aw.append(v)
        while self._early_w and self._aw:
            self._w_beat(self._early_w.popleft())

    def _on_w(self, v):
        if not self._aw:
            self._early_w.append(v["wlast"])
            return
        self._w_beat(v["wlast"])

    def _w_beat(self, wlast):
        aw = self._aw[0]
        self._w_beats += 1
        last = self._w_beats == aw["awlen"] + 1
        if wlast != last:
            self._violation("manager", f"WLAST={wlast} on beat {self._w_beats} of a "
                                       f"{aw['awlen'] + 1}-beat burst")
        if last:
            self._aw.popleft()
            self._w_beats = 0
            self._b_due[aw["awid"]].append(aw["awlock"])

    def _on_b(self, v):
        due = self._b_due[v["bid"]]
        if not due:
            self._violation("slave", f"B with BID={v['bid']} answers no completed write burst")
            return
        lock = due.popleft()
        if v["bresp"] == _EXOKAY and not lock:
            self._violation("slave", "EXOKAY on B of a normal (non-exclusive) write")

    def _on_ar(self, v):
        self._r_due[v["arid"]].append([v["arlen"] + 1, v["arlock"]])

    def _on_r(self, v):
        due = self._r_due[v["rid"]]
        if not due:
            self._violation("slave", f"R with RID={v['rid']} answers no outstanding read")
            return
        burst = due[0]
        burst[0] -= 1
        if v["rlast"] != (burst[0] == 0):
            self._violation("slave", f"RLAST={v['rlast']} with {burst[0]} beat(s) still due")
        if v["rresp"] == _EXOKAY and not burst[1]:
            self._violation("slave", "EXOKAY on R of a normal (non-exclusive) read")
        if burst[0] == 0 or v["rlast"]:
            due.popleft()
