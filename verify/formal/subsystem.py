"""Properties of the subsystem's wiring around the LL/SC monitor (SPEC §3.1, §3.3).

The monitor's own proof (:mod:`.llsc`) takes its inputs as free; here the top level is checked
to feed it and obey it: exclusive reads are LLs, supported exclusive writes SCs, plain writes
stores; ``resv_clear`` and agent reset clear reservations; a failed exclusive write writes no
byte of shared RAM and is answered OKAY, a successful one EXOKAY. The AXI ports are left free
(no protocol assumption is needed: the properties are about the granted access). The RAM and
the monitor act in stage X (``x_access``); the answer comes two cycles later.
"""

from amaranth.hdl import Cat, Elaboratable, Module

from ioc_defs import probes
from ioc_defs.axi import AxiResp
from ioc_defs.params import Region
from rtl.subsystem import IocSubsystem

from .core import Mutation, Past, PropertySet

__all__ = ["SubsystemProperties", "make_dut", "BUGS"]


class SubsystemProperties(Elaboratable):
    """Assertions and covers over an :class:`IocSubsystem`'s shared-RAM path."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("subsystem")

    def elaborate(self, platform):
        m = Module()
        d, pr, ps = self.dut, self.probe, self.props
        past = Past(m)
        valid, write = pr[probes.access("valid")], pr[probes.access("write")]
        lock, excl = pr[probes.access("lock")], pr[probes.access("excl")]
        strb = pr[probes.access("w_strb")]
        shm = valid & (pr[probes.ACCESS_REGION] == Region.SHM)
        sc_ok, wr_en, resp = pr["sc_ok"], pr["wr_port__en"], pr[probes.ANSWER_RESP]

        p = d.params
        granule = pr[probes.access("addr")][p.granule_log2:(p.shm_bytes - 1).bit_length()]
        ps.implies(m, "the granule compare made in G is the reservations' in X (an LL in X "
                      "forwarded to the access after it)", valid,
                   pr["same_granule"] == Cat(pr[f"resv{i}_granule"] == granule
                                             for i in range(p.n_agents)))
        ps.assert_(m, "the monitor is cleared by resv_clear and by agent reset",
                   pr["clear"] == (d.resv_clear | d.agent_rst))
        ps.assert_(m, "the monitor sees the shared-RAM accesses: LL = exclusive read, SC = "
                      "supported exclusive write, store = plain write",
                   (pr["valid"] == shm) &
                   (~shm | ((pr["ll"] == (~write & excl)) & (pr["sc"] == (write & excl)) &
                            (pr["store"] == (write & ~lock)))))
        ps.implies(m, "a failed exclusive write writes no byte",
                   shm & write & lock & ~sc_ok, wr_en == 0)
        ps.implies(m, "a successful exclusive write writes its strobes",
                   shm & write & sc_ok, wr_en == strb)
        ps.implies(m, "a plain write writes its strobes", shm & write & ~lock, wr_en == strb)
        ps.assert_(m, "nothing else writes shared RAM", (shm & write) | (wr_en == 0))
        # the answer, two cycles after X; both past cycles out of reset
        clean2 = past.clean & past(past.clean, "past_past_clean")

        def past2(value, name):
            return past(past(value, f"{name}_1"), f"{name}_2")

        failed = past2(shm & write & lock & ~sc_ok, "past_failed_excl_write")
        ps.implies(m, "a failed exclusive write is answered OKAY",
                   clean2 & failed, resp == AxiResp.OKAY)
        ps.implies(m, "a successful exclusive write is answered EXOKAY",
                   clean2 & past2(shm & write & sc_ok, "past_sc_ok"),
                   resp == AxiResp.EXOKAY)
        ps.implies(m, "EXOKAY only for a supported exclusive to shared RAM",
                   clean2 & past2(valid & ~(shm & excl), "past_not_excl"),
                   resp != AxiResp.EXOKAY)
        for k in range(d.params.n_agents):
            ps.implies(m, f"agent {k} in reset holds no reservation",
                       past.clean & past(d.agent_rst[k], f"past_agent_rst{k}"),
                       ~pr["resv_valid"][k])
        return m


def make_dut(params, bug=None):
    """An :class:`IocSubsystem`, or one with the seeded bug named ``bug``."""
    dut = IocSubsystem(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _failed_sc_writes(m, d, probe):
    # the write enable forgets the monitor's verdict
    with m.If(probe[probes.access("valid")] & (probe[probes.ACCESS_REGION] == Region.SHM) &
              probe[probes.access("write")]):
        m.d.comb += probe["wr_port__en"].eq(probe[probes.access("w_strb")])


def _agent_reset_keeps_reservation(m, d, probe):
    m.d.comb += probe["clear"].eq(d.resv_clear)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "failed_sc_writes": _failed_sc_writes,
    "agent_reset_keeps_reservation": _agent_reset_keeps_reservation,
}
