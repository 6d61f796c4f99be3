"""Reference of the LL/SC forward-progress holds (SPEC §3.3), cycle by cycle.

The holds decide *when* a write may be granted, never what an access does: LL/SC outcomes stay
those of :class:`sw_model.memory.SharedMemory`. This model follows the grant stage G and stage
X of the RTL (:class:`rtl.ll_sc_monitor.LlScMonitor`) one cycle at a time, so a testbench can
compare which requests are withheld and which agents hold a granule in every cycle.
"""

from dataclasses import dataclass

from ioc_defs.params import IocParams

__all__ = ["HoldRequest", "ResvHolds"]


@dataclass(frozen=True)
class HoldRequest:
    """A request waiting in a front end: whether it can write the shared RAM (a plain write or
    a supported exclusive write to it), and the granule it addresses."""
    write: bool
    granule: int


class ResvHolds:
    """Holds, wants and waiting writers of every agent (the rules are the monitor's).

    Parameters
    ----------
    params : IocParams
        Subsystem configuration (``n_agents``, ``resv_hold_cycles``; 0 = no holds).

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`IocParams`.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        n = params.n_agents
        self._n, self._window = n, params.resv_hold_cycles
        self.hold = [False] * n
        self._hold_left = [0] * n
        self.want = [False] * n
        self._want_left = [0] * n
        self._older = [[False] * n for _ in range(n)]    # [j][i]: j has wanted since before i
        self._waiting = [False] * n
        # [k][i]: i wanted a hold (and held none) when k's write began to wait, and has made
        # no LL since: its next LL may hold k's granule over the write
        self._ovr = [[False] * n for _ in range(n)]
        # the grant stage's flops: request waited last cycle, its conflict, any hold
        self._pending = [False] * n
        self._conflict = [False] * n
        self._hold_any = [False] * n      # another agent than k holds
        self._granule = [0] * n                           # granule of each agent's last LL

    def step(self, x, clear, requests, grant, reservations):
        """Advance one cycle; return the requests withheld in it (a bit mask).

        Parameters
        ----------
        x : tuple or None
            The shared-RAM access in stage X: ``(agent, kind, granule)``, ``kind`` one of
            ``"ll"``, ``"sc"``, ``"store"`` or ``None`` (a read, or an exclusive write that is
            not of the supported form).
        clear : int
            The monitor's clear pulses this cycle (bit per agent).
        requests : sequence of HoldRequest or None
            Each front end's request in G.
        grant : int
            The grant of this cycle (bit per agent).
        reservations : sequence of int or None
            Each agent's reservation (granule) at the start of the cycle.
        """
        n = self._n
        if not self._window:
            return 0
        agent, kind, granule = x if x is not None else (None, None, None)
        cleared = [bool(clear >> i & 1) for i in range(n)]
        mine = [agent == i for i in range(n)]
        ll = [mine[i] and kind == "ll" and not cleared[i] for i in range(n)]
        same = [x is not None and granule == self._granule[j] for j in range(n)]
        sc_ok = (kind == "sc" and reservations[agent] == granule and not cleared[agent])
        # another agent's LL in X: it stops a write that does not wait yet, and a waiting one
        # if that agent may hold the write's granule over it
        x_ll = [kind == "ll" and agent != k for k in range(n)]
        blocked = [req is not None and req.write and (
                       (x_ll[k] and (not self._waiting[k] or self._ovr[k][agent])) or
                       (self._conflict[k] if self._pending[k] else self._hold_any[k]))
                   for k, req in enumerate(requests)]
        at_x = [requests[k] is not None and x is not None and requests[k].granule == granule
                for k in range(n)]
        # over[i][k]: i may hold k's granule although k's write waits
        over = [[k != i and self._waiting[k] and at_x[k] and blocked[k] and self._ovr[k][i] and
                 self.want[i] for k in range(n)] for i in range(n)]
        take = []
        for i in range(n):
            held = any(self.hold[j] and same[j] for j in range(n) if j != i)
            writer = any(self._waiting[k] and at_x[k] and not over[i][k]
                         for k in range(n) if k != i)
            ahead = any(self.want[j] and same[j] and (self._older[j][i] or not self.want[i])
                        for j in range(n) if j != i)
            take.append(ll[i] and not (held or writer or ahead))
        # the granule each agent's hold is compared on (an LL in X announces its own)
        on = [granule if ll[i] else self._granule[i] for i in range(n)]
        hold_next = [take[i] if ll[i] else self.hold[i] for i in range(n)]
        new_want = [ll[i] and not take[i] and not self.want[i] for i in range(n)]
        for k, req in enumerate(requests):
            granted = bool(grant >> k & 1)
            if self._waiting[k]:
                self._ovr[k] = [self._ovr[k][i] and not (kind == "ll" and agent == i) and
                                not new_want[i] for i in range(n)]
            else:
                self._ovr[k] = [self.want[i] and not hold_next[i] for i in range(n)]
            if blocked[k] and (self._pending[k] or x_ll[k]):
                self._waiting[k] = True
            elif granted:
                self._waiting[k] = False
            self._conflict[k] = req is not None and any(
                hold_next[i] and req.granule == on[i] for i in range(n) if i != k)
            self._pending[k] = req is not None and not granted
        self._hold_any = [any(hold_next[i] for i in range(n) if i != k) for k in range(n)]
        for i in range(n):
            self._update(i, take[i], cleared[i], mine[i], kind, ll[i], sc_ok and mine[i],
                         blocked[i])
            if ll[i]:
                self._granule[i] = granule
        return sum(1 << k for k in range(n) if blocked[k])

    def _update(self, i, take, cleared, mine, kind, ll, ok, blocked):
        last = self._window - 1
        if take:
            self.hold[i], self._hold_left[i] = True, last
        elif cleared or (mine and kind in ("ll", "sc")):
            self.hold[i] = False
        elif self.hold[i]:
            if self._hold_left[i] == 0:
                self.hold[i] = False
            else:
                self._hold_left[i] -= 1
        if cleared or ok:
            self.want[i] = False
        elif ll and not take:
            if not self.want[i]:
                # a new want is the youngest; a renewed one keeps its age
                self._older[i] = [False] * self._n
                for j in range(self._n):
                    self._older[j][i] = j != i
            self.want[i], self._want_left[i] = True, last
        elif mine and kind == "sc":
            self._want_left[i] = last
        elif self.want[i] and not blocked:
            if self._want_left[i] == 0:
                self.want[i] = False
            else:
                self._want_left[i] -= 1
