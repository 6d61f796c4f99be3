"""SH-4A style LL/SC reservation monitor (``movli.l`` / ``movco.l`` as AXI exclusive accesses)."""

from amaranth import C, Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs import probes
from ioc_defs.params import IocParams, ScFailCause

from .access import MonitorStatusSignature

__all__ = ["LlScMonitor"]


class LlScMonitor(wiring.Component):
    """Per-agent reservations over the shared RAM, processed in grant order (SPEC §3.3).

    One reservation per agent: ``{valid, granule}``, where a granule is ``addr >> granule_log2``.

    * LL by agent *i* at *a*: reservation(i) := {valid, granule(a)}.
    * SC by agent *i* at *a*: succeeds iff reservation(i) is valid and on granule(a); either way
      reservation(i) is then cleared. Success is reported on ``sc_ok`` in the same cycle, so the
      write can be gated without added latency.
    * Any write (plain store or successful SC) by agent *j* clears every *other* agent's
      reservation on that granule; an agent's own plain store leaves its reservation alone.
    * ``clear[i]`` (``resv_clear`` or agent reset) clears reservation(i). It wins over an SC or
      an LL by agent *i* in the same cycle: the SC fails (as ``PREEMPTED`` if a reservation was
      held), the LL is counted but leaves no reservation. A later SC fails as ``PREEMPTED`` only
      if a clear dropped a reservation; an agent that held none fails as ``NO_RESERVATION``.

    Forward progress (``params.resv_hold_cycles`` = *W* > 0; SPEC §3.3): an LL may also take
    a *hold* on its granule, which makes other agents' writes to the granule wait in their
    front ends (the grant stage G withholds them: ``blocked``) for the *W* cycles after the
    LL's cycle, so that the agent's SC in that window succeeds. A hold ends at the agent's SC
    (either outcome), at its next LL, when its reservation is cleared, or after *W* cycles.
    An LL by agent *i* on granule *g* is granted a hold unless

    * another agent holds *g* (so at most one agent holds a granule, and two agents cannot
      hold each other off: a hold ends after *W* cycles whatever the holder does);
    * another agent's write to *g* is *waiting* (it was blocked and is not yet granted),
      unless *i* wanted a hold, and held none, when that write began to wait, and this is
      *i*'s first LL since (the write is stopped in G for it): so a writer waits for the hold
      it met and then for one hold of each older want at most, never for a chain of them, and
      the oldest want is not refused its hold by a younger agent's waiting SC;
    * another agent *wants* a hold on *g* and has wanted it since before *i* did (or *i*
      wants none). An LL that is refused a hold makes its agent want one, on that LL's
      granule, until its SC succeeds, or its reservation is cleared, or for *W* cycles in
      which it made no exclusive access and had no write waiting. A hold granted does not end
      the want: an agent that spins on a lock word with LLs and no SC (the lock is taken)
      keeps its age, so when the lock is released the longest waiter, not the releaser,
      holds the word (measured: without this, 4 producers on a locked ring, two of them
      waited 23 times the p99 latency).

    So holds on a contended granule go to the agents that want them, oldest want first, and an agent
    whose SC follows its LL within the window fails at most ``n_agents - 1`` times in a row
    (proven for 2 agents, and for 3 agents with 1 idle cycle at most between their accesses;
    with longer gaps 3 agents can fail 3 times in a row, and 4 or more agents more than
    ``n_agents - 1`` times: README "Forward progress").

    Parameters
    ----------
    params : IocParams
        Subsystem configuration (``n_agents``, ``shm_bytes``, ``granule_log2``).

    Members
    -------
    valid : In(1)
        An access to the shared RAM is granted this cycle. The following are valid only then.
    agent : In(agent_bits)
        The agent that made it.
    addr : In(log2(shm_bytes))
        Its byte address within the shared RAM.
    ll, sc, store : In(1)
        Kind of access: load-linked (supported exclusive read), store-conditional (supported
        exclusive write) or plain store. At most one is set; a plain read sets none.
    req_valid, req_write, req_ll, grant : In(n_agents)
        The grant stage's requests (one per front end), whether each is a write that can
        change the shared RAM (a plain write or a supported exclusive write), whether each is
        an LL (a supported exclusive read of it), and the arbiter's grant.
    req_same : In(n_agents).array(n_agents)
        Bit *i* of ``req_same[k]``: request *k*'s granule equals reservation *i*'s (or the
        granule of an LL by *i* in this cycle, which ``granule_set`` announces).
    req_x_same : In(n_agents)
        Bit *k*: request *k*'s granule equals that of the access now at the monitor.
    blocked : Out(n_agents)
        Combinational: request *k* is a write to a granule another agent holds; the grant
        stage must not grant it this cycle. Always 0 when ``resv_hold_cycles`` is 0.
    hold : Out(n_agents)
        Which agents hold their reservation's granule (for waveforms and properties).
    same_granule : In(n_agents)
        Valid with ``valid``: bit *i* is 1 iff ``resv_granule[i]`` equals the granule of
        ``addr``. The caller computes it a cycle ahead (from ``resv_granule`` and
        ``granule_set``) and registers it, so that the compare is not in the path from the
        access to ``sc_ok`` and the reservations.
    resv_granule : Out(granule bits).array(n_agents)
        The granule of each reservation (meaningful while ``resv_valid[i]``).
    granule_set : Out(n_agents)
        Bit *i*: ``resv_granule[i]`` becomes the granule of ``addr`` at the end of this cycle
        (an LL by agent *i* that no clear cancels).
    sc_ok : Out(1)
        Combinational: the SC presented this cycle succeeds and must be written.
    clear : In(n_agents)
        Clear agent *i*'s reservation (a pulse, sampled every cycle).
    resv_valid : Out(n_agents)
        Reservation valid bits (for waveforms and formal properties).
    status : Out(MonitorStatusSignature)
        Last SC failure cause and LL / SC-ok / SC-fail counters, per agent.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        self._addr_bits = (params.shm_bytes - 1).bit_length()
        n = params.n_agents
        super().__init__({
            "valid": In(1),
            "agent": In(params.agent_bits),
            "addr": In(self._addr_bits),
            "ll": In(1),
            "sc": In(1),
            "store": In(1),
            "same_granule": In(n),
            "resv_granule": Out(self._addr_bits - params.granule_log2).array(n),
            "granule_set": Out(n),
            "sc_ok": Out(1),
            "clear": In(n),
            "resv_valid": Out(n),
            "status": Out(MonitorStatusSignature(n_agents=n)),
            "req_valid": In(n),
            "req_write": In(n),
            "req_ll": In(n),
            "grant": In(n),
            "req_same": In(n).array(n),
            "req_x_same": In(n),
            "blocked": Out(n),
            "hold": Out(n),
        })

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        p = self._params
        granule = self.addr[p.granule_log2:self._addr_bits]

        resv_granule = [Signal(len(granule), name=probes.reservation_granule(i))
                        for i in range(p.n_agents)]
        # Why reservation(i) is not valid: what a SC without a reservation reports.
        lost_cause = [Signal(ScFailCause, name=probes.reservation_lost(i),
                             init=ScFailCause.NO_RESERVATION)
                      for i in range(p.n_agents)]

        mine = [Signal(name=f"access_by_{i}") for i in range(p.n_agents)]
        hit = [Signal(name=f"resv{i}_hit") for i in range(p.n_agents)]
        for i in range(p.n_agents):
            m.d.comb += [
                mine[i].eq(self.valid & (self.agent == i)),
                hit[i].eq(self.resv_valid[i] & self.same_granule[i]),
                self.resv_granule[i].eq(resv_granule[i]),
                self.granule_set[i].eq(mine[i] & self.ll & ~self.clear[i]),
            ]
        # would_pass[i]: an SC by agent i would succeed now
        would_pass = [mine[i] & hit[i] & ~self.clear[i] for i in range(p.n_agents)]
        m.d.comb += self.sc_ok.eq(self.sc & Cat(would_pass).any())

        for i in range(p.n_agents):
            status_cause = self.status.cause[i]
            # Another agent's store, or its SC that succeeds, on i's granule: written out over
            # the other agents (the access is theirs, so i's own term drops out) to keep the
            # path from the access to i's reservation shallow.
            others_pass = Cat(would_pass[j] for j in range(p.n_agents) if j != i).any()
            conflict = (self.valid & ~mine[i] & hit[i] &
                        (self.store | (self.sc & others_pass)))
            own_ok = would_pass[i]
            with m.If(mine[i] & self.ll):
                m.d.sync += self.status.ll_count[i].eq(self.status.ll_count[i] + 1)
            with m.If(mine[i] & self.sc):
                with m.If(own_ok):
                    m.d.sync += self.status.sc_ok_count[i].eq(self.status.sc_ok_count[i] + 1)
                with m.Else():
                    m.d.sync += self.status.sc_fail_count[i].eq(self.status.sc_fail_count[i] + 1)

            with m.If(self.clear[i]):
                # PREEMPTED only when the clear drops a reservation (one held, or one set by an
                # LL in this very cycle); otherwise the agent simply has none.
                m.d.sync += self.resv_valid[i].eq(0)
                with m.If(mine[i] & self.sc):
                    m.d.sync += [
                        status_cause.eq(Mux(self.resv_valid[i], ScFailCause.PREEMPTED,
                                            lost_cause[i])),
                        lost_cause[i].eq(ScFailCause.NO_RESERVATION),
                    ]
                with m.Elif(self.resv_valid[i] | (mine[i] & self.ll)):
                    m.d.sync += lost_cause[i].eq(ScFailCause.PREEMPTED)
            with m.Elif(mine[i] & self.ll):
                m.d.sync += [
                    self.resv_valid[i].eq(1),
                    resv_granule[i].eq(granule),
                ]
            with m.Elif(mine[i] & self.sc):
                m.d.sync += [
                    self.resv_valid[i].eq(0),
                    lost_cause[i].eq(ScFailCause.NO_RESERVATION),
                ]
                with m.If(~own_ok):
                    with m.If(self.resv_valid[i]):
                        m.d.sync += status_cause.eq(ScFailCause.ADDRESS_MISMATCH)
                    with m.Else():
                        m.d.sync += status_cause.eq(lost_cause[i])
            with m.Elif(conflict):
                m.d.sync += [
                    self.resv_valid[i].eq(0),
                    lost_cause[i].eq(ScFailCause.CONFLICT),
                ]
        if p.resv_hold_cycles:
            self._holds(m, mine)
        return m

    def _holds(self, m, mine):
        """The forward-progress holds (see the class documentation)."""
        p = self._params
        n, window = p.n_agents, p.resv_hold_cycles
        hold = self.hold
        # cycles the hold / the want has left after this one (meaningful while it is set)
        hold_left = [Signal(range(window), name=probes.hold_state(i, "hold_left"))
                     for i in range(n)]
        want = Signal(n, name=probes.WANT)
        want_left = [Signal(range(window), name=probes.hold_state(i, "want_left"))
                     for i in range(n)]
        waiting = Signal(n, name=probes.WAITING)
        ll = [Signal(name=probes.hold_state(i, "ll")) for i in range(n)]
        for i in range(n):
            m.d.comb += ll[i].eq(mine[i] & self.ll & ~self.clear[i])

        # -- the LL now at the monitor: is it granted a hold? ----------------------------------
        # (a granule is compared with a want's by the reservation's granule, which an LL that
        # is refused a hold still sets, so a want names the granule of its agent's last LL)
        held_by_other = [Signal(name=probes.hold_state(i, "held_by_other")) for i in range(n)]
        for i in range(n):
            m.d.comb += held_by_other[i].eq(
                Cat(hold[j] & self.same_granule[j] for j in range(n) if j != i).any())
        # ovr[k][i]: agent i wanted a hold (and held none) when k's write began to wait, and
        # has made no LL since. Its next LL may take a hold on k's granule over the waiting
        # write (if it is the oldest want there: ``ahead``), as the write is stopped for it in
        # G that cycle (``blocked``)
        # (one flop per other agent: ovr[k][k] is a constant 0, which nothing reads)
        ovr_bit = [[Signal(name=f"waiting{k}_ovr{i}") if i != k else C(0, 1) for i in range(n)]
                   for k in range(n)]
        ovr = [Cat(bits) for bits in ovr_bit]
        over = [[Signal(name=probes.hold_over(i, k)) for k in range(n)] for i in range(n)]
        for i in range(n):
            for k in range(n):
                if k != i:
                    m.d.comb += over[i][k].eq(waiting[k] & self.req_x_same[k] & self.blocked[k] &
                                              ovr[k][i] & want[i])
        writer_waits = [Cat(waiting[k] & self.req_x_same[k] & ~over[i][k]
                            for k in range(n) if k != i).any() for i in range(n)]
        wanted_on = Signal(n, name="wanted_on_granule")
        m.d.comb += wanted_on.eq(want & self.same_granule)
        # older[j][i]: j has wanted a hold since before i did (kept only for j != i); an agent
        # that wants none yields to every agent that wants one
        older = [Signal(n, name=f"want_older{j}") for j in range(n)]
        ahead = [Signal(name=f"want_before{i}") for i in range(n)]
        for i in range(n):
            m.d.comb += ahead[i].eq(Cat(wanted_on[j] & (older[j][i] | ~want[i])
                                        for j in range(n) if j != i).any())
        take = Signal(n, name=probes.HOLD_TAKE)
        for i in range(n):
            m.d.comb += take[i].eq(ll[i] & ~held_by_other[i] & ~writer_waits[i] & ~ahead[i])

        # -- G: a write request to a granule another agent holds waits. Decided from one flop
        # per request (``stop``, computed a cycle ahead from what the other flops below will
        # hold), so that neither the granule compares nor the hold decision of X lengthen the
        # path through the arbiter into the front ends: for a request that was already
        # waiting last cycle, the conflict with the holds as they are now was computed then;
        # a request presented for the first time waits one cycle if another agent holds a
        # granule, to be checked exactly in the next; and a write waits while another agent's
        # LL is in X (``x_ll``, known from its grant), which may take a hold now, unless it
        # waits already (then no LL can take a hold on its granule). A hold is counted as it
        # will be (an LL in X: only if it takes one), conservatively (a hold that ends this
        # cycle still counts).
        pending = Signal(n, name="req_pending")      # request k waited in G last cycle
        x_ll = Signal(n, name="x_ll")                # another agent's LL is in X
        stop = Signal(n, name="req_stop")            # request k, if a write, waits
        hold_next = Signal(n, name="hold_next")
        for i in range(n):
            m.d.comb += hold_next[i].eq(Mux(ll[i], take[i], hold[i]))
        # a want made now is younger than every waiting writer
        new_want = Signal(n, name="want_new")
        m.d.comb += new_want.eq(Cat(ll[i] & ~take[i] for i in range(n)) & ~want)
        x_ll_by = Signal(n, name="x_ll_by")         # whose LL is in X
        m.d.comb += x_ll_by.eq(Cat(mine[i] & self.ll for i in range(n)))
        for k in range(n):
            others = [i for i in range(n) if i != k]
            pending_next = self.req_valid[k] & ~self.grant[k]
            conflict_next = Cat(hold_next[i] & self.req_same[k][i] for i in others).any()
            hold_any_next = Cat(hold_next[i] for i in others).any()
            x_ll_next = Cat(self.grant[i] & self.req_ll[i] for i in others).any()
            # a writer waits for a hold when its own granule is held (not for a first look);
            # while it waits, no LL takes a hold on its granule but the first LL of each agent
            # that wanted a hold (and held none) when it began to wait; only those LLs stop it
            waiting_next = Mux(self.blocked[k] & (pending[k] | x_ll[k]), 1,
                               waiting[k] & ~self.grant[k])
            ovr_next = Mux(waiting[k], ovr[k] & ~x_ll_by & ~new_want, want & ~hold_next)
            x_stop_next = Cat(self.grant[i] & self.req_ll[i] & (~waiting_next | ovr_next[i])
                              for i in others).any()
            m.d.comb += self.blocked[k].eq(self.req_valid[k] & self.req_write[k] & stop[k])
            m.d.sync += [
                pending[k].eq(pending_next),
                x_ll[k].eq(x_ll_next),
                waiting[k].eq(waiting_next),
                *(ovr_bit[k][i].eq(ovr_next[i]) for i in others),
                stop[k].eq(Mux(pending_next, conflict_next, hold_any_next) | x_stop_next),
            ]

        for i in range(n):
            # ends with the reservation, at the agent's own SC or LL, or after the window
            with m.If(take[i]):
                m.d.sync += [hold[i].eq(1), hold_left[i].eq(window - 1)]
            with m.Elif(self.clear[i] | (mine[i] & (self.ll | self.sc))):
                m.d.sync += hold[i].eq(0)
            with m.Elif(hold[i]):
                with m.If(hold_left[i] == 0):
                    m.d.sync += hold[i].eq(0)
                with m.Else():
                    m.d.sync += hold_left[i].eq(hold_left[i] - 1)
            with m.If(self.clear[i] | self.sc_ok & mine[i]):
                # an agent that succeeds goes to the back of the queue
                m.d.sync += want[i].eq(0)
            with m.Elif(ll[i] & ~take[i]):
                m.d.sync += [want[i].eq(1), want_left[i].eq(window - 1)]
                with m.If(~want[i]):
                    # a new want is the youngest; a renewed one keeps its age
                    m.d.sync += older[i].eq(0)
                    m.d.sync += [older[j][i].eq(1) for j in range(n) if j != i]
            with m.Elif(mine[i] & self.sc):
                m.d.sync += want_left[i].eq(window - 1)
            with m.Elif(want[i] & ~self.blocked[i]):
                with m.If(want_left[i] == 0):
                    m.d.sync += want[i].eq(0)
                with m.Else():
                    m.d.sync += want_left[i].eq(want_left[i] - 1)
