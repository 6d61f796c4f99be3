"""A cycle-based AXI4 manager model for amaranth.sim testbenches (async API).

The model is stepped once per clock cycle from a testbench loop:

    drive(ctx)   # put valid/payload/ready on the port
    ...          # anything else combinational the testbench sets (e.g. a grant)
    sample(ctx)  # see which handshakes happen at the coming edge
    await ctx.tick()

With ``busy > 0`` every channel is paused at random: sources raise VALID late (never dropping it
before its handshake), sinks drop READY, so the slave sees idle cycles and back-pressure
everywhere.

:class:`SlotModel` stands in for the arbiter and targets behind a front end (its unit tests and
the front end's formal properties in simulation), and :func:`manager_testbench` steps a manager
and a slot model together.
"""

import random
from collections import deque
from dataclasses import dataclass, field

from ioc_defs.axi import WORD_SIZE, AxiResp
from rtl.access import ANSWER_LATENCY

__all__ = ["AxiWrite", "AxiRead", "AxiManagerModel", "SlotModel", "manager_testbench"]


@dataclass
class AxiWrite:
    addr: int
    data: list            # one 32-bit word per beat
    strb: list = None     # one 4-bit strobe per beat (default: all lanes)
    size: int = WORD_SIZE
    burst: int = 1        # INCR
    lock: int = 0
    prot: int = 0
    id: int = 0
    resp: int = None      # filled in when B arrives
    b_id: int = None

    @property
    def len(self):
        return len(self.data) - 1


@dataclass
class AxiRead:
    addr: int
    beats: int = 1
    size: int = WORD_SIZE
    burst: int = 1
    lock: int = 0
    prot: int = 0
    id: int = 0
    answers: list = field(default_factory=list)   # (data, resp, last, id) per R beat

    @property
    def len(self):
        return self.beats - 1

    @property
    def done(self):
        return len(self.answers) == self.beats


class AxiManagerModel:
    """Drives one AXI port (an interface with ``awvalid``, ``rdata``, ...) in amaranth.sim.

    ``w_first``: write data may lead its address (AXI allows it); if false, a W beat is offered
    only once the AW of its burst has been presented.
    """

    def __init__(self, port, *, busy=0.0, seed=0, w_first=True):
        self.port = port
        self.busy = busy
        self.w_first = w_first
        self._aw_done = self._w_done = 0   # AW handshakes, completed W bursts
        self.rng = random.Random(seed)
        self.aw = deque()
        self.w = deque()      # (word, strb, last)
        self.ar = deque()
        self.b_wait = deque()
        self.r_wait = deque()
        self.log = []         # (cycle, channel) of every handshake
        self.cycle = 0
        self._hs = {}
        self._held = set()    # source channels whose VALID is up, awaiting READY

    def write(self, txn):
        self.aw.append(txn)
        strb = txn.strb or [0xF] * len(txn.data)
        for i, (word, s) in enumerate(zip(txn.data, strb, strict=True)):
            self.w.append((word, s, i == txn.len))
        self.b_wait.append(txn)
        return txn

    def read(self, txn):
        self.ar.append(txn)
        self.r_wait.append(txn)
        return txn

    @property
    def idle(self):
        return not (self.aw or self.w or self.ar or self.b_wait or self.r_wait)

    def _go(self):
        return self.rng.random() >= self.busy

    def _offer(self, ch, pending):
        """Whether to drive ``<ch>valid`` this cycle: at random while idle, but once raised it
        is held until the handshake, as AXI requires."""
        up = bool(pending) and (ch in self._held or self._go())
        if up:
            self._held.add(ch)
        return up

    def _drive_address(self, ctx, ch, queue):
        p = self.port
        if self._offer(ch, queue):
            t = queue[0]
            for name, value in (("addr", t.addr), ("len", t.len), ("size", t.size),
                                ("burst", t.burst), ("lock", t.lock), ("prot", t.prot),
                                ("id", t.id)):
                ctx.set(getattr(p, ch + name), value)
            ctx.set(getattr(p, f"{ch}valid"), 1)
        else:
            ctx.set(getattr(p, f"{ch}valid"), 0)

    def drive(self, ctx):
        p = self.port
        self._drive_address(ctx, "aw", self.aw)
        if self._offer("w", self.w and (self.w_first or self._w_done < self._aw_done
                                        + ("aw" in self._held))):
            word, strb, last = self.w[0]
            ctx.set(p.wdata, word)
            ctx.set(p.wstrb, strb)
            ctx.set(p.wlast, last)
            ctx.set(p.wvalid, 1)
        else:
            ctx.set(p.wvalid, 0)
        self._drive_address(ctx, "ar", self.ar)
        ctx.set(p.bready, int(self._go()))
        ctx.set(p.rready, int(self._go()))

    def sample(self, ctx):
        p = self.port
        self._hs = {ch: ctx.get(getattr(p, f"{ch}valid")) and ctx.get(getattr(p, f"{ch}ready"))
                    for ch in ("aw", "w", "b", "ar", "r")}
        if self._hs["b"]:
            self._b = (ctx.get(p.bresp), ctx.get(p.bid))
        if self._hs["r"]:
            self._r = (ctx.get(p.rdata), ctx.get(p.rresp), ctx.get(p.rlast), ctx.get(p.rid))
        self.rvalid = ctx.get(p.rvalid)

    def commit(self):
        """Account for the handshakes of the edge that just passed."""
        for ch, hs in self._hs.items():
            if hs:
                self.log.append((self.cycle, ch))
                self._held.discard(ch)
        if self._hs.get("aw"):
            self.aw.popleft()
            self._aw_done += 1
        if self._hs.get("w"):
            self._w_done += self.w.popleft()[2]
        if self._hs.get("ar"):
            self.ar.popleft()
        if self._hs.get("b"):
            txn = self.b_wait.popleft()
            txn.resp, txn.b_id = self._b
        if self._hs.get("r"):
            txn = self.r_wait[0]
            txn.answers.append(self._r)
            if txn.done:
                self.r_wait.popleft()
        self.cycle += 1


class SlotModel:
    """Grants the front end's requests (at random when ``grant_p`` < 1) and answers them
    ``ANSWER_LATENCY`` cycles later from a word memory, as the subsystem's pipeline does.
    ``refuse(access)``, if given, picks accesses to answer with SLVERR (performing nothing),
    as the register block refuses a beat."""

    def __init__(self, fe, *, grant_p=1.0, seed=0, refuse=None):
        self.fe = fe
        self.refuse = refuse
        self.grant_p = grant_p
        self.rng = random.Random(seed)
        self.mem = {}
        self.accesses = []
        self.answers = [None] * ANSWER_LATENCY
        self.answer = None
        self.bus_errors = 0

    def step(self, ctx):
        req = self.fe.req
        due = self.answers.pop(0)
        # between answers the pipeline presents junk, which the front end must ignore
        ctx.set(req.r_data, 0xDEAD_BEEF if due is None else due[0])
        ctx.set(req.resp, AxiResp.SLVERR if due is None else due[1])
        self.answer = None
        grant = ctx.get(req.valid) and self.rng.random() < self.grant_p
        ctx.set(req.grant, grant)
        if grant:
            acc = {name: ctx.get(getattr(req, name))
                   for name in ("addr", "write", "w_data", "w_strb", "size", "lock", "excl",
                                "priv")}
            acc["region"] = ctx.get(req.region)
            self.accesses.append(acc)
            word = acc["addr"] >> 2
            resp = AxiResp.EXOKAY if acc["excl"] else AxiResp.OKAY
            if self.refuse is not None and self.refuse(acc):
                self.answer = (0, AxiResp.SLVERR)
            elif acc["write"]:
                old = self.mem.get(word, 0)
                mask = sum(0xFF << (8 * i) for i in range(4) if acc["w_strb"] >> i & 1)
                self.mem[word] = (old & ~mask) | (acc["w_data"] & mask)
                self.answer = (0, resp)
            else:
                self.answer = (self.mem.get(word, 0), resp)
        self.answers.append(self.answer)
        self.bus_errors += ctx.get(self.fe.bus_error)


def manager_testbench(manager, slot, limit):
    """A testbench stepping ``manager`` and ``slot`` each cycle until every transaction is
    answered; fails after ``limit`` cycles."""
    async def testbench(ctx):
        for _ in range(limit):
            if manager.idle:
                return
            manager.drive(ctx)
            slot.step(ctx)
            manager.sample(ctx)
            await ctx.tick()
            manager.commit()
        raise AssertionError(f"transactions still pending after {limit} cycles")
    return testbench
