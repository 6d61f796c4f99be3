"""Properties of the subsystem's wiring around the LL/SC monitor (SPEC §3.1, §3.3).

The monitor's own proof (:mod:`.llsc`) takes its inputs as free; here the top level is checked
to feed it and obey it: exclusive reads are LLs, supported exclusive writes SCs, plain writes
stores; ``resv_clear``, agent reset and an agent's unsupported exclusive write (SPEC §3.3: a
failed SC) clear reservations; a failed exclusive write writes no
byte of shared RAM and is answered OKAY, a successful one EXOKAY. The AXI ports are left free
(no protocol assumption is needed: the properties are about the granted access). The RAM and
the monitor act in stage X (``x_access``); the answer comes two cycles later.
"""

from amaranth.hdl import Cat, Elaboratable, Module

from ioc_defs import probes
from ioc_defs.axi import AxiResp
from ioc_defs.params import Region
from rtl.axi_frontend import layouts
from rtl.subsystem import IocSubsystem

from .core import Mutation, Past, PropertySet, wait_cycles

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
        mon = _ports(pr, probes.MONITOR)
        valid, write = pr[probes.access("valid")], pr[probes.access("write")]
        lock, excl = pr[probes.access("lock")], pr[probes.access("excl")]
        strb = pr[probes.access("w_strb")]
        shm = valid & (pr[probes.ACCESS_REGION] == Region.SHM)
        sc_ok, wr_en, resp = mon("sc_ok"), pr[probes.shm_write_port("en")], pr[probes.ANSWER_RESP]

        p = d.params
        n = p.n_agents
        granule = pr[probes.access("addr")][p.granule_log2:(p.shm_bytes - 1).bit_length()]
        ps.implies(m, "the granule compare made in G is the reservations' in X (an LL in X "
                      "forwarded to the access after it)", valid,
                   mon("same_granule") == Cat(pr[probes.reservation_granule(i)] == granule
                                             for i in range(n)))
        unsupported = shm & write & lock & ~excl
        ps.assert_(m, "the monitor is cleared by resv_clear, by agent reset and by the agent's "
                      "unsupported exclusive write to shared RAM",
                   mon("clear") == (d.resv_clear | d.agent_rst |
                                   Cat(unsupported & (pr[probes.access("agent")] == k)
                                       for k in range(n))))
        ps.assert_(m, "the monitor sees the shared-RAM accesses: LL = exclusive read, SC = "
                      "supported exclusive write, store = plain write",
                   (mon("valid") == shm) &
                   (~shm | ((mon("ll") == (~write & excl)) & (mon("sc") == (write & excl)) &
                            (mon("store") == (write & ~lock)))))
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
        for k in range(n):
            ps.implies(m, f"agent {k}: an unsupported exclusive write clears its reservation",
                       past.clean & past(unsupported & (pr[probes.access("agent")] == k),
                                         f"past_unsupported{k}"),
                       ~mon("resv_valid")[k])
            ps.cover(m, f"agent {k}: an unsupported exclusive write drops a reservation",
                     unsupported & (pr[probes.access("agent")] == k) & mon("resv_valid")[k])
            ps.implies(m, f"agent {k} in reset holds no reservation",
                       past.clean & past(d.agent_rst[k], f"past_agent_rst{k}"),
                       ~mon("resv_valid")[k])
        self._unit_assumptions(m, d, pr, ps, past)
        return m

    @staticmethod
    def _unit_assumptions(m, d, pr, ps, past):
        """What the unit proofs assume of their surroundings, asserted where the subsystem
        provides it (the AXI manager rules are the outside world's and stay assumptions)."""
        n, mon, mailbox = d.params.n_agents, _ports(pr, probes.MONITOR), _ports(pr, probes.MAILBOX)
        # what the induction needs: a front end marks a burst exclusive only if AxLOCK was set
        for k in range(n):
            for burst in (probes.READ_BURST, probes.WRITE_BURST):
                b = layouts(d.params.id_width).burst(pr[probes.scoped(probes.frontend(k), burst)])
                ps.assert_(m, f"inv: front end {k}'s {burst} burst is exclusive only if locked",
                           ~b.excl | b.lock)
        # llsc.py
        ps.assert_(m, "unit assumption (LL/SC monitor): at most one of ll / sc / store",
                   ~((mon("ll") & mon("sc")) | (mon("ll") & mon("store")) |
                     (mon("sc") & mon("store"))))
        ps.assert_(m, "unit assumption (LL/SC monitor): agent index in range",
                   ~mon("valid") | (mon("agent") < n))
        # mailbox.py: the register block sees only accesses the front end decoded to the
        # register window (that such an access lies in the window is the front end's region
        # decode, proven by the axi_frontend group: its registered bursts need invariants that
        # a proof of the whole subsystem cannot name for each port)
        ps.assert_(m, "unit assumption (mailbox): only register-window accesses reach it",
                   ~mailbox("bus__valid") | (pr[probes.access("valid")] &
                                        (pr[probes.ACCESS_REGION] == Region.REG)))
        ps.assert_(m, "unit assumption (mailbox): agent index in range",
                   ~mailbox("bus__valid") | (mailbox("bus__agent") < n))
        # axi.py: the arbiter grants only a requesting front end, and a held request waits at
        # most grant_wait_bound cycles (the bounded-response proof's grant_wait)
        arbiter = _ports(pr, probes.ARBITER)
        requests, grant = arbiter("requests"), arbiter("grant")
        ps.assert_(m, "unit assumption (AXI front end): a grant only to a request",
                   (grant & ~requests) == 0)
        bound = d.params.grant_wait_bound
        for k in range(n):
            fe_valid = pr[probes.scoped(probes.frontend(k), "req__valid")]
            ps.assert_(m, f"agent {k}: the arbiter sees the request unless the monitor blocks "
                          "it", requests[k] == (fe_valid & ~mon("blocked")[k]))
            waiting = fe_valid & ~grant[k]
            wait = wait_cycles(m, waiting, bound, f"ghost_req_wait{k}")
            ps.assert_(m, f"unit assumption (AXI front end): agent {k}'s request waits at most "
                          f"{bound} cycles for its grant", ~(waiting & (wait >= bound)))


def _ports(pr, instance):
    """``member -> signal``: the ports (signature members, named by the component) of the
    submodule ``instance``."""
    return lambda member: pr[probes.scoped(instance, member)]


def make_dut(params, bug=None):
    """An :class:`IocSubsystem`, or one with the seeded bug named ``bug``."""
    dut = IocSubsystem(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _failed_sc_writes(m, d, probe):
    # the write enable forgets the monitor's verdict
    with m.If(probe[probes.access("valid")] & (probe[probes.ACCESS_REGION] == Region.SHM) &
              probe[probes.access("write")]):
        m.d.comb += probe[probes.shm_write_port("en")].eq(probe[probes.access("w_strb")])


def _agent_reset_keeps_reservation(m, d, probe):
    m.d.comb += probe[probes.scoped(probes.MONITOR, "clear")].eq(d.resv_clear)


def _unsupported_sc_keeps_reservation(m, d, probe):
    # the issue-17 behaviour: an exclusive burst after an LL left the reservation valid
    m.d.comb += probe[probes.scoped(probes.MONITOR, "clear")].eq(d.resv_clear | d.agent_rst)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "failed_sc_writes": _failed_sc_writes,
    "agent_reset_keeps_reservation": _agent_reset_keeps_reservation,
    "unsupported_sc_keeps_reservation": _unsupported_sc_keeps_reservation,
}
