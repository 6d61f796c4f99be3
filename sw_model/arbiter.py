"""Reference of the round-robin arbiter (SPEC §3.2), cycle by cycle.

:class:`rtl.arbiter.RoundRobinArbiter` grants one requester per cycle; priority starts just
after the requester granted last (after reset: requester 0 first). This model gives the grant a
testbench compares with the access the RTL's grant stage picked.
"""

__all__ = ["RoundRobin"]


class RoundRobin:
    """Round-robin order over ``n`` requesters.

    Parameters
    ----------
    n : int
        Number of requesters (at least 1).

    Raises
    ------
    TypeError
        If ``n`` is not a positive integer.
    """

    def __init__(self, n):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise TypeError(f"n must be a positive integer, not {n!r}")
        self._n = n
        self.last = n - 1

    def grant(self, requests):
        """The requester granted this cycle among the bit mask ``requests`` (or ``None``),
        and the next cycle's order."""
        n = self._n
        for k in range(1, n + 1):
            agent = (self.last + k) % n
            if requests >> agent & 1:
                self.last = agent
                return agent
        return None
