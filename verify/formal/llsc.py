"""Properties of the LL/SC reservation monitor (SPEC §3.3) and seeded bugs that break them.

The centre is a ghost proof. The ghost keeps, per agent, only the *history* that matters: whether
an LL was seen with nothing since that voids it (another agent's write to the granule, a
``clear`` or reset, an SC by the same agent), the LL's granule, and why the last reservation
ended. The ghost never sees data values, so a write that puts the old value back (ABA) voids the
reservation as any write does. An SC must succeed exactly when the ghost says it may. Beside it,
every rule of §3.3 is stated on its own, so that a failure names the rule.
"""

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal

from ioc_defs import probes
from ioc_defs.params import ScFailCause
from rtl.ll_sc_monitor import LlScMonitor

from .core import Mutation, Past, PropertySet

__all__ = ["LlScProperties", "make_dut", "BUGS"]

C = ScFailCause


class LlScProperties(Elaboratable):
    """Assertions, environment assumptions and covers over an :class:`LlScMonitor`."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("ll_sc_monitor")

    def elaborate(self, platform):
        m = Module()
        d, p, ps = self.dut, self.dut.params, self.props
        n = p.n_agents
        past = Past(m)
        addr_bits = len(d.addr)
        granule = d.addr[p.granule_log2:addr_bits]
        gbits = len(granule)

        # -- environment: what the subsystem guarantees --------------------------------------
        ps.assume(m, "at most one of ll / sc / store",
                  ~((d.ll & d.sc) | (d.ll & d.store) | (d.sc & d.store)))
        ps.assume(m, "agent index in range", d.agent < n)
        ps.assume(m, "same_granule is the compare of the reservations' granules with addr's",
                  ~d.valid | (d.same_granule ==
                              Cat(self.probe[probes.reservation_granule(i)] == granule
                                  for i in range(n))))
        ps.assert_(m, "resv_granule shows the reservations' granules",
                   Cat(d.resv_granule[i] == self.probe[probes.reservation_granule(i)]
                       for i in range(n)).all())
        # granule_set forwards an LL's granule to the grant stage's compares a cycle early
        ps.assert_(m, "granule_set announces exactly the LLs that set a reservation",
                   d.granule_set == Cat(d.valid & (d.agent == i) & d.ll & ~d.clear[i]
                                        for i in range(n)))

        # -- ghost ----------------------------------------------------------------------------
        g_valid = Signal(n, name="ghost_valid")
        g_gran = [Signal(gbits, name=f"ghost{i}_granule") for i in range(n)]
        g_lost = [Signal(C, name=f"ghost{i}_lost", init=C.NO_RESERVATION) for i in range(n)]
        g_cause = [Signal(C, name=f"ghost{i}_cause", init=C.NONE) for i in range(n)]
        mine = [Signal(name=f"ghost_by{i}") for i in range(n)]
        g_ok = [Signal(name=f"ghost{i}_sc_may_succeed") for i in range(n)]
        for i in range(n):
            m.d.comb += [
                mine[i].eq(d.valid & (d.agent == i)),
                g_ok[i].eq(mine[i] & d.sc & g_valid[i] & (g_gran[i] == granule) & ~d.clear[i]),
            ]
        g_sc_ok = Cat(g_ok).any()
        g_write = d.valid & (d.store | (d.sc & g_sc_ok))
        for i in range(n):
            ll, sc = mine[i] & d.ll, mine[i] & d.sc
            other_write = g_write & ~mine[i] & g_valid[i] & (g_gran[i] == granule)
            with m.If(d.clear[i]):
                m.d.sync += g_valid[i].eq(0)
                with m.If(sc):
                    m.d.sync += [g_cause[i].eq(C.PREEMPTED),
                                 g_lost[i].eq(C.NO_RESERVATION)]
                    with m.If(~g_valid[i]):
                        m.d.sync += g_cause[i].eq(g_lost[i])
                with m.Elif(g_valid[i] | ll):
                    m.d.sync += g_lost[i].eq(C.PREEMPTED)
            with m.Elif(ll):
                m.d.sync += [g_valid[i].eq(1), g_gran[i].eq(granule)]
            with m.Elif(sc):
                m.d.sync += [g_valid[i].eq(0), g_lost[i].eq(C.NO_RESERVATION)]
                with m.If(~g_ok[i]):
                    m.d.sync += g_cause[i].eq(C.ADDRESS_MISMATCH)
                    with m.If(~g_valid[i]):
                        m.d.sync += g_cause[i].eq(g_lost[i])
            with m.Elif(other_write):
                m.d.sync += [g_valid[i].eq(0), g_lost[i].eq(C.CONFLICT)]

        # -- the ghost proof ------------------------------------------------------------------
        ps.assert_(m, "SC succeeds iff LL and nothing since (other's write, clear, reset, own SC)",
                   d.sc_ok == g_sc_ok)
        ps.assert_(m, "sc_ok only for an SC", ~d.sc_ok | (d.valid & d.sc))
        for i in range(n):
            ps.assert_(m, f"agent {i}: reservation valid as the ghost says",
                       d.resv_valid[i] == g_valid[i])
            ps.assert_(m, f"agent {i}: last SC failure cause as the ghost says",
                       d.status.cause[i] == g_cause[i])
            # internal state the induction needs: the RTL keeps what the ghost keeps
            ps.assert_(m, f"agent {i}: reserved granule as the ghost's",
                       ~g_valid[i] | (self.probe[probes.reservation_granule(i)] == g_gran[i]))
            ps.assert_(m, f"agent {i}: why the reservation ended, as the ghost's",
                       self.probe[probes.reservation_lost(i)] == g_lost[i])

        # -- every rule of §3.3, one by one ----------------------------------------------------
        v, agent, ll, sc, store = (past(x, f"past_{name}") for x, name in (
            (d.valid, "valid"), (d.agent, "agent"), (d.ll, "ll"), (d.sc, "sc"),
            (d.store, "store")))
        pgran = past(granule, "past_granule")
        pclear = past(d.clear, "past_clear")
        psc_ok = past(d.sc_ok, "past_sc_ok")
        presv = past(d.resv_valid, "past_resv_valid")
        pg_gran = [past(g_gran[i], f"past_ghost{i}_granule") for i in range(n)]
        st = d.status
        counters = (st.ll_count, st.sc_ok_count, st.sc_fail_count)
        pcount = [[past(c[i], f"past_count{j}_{i}") for i in range(n)]
                  for j, c in enumerate(counters)]
        pcause = [past(st.cause[i], f"past_cause{i}") for i in range(n)]
        clean = past.clean
        for i in range(n):
            by_i = v & (agent == i)
            ps.implies(m, f"agent {i}: LL sets the reservation",
                       clean & by_i & ll & ~pclear[i], d.resv_valid[i])
            ps.implies(m, f"agent {i}: SC clears the reservation (success or failure)",
                       clean & by_i & sc, ~d.resv_valid[i])
            ps.implies(m, f"agent {i}: own plain store keeps the reservation",
                       clean & by_i & store & presv[i] & ~pclear[i], d.resv_valid[i])
            ps.implies(m, f"agent {i}: another agent's store to the granule clears it",
                       clean & v & (agent != i) & store & presv[i] & (pgran == pg_gran[i]),
                       ~d.resv_valid[i])
            ps.implies(m, f"agent {i}: another agent's successful SC to the granule clears it",
                       clean & v & (agent != i) & sc & psc_ok & presv[i] &
                       (pgran == pg_gran[i]), ~d.resv_valid[i])
            ps.implies(m, f"agent {i}: clear drops the reservation",
                       clean & pclear[i], ~d.resv_valid[i])
            ps.implies(m, f"agent {i}: clear beats a same-cycle SC",
                       d.valid & (d.agent == i) & d.sc & d.clear[i] & d.resv_valid[i], ~d.sc_ok)
            failed = clean & by_i & sc & ~psc_ok
            for cause, premise in (
                    (C.PREEMPTED, pclear[i] & presv[i]),
                    (C.ADDRESS_MISMATCH, ~pclear[i] & presv[i]),
                    (C.NO_RESERVATION, ~presv[i]),
                    (C.CONFLICT, ~presv[i])):
                ps.cover(m, f"agent {i}: an SC fails with {cause.name}",
                         failed & premise & (st.cause[i] == cause))
            ps.implies(m, f"agent {i}: cause changes only on a failed SC",
                       clean & ~failed, st.cause[i] == pcause[i])
            ps.implies(m, f"agent {i}: a failed SC with a reservation held reports "
                          "PREEMPTED (clear) or ADDRESS_MISMATCH",
                       failed & presv[i],
                       st.cause[i] == Mux(pclear[i], C.PREEMPTED, C.ADDRESS_MISMATCH))
            for j, (what, event) in enumerate((
                    ("LL", ll), ("SC success", sc & psc_ok), ("SC failure", sc & ~psc_ok))):
                ps.assert_(m, f"agent {i}: the {what} counter counts exactly the {what}s",
                           ~clean | (counters[j][i] == (pcount[j][i] + (by_i & event))[:32]))
            ps.cover(m, f"agent {i}: an SC succeeds", d.sc_ok & (d.agent == i))
        ps.implies(m, "reset clears every reservation, cause and counter",
                   past.ok & past.rst,
                   (d.resv_valid == 0) & (Cat(st.cause) == 0) &
                   (Cat(c[i] for c in counters for i in range(n)) == 0))
        # ABA, as the paper's Fig. 3: LL by 0; 1 writes the granule twice (A->B->A); SC by 0
        # fails. The ghost proof covers it for any data; the cover shows the sequence happens.
        aba = Signal(2, name="aba_step")
        with m.If(d.valid & (d.agent == 0) & d.ll & ~d.clear[0]):
            m.d.sync += aba.eq(1)
        with m.Elif(d.valid & (d.agent != 0) & d.store & (granule == g_gran[0]) & (aba != 0) &
                    (aba != 3)):
            m.d.sync += aba.eq(aba + 1)
        ps.cover(m, "ABA: LL by 0, two stores by another agent, SC by 0 fails with CONFLICT",
                 (aba == 3) & d.valid & (d.agent == 0) & d.sc & (granule == g_gran[0]) &
                 ~d.sc_ok)
        return m


def make_dut(params, bug=None):
    """An :class:`LlScMonitor`, or one with the seeded bug named ``bug`` (see :data:`BUGS`)."""
    dut = LlScMonitor(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _own_store_clears(m, d, probe):
    for i in range(d.params.n_agents):
        with m.If(d.valid & d.store & (d.agent == i)):
            m.d.sync += d.resv_valid[i].eq(0)


def _clear_loses_to_sc(m, d, probe):
    p = d.params
    granule = d.addr[p.granule_log2:len(d.addr)]
    m.d.comb += d.sc_ok.eq(Cat(d.valid & (d.agent == i) & d.sc & d.resv_valid[i] &
                               (probe[probes.reservation_granule(i)] == granule)
                               for i in range(p.n_agents)).any())


def _sc_keeps_reservation(m, d, probe):
    for i in range(d.params.n_agents):
        with m.If(d.valid & d.sc & (d.agent == i) & ~d.clear[i]):
            m.d.sync += d.resv_valid[i].eq(d.resv_valid[i])


def _store_does_not_conflict(m, d, probe):
    for i in range(d.params.n_agents):
        with m.If(d.valid & d.store & (d.agent != i) & ~d.clear[i]):
            m.d.sync += d.resv_valid[i].eq(d.resv_valid[i])


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "own_store_clears": _own_store_clears,            # SH-4A keeps it; SPEC §3.3 too
    "clear_loses_to_sc": _clear_loses_to_sc,          # an interrupt in the SC's cycle is lost
    "sc_keeps_reservation": _sc_keeps_reservation,    # a second SC after one LL succeeds
    "store_does_not_conflict": _store_does_not_conflict,  # ABA goes unnoticed
}
