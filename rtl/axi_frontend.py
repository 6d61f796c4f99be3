"""AXI4 slave front end: turns one agent's bursts into single-word accesses."""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ioc_defs.axi import WORD_SIZE, AxiBurst, AxiResp, burst_malformed, exclusive_supported
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, REG_BASE, REG_SIZE, SHM_BASE, IocParams, Region

from .access import RequestSignature
from .axi import AxiSignature

__all__ = ["AxiSlaveFrontEnd"]



class _Burst(data.Struct):
    """What the front end keeps of an accepted AR or AW."""
    id:     16
    addr:   ADDR_WIDTH
    left:   8          # beats still to issue, minus one
    size:   3
    region: Region
    err:    AxiResp    # OKAY, or the error every beat of the burst is answered with
    lock:   1
    excl:   1
    priv:   1


class _Answer(data.Struct):
    """An R beat waiting for the manager."""
    id:   16
    data: DATA_WIDTH
    resp: AxiResp
    last: 1


class AxiSlaveFrontEnd(wiring.Component):
    """AXI4 slave port of one agent (SPEC §3.1).

    Accepts one read burst and one write burst at a time and issues their beats, one per cycle
    at most, as requests for the shared access slot; reads and writes alternate when both wait.
    Bursts that are answered with an error are decided when the address is accepted and never
    reach a target:

    * DECERR: the first or the last beat is unmapped, or the burst leaves its region (a
      FIXED or WRAP burst, or one wider than the bus, is judged by its first beat);
    * SLVERR: a burst type other than INCR, or ``AxSIZE`` wider than the 32-bit bus.

    Exclusive accesses (``AxLOCK``) are passed on with ``excl`` set when they are of the
    supported form (single beat, 32 bits, aligned); the target decides their answer.

    Timing, with no stalls and no contention: R of a single read is valid 2 cycles after the
    AR handshake; a burst streams one beat per cycle; B is valid in the cycle after the last
    beat is performed. Exclusive and plain accesses take the same number of cycles.

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
        Pulses when the front end answers a beat with DECERR or SLVERR itself.
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
        """Fill ``burst`` (a combinational _Burst) from an address-channel payload."""
        p = self._params
        # Address of the last beat's first byte (33 bits: no wrap-around).
        base = Signal(ADDR_WIDTH + 1, name=f"{prefix}_base")
        last = Signal(ADDR_WIDTH + 10, name=f"{prefix}_last")
        with m.Switch(size):
            for s in range(WORD_SIZE + 1):
                with m.Case(s):
                    m.d.comb += base.eq(addr & ~((1 << s) - 1))
                    m.d.comb += last.eq(base + (len_ << s))
            with m.Default():
                # Wider than the bus: SLVERR wherever it is mapped; judge by the first beat.
                m.d.comb += last.eq(addr)
        with m.If(kind != AxiBurst.INCR):
            # FIXED: every beat is at the first one's address; WRAP: the beats stay in an
            # aligned container within the first beat's region. Mapped, so SLVERR (not DECERR).
            m.d.comb += last.eq(addr)

        def in_region(a, lo, hi):
            return (a < hi) if lo == 0 else (a >= lo) & (a < hi)

        first_shm = in_region(addr, SHM_BASE, SHM_BASE + p.shm_bytes)
        first_reg = in_region(addr, REG_BASE, REG_BASE + REG_SIZE)
        last_shm = in_region(last, SHM_BASE, SHM_BASE + p.shm_bytes)
        last_reg = in_region(last, REG_BASE, REG_BASE + REG_SIZE)

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

    @staticmethod
    def _advance(m, burst):
        """Step ``burst`` (a registered _Burst) to its next beat."""
        m.d.sync += burst.left.eq(burst.left - 1)
        with m.Switch(burst.size):
            for s in range(WORD_SIZE + 1):
                with m.Case(s):
                    m.d.sync += burst.addr.eq((burst.addr & ~((1 << s) - 1)) + (1 << s))

    def elaborate(self, platform):
        m = Module()
        axi, req = self.axi, self.req

        # ---- address channels -------------------------------------------------------------
        ar_in = Signal(_Burst)
        aw_in = Signal(_Burst)
        self._decode(m, "ar", ar_in, axi.araddr, axi.arlen, axi.arsize, axi.arburst, axi.arlock,
                     axi.arprot, axi.arid)
        self._decode(m, "aw", aw_in, axi.awaddr, axi.awlen, axi.awsize, axi.awburst, axi.awlock,
                     axi.awprot, axi.awid)

        rd = Signal(_Burst)
        rd_active = Signal()
        wr = Signal(_Burst)
        wr_active = Signal()    # AW accepted, beats still to issue
        wr_waiting = Signal()   # last beat issued, its answer not yet back

        # ---- W buffer: one beat, so W can be taken before or with AW ------------------------
        wbuf_valid = Signal()
        wbuf_data = Signal(DATA_WIDTH)
        wbuf_strb = Signal(DATA_WIDTH // 8)

        # ---- R answer queue (two entries) and B holding register ----------------------------
        rq = [Signal(_Answer, name=f"rq{i}") for i in range(2)]
        rq_count = Signal(range(3))
        b_hold = Signal()
        b_hold_resp = Signal(AxiResp)
        b_acc = Signal(AxiResp)  # first error among the beats of the current write burst

        # Answers due this cycle, for beats issued in the previous one.
        r_due = Signal()
        r_due_local = Signal()
        r_due_last = Signal()
        r_due_id = Signal(16)
        r_due_err = Signal(AxiResp)
        w_due = Signal()
        w_due_local = Signal()
        w_due_last = Signal()
        w_due_err = Signal(AxiResp)

        # ---- which beat goes next ---------------------------------------------------------
        r_room = (rq_count + r_due) < 2
        r_want = rd_active & r_room
        w_want = wr_active & wbuf_valid
        r_local = rd.err != AxiResp.OKAY
        w_local = wr.err != AxiResp.OKAY
        r_shared = r_want & ~r_local
        w_shared = w_want & ~w_local
        prefer_write = Signal()
        sel_write = Signal()
        m.d.comb += sel_write.eq(w_shared & (~r_shared | prefer_write))
        r_issue = Signal()
        w_issue = Signal()
        m.d.comb += [
            req.valid.eq(r_shared | w_shared),
            r_issue.eq(r_want & (r_local | (req.grant & ~sel_write))),
            w_issue.eq(w_want & (w_local | (req.grant & sel_write))),
        ]
        with m.If(req.grant & r_shared & w_shared):
            m.d.sync += prefer_write.eq(~sel_write)

        with m.If(sel_write):
            m.d.comb += [
                req.region.eq(wr.region), req.addr.eq(wr.addr), req.write.eq(1),
                req.w_data.eq(wbuf_data), req.w_strb.eq(wbuf_strb), req.size.eq(wr.size),
                req.lock.eq(wr.lock), req.excl.eq(wr.excl), req.priv.eq(wr.priv),
            ]
        with m.Else():
            m.d.comb += [
                req.region.eq(rd.region), req.addr.eq(rd.addr), req.size.eq(rd.size),
                req.lock.eq(rd.lock), req.excl.eq(rd.excl), req.priv.eq(rd.priv),
            ]
        m.d.comb += self.bus_error.eq((r_issue & r_local) | (w_issue & w_local))

        # ---- read burst -------------------------------------------------------------------
        m.d.comb += axi.arready.eq(~rd_active)
        with m.If(axi.arvalid & axi.arready):
            m.d.sync += [rd.eq(ar_in), rd_active.eq(1)]
        m.d.sync += r_due.eq(r_issue)
        with m.If(r_issue):
            m.d.sync += [
                r_due_local.eq(r_local), r_due_err.eq(rd.err),
                r_due_last.eq(rd.left == 0), r_due_id.eq(rd.id),
            ]
            self._advance(m, rd)
            with m.If(rd.left == 0):
                m.d.sync += rd_active.eq(0)

        # ---- R channel: answers in order, bypassing the queue when it is empty -------------
        arriving = Signal(_Answer)
        m.d.comb += [
            arriving.id.eq(r_due_id),
            arriving.last.eq(r_due_last),
            arriving.data.eq(Mux(r_due_local, 0, req.r_data)),
            arriving.resp.eq(Mux(r_due_local, r_due_err, req.resp)),
        ]
        head = Signal(_Answer)
        m.d.comb += head.eq(Mux(rq_count == 0, arriving, rq[0]))
        m.d.comb += [
            axi.rvalid.eq((rq_count != 0) | r_due),
            axi.rid.eq(head.id),
            axi.rdata.eq(head.data),
            axi.rresp.eq(head.resp),
            axi.rlast.eq(head.last),
        ]
        pop = axi.rvalid & axi.rready
        with m.Switch(rq_count):
            with m.Case(0):
                with m.If(r_due & ~pop):
                    m.d.sync += [rq[0].eq(arriving), rq_count.eq(1)]
            with m.Case(1):
                with m.If(pop & r_due):
                    m.d.sync += rq[0].eq(arriving)
                with m.Elif(pop):
                    m.d.sync += rq_count.eq(0)
                with m.Elif(r_due):
                    m.d.sync += [rq[1].eq(arriving), rq_count.eq(2)]
            with m.Case(2):
                # r_room keeps answers from arriving while the queue is full.
                with m.If(pop):
                    m.d.sync += [rq[0].eq(rq[1]), rq_count.eq(1)]

        # ---- write burst ------------------------------------------------------------------
        m.d.comb += axi.awready.eq(~wr_active & ~wr_waiting & ~b_hold)
        with m.If(axi.awvalid & axi.awready):
            m.d.sync += [wr.eq(aw_in), wr_active.eq(1), b_acc.eq(AxiResp.OKAY)]

        m.d.comb += axi.wready.eq(~wbuf_valid | w_issue)
        with m.If(axi.wvalid & axi.wready):
            m.d.sync += [wbuf_valid.eq(1), wbuf_data.eq(axi.wdata), wbuf_strb.eq(axi.wstrb)]
        with m.Elif(w_issue):
            m.d.sync += wbuf_valid.eq(0)

        m.d.sync += w_due.eq(w_issue)
        with m.If(w_issue):
            m.d.sync += [
                w_due_local.eq(w_local), w_due_err.eq(wr.err), w_due_last.eq(wr.left == 0),
            ]
            self._advance(m, wr)
            with m.If(wr.left == 0):
                m.d.sync += [wr_active.eq(0), wr_waiting.eq(1)]

        # ---- B channel: one answer per burst, the first error among its beats --------------
        beat_resp = Signal(AxiResp)
        burst_resp = Signal(AxiResp)
        m.d.comb += [
            beat_resp.eq(Mux(w_due_local, w_due_err, req.resp)),
            burst_resp.eq(Mux(b_acc != AxiResp.OKAY, b_acc, beat_resp)),
        ]
        with m.If(w_due & (b_acc == AxiResp.OKAY) &
                  ((beat_resp == AxiResp.SLVERR) | (beat_resp == AxiResp.DECERR))):
            m.d.sync += b_acc.eq(beat_resp)
        b_now = w_due & w_due_last
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
