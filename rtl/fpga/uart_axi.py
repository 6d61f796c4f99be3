"""UART-to-AXI4 bridge: lets a host drive any agent port of the subsystem over a serial line.

Byte protocol
=============

Every multi-byte field is little-endian. The host sends one request and waits for its reply
before it sends the next one (bytes that arrive while the bridge is busy are dropped).

Request (host to bridge)::

    0xA5                    sync; any other byte is skipped while the bridge waits for a request
    OP     bits 1:0         0 READ, 1 WRITE, 2 CLEAR (pulse resv_clear[AGENT]); 3 is invalid
           bit 2            AxLOCK (1 = exclusive: an LL read / SC write)
           bits 7:3         zero
    AGENT                   the agent port to use, 0 .. n_ports - 1
    PROT   bits 2:0         AxPROT (bit 0 = privileged); bit 3 zero; bits 7:4 AxCACHE
    SIZE   bits 2:0         AxSIZE; bit 3 zero; bits 5:4 AxBURST; bits 7:6 zero
    ID                      AxID, below 2**id_width
    ADDR   4 bytes          AxADDR
    LEN                     AxLEN (beats - 1)
    WRITE only, LEN + 1 beats of 5 bytes each:
    WSTRB (bits 3:0; bits 7:4 are ignored), WDATA (4 bytes)

Every request gets a reply (bridge to host)::

    0x5A                    sync
    STATUS                  a :class:`BridgeStatus`
    READ with STATUS OK: LEN + 1 beats of 6 bytes each:
        RRESP | RLAST << 2, RID, RDATA (4 bytes)
    WRITE with STATUS OK or ABORTED:
        BRESP, BID
    anything else: nothing more

The request fields other than OP and AGENT go to the bus unchanged, so every AXI feature of the
subsystem (exclusives, privileged accesses, bursts, byte strobes, error responses) can be
exercised from the host; AXI errors come back in RRESP/BRESP.

Framing errors and lost bytes do not hang the bridge: a UART framing error, or more than
``timeout_cycles`` without a byte in the middle of a request, ends it. In the header nothing has
reached the bus yet and the reply is ``TRUNCATED``. In a write's data the write address has been
issued already, so the bridge completes the burst with ``WSTRB = 0`` beats (which write
nothing), and replies ``ABORTED`` with the B response. After a framing error the receiver
resynchronizes once the line has been idle (high) for a moment; bytes other than 0xA5 between
requests are skipped.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ioc_defs.bridge import REPLY_SYNC, REQ_SYNC, BridgeOp, BridgeStatus

from ..axi import AxiSignature
from .uart import UartRx, UartTx

__all__ = ["UartAxiBridge"]

class _Header(data.Struct):
    """The request header in reception order (the first byte is the least significant)."""
    op: 2
    lock: 1
    op_rsvd: 5
    agent: 8
    prot: 3
    prot_rsvd: 1
    cache: 4
    size: 3
    size_rsvd: 1
    burst: 2
    burst_rsvd: 2
    id: 8
    addr: 32
    len: 8


_HEADER_BYTES = _Header.as_shape().size // 8
_SYNC = Const(REPLY_SYNC, 8)
_OK = Const(BridgeStatus.OK, 8)
_ABORTED = Const(BridgeStatus.ABORTED, 8)


class UartAxiBridge(wiring.Component):
    """A UART-to-AXI4 manager bridge with one AXI port per agent (see the module's protocol).

    Only the port named by a request's AGENT field carries it; the others stay idle. Every
    port has its own request signals (gated by the agent selection), so that in a top with the
    subsystem nothing of one agent's front end can be merged with another's.

    The bridge assumes that the subsystem takes a W beat within ``5 * 10 * divisor`` cycles
    (the time the next beat's bytes take on the line); the subsystem guarantees a few cycles.

    Parameters
    ----------
    n_ports : int
        Number of AXI ports (agents), 1 to 16.
    id_width : int
        AXI ID width, 1 to 8.
    divisor : int
        UART clock cycles per bit (clock frequency / baud rate), at least 4.
    timeout_cycles : int
        Cycles without a byte after which a request that has started is ended.

    Members
    -------
    rx : In(1)
        UART line from the host (asynchronous).
    tx : Out(1)
        UART line to the host.
    ports : Out(AxiSignature(id_width)).array(n_ports)
        AXI4 manager ports, one per agent.
    resv_clear : Out(n_ports)
        One-cycle pulse on a CLEAR request for that agent.
    """

    def __init__(self, *, n_ports, id_width, divisor, timeout_cycles):
        for name, value, lo, hi in (("n_ports", n_ports, 1, 16), ("id_width", id_width, 1, 8),
                                    ("divisor", divisor, 4, None),
                                    ("timeout_cycles", timeout_cycles, 1, None)):
            what = f"an integer from {lo} to {hi}" if hi else f"an integer >= {lo}"
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be {what}, not {value!r}")
            if value < lo or (hi is not None and value > hi):
                raise ValueError(f"{name} must be {what}, not {value!r}")
        self._n_ports, self._id_width = n_ports, id_width
        self._divisor, self._timeout_cycles = divisor, timeout_cycles
        super().__init__({
            "rx": In(1, init=1),
            "tx": Out(1, init=1),
            "ports": Out(AxiSignature(id_width=id_width)).array(n_ports),
            "resv_clear": Out(n_ports),
        })

    @property
    def n_ports(self):
        return self._n_ports

    @property
    def id_width(self):
        return self._id_width

    @property
    def divisor(self):
        return self._divisor

    @property
    def timeout_cycles(self):
        return self._timeout_cycles

    def elaborate(self, platform):
        m = Module()
        m.submodules.rx = rx = UartRx(self._divisor)
        m.submodules.tx = tx = UartTx(self._divisor)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx)]

        hdr = Signal(_Header)
        hdr_count = Signal(range(_HEADER_BYTES))
        beats_left = Signal(8)
        aborted = Signal()

        # ---- reply bytes: the state machine loads up to 6, they drain to the UART ----------
        out_data = Signal(48)
        out_count = Signal(range(7))
        out_empty = out_count == 0
        m.d.comb += [tx.data.eq(out_data[:8]), tx.valid.eq(~out_empty)]
        with m.If(tx.valid & tx.ready):
            m.d.sync += [out_data.eq(out_data >> 8), out_count.eq(out_count - 1)]

        def reply(*fields):
            m.d.sync += [out_data.eq(Cat(*fields)), out_count.eq(len(Cat(*fields)) // 8)]

        # ---- timeout between the bytes of a request ----------------------------------------
        timer = Signal(range(self._timeout_cycles + 1))
        timed_out = timer == self._timeout_cycles
        in_request = Signal()
        with m.If(rx.valid | ~in_request):
            m.d.sync += timer.eq(0)
        with m.Elif(~timed_out):
            m.d.sync += timer.eq(timer + 1)
        cut_off = rx.err | timed_out

        # ---- the selected port -------------------------------------------------------------
        awvalid = Signal()
        arvalid = Signal()
        wvalid = Signal()
        w_data = Signal(32)
        w_strb = Signal(4)
        w_last = beats_left == 0
        bready = Signal()
        rready = Signal()
        sel = {name: Signal(name=f"sel_{name}", shape=shape) for name, shape in (
            ("awready", 1), ("wready", 1), ("bvalid", 1), ("bresp", 2), ("bid", self._id_width),
            ("arready", 1), ("rvalid", 1), ("rresp", 2), ("rid", self._id_width),
            ("rdata", 32), ("rlast", 1))}
        for k, port in enumerate(self.ports):
            mine = hdr.agent == k
            for prefix, valid in (("aw", awvalid), ("ar", arvalid)):
                m.d.comb += [
                    getattr(port, f"{prefix}valid").eq(mine & valid),
                    getattr(port, f"{prefix}id").eq(Mux(mine, hdr.id, 0)),
                    getattr(port, f"{prefix}addr").eq(Mux(mine, hdr.addr, 0)),
                    getattr(port, f"{prefix}len").eq(Mux(mine, hdr.len, 0)),
                    getattr(port, f"{prefix}size").eq(Mux(mine, hdr.size, 0)),
                    getattr(port, f"{prefix}burst").eq(Mux(mine, hdr.burst, 0)),
                    getattr(port, f"{prefix}lock").eq(mine & hdr.lock),
                    getattr(port, f"{prefix}cache").eq(Mux(mine, hdr.cache, 0)),
                    getattr(port, f"{prefix}prot").eq(Mux(mine, hdr.prot, 0)),
                ]
            m.d.comb += [
                port.wvalid.eq(mine & wvalid),
                port.wdata.eq(Mux(mine, w_data, 0)),
                port.wstrb.eq(Mux(mine, w_strb, 0)),
                port.wlast.eq(mine & w_last),
                port.bready.eq(mine & bready),
                port.rready.eq(mine & rready),
            ]
            with m.If(mine):
                m.d.comb += [value.eq(getattr(port, name)) for name, value in sel.items()]

        with m.If(sel["awready"]):
            m.d.sync += awvalid.eq(0)
        with m.If(sel["arready"]):
            m.d.sync += arvalid.eq(0)

        # ---- request sequencing ------------------------------------------------------------
        w_bytes = Signal(range(5))      # bytes of the current W beat received so far
        w_buf_strb = Signal(4)          # WSTRB of that beat
        w_buf_data = Signal(24)         # its first 3 WDATA bytes
        with m.FSM():
            with m.State("IDLE"):
                with m.If(rx.valid & (rx.data == REQ_SYNC)):
                    m.d.sync += hdr_count.eq(0)
                    m.next = "HEADER"

            with m.State("HEADER"):
                m.d.comb += in_request.eq(1)
                with m.If(cut_off):
                    m.next = "TRUNCATED"
                with m.Elif(rx.valid):
                    m.d.sync += [hdr.eq(Cat(hdr.as_value()[8:], rx.data)),
                                 hdr_count.eq(hdr_count + 1)]
                    with m.If(hdr_count == _HEADER_BYTES - 1):
                        m.next = "DISPATCH"

            with m.State("TRUNCATED"):
                with m.If(out_empty):
                    reply(_SYNC, Const(BridgeStatus.TRUNCATED, 8))
                    m.next = "IDLE"

            with m.State("DISPATCH"):
                bad = ((hdr.op == 3) | (hdr.op_rsvd != 0) | hdr.prot_rsvd | hdr.size_rsvd |
                       (hdr.burst_rsvd != 0) | (hdr.id >> self._id_width != 0))
                with m.If(bad):
                    m.next = "BAD_HEADER"
                with m.Elif(hdr.agent >= self._n_ports):
                    m.next = "BAD_AGENT"
                with m.Elif(hdr.op == BridgeOp.READ):
                    m.next = "READ"
                with m.Elif(hdr.op == BridgeOp.WRITE):
                    m.d.sync += [awvalid.eq(1), beats_left.eq(hdr.len), aborted.eq(0),
                                 w_bytes.eq(0)]
                    m.next = "WRITE_DATA"
                with m.Else():
                    m.next = "CLEAR"

            for state, status in (("BAD_HEADER", BridgeStatus.BAD_HEADER),
                                  ("BAD_AGENT", BridgeStatus.BAD_AGENT)):
                with m.State(state):
                    with m.If(out_empty):
                        reply(_SYNC, Const(status, 8))
                        m.next = "IDLE"

            with m.State("CLEAR"):
                with m.If(out_empty):
                    m.d.comb += self.resv_clear.eq(1 << hdr.agent[:4])
                    reply(_SYNC, _OK)
                    m.next = "IDLE"

            with m.State("READ"):
                with m.If(out_empty):
                    m.d.sync += arvalid.eq(1)
                    reply(_SYNC, _OK)
                    m.next = "READ_DATA"

            with m.State("READ_DATA"):
                with m.If(out_empty & sel["rvalid"]):
                    m.d.comb += rready.eq(1)
                    reply(sel["rresp"], sel["rlast"], Const(0, 5),
                          sel["rid"], Const(0, 8 - self._id_width), sel["rdata"])
                    with m.If(sel["rlast"]):
                        m.next = "IDLE"

            with m.State("WRITE_DATA"):
                # A pending beat is waiting for the bus, not for the host.
                m.d.comb += in_request.eq(~aborted & ~wvalid)
                with m.If(wvalid & sel["wready"]):
                    m.d.sync += [wvalid.eq(0), beats_left.eq(beats_left - 1)]
                    with m.If(w_last):
                        m.next = "WRITE_RESP"
                with m.Elif(~wvalid & aborted):
                    m.d.sync += [wvalid.eq(1), w_strb.eq(0)]
                with m.If(~aborted & cut_off):
                    m.d.sync += aborted.eq(1)
                with m.Elif(~aborted & rx.valid):
                    m.d.sync += w_bytes.eq(w_bytes + 1)
                    with m.If(w_bytes == 0):
                        m.d.sync += w_buf_strb.eq(rx.data[:4])
                    with m.Elif(w_bytes == 4):
                        m.d.sync += [wvalid.eq(1), w_strb.eq(w_buf_strb),
                                     w_data.eq(Cat(w_buf_data, rx.data)), w_bytes.eq(0)]
                    with m.Else():
                        m.d.sync += w_buf_data.eq(Cat(w_buf_data[8:], rx.data))

            with m.State("WRITE_RESP"):
                with m.If(out_empty & sel["bvalid"]):
                    m.d.comb += bready.eq(1)
                    reply(_SYNC, Mux(aborted, _ABORTED, _OK), sel["bresp"], Const(0, 6),
                          sel["bid"], Const(0, 8 - self._id_width))
                    m.next = "IDLE"
        return m
