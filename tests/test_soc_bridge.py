# amaranth: UnusedElaboratable=no
"""``soc.bridge.ObiAxiBridge`` in amaranth.sim, against the OBI and AXI4 protocol rules.

One cycle-level testbench plays the core (an OBI manager issuing a script of requests) and an
AXI4 subordinate with random ready/valid delays and one exclusive monitor; every cycle it checks
the rules: AXI valid stays high with a stable payload until ready, one beat (LEN 0, LAST), the
transaction's ID; OBI one response per grant, never in the grant cycle, in order.
"""

import random

import pytest

from ioc_defs.axi import AxiResp
from soc.bridge import ObiAxiBridge
from soc.obi import Atop
from tests.simutil import simulate

_AR = ("arid", "araddr", "arlen", "arsize", "arburst", "arlock", "arprot")
_AW = ("awid", "awaddr", "awlen", "awsize", "awburst", "awlock", "awprot")
_W = ("wdata", "wstrb", "wlast")
AMOADD = 0x20


class _Subordinate:
    """An AXI4 memory with one exclusive monitor; the testbench answers from its queues after
    random delays. An access to ``error_addr`` gets SLVERR."""

    def __init__(self, error_addr):
        self.error_addr = error_addr
        self.mem = {}
        self.reservation = None
        self.reads = []    # (address channel payload dict)
        self.writes = []   # (aw payload, w payload)
        self.r_pending = []
        self.b_pending = []
        self.aw = None
        self.w = None

    def read(self, ar):
        self.reads.append(ar)
        addr = ar["araddr"] & ~3
        if ar["araddr"] == self.error_addr:
            resp = AxiResp.SLVERR
        elif ar["arlock"]:
            self.reservation = addr
            resp = AxiResp.EXOKAY
        else:
            resp = AxiResp.OKAY
        self.r_pending.append((self.mem.get(addr, 0), resp))

    def write(self):
        aw, w = self.aw, self.w
        self.aw = self.w = None
        self.writes.append((aw, w))
        addr = aw["awaddr"] & ~3
        resp = AxiResp.OKAY
        if aw["awaddr"] == self.error_addr:
            self.b_pending.append(AxiResp.SLVERR)
            return
        if aw["awlock"]:
            ok = self.reservation == addr
            self.reservation = None
            if not ok:
                self.b_pending.append(AxiResp.OKAY)
                return
            resp = AxiResp.EXOKAY
        elif self.reservation == addr:
            self.reservation = None
        old = self.mem.get(addr, 0)
        mask = sum(0xFF << (8 * b) for b in range(4) if w["wstrb"] >> b & 1)
        self.mem[addr] = (old & ~mask) | (w["wdata"] & mask)
        self.b_pending.append(resp)


def _run(script, *, seed, error_addr=0x40, privileged=True, prot=0b110):
    """Run ``script`` (dicts: addr, we, be, wdata, atop) and return (responses, subordinate,
    amo_error cycles)."""
    dut = ObiAxiBridge(id_width=4, axi_id=5, privileged=privileged)
    rng = random.Random(seed)
    sub = _Subordinate(error_addr)
    responses = []
    amo_errors = []

    async def testbench(ctx):
        obi, axi = dut.obi, dut.axi
        granted = 0
        held = {}       # channel -> payload seen while valid and not ready
        pending = 0     # granted requests not answered yet
        for cycle in range(4000):
            if len(responses) == len(script):
                break
            # ---- drive the core side
            if granted < len(script):
                op = script[granted]
                ctx.set(obi.req, 1)
                ctx.set(obi.addr, op["addr"])
                ctx.set(obi.we, op.get("we", 0))
                ctx.set(obi.be, op.get("be", 0xF))
                ctx.set(obi.wdata, op.get("wdata", 0))
                ctx.set(obi.atop, op.get("atop", 0))
                ctx.set(obi.prot, prot)
            else:
                ctx.set(obi.req, 0)
            # ---- drive the subordinate side
            ctx.set(axi.arready, rng.random() < 0.5)
            ctx.set(axi.awready, rng.random() < 0.5)
            ctx.set(axi.wready, rng.random() < 0.5)
            r_out = bool(sub.r_pending) and rng.random() < 0.6
            ctx.set(axi.rvalid, r_out)
            if r_out:
                data, resp = sub.r_pending[0]
                ctx.set(axi.rdata, data)
                ctx.set(axi.rresp, resp)
                ctx.set(axi.rid, 5)
                ctx.set(axi.rlast, 1)
            b_out = bool(sub.b_pending) and rng.random() < 0.6
            ctx.set(axi.bvalid, b_out)
            if b_out:
                ctx.set(axi.bresp, sub.b_pending[0])
                ctx.set(axi.bid, 5)
            # ---- sample and check
            get = {name: ctx.get(getattr(axi, name)) for name in (*_AR, *_AW, *_W)}
            for channel, names in (("ar", _AR), ("aw", _AW), ("w", _W)):
                valid = ctx.get(getattr(axi, f"{channel}valid"))
                ready = ctx.get(getattr(axi, f"{channel}ready"))
                payload = {n: get[n] for n in names}
                if channel in held:
                    assert valid, f"cycle {cycle}: {channel}valid dropped before {channel}ready"
                    assert payload == held[channel], f"cycle {cycle}: {channel} payload changed"
                if valid:
                    assert payload.get(f"{channel}id", 5) == 5
                    assert payload.get(f"{channel}len", 0) == 0
                    assert payload.get("wlast", 1) == 1
                if valid and ready:
                    held.pop(channel, None)
                    if channel == "ar":
                        sub.read(payload)
                    elif channel == "aw":
                        assert sub.aw is None
                        sub.aw = payload
                    else:
                        assert sub.w is None
                        sub.w = payload
                elif valid:
                    held[channel] = payload
            if sub.aw is not None and sub.w is not None:
                sub.write()
            if r_out and ctx.get(axi.rready):
                sub.r_pending.pop(0)
            if b_out and ctx.get(axi.bready):
                sub.b_pending.pop(0)
            if ctx.get(dut.amo_error):
                amo_errors.append(cycle)
            rvalid = ctx.get(obi.rvalid)
            if rvalid:
                assert pending == 1, f"cycle {cycle}: response without an outstanding request"
                responses.append({"rdata": ctx.get(obi.rdata), "err": ctx.get(obi.err),
                                  "exokay": ctx.get(obi.exokay)})
                pending -= 1
            if granted < len(script) and ctx.get(obi.gnt):
                assert pending == 0, f"cycle {cycle}: a second request granted while one is open"
                granted += 1
                pending += 1
            await ctx.tick()
        assert len(responses) == len(script), "the bridge stopped answering"

    simulate(dut, testbench, name=f"soc_bridge_{seed}")
    return responses, sub, amo_errors


@pytest.mark.parametrize("seed", range(4))
def test_plain_and_exclusive_accesses(seed):
    script = [
        {"addr": 0x10, "we": 1, "wdata": 0x11223344},
        {"addr": 0x10},
        {"addr": 0x12, "we": 1, "be": 0b1100, "wdata": 0xBEEF0000},   # halfword
        {"addr": 0x11, "we": 1, "be": 0b0010, "wdata": 0x0000AA00},   # byte
        {"addr": 0x10},
        {"addr": 0x20, "atop": Atop.LR},                               # lr.w
        {"addr": 0x20, "we": 1, "wdata": 7, "atop": Atop.SC},          # sc.w succeeds
        {"addr": 0x20, "we": 1, "wdata": 9, "atop": Atop.SC},          # no reservation: fails
        {"addr": 0x20},
        {"addr": 0x40},                                                # SLVERR read
        {"addr": 0x40, "we": 1, "wdata": 1},                           # SLVERR write
    ]
    responses, sub, amo_errors = _run(script, seed=seed)
    assert responses[1] == {"rdata": 0x11223344, "err": 0, "exokay": 0}
    assert responses[4]["rdata"] == 0xBEEFAA44
    assert responses[5]["exokay"] == 1 and responses[5]["err"] == 0
    assert responses[6] == {"rdata": 0, "err": 0, "exokay": 1}
    assert responses[7] == {"rdata": 0, "err": 0, "exokay": 0}
    assert responses[8]["rdata"] == 7
    assert responses[9]["err"] == 1 and responses[10]["err"] == 1
    assert not amo_errors
    # exclusive only for lr.w/sc.w, word size, AxPROT[0] privileged (machine mode, prot 0b110)
    assert [r["arlock"] for r in sub.reads] == [0, 0, 1, 0, 0]
    assert [aw["awlock"] for aw, _ in sub.writes] == [0, 0, 0, 1, 1, 0]
    assert [aw["awsize"] for aw, _ in sub.writes] == [2, 1, 0, 2, 2, 2]
    assert [w["wstrb"] for _, w in sub.writes] == [0xF, 0b1100, 0b0010, 0xF, 0xF, 0xF]
    assert all(r["arprot"] == 1 for r in sub.reads)


def test_unprivileged_core_never_marks_privileged():
    _, sub, _ = _run([{"addr": 0x10}, {"addr": 0x10, "we": 1, "wdata": 1}], seed=1,
                     privileged=False)
    assert sub.reads[0]["arprot"] & 1 == 0 and sub.writes[0][0]["awprot"] & 1 == 0
    _, sub, _ = _run([{"addr": 0x10}], seed=1, prot=0b000)   # user mode on a privileged core
    assert sub.reads[0]["arprot"] & 1 == 0


@pytest.mark.parametrize("atop", [AMOADD, 0x21, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C])
def test_other_amos_are_bus_errors_without_a_transaction(atop):
    script = [{"addr": 0x10, "we": 1, "wdata": 5},
              {"addr": 0x10, "we": 1, "wdata": 1, "atop": atop},
              {"addr": 0x10}]
    responses, sub, amo_errors = _run(script, seed=atop)
    assert responses[1]["err"] == 1 and responses[1]["exokay"] == 0
    assert len(amo_errors) == 1
    assert len(sub.writes) == 1 and len(sub.reads) == 1
    assert responses[2]["rdata"] == 5


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"id_width": 0}, TypeError, "id_width must be a positive integer, not 0"),
    ({"id_width": True}, TypeError, "id_width must be a positive integer, not True"),
    ({"axi_id": -1}, TypeError, "axi_id must be a non-negative integer, not -1"),
    ({"id_width": 2, "axi_id": 4}, ValueError, "axi_id must fit in 2 bits, not 4"),
    ({"privileged": 1}, TypeError, "privileged must be a bool, not 1"),
])
def test_constructor_validation(kwargs, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        ObiAxiBridge(**kwargs)
