"""``IocSubsystem``: the top level of the IP (SPEC §2)."""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory, WritePort
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from ioc_defs import probes
from ioc_defs.axi import AxiResp, monitor_op
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, IocParams, Region

from .access import AccessSignature, absolute, offset_bits
from .arbiter import RoundRobinArbiter
from .axi import AxiSignature
from .axi_frontend import AxiSlaveFrontEnd
from .ioc_mailbox import IocMailbox
from .ll_sc_monitor import LlScMonitor

__all__ = ["IocSubsystem"]


class IocSubsystem(wiring.Component):
    """Shared RAM with an LL/SC monitor and the IOC register block, behind one AXI4 port per agent.

    Per port an :class:`AxiSlaveFrontEnd` turns bursts into single-word accesses; a
    :class:`RoundRobinArbiter` grants one access per cycle; the granted access goes to the shared
    RAM (through the :class:`LlScMonitor`) or to the register window.

    The datapath is a pipeline that never stalls once an access is granted; one access enters
    it per cycle. Stage by stage (what is valid in which cycle):

    * **I** (in each front end): a beat is issued into the front end's request register.
    * **G**: the request registers drive the :class:`RoundRobinArbiter`; the granted access is
      loaded into ``x_access`` (the grant, registered, with the selected access).
    * **X** (``x_access`` valid): the shared RAM is read or written and the LL/SC monitor
      updated, from ``x_access``, the reservations and the granule compare made in G (all
      registers), and the ``resv_clear | agent_rst`` of this cycle; the register block
      decodes and checks the access's form, address and privilege (registered inside it).
    * **E** (the cycle after X): the register block performs the access: checks against its
      state, effects at the end of E, read value registered. The RAM's read word is
      registered (``ram_q``).
    * **A**: ``answer_data`` / ``answer_resp`` are valid, :data:`~rtl.access.ANSWER_LATENCY`
      = 3 cycles after G; the front ends take the answer.

    Each target reads and writes its state in one stage (the RAM and monitor in X, the register
    block in E) and accesses pass each stage in grant order, so an access always sees every
    earlier access's effect: a register write then a read of it, a doorbell then the peer's
    ``CH_STATUS`` read, an SC then another agent's read of the word all give what SPEC's serial
    machine gives, with neither forwarding nor stalls. A read of the register block sees the
    LL/SC monitor after every earlier shared-RAM access (they were in X at least one cycle
    before), and before every later one. ``irq`` follows a doorbell or an acknowledge in A, the
    cycle its B can be valid at the earliest.

    Requests wait only in the front ends' request registers, before G; that is where an access
    can be held back, never once granted: the arbiter grants one request per cycle, and the
    LL/SC monitor withholds a write to a granule another agent holds for its forward-progress
    window (``blocked``; :class:`LlScMonitor`).

    Parameters
    ----------
    params : IocParams, optional
        Configuration; by default built from ``**kwargs`` (see :class:`IocParams`).

    Members
    -------
    s<k>_axi : In(AxiSignature), k in range(n_agents)
        Agent *k*'s AXI4 slave port. The agent identity of an access is this index.
    irq : Out(n_agents)
        Interrupt request to each agent (level).
    resv_clear : In(n_agents)
        Pulse: agent *k* accepted an interrupt or exception (or its hypervisor switched vCPU);
        clears its reservation.
    agent_rst : Out(n_agents)
        Reset request to each agent, pulsed by the register block's guest-lifecycle control.

    Internal signals that test benches probe (``testbench.scoreboard``) keep these names in the
    generated Verilog (:mod:`ioc_defs.probes`): ``x_access__<member>`` (the access in X, an
    :class:`AccessSignature`)
    and ``x_access_region`` (its :class:`Region`); ``answer_data`` / ``answer_resp`` (the
    answer, two cycles after X) and ``bus_error`` (front-end error pulses, one bit per agent).
    """

    def __init__(self, params=None, **kwargs):
        if params is None:
            params = IocParams(**kwargs)
        elif kwargs:
            raise TypeError("pass either params or keyword parameters, not both")
        elif not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        n = params.n_agents
        members = {f"s{k}_axi": In(AxiSignature(id_width=params.id_width)) for k in range(n)}
        members.update({"irq": Out(n), "resv_clear": In(n), "agent_rst": Out(n)})
        super().__init__(members)

    @property
    def params(self):
        return self._params

    def axi_port(self, k):
        """Agent *k*'s AXI port interface."""
        return getattr(self, f"s{k}_axi")

    def verilog_ports(self):
        """Top-level ports named as SPEC §3.1 requires: ``s<k>_axi_<signal>``, ``irq``, ...

        Amaranth would join interface member paths with ``__``; standard AXI manager models
        bind by the single-underscore prefix, so the names are given explicitly.
        """
        ports = {}
        for path, _member, value in self.signature.flatten(self):
            ports["_".join(str(part) for part in path)] = (value, None)
        return ports

    def elaborate(self, platform):
        m = Module()
        p = self._params
        n = p.n_agents

        m.submodules[probes.ARBITER] = arbiter = RoundRobinArbiter(n)
        m.submodules[probes.MONITOR] = monitor = LlScMonitor(p)
        m.submodules[probes.MAILBOX] = mailbox = IocMailbox(p)
        frontends = []
        for k in range(n):
            fe = AxiSlaveFrontEnd(p)
            m.submodules[probes.frontend(k)] = fe
            wiring.connect(m, wiring.flipped(self.axi_port(k)), fe.axi)
            # a write to a granule another agent holds (LL/SC forward progress) waits here
            m.d.comb += arbiter.requests[k].eq(fe.req.valid & ~monitor.blocked[k])
            m.d.comb += fe.req.grant.eq(arbiter.grant[k])
            frontends.append(fe)

        # ---- grant stage (G): the arbiter picks among the front ends' request registers, and
        # the picked access is registered, so no front-end logic shares a cycle with a target's.
        x = AccessSignature(agent_bits=p.agent_bits, addr_width=ADDR_WIDTH).create(
            path=(probes.ACCESS,))
        x_region = Signal(Region, name=probes.ACCESS_REGION)
        # only the offset in the region is registered: the rest of the address follows
        x_offset = Signal(offset_bits(p), name="x_access_offset")
        m.d.comb += x.addr.eq(absolute(x_region, x_offset))
        m.d.sync += x.valid.eq(arbiter.grant.any())
        # Which target the access in X is for, decoded here so that X starts from a flop.
        to_shm = Signal(name="x_to_shm")
        to_reg = Signal(name="x_to_reg")
        m.d.sync += [to_shm.eq(0), to_reg.eq(0)]
        # The LL/SC monitor's granule compare for the access entering X, made here for every
        # front end's request in parallel, against the reservations as the access now in X
        # leaves them (an LL in X sets its agent's granule at the end of this cycle).
        glo, ghi = p.granule_log2, (p.shm_bytes - 1).bit_length()
        x_same = Signal(n, name="x_same_granule")
        x_granule = x.addr[glo:ghi]
        m.d.comb += monitor.grant.eq(arbiter.grant)
        for k, fe in enumerate(frontends):
            granule = fe.req.addr[glo:ghi]
            req_same = Cat(Mux(monitor.granule_set[i], x_granule == granule,
                               monitor.resv_granule[i] == granule) for i in range(n))
            m.d.comb += [
                monitor.req_valid[k].eq(fe.req.valid),
                monitor.req_write[k].eq(fe.req.shm_write),
                monitor.req_ll[k].eq((fe.req.region == Region.SHM) & ~fe.req.write &
                                     fe.req.excl),
                monitor.req_same[k].eq(req_same),
                monitor.req_x_same[k].eq(x_granule == granule),
            ]
            with m.If(arbiter.grant[k]):
                m.d.sync += [
                    x.agent.eq(k), x_region.eq(fe.req.region),
                    x_offset.eq(fe.req.addr), x.write.eq(fe.req.write),
                    x.w_data.eq(fe.req.w_data), x.w_strb.eq(fe.req.w_strb),
                    x.size.eq(fe.req.size), x.lock.eq(fe.req.lock),
                    x.excl.eq(fe.req.excl), x.priv.eq(fe.req.priv),
                    to_shm.eq(fe.req.region == Region.SHM),
                    to_reg.eq(fe.req.region == Region.REG),
                    x_same.eq(req_same),
                ]

        # ---- X: shared RAM and monitor perform the access; the register block decodes it ---
        m.d.comb += [
            mailbox.bus.valid.eq(to_reg),
            mailbox.bus.agent.eq(x.agent), mailbox.bus.addr.eq(x.addr),
            mailbox.bus.write.eq(x.write), mailbox.bus.w_data.eq(x.w_data),
            mailbox.bus.w_strb.eq(x.w_strb), mailbox.bus.size.eq(x.size),
            mailbox.bus.lock.eq(x.lock), mailbox.bus.excl.eq(x.excl),
            mailbox.bus.priv.eq(x.priv),
            self.irq.eq(mailbox.irq),
            self.agent_rst.eq(mailbox.agent_rst),
        ]
        wiring.connect(m, monitor.status, mailbox.monitor)
        bus_error = Signal(n, name=probes.BUS_ERROR)
        for k, fe in enumerate(frontends):
            m.d.comb += bus_error[k].eq(fe.bus_error)
        m.d.comb += mailbox.bus_error.eq(bus_error)

        m.submodules.ram = ram = Memory(shape=DATA_WIDTH, depth=p.shm_words, init=[])
        rd_port = ram.read_port()
        # (built as ``ram.write_port(granularity=8)`` does, but named from ``probes``)
        wr_port = WritePort(WritePort.Signature(shape=DATA_WIDTH, addr_width=ceil_log2(p.shm_words),
                                                granularity=8),
                            memory=ram, domain="sync", path=(probes.SHM_WRITE_PORT,))
        word = x.addr[2:(p.shm_bytes - 1).bit_length()]
        # An unsupported exclusive write (a burst, a narrow or misaligned beat) is a failed SC
        # (SPEC §3.3): it writes nothing, and clears its agent's reservation as a clear does,
        # so an SC after it cannot succeed on a reservation taken before it.
        x_ll, x_sc, x_store, x_unsupported = monitor_op(x.write, x.lock, x.excl)
        unsupported_sc = Signal(n, name="unsupported_sc")
        for k in range(n):
            m.d.comb += unsupported_sc[k].eq(to_shm & x_unsupported & (x.agent == k))
        m.d.comb += [
            monitor.valid.eq(to_shm),
            monitor.agent.eq(x.agent),
            monitor.addr.eq(x.addr),
            monitor.ll.eq(x_ll),
            monitor.sc.eq(x_sc),
            monitor.store.eq(x_store),
            monitor.same_granule.eq(x_same),
            monitor.clear.eq(self.resv_clear | self.agent_rst | unsupported_sc),
            rd_port.addr.eq(word),
            rd_port.en.eq(to_shm & ~x.write),
            wr_port.addr.eq(word),
            wr_port.data.eq(x.w_data),
        ]
        # An exclusive write performs only if it is a supported one that the monitor passes.
        # The monitor decides from registers (x, its granule compare and the reservations),
        # so the write enable is a few gates from flops.
        with m.If(to_shm & x.write & (~x.lock | monitor.sc_ok)):
            m.d.comb += wr_port.en.eq(x.w_strb)

        # ---- E: the register block performs the access; the RAM's read word is registered --
        e_region = Signal(Region, name="e_region")
        m.d.sync += e_region.eq(Mux(x.valid, x_region, Region.NONE))
        shm_exokay = Signal()
        m.d.sync += shm_exokay.eq(x.excl & (~x.write | monitor.sc_ok))
        # A register straight after the block RAM: its clock-to-output leaves no time for
        # logic behind it in the same cycle.
        ram_q = Signal(DATA_WIDTH, name="ram_q")
        shm_exokay_q = Signal()
        answered_by = Signal(Region)
        m.d.sync += [
            ram_q.eq(rd_port.data),
            shm_exokay_q.eq(shm_exokay),
            answered_by.eq(e_region),
        ]

        # ---- answer (A), ANSWER_LATENCY cycles after the grant -------------------------------
        r_data = Signal(DATA_WIDTH, name=probes.ANSWER_DATA)
        resp = Signal(AxiResp, name=probes.ANSWER_RESP)
        with m.Switch(answered_by):
            with m.Case(Region.SHM):
                m.d.comb += [
                    r_data.eq(ram_q),
                    resp.eq(Mux(shm_exokay_q, AxiResp.EXOKAY, AxiResp.OKAY)),
                ]
            with m.Case(Region.REG):
                m.d.comb += [r_data.eq(mailbox.bus.r_data), resp.eq(mailbox.bus.resp)]
        for fe in frontends:
            m.d.comb += [fe.req.r_data.eq(r_data), fe.req.resp.eq(resp)]

        return m
