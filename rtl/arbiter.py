"""Round-robin arbiter granting one shared access per cycle."""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs import probes

__all__ = ["RoundRobinArbiter"]


class RoundRobinArbiter(wiring.Component):
    """Grants at most one of ``n`` requesters per cycle, round robin.

    The grant is combinational from ``requests``; priority starts just after the requester
    granted last. A requester that holds its request is therefore granted after at most
    ``n - 1`` grants to others (bounded waiting).

    Parameters
    ----------
    n : int
        Number of requesters (at least 1).

    Members
    -------
    requests : In(n)
        Request bits, one per requester.
    grant : Out(n)
        One-hot (or zero) grant, valid in the same cycle.
    """

    def __init__(self, n):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise TypeError(f"n must be a positive integer, not {n!r}")
        self._n = n
        super().__init__({"requests": In(n), "grant": Out(n)})

    @property
    def n(self):
        return self._n

    def elaborate(self, platform):
        m = Module()
        n = self._n
        if n == 1:
            m.d.comb += self.grant.eq(self.requests)
            return m

        last = Signal(range(n), init=n - 1, name=probes.ARBITER_LAST)
        with m.Switch(last):
            for prev in range(n):
                with m.Case(prev):
                    order = [(prev + 1 + k) % n for k in range(n)]
                    for idx, agent in enumerate(order):
                        with (m.If if idx == 0 else m.Elif)(self.requests[agent]):
                            m.d.comb += self.grant[agent].eq(1)
                            m.d.sync += last.eq(agent)
        return m
