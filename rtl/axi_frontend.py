"""AXI4 slave front end: turns one agent's bursts into single-word accesses."""

from types import SimpleNamespace

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ioc_defs import probes
from ioc_defs.axi import (
    WORD_SIZE,
    AxiBurst,
    AxiResp,
    burst_malformed,
    exclusive_supported,
    monitor_op,
)
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, REG_BASE, REG_SIZE, SHM_BASE, IocParams, Region

from .access import ANSWER_LATENCY, RequestSignature, absolute, offset_bits
from .axi import AxiSignature

__all__ = ["AxiSlaveFrontEnd", "RQ_DEPTH", "layouts"]

#: Entries of the R answer queue: one per read beat that can be in flight while the manager
#: holds RREADY low (request register + ANSWER_LATENCY stages), plus one so that a burst
#: streams one beat per cycle when RREADY is high.
RQ_DEPTH = ANSWER_LATENCY + 2


def layouts(id_width):
    """The records the front end keeps, for AXI IDs of ``id_width`` bits (only as many ID bits
    as the port has are stored): ``burst`` (an accepted AR or AW), ``tag`` (what the answer of
    an issued beat needs, carried while the beat is in flight), ``beat`` (a beat in the request
    register) and ``answer`` (an R beat waiting for the manager)."""
    burst = data.StructLayout({
        "id":     id_width,
        "addr":   ADDR_WIDTH,
        "left":   8,          # beats still to issue, minus one
        "size":   3,
        "region": Region,
        "err":    AxiResp,    # OKAY, or the error every beat of the burst is answered with
        "lock":   1,
        "excl":   1,
        "priv":   1,
    })
    tag = data.StructLayout({
        "write": 1,
        "local": 1,           # answered by the front end itself, with ``err``
        "err":   AxiResp,
        "last":  1,
        "id":    id_width,
    })
    # ``offset``: the beat's address within its region; wide enough for the largest shared
    # RAM, only ``offset_bits(params)`` of it are used
    beat = data.StructLayout({
        "region":    Region,
        "offset":    16,
        "w_data":    DATA_WIDTH,
        "w_strb":    DATA_WIDTH // 8,
        "size":      3,
        "lock":      1,
        "excl":      1,
        "priv":      1,
        "shm_write": 1,       # a plain or supported exclusive write to the shared RAM
        "tag":       tag,
    })
    answer = data.StructLayout({
        "id":   id_width,
        "data": DATA_WIDTH,
        "resp": AxiResp,
        "last": 1,
    })
    return SimpleNamespace(burst=burst, tag=tag, beat=beat, answer=answer)


class _WBeat(data.Struct):
    """A W beat waiting for its turn."""
    data: DATA_WIDTH
    strb: DATA_WIDTH // 8


class AxiSlaveFrontEnd(wiring.Component):
    """AXI4 slave port of one agent (SPEC §3.1).

    Accepts one read burst and one write burst at a time and issues their beats, one per cycle
    at most, into its request register; reads and writes alternate when both wait. Bursts that
    are answered with an error are decided when the address is accepted and never reach a
    target:

    * DECERR: the first or the last beat is unmapped, or the burst leaves its region (a
      FIXED or WRAP burst, or one wider than the bus, is judged by its first beat);
    * SLVERR: a burst type other than INCR, or ``AxSIZE`` wider than the 32-bit bus.

    Exclusive accesses (``AxLOCK``) are passed on with ``excl`` set when they are of the
    supported form (single beat, 32 bits, aligned); the target decides their answer.

    Pipeline (cycle 0: the AR, or the later of AW and W, handshake):

    * cycle 1, *issue*: the beat is loaded into the request register (``req_q``), which
      drives ``req`` from flops in cycle 2;
    * it *leaves* the register in the cycle it is granted (at the earliest cycle 2), or, for a
      beat the front end answers itself, in the cycle after it was issued; whichever, it is
      answered :data:`~rtl.access.ANSWER_LATENCY` cycles after it leaves (the ``due`` shift
      register carries its ID, LAST and error meanwhile);
    * R (or B, for the last beat of a write burst) is valid in the answer cycle, through the R
      queue when RREADY was low; ``bus_error`` pulses in the cycle before an error answer.

    So, with no stalls and no contention, R of a single read is valid
    :data:`~rtl.access.HANDSHAKE_TO_ANSWER` = 5 cycles after the AR handshake, B 5 cycles
    after the W handshake, and a burst streams one beat per cycle (the R
    queue has room for every read beat in flight, so the request register is refilled every
    cycle). Exclusive and plain accesses take the same number of cycles. Back-pressure: RREADY
    low fills the R queue and then stops issuing reads, BREADY low holds B and then AWREADY;
    neither loses, duplicates nor reorders an answer, because nothing is issued without room
    for its answer.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration (``id_width``, ``shm_bytes``).

    Members
    -------
    axi : In(AxiSignature)
        The agent's AXI4 slave port.
    req : Out(RequestSignature)
        Beats for the shared access slot.
    bus_error : Out(1)
        Pulses in the cycle before the front end answers a beat with DECERR or SLVERR itself.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        super().__init__({
            "axi": In(AxiSignature(id_width=params.id_width)),
            "req": Out(RequestSignature(addr_width=ADDR_WIDTH)),
            "bus_error": Out(1),
        })

    @property
    def params(self):
        return self._params

    def _decode(self, m, prefix, burst, addr, len_, size, kind, lock, prot, id_):
        """Fill ``burst`` (a combinational ``layouts().burst``) from an address-channel payload."""
        p = self._params
        # Each region is a naturally aligned power of two, so a burst whose first beat is in a
        # region stays in it iff its offset in the region plus the burst's span does not carry
        # out of the region's size: a short adder instead of a full-width last address.
        span = Signal(10 + WORD_SIZE, name=f"{prefix}_span")   # bytes from first to last beat
        # the first beat, size-aligned: only its offset within the larger region is compared
        aligned = Signal(max(p.shm_bytes, REG_SIZE).bit_length() - 1, name=f"{prefix}_aligned")
        with m.Switch(size):
            for s in range(WORD_SIZE + 1):
                with m.Case(s):
                    m.d.comb += [aligned.eq(addr & ~((1 << s) - 1)), span.eq(len_ << s)]
            with m.Default():
                # Wider than the bus: SLVERR wherever it is mapped; judge by the first beat.
                m.d.comb += aligned.eq(addr)
        with m.If(kind != AxiBurst.INCR):
            # FIXED: every beat is at the first one's address; WRAP: the beats stay in an
            # aligned container within the first beat's region. Mapped, so SLVERR (not DECERR).
            m.d.comb += [aligned.eq(addr), span.eq(0)]

        def fits(base, size_bytes):
            """(first beat in [base, base + size_bytes), the last one too)"""
            bits = (size_bytes - 1).bit_length()
            first = addr[bits:] == base >> bits
            return first, (aligned[:bits] + span) < size_bytes

        first_shm, last_shm = fits(SHM_BASE, p.shm_bytes)
        first_reg, last_reg = fits(REG_BASE, REG_SIZE)

        m.d.comb += [
            burst.id.eq(id_),
            burst.addr.eq(addr),
            burst.left.eq(len_),
            burst.size.eq(size),
            burst.lock.eq(lock),
            burst.excl.eq(lock & exclusive_supported(len_ == 0, size, addr)),
            burst.priv.eq(prot[0]),
        ]
        with m.If(first_shm):
            m.d.comb += burst.region.eq(Region.SHM)
        with m.Elif(first_reg):
            m.d.comb += burst.region.eq(Region.REG)

        with m.If(~(first_shm & last_shm) & ~(first_reg & last_reg)):
            m.d.comb += burst.err.eq(AxiResp.DECERR)
        with m.Elif(burst_malformed(kind, size)):
            m.d.comb += burst.err.eq(AxiResp.SLVERR)

    def _advance(self, m, burst):
        """Step ``burst`` (a registered ``layouts().burst``) to its next beat. Only the offset in
        the region moves: a burst that would leave its region is refused whole, and the beats of a
        refused burst are answered without their address."""
        m.d.sync += burst.left.eq(burst.left - 1)
        offset = burst.addr[:offset_bits(self._params)]
        with m.Switch(burst.size):
            for s in range(WORD_SIZE + 1):
                with m.Case(s):
                    m.d.sync += offset.eq((offset & ~((1 << s) - 1)) + (1 << s))

    def elaborate(self, platform):
        m = Module()
        axi, req = self.axi, self.req
        lay = layouts(self._params.id_width)

        # ---- address channels -------------------------------------------------------------
        ar_in = Signal(lay.burst, name=probes.AR_IN)
        aw_in = Signal(lay.burst, name=probes.AW_IN)
        self._decode(m, "ar", ar_in, axi.araddr, axi.arlen, axi.arsize, axi.arburst, axi.arlock,
                     axi.arprot, axi.arid)
        self._decode(m, "aw", aw_in, axi.awaddr, axi.awlen, axi.awsize, axi.awburst, axi.awlock,
                     axi.awprot, axi.awid)

        rd = Signal(lay.burst, name=probes.READ_BURST)
        rd_active = Signal(name=probes.READ_ACTIVE)
        wr = Signal(lay.burst, name=probes.WRITE_BURST)
        wr_active = Signal(name=probes.WRITE_ACTIVE)    # AW accepted, beats still to issue
        wr_waiting = Signal(name=probes.WRITE_WAITING)   # last beat issued, its answer not yet back

        # ---- W buffer, so W can be taken before or with AW ----------------------------------
        # Two entries, so that WREADY is a flop and not the issue decision: W streams one beat
        # per cycle, and the issue logic never drives the W channel combinationally.
        wbuf = [Signal(_WBeat, name=f"wbuf{i}") for i in range(2)]
        wbuf_count = Signal(range(3), name=probes.WBUF_COUNT)
        wbuf_full = Signal(name=probes.WBUF_FULL)

        # ---- R answer queue and B holding register ------------------------------------------
        rq = [Signal(lay.answer, name=probes.answer_queue(i)) for i in range(RQ_DEPTH)]
        rq_count = Signal(range(RQ_DEPTH + 1), name=probes.ANSWER_QUEUE_COUNT)
        b_hold = Signal(name=probes.B_HOLD)
        b_hold_resp = Signal(AxiResp)
        b_acc = Signal(AxiResp)  # first error among the beats of the current write burst

        # ---- the request register and the beats in flight behind it -------------------------
        # A beat is *issued* into the request register; it *leaves* it when granted (or, if the
        # front end answers it itself, in the next cycle) and is answered ANSWER_LATENCY cycles
        # later, in order: an error beat takes the same path as a performed one, so errors and
        # data never overtake each other.
        q = Signal(lay.beat, name=probes.REQ_Q)
        off_bits = offset_bits(self._params)
        q_req = Signal(name=probes.REQ_Q_SHARED)    # q holds a beat for the shared slot
        q_loc = Signal(name=probes.REQ_Q_LOCAL)     # q holds a beat the front end answers itself
        leave = Signal()
        m.d.comb += leave.eq(q_loc | req.grant)
        due = [Signal(lay.tag, name=probes.due(i)) for i in range(ANSWER_LATENCY)]
        due_valid = Signal(ANSWER_LATENCY, name=probes.DUE_VALID)
        m.d.sync += [due[0].eq(q.tag), due_valid[0].eq(leave)]
        for i in range(1, ANSWER_LATENCY):
            m.d.sync += [due[i].eq(due[i - 1]), due_valid[i].eq(due_valid[i - 1])]
        ans = due[-1]
        r_due = Signal(name=probes.READ_DUE)
        w_due = Signal(name=probes.WRITE_DUE)
        m.d.comb += [
            r_due.eq(due_valid[-1] & ~ans.write),
            w_due.eq(due_valid[-1] & ans.write),
            # the error is reported in the cycle before its answer shows, so that the BUS_ERROR
            # event it raises is visible with the answer
            self.bus_error.eq(due_valid[-2] & due[-2].local),
        ]

        # Read beats issued and not yet answered: the R queue must have room for all of them.
        # r_credits = RQ_DEPTH - rq_count - (reads in flight), kept as a register of its own so
        # that the room check is one gate, not an adder and a compare.
        r_credits = Signal(range(RQ_DEPTH + 1), init=RQ_DEPTH, name=probes.READ_CREDITS)

        # ---- which beat goes next ---------------------------------------------------------
        r_want = rd_active & (r_credits != 0)
        w_want = wr_active & (wbuf_count != 0)
        free = ~q_req | req.grant    # a local beat always leaves the register at once
        prefer_write = Signal(name=probes.PREFER_WRITE)
        sel_write = Signal()
        m.d.comb += sel_write.eq(w_want & (~r_want | prefer_write))
        r_issue = Signal(name=probes.READ_ISSUE)
        w_issue = Signal(name=probes.WRITE_ISSUE)
        m.d.comb += [
            r_issue.eq(free & r_want & ~sel_write),
            w_issue.eq(free & sel_write),
        ]
        with m.If(free & r_want & w_want):
            m.d.sync += prefer_write.eq(~sel_write)
        # an R beat handed to the manager frees an entry (whether it came from the queue or
        # went past it)
        m.d.sync += r_credits.eq(r_credits - r_issue + (axi.rvalid & axi.rready))

        _, wr_sc, wr_store, _ = monitor_op(1, wr.lock, wr.excl)
        if self._params.resv_hold_cycles:   # only the holds look at it
            with m.If(w_issue):
                m.d.sync += q.shm_write.eq((wr.region == Region.SHM) & (wr_sc | wr_store))
            with m.Elif(r_issue):
                m.d.sync += q.shm_write.eq(0)
        with m.If(w_issue):
            m.d.sync += [
                q.region.eq(wr.region), q.offset.eq(wr.addr[:off_bits]),
                q.w_data.eq(wbuf[0].data), q.w_strb.eq(wbuf[0].strb), q.size.eq(wr.size),
                q.lock.eq(wr.lock), q.excl.eq(wr.excl), q.priv.eq(wr.priv),
                q.tag.local.eq(wr.err != AxiResp.OKAY), q.tag.err.eq(wr.err),
                q.tag.last.eq(wr.left == 0), q.tag.id.eq(wr.id), q.tag.write.eq(1),
                q_req.eq(wr.err == AxiResp.OKAY), q_loc.eq(wr.err != AxiResp.OKAY),
            ]
        with m.Elif(r_issue):
            m.d.sync += [
                q.region.eq(rd.region), q.offset.eq(rd.addr[:off_bits]),
                q.size.eq(rd.size), q.lock.eq(rd.lock), q.excl.eq(rd.excl), q.priv.eq(rd.priv),
                q.tag.local.eq(rd.err != AxiResp.OKAY), q.tag.err.eq(rd.err),
                q.tag.last.eq(rd.left == 0), q.tag.id.eq(rd.id), q.tag.write.eq(0),
                q_req.eq(rd.err == AxiResp.OKAY), q_loc.eq(rd.err != AxiResp.OKAY),
            ]
        with m.Elif(leave):
            m.d.sync += [q_req.eq(0), q_loc.eq(0)]
        m.d.comb += [
            req.valid.eq(q_req),
            req.region.eq(q.region), req.addr.eq(absolute(q.region, q.offset[:off_bits])),
            req.write.eq(q.tag.write),
            req.w_data.eq(q.w_data), req.w_strb.eq(q.w_strb), req.size.eq(q.size),
            req.lock.eq(q.lock), req.excl.eq(q.excl), req.priv.eq(q.priv),
            req.shm_write.eq(q.shm_write),
        ]

        # ---- read burst -------------------------------------------------------------------
        m.d.comb += axi.arready.eq(~rd_active)
        with m.If(axi.arvalid & axi.arready):
            m.d.sync += [rd.eq(ar_in), rd_active.eq(1)]
        with m.If(r_issue):
            self._advance(m, rd)
            with m.If(rd.left == 0):
                m.d.sync += rd_active.eq(0)

        # ---- R channel: answers in order, bypassing the queue when it is empty -------------
        arriving = Signal(lay.answer, name=probes.ARRIVING)
        m.d.comb += [
            arriving.id.eq(ans.id),
            arriving.last.eq(ans.last),
            arriving.data.eq(Mux(ans.local, 0, req.r_data)),
            arriving.resp.eq(Mux(ans.local, ans.err, req.resp)),
        ]
        head = Signal(lay.answer)
        m.d.comb += head.eq(Mux(rq_count == 0, arriving, rq[0]))
        m.d.comb += [
            axi.rvalid.eq((rq_count != 0) | r_due),
            axi.rid.eq(head.id),
            axi.rdata.eq(head.data),
            axi.rresp.eq(head.resp),
            axi.rlast.eq(head.last),
        ]
        # A shift queue: the head is always rq[0], so R's payload comes from one register.
        # r_credits keeps answers from arriving while the queue is full.
        pop = axi.rvalid & axi.rready
        push = r_due & ~((rq_count == 0) & pop)
        after_pop = Signal.like(rq_count)
        m.d.comb += after_pop.eq(rq_count - (pop & (rq_count != 0)))
        m.d.sync += rq_count.eq(after_pop + push)
        for i in range(RQ_DEPTH):
            nxt = rq[i + 1] if i + 1 < RQ_DEPTH else rq[i]
            with m.If(push & (after_pop == i)):
                m.d.sync += rq[i].eq(arriving)
            with m.Elif(pop & (rq_count != 0)):
                m.d.sync += rq[i].eq(nxt)

        # ---- write burst ------------------------------------------------------------------
        m.d.comb += axi.awready.eq(~wr_active & ~wr_waiting & ~b_hold)
        with m.If(axi.awvalid & axi.awready):
            m.d.sync += [wr.eq(aw_in), wr_active.eq(1), b_acc.eq(AxiResp.OKAY)]

        m.d.comb += axi.wready.eq(~wbuf_full)
        w_in = Signal(_WBeat)
        m.d.comb += [w_in.data.eq(axi.wdata), w_in.strb.eq(axi.wstrb)]
        w_push = axi.wvalid & axi.wready
        w_left = Signal.like(wbuf_count)   # entries after the pop
        m.d.comb += w_left.eq(wbuf_count - w_issue)
        m.d.sync += [wbuf_count.eq(w_left + w_push), wbuf_full.eq(w_left + w_push == 2)]
        with m.If(w_push & (w_left == 0)):
            m.d.sync += wbuf[0].eq(w_in)
        with m.Elif(w_issue):
            m.d.sync += wbuf[0].eq(wbuf[1])
        with m.If(w_push & (w_left == 1)):
            m.d.sync += wbuf[1].eq(w_in)

        with m.If(w_issue):
            self._advance(m, wr)
            with m.If(wr.left == 0):
                m.d.sync += [wr_active.eq(0), wr_waiting.eq(1)]

        # ---- B channel: one answer per burst, the first error among its beats --------------
        beat_resp = Signal(AxiResp)
        burst_resp = Signal(AxiResp, name=probes.BURST_RESP)
        m.d.comb += [
            beat_resp.eq(Mux(ans.local, ans.err, req.resp)),
            burst_resp.eq(Mux(b_acc != AxiResp.OKAY, b_acc, beat_resp)),
        ]
        with m.If(w_due & (b_acc == AxiResp.OKAY) &
                  ((beat_resp == AxiResp.SLVERR) | (beat_resp == AxiResp.DECERR))):
            m.d.sync += b_acc.eq(beat_resp)
        b_now = w_due & ans.last
        m.d.comb += [
            axi.bvalid.eq(b_hold | b_now),
            axi.bresp.eq(Mux(b_hold, b_hold_resp, burst_resp)),
            axi.bid.eq(wr.id),
        ]
        with m.If(b_now):
            m.d.sync += wr_waiting.eq(0)
            with m.If(~axi.bready):
                m.d.sync += [b_hold.eq(1), b_hold_resp.eq(burst_resp)]
        with m.Elif(b_hold & axi.bready):
            m.d.sync += b_hold.eq(0)

        return m
