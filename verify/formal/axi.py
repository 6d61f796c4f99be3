"""Properties of the AXI4 slave front end (SPEC §3.1) and seeded bugs that break them.

The manager side is assumed to obey AXI (VALID held and payload stable until READY; W beats may
come before their AW), and the arbiter to grant only a requesting front end. Under that, the
front end must answer every request exactly once, in order and with the right ID and RLAST,
keep its own VALID and payload stable until READY, hold its request until granted, and present
each beat as the address channel asked (address, size, exclusive flag, region). A ghost
keeps the outstanding read bursts (ID, beats left) and the outstanding write burst; it never
looks inside the front end.

With ``grant_wait=G`` the arbiter is assumed to grant a request after at most G cycles of
waiting (the round-robin arbiter's bound is ``n_agents - 1``, proven in :mod:`.arbiter`). The
front end must then show an owed answer within :func:`response_bound` cycles whatever the
manager's READY does: a VALID that waited for READY would never come up while READY is low.
"""

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal

from ioc_defs import probes
from ioc_defs.axi import WORD_SIZE, AxiResp, exclusive_supported, monitor_op
from ioc_defs.params import REG_BASE, REG_SIZE, Region
from rtl.access import ANSWER_LATENCY
from rtl.axi_frontend import RQ_DEPTH, AxiSlaveFrontEnd, layouts

from .core import Mutation, Past, PropertySet, wait_cycles

__all__ = ["AxiFrontEndProperties", "make_dut", "BUGS", "READ_DEPTH", "response_bound"]

#: Outstanding read bursts the ghost can keep (the front end has at most RQ_DEPTH + 1: one
#: issuing and one beat of RQ_DEPTH more queued or in flight), plus one to see an excess.
READ_DEPTH = RQ_DEPTH + 2


def response_bound(grant_wait, channel):
    """Most consecutive cycles an owed answer on ``channel`` ("R" or "B") goes without VALID,
    if a request waits at most ``grant_wait`` cycles for its grant. Reads and writes share the
    front end's request register and alternate, and each beat waits up to ``grant_wait + 1``
    cycles from its issue to its grant: a read beat may first wait for one write beat to
    leave the register; the last W beat of a burst may wait behind the buffered one, each
    behind a read. Then ANSWER_LATENCY cycles to the answer, and one more from a W handshake
    to the beat's first chance of issue."""
    beats_ahead = {"R": 2, "B": 4}[channel]
    return beats_ahead * (grant_wait + 1) + ANSWER_LATENCY + 1


#: How far below its bound a cover must find an answer going without VALID: the R bound is
#: tight; for B, waits up to the bound minus 3 are reached (a longer one was not found in the
#: cover's depth, a bound one less was not proven by induction at the proof's depth).
BOUND_SLACK = {"R": 0, "B": 2}


_AW = ("awid", "awaddr", "awlen", "awsize", "awburst", "awlock", "awcache", "awprot")
_W = ("wdata", "wstrb", "wlast")
_AR = ("arid", "araddr", "arlen", "arsize", "arburst", "arlock", "arcache", "arprot")
_R = ("rid", "rdata", "rresp", "rlast")
_B = ("bid", "bresp")


class AxiFrontEndProperties(Elaboratable):
    """Assertions, environment assumptions and covers over an :class:`AxiSlaveFrontEnd`.

    Parameters
    ----------
    max_len : int or None
        Assume bursts of at most ``max_len`` + 1 beats (AxLEN <= max_len), to keep a proof's
        depth small; ``None`` for any length.
    grant_wait : int or None
        Assume a request is granted after at most this many cycles of waiting, and check
        bounded response; ``None``: any arbitration, safety only.
    """

    def __init__(self, dut, probe, *, max_len=None, grant_wait=None):
        self.dut, self.probe = dut, probe
        self.max_len, self.grant_wait = max_len, grant_wait
        self.lay = layouts(dut.params.id_width)
        self.props = PropertySet("axi_frontend" if grant_wait is None
                                 else "axi_frontend_bounded")

    def elaborate(self, platform):
        m = Module()
        d, ps = self.dut, self.props
        axi, req = d.axi, d.req
        past = Past(m)
        clean = past.clean

        def sig(names):
            return Cat(getattr(axi, n) for n in names)

        # -- environment ------------------------------------------------------------------------
        for ch, names in (("AW", _AW), ("W", _W), ("AR", _AR)):
            valid, ready = getattr(axi, ch.lower() + "valid"), getattr(axi, ch.lower() + "ready")
            waiting = past(valid & ~ready, f"past_{ch.lower()}_waiting")
            payload = past(sig(names), f"past_{ch.lower()}_payload")
            ps.assume(m, f"manager: {ch}VALID held until {ch}READY",
                      ~(clean & waiting) | valid)
            ps.assume(m, f"manager: {ch} payload stable while {ch}VALID and not {ch}READY",
                      ~(clean & waiting) | (sig(names) == payload))
        if self.max_len is not None:
            ps.assume(m, "bursts are short (proof bound)",
                      (axi.arlen <= self.max_len) & (axi.awlen <= self.max_len))
        ps.assume(m, "arbiter: a grant only to a request", ~req.grant | req.valid)
        if self.grant_wait is not None:
            g = self.grant_wait
            req_wait = Signal(range(g + 2), name="ghost_req_wait")
            with m.If(req.valid & ~req.grant & (req_wait <= g)):
                m.d.sync += req_wait.eq(req_wait + 1)
            with m.Elif(~req.valid | req.grant):
                m.d.sync += req_wait.eq(0)
            ps.assume(m, f"arbiter: a request waits at most {g} cycles for its grant",
                      ~(req.valid & ~req.grant & (req_wait >= g)))

        # -- ghost: outstanding read bursts ------------------------------------------------------
        ar_go = axi.arvalid & axi.arready
        r_go = axi.rvalid & axi.rready
        q_id = [Signal.like(axi.arid, name=f"ghost_r{j}_id") for j in range(READ_DEPTH)]
        q_left = [Signal(9, name=f"ghost_r{j}_left") for j in range(READ_DEPTH)]
        q_n = Signal(range(READ_DEPTH + 1), name="ghost_r_bursts")
        last_beat = (q_n != 0) & (q_left[0] == 1)
        # pop (on the last R beat of the head burst) then push (on an AR handshake)
        popped_id = [q_id[j + 1] if j + 1 < READ_DEPTH else q_id[j] for j in range(READ_DEPTH)]
        popped_left = [q_left[j + 1] if j + 1 < READ_DEPTH else q_left[j]
                       for j in range(READ_DEPTH)]
        pop = r_go & last_beat
        n_after_pop = q_n - pop
        for j in range(READ_DEPTH):
            cur_id = Mux(pop, popped_id[j], q_id[j])
            cur_left = Mux(pop, popped_left[j], q_left[j])
            if j == 0:
                cur_left = Mux(r_go & ~pop, q_left[0] - 1, cur_left)
            with m.If(ar_go & (n_after_pop == j)):
                m.d.sync += [q_id[j].eq(axi.arid), q_left[j].eq(axi.arlen + 1)]
            with m.Else():
                m.d.sync += [q_id[j].eq(cur_id), q_left[j].eq(cur_left)]
        m.d.sync += q_n.eq(n_after_pop + ar_go)

        ps.assert_(m, "R: a beat only for an outstanding read burst", ~axi.rvalid | (q_n != 0))
        ps.assert_(m, "R: RID is the ID of the oldest outstanding read burst",
                   ~axi.rvalid | (axi.rid == q_id[0]))
        ps.assert_(m, "R: RLAST exactly on the last beat of the burst",
                   ~axi.rvalid | (axi.rlast == last_beat))
        ps.assert_(m, "R: no more outstanding read bursts than the ghost can keep",
                   ~ar_go | (n_after_pop < READ_DEPTH))
        ps.cover(m, "R: a 2-beat burst answered", r_go & axi.rlast & past(r_go, "past_r_go") &
                 ~past(axi.rlast, "past_rlast"))
        ps.cover(m, "R: three read bursts outstanding", q_n == 3)
        for resp in AxiResp:
            ps.cover(m, f"R: a beat answered {resp.name}", r_go & (axi.rresp == resp))

        # -- ghost: outstanding write bursts -----------------------------------------------------
        aw_go = axi.awvalid & axi.awready
        w_go = axi.wvalid & axi.wready
        b_go = axi.bvalid & axi.bready
        b_owed = Signal(2, name="ghost_b_owed")
        aw_id = Signal.like(axi.awid, name="ghost_aw_id")
        aw_beats = Signal(9, name="ghost_aw_beats")
        w_taken = Signal(10, name="ghost_w_beats_taken")  # since the last B
        m.d.sync += b_owed.eq(b_owed + aw_go - b_go)
        with m.If(aw_go):
            m.d.sync += [aw_id.eq(axi.awid), aw_beats.eq(axi.awlen + 1)]
        m.d.sync += w_taken.eq(w_taken + w_go - Mux(b_go, aw_beats, 0))
        ps.assert_(m, "B: a response only for an outstanding write burst",
                   ~axi.bvalid | (b_owed != 0))
        ps.assert_(m, "B: only after every W beat of the burst",
                   ~axi.bvalid | (w_taken >= aw_beats))
        ps.assert_(m, "B: BID is the burst's AWID", ~axi.bvalid | (axi.bid == aw_id))
        ps.assert_(m, "AW: one write burst at a time (the ghost keeps one)", b_owed <= 1)
        ps.cover(m, "B: a 2-beat burst answered", b_go & (aw_beats == 2))
        for resp in AxiResp:
            if resp != AxiResp.EXOKAY:
                ps.cover(m, f"B: a burst answered {resp.name}", b_go & (axi.bresp == resp))
        ps.cover(m, "W: a beat taken before its AW", w_go & (b_owed == 0))
        ps.cover(m, "W: a beat taken while AWVALID is low", w_go & ~axi.awvalid)

        # -- the slave's own handshakes ----------------------------------------------------------
        for ch, names, valid, ready in (("R", _R, axi.rvalid, axi.rready),
                                        ("B", _B, axi.bvalid, axi.bready)):
            waiting = past(valid & ~ready, f"past_{ch.lower()}_waiting")
            ps.implies(m, f"{ch}VALID held until {ch}READY", clean & waiting, valid)
            ps.implies(m, f"{ch} payload stable while {ch}VALID and not {ch}READY",
                       clean & waiting, sig(names) == past(sig(names), f"past_{ch}_payload"))
        self._alternation(m)
        if self.grant_wait != 0:
            req_waiting = past(req.valid & ~req.grant, "past_req_waiting")
            ps.implies(m, "request held until granted", clean & req_waiting, req.valid)

        # -- what the induction needs: the front end holds exactly what the ghost owes --------
        self._invariants(m, q_id, q_left, q_n, b_owed, aw_id, aw_beats, w_taken)

        # -- payload: each granted beat is the one the address channel asked for -------------
        self._payload(m, "read", ar_go, _AR, ~req.write)
        self._payload(m, "write", aw_go, _AW, req.write)

        # -- bounded response with bounded arbitration -------------------------------------------
        if self.grant_wait is not None:
            for ch, owed, valid in (("R", q_n != 0, axi.rvalid),
                                    ("B", (b_owed != 0) & (w_taken >= aw_beats), axi.bvalid)):
                bound = response_bound(self.grant_wait, ch)
                # consecutive cycles before this one in which an answer was owed and not shown
                wait = Signal(range(bound + 2), name=f"ghost_{ch}_wait")
                stalled = owed & ~valid
                with m.If(stalled & (wait <= bound)):
                    m.d.sync += wait.eq(wait + 1)
                with m.Elif(~stalled):
                    m.d.sync += wait.eq(0)
                ps.assert_(m, f"{ch}: an owed answer shows VALID within {bound} cycles, "
                              "whatever READY does", ~(stalled & (wait >= bound)))
                reached = bound - BOUND_SLACK[ch]
                ps.cover(m, f"{ch}: an answer went {reached} cycles without VALID (bound "
                            f"{bound}, slack {BOUND_SLACK[ch]})",
                         stalled & (wait == reached - 1))
        return m


    def _payload(self, m, kind, go, names, is_kind):
        """Ghost of the burst being issued, decoded here from the address channel on its own
        (SPEC §3.1/§3.2): every granted beat of it carries the address the beat's index gives
        (INCR: the first at AxADDR, then aligned steps of 2**AxSIZE), AxSIZE, AxLOCK and
        AxPROT[0], is exclusive exactly for a single aligned 32-bit beat, and goes to the
        region its address decodes to."""
        d, ps, pr = self.dut, self.props, self.probe
        axi, req, p = d.axi, d.req, d.params
        ch = names[0][:2]
        addr, size, lock = (getattr(axi, f"{ch}{f}") for f in ("addr", "size", "lock"))
        length, prot = getattr(axi, f"{ch}len"), getattr(axi, f"{ch}prot")
        g_addr = Signal(len(addr) + 1, name=f"ghost_{ch}_beat_addr")
        g_size = Signal(3, name=f"ghost_{ch}_size")
        g_lock = Signal(name=f"ghost_{ch}_lock")
        g_excl = Signal(name=f"ghost_{ch}_excl")
        g_priv = Signal(name=f"ghost_{ch}_priv")
        g_left = Signal(9, name=f"ghost_{ch}_beats_left")

        def region(a):
            return Mux(a < p.shm_bytes, Region.SHM,
                       Mux((a >= REG_BASE) & (a < REG_BASE + REG_SIZE), Region.REG,
                           Region.NONE))

        step = (Signal(8, name=f"ghost_{ch}_one", init=1) << g_size)[:8]
        # The ghost steps when a beat of the burst is issued into the request register (an
        # address is accepted only while no burst of its kind is being issued, so never in the
        # same cycle); the beat in the register keeps its own copy until it is granted, since
        # the next burst may be accepted while the last beat of this one still waits there.
        issued = pr[probes.READ_ISSUE if kind == "read" else probes.WRITE_ISSUE]
        q_addr = Signal(len(addr) + 1, name=f"ghost_{ch}_req_addr")
        q_size = Signal(3, name=f"ghost_{ch}_req_size")
        q_lock = Signal(name=f"ghost_{ch}_req_lock")
        q_excl = Signal(name=f"ghost_{ch}_req_excl")
        q_priv = Signal(name=f"ghost_{ch}_req_priv")
        granted = req.valid & req.grant & is_kind
        with m.If(go):
            m.d.sync += [g_addr.eq(addr), g_size.eq(size), g_lock.eq(lock), g_priv.eq(prot[0]),
                         g_excl.eq(lock & exclusive_supported(length == 0, size, addr)),
                         g_left.eq(length + 1)]
        with m.Elif(issued):
            m.d.sync += [g_addr.eq((g_addr & ~(step - 1)) + step), g_left.eq(g_left - 1),
                         q_addr.eq(g_addr), q_size.eq(g_size), q_lock.eq(g_lock),
                         q_excl.eq(g_excl), q_priv.eq(g_priv)]
        beat = f"{kind}: a granted beat"
        ps.assert_(m, f"{beat} is at the address its index gives (INCR steps of AxSIZE)",
                   ~granted | (req.addr == q_addr[:len(req.addr)]))
        ps.assert_(m, f"{beat} has its burst's AxSIZE, AxLOCK and AxPROT[0]",
                   ~granted | ((req.size == q_size) & (req.lock == q_lock) &
                               (req.priv == q_priv)))
        ps.assert_(m, f"{beat} is exclusive exactly for a single aligned 32-bit exclusive",
                   ~granted | (req.excl == q_excl))
        ps.assert_(m, f"{beat} goes to the region its address decodes to",
                   ~granted | (req.region == region(q_addr)))
        _, q_sc, q_store, _ = monitor_op(is_kind & req.write, q_lock, q_excl)
        q_shm_write = (region(q_addr) == Region.SHM) & (q_sc | q_store)
        ps.assert_(m, f"{beat} is flagged shm_write exactly for a plain or supported exclusive "
                   f"write to the shared RAM", ~granted | (req.shm_write == q_shm_write))
        ps.cover(m, f"{kind}: a narrow (byte) burst's second beat granted",
                 granted & (q_size == 0) & (q_addr[:2] == 1))
        ps.cover(m, f"{kind}: an exclusive burst's beat granted (not exclusive)",
                 granted & q_lock & ~q_excl)
        # the beat in the request register is the ghost's copy
        ps.assert_(m, f"inv: a {kind} beat in the request register is the ghost's copy",
                   ~(req.valid & is_kind) |
                   ((req.addr == q_addr[:len(req.addr)]) & (q_addr[len(req.addr)] == 0) &
                    (req.size == q_size) & (req.lock == q_lock) & (req.excl == q_excl) &
                    (req.priv == q_priv) & (req.region == region(q_addr)) &
                    (req.shm_write == q_shm_write)))

        # what the induction needs: the front end's registered burst is the ghost's, and its
        # remaining beats stay in the region of the next one
        b = self.lay.burst(pr[probes.READ_BURST if kind == "read" else probes.WRITE_BURST])
        active = pr[probes.READ_ACTIVE if kind == "read" else probes.WRITE_ACTIVE]
        last = (g_addr & ~(step - 1)) + (b.left << g_size)
        # (a burst answered with an error issues its beats without the slot: not followed)
        ps.assert_(m, f"inv: the {kind} burst being issued is the ghost's",
                   ~active | (b.err != AxiResp.OKAY) |
                   ((b.addr == g_addr[:len(b.addr)]) & (g_addr[len(b.addr)] == 0) &
                    (b.size == g_size) & (b.lock == g_lock) & (b.excl == g_excl) &
                    (b.priv == g_priv) & (g_left == b.left + 1) & (b.size <= WORD_SIZE) &
                    (b.region != Region.NONE) & (b.region == region(g_addr)) &
                    (b.region == region(last))))

    def _alternation(self, m):
        """Reads and writes alternate when both wait: of two cycles in which a beat of each
        direction is ready to issue and the request register is free, the later one issues the
        direction the earlier one did not (SPEC 3.1: neither direction starves the other)."""
        ps, pr, req = self.props, self.probe, self.dut.req
        contested = ((~pr[probes.REQ_Q_SHARED] | req.grant) & pr[probes.READ_ACTIVE] &
                     (pr[probes.READ_CREDITS] != 0) & pr[probes.WRITE_ACTIVE] &
                     (pr[probes.WBUF_COUNT] != 0))
        seen = Signal(name="ghost_contested")
        last_write = Signal(name="ghost_contest_write")
        with m.If(contested):
            m.d.sync += [seen.eq(1), last_write.eq(pr[probes.WRITE_ISSUE])]
        ps.assert_(m, "a beat is issued when both directions wait",
                   ~contested | (pr[probes.READ_ISSUE] ^ pr[probes.WRITE_ISSUE]))
        ps.assert_(m, "reads and writes alternate when both wait",
                   ~(contested & seen) | (pr[probes.WRITE_ISSUE] != last_write))
        ps.assert_(m, "inv: the front end prefers the direction the last contest did not issue",
                   ~seen | (pr[probes.PREFER_WRITE] != last_write))
        ps.cover(m, "three contested issues in a row",
                 contested & (wait_cycles(m, contested, 2, "ghost_contest_run") == 2))

    def _invariants(self, m, q_id, q_left, q_n, b_owed, aw_id, aw_beats, w_taken):
        ps, pr, lay = self.props, self.probe, self.lay
        rd, wr = lay.burst(pr[probes.READ_BURST]), lay.burst(pr[probes.WRITE_BURST])
        rd_active, wr_active = pr[probes.READ_ACTIVE], pr[probes.WRITE_ACTIVE]
        wr_waiting, b_hold = pr[probes.WRITE_WAITING], pr[probes.B_HOLD]
        wbuf_count = pr[probes.WBUF_COUNT]
        rq = [lay.answer(pr[probes.answer_queue(i)]) for i in range(RQ_DEPTH)]
        rq_count = pr[probes.ANSWER_QUEUE_COUNT]
        # the beats in flight, oldest first: the due stages, then the request register
        req_q = lay.beat(pr[probes.REQ_Q])
        flight = [(pr[probes.DUE_VALID][i], lay.tag(pr[probes.due(i)]))
                  for i in reversed(range(ANSWER_LATENCY))]
        flight.append((pr[probes.REQ_Q_SHARED] | pr[probes.REQ_Q_LOCAL], req_q.tag))

        # reads: the answers queued, then those in flight, then the beats still to issue, are
        # the ghost's outstanding beats in order
        reads = [valid & ~tag.write for valid, tag in flight]
        n_flight = sum(reads)
        owed = sum(Mux(q_n > j, q_left[j], 0) for j in range(READ_DEPTH))
        ps.assert_(m, "inv: read beats owed = queued + in flight + still to issue",
                   owed == rq_count + n_flight + Mux(rd_active, rd.left + 1, 0))
        ps.assert_(m, "inv: the R queue has room for every read in flight",
                   (rq_count + n_flight <= RQ_DEPTH) &
                   (pr[probes.READ_CREDITS] == RQ_DEPTH - rq_count - n_flight))
        ps.assert_(m, f"inv: at most {READ_DEPTH - 1} read bursts outstanding, none empty",
                   (q_n <= READ_DEPTH - 1) &
                   Cat((q_n <= j) | (q_left[j] != 0) for j in range(READ_DEPTH)).all())
        if self.max_len is not None:
            ps.assert_(m, "inv: bursts no longer than assumed",
                       Cat((q_n <= j) | (q_left[j] <= self.max_len + 1)
                           for j in range(READ_DEPTH)).all() &
                       (~rd_active | (rd.left <= self.max_len)) &
                       (~(b_owed != 0) | (aw_beats <= self.max_len + 1)))

        # (id, last) of the k-th outstanding read beat, for every k a stored answer can be at
        ends = []  # ends[j]: outstanding beats up to and including ghost burst j
        total = 0
        for j in range(READ_DEPTH):
            total = total + Mux(q_n > j, q_left[j], 0)
            ends.append(total)

        def beat(k):
            ident, last = q_id[READ_DEPTH - 1], 0
            for j in reversed(range(READ_DEPTH)):
                inside = ends[j] > k
                ident = Mux(inside, q_id[j], ident)
                last = Mux(inside, ends[j] == k + 1, last)
            return ident, last

        expect = [beat(k) for k in range(RQ_DEPTH)]

        def matches(pos, ident, last):
            return Cat((pos != k) | ((ident == want_id) & (last == want_last))
                       for k, (want_id, want_last) in enumerate(expect)).all()

        ok = [matches(i, rq[i].id, rq[i].last) | (rq_count <= i) for i in range(RQ_DEPTH)]
        pos = rq_count
        for is_read, (_valid, tag) in zip(reads, flight, strict=True):
            ok.append(~is_read | matches(pos, tag.id, tag.last))
            pos = pos + is_read
        ps.assert_(m, "inv: R queue and reads in flight in ghost order", Cat(ok).all())
        last_entry_id = Cat(q_id).word_select((q_n - 1)[:(READ_DEPTH - 1).bit_length()],
                                              len(q_id[0]))
        last_entry_left = Cat(q_left).word_select((q_n - 1)[:(READ_DEPTH - 1).bit_length()], 9)
        ps.assert_(m, "inv: the burst being issued is the newest outstanding one",
                   ~rd_active | ((q_n != 0) & (rd.id == last_entry_id) &
                                 (rd.left + 1 <= last_entry_left)))
        # writes
        ps.assert_(m, "inv: one write burst outstanding exactly while AW is closed",
                   (b_owed == (wr_active | wr_waiting | b_hold)) &
                   ~(wr_active & wr_waiting) & ~(wr_active & b_hold) & ~(wr_waiting & b_hold))
        ps.assert_(m, "inv: the outstanding write burst is the ghost's",
                   (b_owed == 0) | ((wr.id == aw_id) & (aw_beats != 0)))
        ps.assert_(m, "inv: W beats taken = beats issued + the buffered ones",
                   (wbuf_count <= 2) & (pr[probes.WBUF_FULL] == (wbuf_count == 2)) &
                   Mux(wr_active, (w_taken == aw_beats - (wr.left + 1) + wbuf_count) &
                       (wr.left + 1 <= aw_beats),
                       Mux(wr_waiting | b_hold, w_taken == aw_beats + wbuf_count,
                           w_taken == wbuf_count)))
        writes = [valid & tag.write for valid, tag in flight]
        ps.assert_(m, "inv: writes in flight belong to the burst being written; its last beat "
                      "is in flight exactly while B waits for it",
                   Cat(~w | wr_active | wr_waiting for w in writes).all() &
                   (wr_waiting == Cat(w & tag.last for w, (_v, tag)
                                      in zip(writes, flight, strict=True)).any()) &
                   (sum(w & tag.last for w, (_v, tag) in zip(writes, flight, strict=True))
                    <= 1) &
                   Cat(~(w & tag.last) | ~Cat(later).any()
                       for i, (w, (_v, tag)) in enumerate(zip(writes, flight, strict=True))
                       for later in [writes[i + 1:] or [0]]).all())


def make_dut(params, bug=None):
    """An :class:`AxiSlaveFrontEnd`, or one with the seeded bug named ``bug``."""
    dut = AxiSlaveFrontEnd(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _rvalid_waits_for_rready(m, d, probe):
    # answers only shown while the manager is ready: VALID depends on READY
    waiting = (probe[probes.ANSWER_QUEUE_COUNT] != 0) | probe[probes.READ_DUE]
    m.d.comb += d.axi.rvalid.eq(waiting & d.axi.rready)


def _b_payload_changes(m, d, probe):
    # a held B response is not held: it follows the answer of the moment
    m.d.comb += d.axi.bresp.eq(probe[probes.BURST_RESP])


def _r_data_not_held(m, d, probe):
    # a waiting R beat shows whatever the target answers now
    m.d.comb += d.axi.rdata.eq(layouts(d.params.id_width).answer(probe[probes.ARRIVING]).data)


def _early_rlast(m, d, probe):
    m.d.comb += d.axi.rlast.eq(1)


def _b_before_last_w(m, d, probe):
    # B issued when the first beat of the burst is answered
    with m.If(probe[probes.WRITE_DUE]):
        m.d.comb += d.axi.bvalid.eq(1)


def _exclusive_burst_is_llsc(m, d, probe):
    # issue 17's hand mutant: the single-beat condition dropped, an exclusive burst is LL/SC
    axi = d.axi
    for ch, name in (("ar", probes.AR_IN), ("aw", probes.AW_IN)):
        lock, size, addr = (getattr(axi, f"{ch}{f}") for f in ("lock", "size", "addr"))
        burst = layouts(d.params.id_width).burst(probe[name])
        m.d.comb += burst.excl.eq(lock & exclusive_supported(1, size, addr))  # any length


def _narrow_steps_by_word(m, d, probe):
    # issue 17's hand mutant: every burst steps 4 bytes per beat, whatever its AxSIZE
    for burst, issue in ((probes.READ_BURST, probes.READ_ISSUE),
                         (probes.WRITE_BURST, probes.WRITE_ISSUE)):
        b = layouts(d.params.id_width).burst(probe[burst])
        with m.If(probe[issue]):
            m.d.sync += b.addr.eq((b.addr & ~3) + 4)


def _writes_always_first(m, d, probe):
    # the issue never alternates: a waiting write always goes before a waiting read
    m.d.sync += probe[probes.PREFER_WRITE].eq(1)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "writes_always_first": _writes_always_first,
    "exclusive_burst_is_llsc": _exclusive_burst_is_llsc,
    "narrow_steps_by_word": _narrow_steps_by_word,
    "rvalid_waits_for_rready": _rvalid_waits_for_rready,
    "b_payload_changes": _b_payload_changes,
    "r_data_not_held": _r_data_not_held,
    "early_rlast": _early_rlast,
    "b_before_last_w": _b_before_last_w,
}
