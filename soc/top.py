"""``SocTop``: two CV32E40X cores on the IOC subsystem, for simulation (Verilator)."""

from amaranth import ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from ioc_defs.params import IocParams
from rtl.subsystem import IocSubsystem

from .bridge import ObiAxiBridge
from .memmap import (
    IOC_WINDOW,
    MMIO_BASE,
    MMIO_CONSOLE,
    MMIO_EXIT,
    PARAMS,
    RAM_BASE,
    RAM_BYTES,
    ROLES,
)
from .obi import ObiSignature

__all__ = ["SocTop", "TOP_NAME"]

#: Name of the generated top-level module.
TOP_NAME = "soc_top"


class _Target:
    """What a core's data request decodes to (:meth:`SocTop._decode`)."""
    RAM, MMIO, IOC, NONE = range(4)


class SocTop(wiring.Component):
    """The simulation SoC of issue 16.

    Core *k* (role ``ROLES[k]``) is agent *k* of an :class:`IocSubsystem`: its data port goes
    through an :class:`ObiAxiBridge` to ``s<k>_axi`` for addresses below ``IOC_WINDOW``, to its
    private RAM (``soc_ram``, loaded from the ``+fw<k>=<hex>`` plusarg) or to the console/exit
    block; anything else is answered with a bus error. ``irq[k]`` drives the core's machine
    external interrupt, a trap taken by core *k* pulses ``resv_clear[k]``, and ``agent_rst[k]``
    holds core *k* in reset (its RAM keeps its contents).

    Parameters
    ----------
    params : IocParams, optional
        The subsystem's configuration (default :data:`~soc.memmap.PARAMS`); ``n_agents`` must
        be ``len(ROLES)``.
    privileged : tuple of bool, optional
        Per core, whether its machine-mode accesses are privileged on the IOC (default: only the
        Linux-role core, which runs the hypervisor's monitoring and restarts the other).

    Members
    -------
    irq, trap, ioc_ar, ioc_r, ioc_aw, ioc_b : Out(n)
        Per core, for the simulator's event trace: its interrupt input (the subsystem's
        ``irq[k]``); high in the cycle it takes a trap (its ``resv_clear[k]``); high in the
        cycle of its bridge's AR, R, AW and B handshake on ``s<k>_axi``.
    console_valid, exit_valid : Out(n)
        Per core: high in the cycle its program writes a console byte / its exit code.
    console_data<k> : Out(8)
        The byte, valid with ``console_valid[k]``.
    exit_code<k> : Out(32)
        The code, valid with ``exit_valid[k]``.
    """

    def __init__(self, params=None, *, privileged=(True, False)):
        if params is None:
            params = PARAMS
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        if params.n_agents != len(ROLES):
            raise ValueError(f"params.n_agents must be {len(ROLES)} (one per role), "
                             f"not {params.n_agents!r}")
        if (not isinstance(privileged, tuple) or len(privileged) != len(ROLES)
                or not all(isinstance(p, bool) for p in privileged)):
            raise TypeError(f"privileged must be a tuple of {len(ROLES)} bools, "
                            f"not {privileged!r}")
        self._params, self._privileged = params, privileged
        n = len(ROLES)
        members = {name: Out(n) for name in ("irq", "trap", "ioc_ar", "ioc_r", "ioc_aw", "ioc_b",
                                             "console_valid", "exit_valid")}
        for k in range(n):
            members[f"console_data{k}"] = Out(8)
            members[f"exit_code{k}"] = Out(32)
        super().__init__(members)

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        p = self._params
        m.submodules.ioc = ioc = IocSubsystem(p)
        ram_words = RAM_BYTES // 4
        word_bits = (ram_words - 1).bit_length()

        for k in range(len(ROLES)):
            data = ObiSignature().create(path=(f"core{k}_data",))
            instr = {name: Signal(width, name=f"core{k}_instr_{name}")
                     for name, width in (("req", 1), ("gnt", 1), ("rvalid", 1), ("addr", 32),
                                         ("rdata", 32))}
            trap = Signal(name=f"core{k}_trap")
            m.submodules[f"core{k}"] = Instance(
                "soc_cv32e40x",
                p_BOOT_ADDR=RAM_BASE,
                i_clk_i=ClockSignal(), i_rst_ni=~(ResetSignal() | ioc.agent_rst[k]),
                i_hartid_i=k, i_irq_i=ioc.irq[k], o_trap_o=trap,
                o_instr_req_o=instr["req"], i_instr_gnt_i=instr["gnt"],
                i_instr_rvalid_i=instr["rvalid"], o_instr_addr_o=instr["addr"],
                i_instr_rdata_i=instr["rdata"], i_instr_err_i=0,
                o_data_req_o=data.req, i_data_gnt_i=data.gnt, i_data_rvalid_i=data.rvalid,
                o_data_addr_o=data.addr, o_data_be_o=data.be, o_data_we_o=data.we,
                o_data_wdata_o=data.wdata, o_data_prot_o=data.prot, o_data_atop_o=data.atop,
                i_data_rdata_i=data.rdata, i_data_err_i=data.err, i_data_exokay_i=data.exokay,
            )
            m.d.comb += [ioc.resv_clear[k].eq(trap), self.trap[k].eq(trap),
                         self.irq[k].eq(ioc.irq[k])]

            # Instruction fetch: always granted, answered the next cycle.
            m.d.comb += instr["gnt"].eq(instr["req"])
            m.d.sync += instr["rvalid"].eq(instr["req"])

            ram = {name: Signal(width, name=f"core{k}_ram_{name}")
                   for name, width in (("en", 1), ("we", 1), ("rdata", 32))}
            m.submodules[f"ram{k}"] = Instance(
                "soc_ram", p_WORDS=ram_words, p_PLUSARG=f"fw{k}",
                i_clk=ClockSignal(),
                i_i_addr=instr["addr"][2:2 + word_bits], i_i_en=instr["req"],
                o_i_rdata=instr["rdata"],
                i_d_addr=data.addr[2:2 + word_bits], i_d_en=ram["en"], i_d_we=data.we,
                i_d_be=data.be, i_d_wdata=data.wdata, o_d_rdata=ram["rdata"],
            )

            m.submodules[f"bridge{k}"] = bridge = ObiAxiBridge(
                id_width=p.id_width, privileged=self._privileged[k])
            wiring.connect(m, bridge.axi, ioc.axi_port(k))
            axi = bridge.axi
            m.d.comb += [self.ioc_ar[k].eq(axi.arvalid & axi.arready),
                         self.ioc_r[k].eq(axi.rvalid & axi.rready),
                         self.ioc_aw[k].eq(axi.awvalid & axi.awready),
                         self.ioc_b[k].eq(axi.bvalid & axi.bready)]
            self._decode(m, k, data, bridge, ram)

        return m

    def _decode(self, m, k, data, bridge, ram):
        """Core *k*'s data requests to their targets, one request in flight at a time (a new
        one is granted in the cycle the previous one is answered)."""
        target = Signal(range(4), name=f"core{k}_target")
        with m.If(data.addr < IOC_WINDOW):
            m.d.comb += target.eq(_Target.IOC)
        with m.Elif((data.addr >= RAM_BASE) & (data.addr < RAM_BASE + RAM_BYTES)):
            m.d.comb += target.eq(_Target.RAM)
        with m.Elif((data.addr >= MMIO_BASE) & (data.addr < MMIO_BASE + 8)):
            m.d.comb += target.eq(_Target.MMIO)
        with m.Else():
            m.d.comb += target.eq(_Target.NONE)

        busy = Signal(name=f"core{k}_busy")
        answering = Signal(range(4), name=f"core{k}_answering")
        free = ~busy | data.rvalid
        target_ready = (target != _Target.IOC) | bridge.obi.gnt
        granted = data.req & free & target_ready
        m.d.comb += data.gnt.eq(granted)
        m.d.sync += busy.eq(granted | (busy & ~data.rvalid))
        with m.If(granted):
            m.d.sync += answering.eq(target)

        m.d.comb += [
            bridge.obi.addr.eq(data.addr), bridge.obi.we.eq(data.we), bridge.obi.be.eq(data.be),
            bridge.obi.wdata.eq(data.wdata), bridge.obi.atop.eq(data.atop),
            bridge.obi.prot.eq(data.prot),
            bridge.obi.req.eq(data.req & free & (target == _Target.IOC)),
            ram["en"].eq(granted & (target == _Target.RAM)),
        ]
        mmio_write = granted & (target == _Target.MMIO) & data.we
        m.d.comb += [
            self.console_valid[k].eq(mmio_write & (data.addr[:3] == MMIO_CONSOLE)),
            getattr(self, f"console_data{k}").eq(data.wdata[:8]),
            self.exit_valid[k].eq(mmio_write & (data.addr[:3] == MMIO_EXIT)),
            getattr(self, f"exit_code{k}").eq(data.wdata),
        ]

        with m.Switch(answering):
            with m.Case(_Target.IOC):
                m.d.comb += [data.rvalid.eq(bridge.obi.rvalid), data.rdata.eq(bridge.obi.rdata),
                             data.err.eq(bridge.obi.err), data.exokay.eq(bridge.obi.exokay)]
            with m.Case(_Target.RAM):
                m.d.comb += [data.rvalid.eq(busy), data.rdata.eq(ram["rdata"])]
            with m.Case(_Target.MMIO):  # write-only registers: reads return 0
                m.d.comb += data.rvalid.eq(busy)
            with m.Case(_Target.NONE):
                m.d.comb += [data.rvalid.eq(busy), data.err.eq(busy)]
