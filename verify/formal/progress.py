"""LL/SC forward progress (SPEC §3.3): the monitor's holds, proven with the arbiter around them.

The monitor alone cannot show progress: holds act by withholding grants, so the proof needs the
grant stage too. :class:`HoldHarness` is the subsystem's grant stage G and stage X for the shared
RAM, as :class:`rtl.subsystem.IocSubsystem` builds them (the round-robin arbiter over the
requests that ``blocked`` does not withhold; the granted request registered, with the granule
compares made in G), with abstract agents in place of the AXI front ends: each presents one
request at a time (read, LL, SC or store on a granule) and holds it until granted, as a front
end's request register does. The subsystem group (:mod:`.subsystem`) checks the subsystem's own
grant stage against the same rules (a blocked request is never granted).

Two property sets:

* :class:`HoldProperties`, agents free (any request, ``clear`` at any time): every request is
  granted within :meth:`~ioc_defs.params.IocParams.grant_wait_bound` cycles; at most one agent
  holds a granule; a hold has a reservation under it; no write to a held granule is granted.
* :class:`ProgressProperties`, agents that run LL -> SC loops on one granule each (any
  granule, changed at will after a successful SC; a failed one is retried on the same granule)
  with at most ``gap`` idle cycles between their accesses, the next request presented only
  once the SC's outcome is known (not while the SC is in X), and no clears: no agent's SC fails
  more than ``n_agents - 1`` times in a row (run for 2 and 3 agents). ``gap`` is
  ``resv_hold_cycles - n_agents - 1``: the window covers the gap, a write's first look at the
  holds, another agent's LL, the arbitration (``n_agents - 1``) and the cycle from G to X.
"""

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs import probes
from rtl.arbiter import RoundRobinArbiter
from rtl.ll_sc_monitor import LlScMonitor

from .core import Mutation, Past, PropertySet, wait_cycles

__all__ = ["HoldHarness", "HoldProperties", "ProgressProperties", "loop_gap", "make_dut", "BUGS",
           "KIND"]

#: Request kinds of the abstract agents.
KIND = {"read": 0, "ll": 1, "sc": 2, "store": 3}


class HoldHarness(wiring.Component):
    """Arbiter + LL/SC monitor + the subsystem's G/X glue, driven by abstract agents.

    Members
    -------
    req_valid : In(n_agents)
        Agent *k* presents a request (it must hold it, unchanged, until ``grant[k]``).
    req_kind : In(2).array(n_agents)
        Its kind (:data:`KIND`).
    req_granule : In(granule bits).array(n_agents)
        Its granule.
    clear : In(n_agents)
        The monitor's clear pulses (``resv_clear | agent_rst | unsupported exclusive write``).
    grant : Out(n_agents)
        The arbiter's grant.
    """

    def __init__(self, params, monitor):
        self.params, self.monitor = params, monitor
        self._gbits = (params.shm_bytes - 1).bit_length() - params.granule_log2
        n = params.n_agents
        super().__init__({
            "req_valid": In(n), "req_kind": In(2).array(n),
            "req_granule": In(self._gbits).array(n),
            "clear": In(n), "grant": Out(n),
        })

    def elaborate(self, platform):
        m = Module()
        p, n = self.params, self.params.n_agents
        m.submodules.arbiter = arbiter = RoundRobinArbiter(n)
        m.submodules.monitor = mon = self.monitor
        x_valid = Signal(name="x_valid")
        x_agent = Signal(range(n), name="x_agent")
        x_kind = Signal(2, name="x_kind")
        x_granule = Signal(self._gbits, name="x_granule")
        x_same = Signal(n, name="x_same")
        m.d.comb += [
            arbiter.requests.eq(self.req_valid & ~mon.blocked),
            self.grant.eq(arbiter.grant),
            mon.grant.eq(arbiter.grant),
        ]
        m.d.sync += x_valid.eq(arbiter.grant.any())
        for k in range(n):
            g, kind = self.req_granule[k], self.req_kind[k]
            same = Cat(Mux(mon.granule_set[i], x_granule == g, mon.resv_granule[i] == g)
                       for i in range(n))
            m.d.comb += [
                mon.req_valid[k].eq(self.req_valid[k]),
                mon.req_write[k].eq((kind == KIND["sc"]) | (kind == KIND["store"])),
                mon.req_ll[k].eq(kind == KIND["ll"]),
                mon.req_same[k].eq(same),
                mon.req_x_same[k].eq(x_granule == g),
            ]
            with m.If(arbiter.grant[k]):
                m.d.sync += [x_agent.eq(k), x_kind.eq(kind), x_granule.eq(g), x_same.eq(same)]
        m.d.comb += [
            mon.valid.eq(x_valid), mon.agent.eq(x_agent),
            mon.addr.eq(x_granule << p.granule_log2),
            mon.ll.eq(x_kind == KIND["ll"]), mon.sc.eq(x_kind == KIND["sc"]),
            mon.store.eq(x_kind == KIND["store"]),
            mon.same_granule.eq(x_same),
            mon.clear.eq(self.clear),
        ]
        return m


class _Common(Elaboratable):
    """Environment shared by both property sets: requests held until granted."""

    name = None

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet(self.name)

    def environment(self, m, past):
        d, ps, n = self.dut, self.props, self.dut.params.n_agents
        for k in range(n):
            held = past.clean & past(d.req_valid[k] & ~d.grant[k], f"past_waiting{k}")
            ps.assume(m, f"agent {k} holds its request until granted",
                      ~held | (d.req_valid[k] &
                               (d.req_kind[k] == past(d.req_kind[k], f"past_kind{k}")) &
                               (d.req_granule[k] == past(d.req_granule[k], f"past_gran{k}"))))

    def invariants(self, m):
        """What the holds keep true, asserted (the induction needs them)."""
        d, pr, ps, p = self.dut, self.probe, self.props, self.dut.params
        n, window = p.n_agents, p.resv_hold_cycles
        hold, resv = d.monitor.hold, d.monitor.resv_valid
        ps.assert_(m, "inv: the arbiter's last grant index in range",
                   pr[probes.scoped(probes.ARBITER, probes.ARBITER_LAST)] < n)
        waiting = pr[probes.WAITING]
        for i in range(n):
            ps.assert_(m, f"agent {i}: a hold has a reservation under it",
                       ~hold[i] | resv[i])
            for j in range(i + 1, n):
                ps.assert_(m, f"agents {i}, {j}: never both hold one granule",
                           ~(hold[i] & hold[j] &
                             (pr[probes.reservation_granule(i)] ==
                              pr[probes.reservation_granule(j)])))
            ps.assert_(m, f"agent {i}: waiting only with a request",
                       ~waiting[i] | d.req_valid[i])
            ps.assert_(m, f"agent {i}: a write to a granule another agent holds is not "
                          "granted", ~(d.grant[i] & d.monitor.blocked[i]))
            if window > 1:
                ps.assert_(m, f"agent {i}: hold timer in range",
                           pr[probes.hold_state(i, "hold_left")] < window)
                ps.assert_(m, f"agent {i}: want timer in range",
                           pr[probes.hold_state(i, "want_left")] < window)


class HoldProperties(_Common):
    """Free agents: bounded wait for every request, and the holds' invariants."""

    name = "ll_sc_holds"

    def elaborate(self, platform):
        m = Module()
        d, ps, p = self.dut, self.props, self.dut.params
        n, bound = p.n_agents, p.grant_wait_bound
        past = Past(m)
        self.environment(m, past)
        self.invariants(m)
        for k in range(n):
            waiting = d.req_valid[k] & ~d.grant[k]
            wait = wait_cycles(m, waiting, bound, f"ghost_wait{k}")
            ps.assert_(m, f"agent {k}: a request waits at most {bound} cycles",
                       ~(waiting & (wait >= bound)))
            ps.assert_(m, f"inv: agent {k}'s request waits only for a first look and the "
                          "arbiter until it waits for a hold",
                       ~waiting | self.probe[probes.WAITING][k] | (wait <= n))
            ps.cover(m, f"agent {k}: granted after waiting {bound} cycles (the bound is tight)",
                     d.grant[k] & (wait == bound))
            ps.cover(m, f"agent {k}: takes a hold", self.probe[probes.HOLD_TAKE][k])
        return m


class ProgressProperties(_Common):
    """LL -> SC loops with a bounded gap and no clears: at most n - 1 failed SCs in a row."""

    name = "ll_sc_progress"

    def __init__(self, dut, probe):
        super().__init__(dut, probe)
        p = dut.params
        self.gap = loop_gap(p)
        if self.gap < 0:
            raise ValueError(f"the window ({p.resv_hold_cycles}) must cover the arbitration "
                             f"of {p.n_agents} agents")

    def elaborate(self, platform):
        m = Module()
        d, ps, p = self.dut, self.props, self.dut.params
        n = p.n_agents
        bound = n - 1
        past = Past(m)
        self.environment(m, past)
        self.invariants(m)
        ps.assume(m, "no clears", d.clear == 0)
        for k in range(n):
            # the agent's loop: LL, then SC on the LL's granule, then LL (any granule) ...
            after_ll = Signal(name=f"ghost{k}_after_ll")
            loop_granule = Signal(len(d.req_granule[k]), name=f"ghost{k}_granule")
            retry = Signal(name=f"ghost{k}_retry")   # its last SC failed
            mon = d.monitor
            sc_k = mon.valid & (mon.agent == k) & mon.sc
            with m.If(d.grant[k]):
                m.d.sync += after_ll.eq(d.req_kind[k] == KIND["ll"])
                with m.If(d.req_kind[k] == KIND["ll"]):
                    m.d.sync += loop_granule.eq(d.req_granule[k])
            with m.If(sc_k):
                m.d.sync += retry.eq(~mon.sc_ok)
            # a CPU learns its SC's outcome from the answer, after stage X: it cannot present
            # the next LL (whose granule depends on that outcome) while the SC is in X
            sc_in_x = past(d.grant[k] & (d.req_kind[k] == KIND["sc"]), f"past_sc{k}")
            ps.assume(m, f"agent {k} waits for its SC's outcome",
                      ~(past.clean & sc_in_x) | ~d.req_valid[k])
            ps.assume(m, f"agent {k} runs LL -> SC loops, retrying on the same granule",
                      ~d.req_valid[k] |
                      Mux(after_ll, (d.req_kind[k] == KIND["sc"]) &
                          (d.req_granule[k] == loop_granule),
                          (d.req_kind[k] == KIND["ll"]) &
                          (~retry | (d.req_granule[k] == loop_granule))))
            idle = wait_cycles(m, ~d.req_valid[k], self.gap + 1, f"ghost_idle{k}")
            ps.assume(m, f"agent {k} is idle at most {self.gap} cycles in a row",
                      d.req_valid[k] | (idle < self.gap))
            fails = Signal(range(bound + 2), name=f"ghost{k}_fails")
            with m.If(sc_k & mon.sc_ok):
                m.d.sync += fails.eq(0)
            with m.Elif(sc_k & (fails <= bound)):
                m.d.sync += fails.eq(fails + 1)
            ps.assert_(m, f"agent {k}: at most {bound} failed SCs in a row", fails <= bound)
            ps.cover(m, f"agent {k}: {bound} failed SCs in a row (the bound is reached)",
                     fails == bound)
        return m


def loop_gap(params):
    """The most idle cycles in a row an agent's LL -> SC loop may leave for the progress bound:
    ``resv_hold_cycles - n_agents - 1`` (negative if the window is too short)."""
    return params.resv_hold_cycles - params.n_agents - 1


def make_dut(params, bug=None):
    """A :class:`HoldHarness` around an :class:`LlScMonitor`, or one with a seeded bug."""
    monitor = LlScMonitor(params)
    if bug is not None:
        monitor = Mutation(monitor, bug, BUGS[bug])
    return HoldHarness(params, monitor)


def _hold_never_released(m, d, probe):
    # neither the SC, the window nor a clear ends a hold: writers wait forever
    hold = d.hold
    m.d.sync += hold.eq(hold | probe[probes.HOLD_TAKE])


def _hold_renewed_unfairly(m, d, probe):
    # an LL takes a hold whenever nobody else holds its granule, over waiting writers and
    # agents that want one: the agent that just released a hold takes it again
    for i in range(d.params.n_agents):
        m.d.comb += probe[probes.HOLD_TAKE][i].eq(probe[probes.hold_state(i, "ll")] &
                                                  ~probe[probes.hold_state(i, "held_by_other")])


def _waiting_write_refuses_oldest(m, d, probe):
    # the rule before the fix: a waiting write refuses every LL its hold, the oldest want's
    # too (3 agents: a younger agent's SC, stopped a cycle by a third agent's LL, then wins
    # every round, and the other two fail forever)
    n = d.params.n_agents
    for i in range(n):
        for k in range(n):
            if k != i:
                m.d.comb += probe[probes.hold_over(i, k)].eq(0)


def _holds_off(m, d, probe):
    # the plain monitor (as resv_hold_cycles = 0): nothing waits, nothing is held
    m.d.comb += [probe[probes.HOLD_TAKE].eq(0), d.blocked.eq(0)]


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "hold_never_released": _hold_never_released,
    "hold_renewed_unfairly": _hold_renewed_unfairly,
    "holds_off": _holds_off,
    "waiting_write_refuses_oldest": _waiting_write_refuses_oldest,
}
