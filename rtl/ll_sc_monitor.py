"""SH-4A style LL/SC reservation monitor (``movli.l`` / ``movco.l`` as AXI exclusive accesses)."""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

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
        })

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        p = self._params
        granule = self.addr[p.granule_log2:self._addr_bits]

        resv_granule = [Signal(len(granule), name=f"resv{i}_granule") for i in range(p.n_agents)]
        # Why reservation(i) is not valid: what a SC without a reservation reports.
        lost_cause = [Signal(ScFailCause, name=f"resv{i}_lost", init=ScFailCause.NO_RESERVATION)
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
        return m
