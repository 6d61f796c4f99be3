"""Properties of the round-robin arbiter (SPEC §3.2) and a seeded bug.

Besides one-hot grants to requesters only and never idling while someone requests, this proves
the bound the AXI front end's bounded-response proof assumes (:mod:`.axi`, ``grant_wait``): a
requester that holds its request waits at most ``n - 1`` cycles.
"""

from amaranth.hdl import Elaboratable, Module

from ioc_defs import probes
from rtl.arbiter import RoundRobinArbiter

from .core import Mutation, Past, PropertySet, wait_cycles

__all__ = ["ArbiterProperties", "make_dut", "BUGS"]


class ArbiterProperties(Elaboratable):
    """Assertions and covers over a :class:`RoundRobinArbiter` (its inputs are free)."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("arbiter")

    def elaborate(self, platform):
        m = Module()
        d, ps = self.dut, self.props
        n = d.n
        Past(m)
        req, grant = d.requests, d.grant
        ps.assert_(m, "a grant only to a requester", (grant & ~req) == 0)
        ps.assert_(m, "at most one grant", (grant & (grant - 1)) == 0)
        ps.assert_(m, "someone is granted whenever someone requests", (req == 0) | (grant != 0))
        # what the induction needs: the index of the last grant is a requester's index (with n
        # not a power of two the register could hold more; such a state would grant nobody)
        ps.assert_(m, "inv: last grant index in range", self.probe[probes.ARBITER_LAST] < n)
        for i in range(n):
            # cycles requester i has been waiting, its request held, before this one
            waiting = req[i] & ~grant[i]
            wait = wait_cycles(m, waiting, n, f"ghost_wait{i}")
            ps.assert_(m, f"requester {i} waits at most {n - 1} cycles (bounded waiting)",
                       ~(waiting & (wait >= n - 1)))
            ps.cover(m, f"requester {i} granted after waiting {n - 1} cycles (bound is tight)",
                     grant[i] & (wait == n - 1))
        return m


def make_dut(params, bug=None):
    """A :class:`RoundRobinArbiter` of ``params.n_agents``, or one with a seeded bug."""
    dut = RoundRobinArbiter(params.n_agents)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _fixed_priority(m, d, probe):
    # the lowest-numbered requester always wins: the others can starve
    m.d.comb += d.grant.eq(d.requests & -d.requests)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {"fixed_priority": _fixed_priority}
