"""``IocSubsystem``: the top level of the IP (SPEC §2)."""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ioc_defs import probes
from ioc_defs.axi import AxiResp
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, IocParams, Region

from .access import AccessSignature
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
    generated Verilog: ``access__<member>`` (the granted access, an :class:`AccessSignature`),
    ``access_region`` (its :class:`Region`), ``answer_data`` / ``answer_resp`` (the target's
    answer in the following cycle) and ``bus_error`` (front-end error pulses, one bit per agent).
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

        m.submodules.arbiter = arbiter = RoundRobinArbiter(n)
        m.submodules[probes.MONITOR] = monitor = LlScMonitor(p)
        m.submodules[probes.MAILBOX] = mailbox = IocMailbox(p)
        frontends = []
        for k in range(n):
            fe = AxiSlaveFrontEnd(p)
            m.submodules[probes.frontend(k)] = fe
            wiring.connect(m, wiring.flipped(self.axi_port(k)), fe.axi)
            m.d.comb += arbiter.requests[k].eq(fe.req.valid)
            m.d.comb += fe.req.grant.eq(arbiter.grant[k])
            frontends.append(fe)

        # ---- the granted access -----------------------------------------------------------
        access = AccessSignature(agent_bits=p.agent_bits, addr_width=ADDR_WIDTH).create(
            path=(probes.ACCESS,))
        region = Signal(Region, name=probes.ACCESS_REGION)
        for k, fe in enumerate(frontends):
            with m.If(arbiter.grant[k]):
                m.d.comb += [
                    access.valid.eq(1), access.agent.eq(k), region.eq(fe.req.region),
                    access.addr.eq(fe.req.addr), access.write.eq(fe.req.write),
                    access.w_data.eq(fe.req.w_data), access.w_strb.eq(fe.req.w_strb),
                    access.size.eq(fe.req.size), access.lock.eq(fe.req.lock),
                    access.excl.eq(fe.req.excl), access.priv.eq(fe.req.priv),
                ]
        to_shm = access.valid & (region == Region.SHM)

        # ---- register block ---------------------------------------------------------------
        m.d.comb += [
            mailbox.bus.valid.eq(access.valid & (region == Region.REG)),
            mailbox.bus.agent.eq(access.agent), mailbox.bus.addr.eq(access.addr),
            mailbox.bus.write.eq(access.write), mailbox.bus.w_data.eq(access.w_data),
            mailbox.bus.w_strb.eq(access.w_strb), mailbox.bus.size.eq(access.size),
            mailbox.bus.lock.eq(access.lock), mailbox.bus.excl.eq(access.excl),
            mailbox.bus.priv.eq(access.priv),
            self.irq.eq(mailbox.irq),
            self.agent_rst.eq(mailbox.agent_rst),
        ]
        wiring.connect(m, monitor.status, mailbox.monitor)
        bus_error = Signal(n, name=probes.BUS_ERROR)
        for k, fe in enumerate(frontends):
            m.d.comb += bus_error[k].eq(fe.bus_error)
        m.d.comb += mailbox.bus_error.eq(bus_error)

        # ---- shared RAM behind the LL/SC monitor ------------------------------------------
        m.submodules.ram = ram = Memory(shape=DATA_WIDTH, depth=p.shm_words, init=[])
        rd_port = ram.read_port()
        wr_port = ram.write_port(granularity=8)
        word = access.addr[2:(p.shm_bytes - 1).bit_length()]
        # An unsupported exclusive write (a burst, a narrow or misaligned beat) is a failed SC
        # (SPEC §3.3): it writes nothing, and clears its agent's reservation as a clear does,
        # so an SC after it cannot succeed on a reservation taken before it.
        unsupported_sc = Signal(n, name="unsupported_sc")
        for k in range(n):
            m.d.comb += unsupported_sc[k].eq(to_shm & access.write & access.lock & ~access.excl &
                                             (access.agent == k))
        m.d.comb += [
            monitor.valid.eq(to_shm),
            monitor.agent.eq(access.agent),
            monitor.addr.eq(access.addr),
            monitor.ll.eq(~access.write & access.excl),
            monitor.sc.eq(access.write & access.excl),
            monitor.store.eq(access.write & ~access.lock),
            monitor.clear.eq(self.resv_clear | self.agent_rst | unsupported_sc),
            rd_port.addr.eq(word),
            rd_port.en.eq(to_shm & ~access.write),
            wr_port.addr.eq(word),
            wr_port.data.eq(access.w_data),
        ]
        # An exclusive write performs only if it is a supported one that the monitor passes.
        with m.If(to_shm & access.write & (~access.lock | monitor.sc_ok)):
            m.d.comb += wr_port.en.eq(access.w_strb)

        # ---- answers, one cycle after the access ------------------------------------------
        shm_exokay = Signal()
        answered_by = Signal(Region)
        m.d.sync += [
            shm_exokay.eq(access.excl & (~access.write | monitor.sc_ok)),
            answered_by.eq(Mux(access.valid, region, Region.NONE)),
        ]
        r_data = Signal(DATA_WIDTH, name=probes.ANSWER_DATA)
        resp = Signal(AxiResp, name=probes.ANSWER_RESP)
        with m.Switch(answered_by):
            with m.Case(Region.SHM):
                m.d.comb += [
                    r_data.eq(rd_port.data),
                    resp.eq(Mux(shm_exokay, AxiResp.EXOKAY, AxiResp.OKAY)),
                ]
            with m.Case(Region.REG):
                m.d.comb += [r_data.eq(mailbox.bus.r_data), resp.eq(mailbox.bus.resp)]
        for fe in frontends:
            m.d.comb += [fe.req.r_data.eq(r_data), fe.req.resp.eq(resp)]

        return m
