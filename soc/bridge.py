"""``ObiAxiBridge``: a CV32E40X data port (OBI) as an AXI4 manager, LR/SC as exclusive access."""

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs.axi import AxiBurst, AxiResp
from rtl.axi import AxiSignature

from .obi import Atop, ObiSignature

__all__ = ["ObiAxiBridge"]


class ObiAxiBridge(wiring.Component):
    """Turns each OBI data request into one single-beat AXI4 transaction, one at a time.

    ``lr.w`` (atop 0x22) becomes an exclusive read, ``sc.w`` (atop 0x23) an exclusive write;
    EXOKAY is reported on ``exokay`` (the core's SC success). SLVERR and DECERR become ``err``.
    Any other atomic memory operation (``amoadd.w``, ...) has no AXI4 form: it is answered with
    ``err`` without a bus transaction, and ``amo_error`` pulses.

    Parameters
    ----------
    id_width : int
        Width of the AXI ID signals.
    axi_id : int
        The ID of every transaction (one ID, so an exclusive pair uses the same one, as AXI
        requires).
    privileged : bool
        Whether machine-mode accesses are marked privileged (``AxPROT[0]``); ``False`` makes
        this core an unprivileged agent whatever its mode.

    Members
    -------
    obi : In(ObiSignature())
        The core's data port. ``gnt`` is high only when no transaction is in flight.
    axi : Out(AxiSignature(id_width=id_width))
        The AXI4 manager port.
    amo_error : Out(1)
        High in the cycle an unsupported AMO is answered with an error.
    """

    def __init__(self, *, id_width=4, axi_id=0, privileged=True):
        if not isinstance(id_width, int) or isinstance(id_width, bool) or id_width < 1:
            raise TypeError(f"id_width must be a positive integer, not {id_width!r}")
        if not isinstance(axi_id, int) or isinstance(axi_id, bool) or axi_id < 0:
            raise TypeError(f"axi_id must be a non-negative integer, not {axi_id!r}")
        if axi_id >= 1 << id_width:
            raise ValueError(f"axi_id must fit in {id_width} bits, not {axi_id!r}")
        if not isinstance(privileged, bool):
            raise TypeError(f"privileged must be a bool, not {privileged!r}")
        self._id_width, self._axi_id, self._privileged = id_width, axi_id, privileged
        super().__init__({"obi": In(ObiSignature()),
                          "axi": Out(AxiSignature(id_width=id_width)),
                          "amo_error": Out(1)})

    @property
    def id_width(self):
        return self._id_width

    @property
    def axi_id(self):
        return self._axi_id

    @property
    def privileged(self):
        return self._privileged

    def elaborate(self, platform):
        m = Module()
        obi, axi = self.obi, self.axi

        addr = Signal(32)
        wdata = Signal(32)
        be = Signal(4)
        lock = Signal()
        priv = Signal()
        aw_done = Signal()
        w_done = Signal()

        # AxSIZE from the byte enables: the core issues naturally aligned bytes, halfwords and
        # words (a misaligned access is split into word-sized pieces with partial strobes).
        size = Signal(3)
        with m.Switch(be):
            with m.Case(0b0001, 0b0010, 0b0100, 0b1000):
                m.d.comb += size.eq(0)
            with m.Case(0b0011, 0b1100):
                m.d.comb += size.eq(1)
            with m.Default():
                m.d.comb += size.eq(2)

        machine_mode = obi.prot[1:3] == 0b11
        for prefix in ("ar", "aw"):
            m.d.comb += [
                getattr(axi, f"{prefix}id").eq(self._axi_id),
                getattr(axi, f"{prefix}addr").eq(addr),
                getattr(axi, f"{prefix}len").eq(0),
                getattr(axi, f"{prefix}size").eq(size),
                getattr(axi, f"{prefix}burst").eq(AxiBurst.INCR),
                getattr(axi, f"{prefix}lock").eq(lock),
                getattr(axi, f"{prefix}prot").eq(Cat(priv, 0, 0)),
            ]
        m.d.comb += [axi.wdata.eq(wdata), axi.wstrb.eq(be), axi.wlast.eq(1)]

        def respond(resp):
            m.d.comb += [
                obi.rvalid.eq(1),
                obi.err.eq((resp == AxiResp.SLVERR) | (resp == AxiResp.DECERR)),
                obi.exokay.eq(resp == AxiResp.EXOKAY),
            ]

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += obi.gnt.eq(1)
                with m.If(obi.req):
                    m.d.sync += [
                        addr.eq(obi.addr), wdata.eq(obi.wdata), be.eq(obi.be),
                        lock.eq((obi.atop == Atop.LR) | (obi.atop == Atop.SC)),
                        priv.eq(self._privileged & machine_mode),
                        aw_done.eq(0), w_done.eq(0),
                    ]
                    with m.If(obi.atop[5] & (obi.atop != Atop.LR) & (obi.atop != Atop.SC)):
                        m.next = "AMO_ERROR"
                    with m.Elif(obi.we):
                        m.next = "WRITE"
                    with m.Else():
                        m.next = "READ"
            with m.State("READ"):
                m.d.comb += axi.arvalid.eq(1)
                with m.If(axi.arready):
                    m.next = "READ_DATA"
            with m.State("READ_DATA"):
                m.d.comb += [axi.rready.eq(1), obi.rdata.eq(axi.rdata)]
                with m.If(axi.rvalid):
                    respond(axi.rresp)
                    m.next = "IDLE"
            with m.State("WRITE"):
                m.d.comb += [axi.awvalid.eq(~aw_done), axi.wvalid.eq(~w_done)]
                aw_now = aw_done | axi.awready
                w_now = w_done | axi.wready
                m.d.sync += [aw_done.eq(aw_now), w_done.eq(w_now)]
                with m.If(aw_now & w_now):
                    m.next = "WRITE_RESP"
            with m.State("WRITE_RESP"):
                m.d.comb += axi.bready.eq(1)
                with m.If(axi.bvalid):
                    respond(axi.bresp)
                    m.next = "IDLE"
            with m.State("AMO_ERROR"):
                m.d.comb += [obi.rvalid.eq(1), obi.err.eq(1), self.amo_error.eq(1)]
                m.next = "IDLE"
        return m
