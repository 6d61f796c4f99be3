"""IOC mailbox + IPI controller: the register block of the subsystem (SPEC §3.4).

The address decoder and every access check are generated from :data:`ioc_defs.regmap.REGMAP`; this
module only supplies, per register, where its fields are read from (``_read_sources``) and what
an accepted write does (``elaborate``, keyed by register name).
"""

from amaranth.hdl import Array, C, Cat, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs import regmap
from ioc_defs.axi import WORD_SIZE
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, REG_SIZE, IocParams
from ioc_defs.regmap import REGMAP, RESP_OKAY, RESP_SLVERR, Check, Event

from .access import AccessSignature, MonitorStatusSignature

__all__ = ["IocMailbox"]

_N_EVENTS = len(Event)


def _compose(reg, values):
    """The 32-bit read value of ``reg`` from ``{field name: Value}`` (reserved bits are 0)."""
    parts, pos = [], 0
    for f in sorted(reg.fields, key=lambda f: f.offset):
        if f.offset > pos:
            parts.append(C(0, f.offset - pos))
        if f.access.readable:
            value = Value.cast(values[f.name])
            if len(value) < f.width:
                value = Cat(value, C(0, f.width - len(value)))
            parts.append(value[:f.width])
        else:
            parts.append(C(0, f.width))
        pos = f.offset + f.width
    if pos < DATA_WIDTH:
        parts.append(C(0, DATA_WIDTH - pos))
    return Cat(*parts)


class IocMailbox(wiring.Component):
    """Mailbox, doorbells, events, guest lifecycle, watchdogs and counters of the IOC subsystem.

    A two-stage pipeline taking one access per cycle on ``bus``. In the ``valid`` cycle (X) the
    access's form, register select and field limits are decoded and registered; in the next
    cycle (E) the checks against the state are made, and register writes, doorbells and
    acknowledges take effect at the clock edge that ends E; the answer is presented in the
    cycle after E (the response cycle). ``AGENT_CTRL.RESET``, ``CHANNEL_RESET`` and the
    ``BUS_ERROR`` event of a refused access are latched and act one edge later, at the end of
    the response cycle. A refused access (see :data:`ioc_defs.regmap.BAD_ACCESSES`) gets SLVERR and
    changes nothing. ``AxLOCK`` is ignored: exclusives are plain accesses.

    Only E reads or writes the state, so an access sees the effects of every access presented
    before it, however close: no forwarding, no stall.

    Parameters
    ----------
    params : IocParams
        Configuration of the subsystem.

    Members
    -------
    bus : In(AccessSignature)
        Granted accesses whose address lies in the register window. ``r_data`` and ``resp`` are
        valid two cycles after ``valid`` and zero otherwise (``resp`` is decoded from flops
        in that cycle).
    monitor : In(MonitorStatusSignature)
        LL/SC statistics of every agent, sampled in E, the cycle after ``valid``.
    bus_error : In(n_agents)
        Bit k pulses for one cycle when agent k got an error response outside the register
        block; it raises agent k's ``BUS_ERROR`` event at the end of that cycle.
    irq : Out(n_agents)
        ``irq[k]`` = OR of agent k's ``CH_STATUS`` and ``EV_STATUS`` bits, decoded from flops.
        A doorbell or an acknowledge shows in the response cycle of its access.
    agent_rst : Out(n_agents)
        ``agent_rst[k]`` is high for ``agent_rst_cycles`` cycles, from the third cycle after
        the ``valid`` cycle of a write of ``AGENT_CTRL[k].RESET``.

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`~ioc_defs.params.IocParams`.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        super().__init__({
            "bus": In(AccessSignature(agent_bits=params.agent_bits, addr_width=ADDR_WIDTH)),
            "monitor": In(MonitorStatusSignature(n_agents=params.n_agents)),
            "bus_error": In(params.n_agents),
            "irq": Out(params.n_agents),
            "agent_rst": Out(params.n_agents),
        })

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        p = self._params
        na, nc, nw = p.n_agents, p.n_channels, p.n_watchdogs
        bus = self.bus

        s = _State(p)
        ep_a, ep_b, ch_on, epoch = s.ep_a, s.ep_b, s.ch_on, s.epoch
        ch_pend, ch_ena, ev_pend, ev_ena = s.ch_pend, s.ch_ena, s.ev_pend, s.ev_ena
        rst_cnt, wd_period, wd_on, wd_sup = s.rst_cnt, s.wd_period, s.wd_on, s.wd_sup
        wd_mask, wd_count, wd_expired = s.wd_mask, s.wd_count, s.wd_expired

        for k in range(na):
            m.d.comb += [
                self.irq[k].eq((ch_pend[k] & ch_ena[k]).any() | (ev_pend[k] & ev_ena[k]).any()),
                self.agent_rst[k].eq(s.in_reset[k]),
            ]

        # -- decoder and access checks, generated from the register map -------------------------
        # X (the cycle ``bus.valid`` is high): what depends on the access alone (form, register
        # selects, field limits) is computed and registered. E (the next cycle): the checks
        # that depend on the state, the effects and the read value. The state is read and
        # written only in E, so consecutive accesses need neither forwarding nor stalls.
        e = _Stage(m, bus)

        def x_field(reg, name):
            f = reg.field(name)
            return bus.w_data[f.offset:f.offset + f.width]

        def w_field(reg, name):
            f = reg.field(name)
            return e.w_data[f.offset:f.offset + f.width]

        # Per-channel terms depend only on the state and the caller, so they are computed in
        # parallel with the registered decode instead of after a mux on the written channel.
        db_ch = w_field(REGMAP["DOORBELL"], "CHANNEL")
        db_sel = Signal(nc, name="doorbell_channel_q")
        db_ok = Signal(nc)
        m.d.sync += db_sel.eq(Cat(x_field(REGMAP["DOORBELL"], "CHANNEL") == c
                                  for c in range(nc)))
        for c in range(nc):
            m.d.comb += db_ok[c].eq(ch_on[c] & s.is_endpoint(c, e.agent))
        checks = {
            Check.DOORBELL_ENDPOINT: lambda i: (db_sel & db_ok).any(),
            Check.EPOCH_READER: lambda i: e.priv | s.is_endpoint(i, e.agent),
            Check.KICK_PERMITTED: lambda i: e.priv | wd_mask[i].bit_select(e.agent, 1),
        }
        sources = self._read_sources(s, e)

        # The decode and checks are factorized to keep the logic shallow: each register (or
        # array) is selected by the address bits above its index, the direction and privilege
        # conditions are shared by the registers of one kind, and only the registers with a
        # limit or a specific check add terms that depend on the data or the state.
        form_ok = Signal(name="form_ok_q")
        m.d.sync += form_ok.eq((bus.size == WORD_SIZE) & (bus.addr[:2] == 0) &
                               (~bus.write | (bus.w_strb == 0b1111)))
        word_bits = (REG_SIZE - 1).bit_length()
        kinds, dyn_bad, reads, wr, sels = {}, [], [], {}, {}
        for reg in REGMAP:
            entries = range(reg.count(p))
            if not entries:
                continue
            sel = sels[reg.name] = Signal(name=f"sel_{reg.name.lower()}_q")
            if reg.array is None:
                m.d.sync += sel.eq(bus.addr[2:word_bits] == reg.offset // 4)
                hit = [sel]
            else:
                lo, hi = reg.index_bits
                index = bus.addr[lo:hi]
                above = (bus.addr[hi:word_bits] == reg.offset >> hi) & (
                    bus.addr[2:lo] == (reg.offset & ((1 << lo) - 1)) >> 2)
                m.d.sync += sel.eq(above & (index < len(entries)))
                hit = [Signal(name=f"hit_{reg.name.lower()}_{i}_q") for i in entries]
                for i in entries:
                    m.d.sync += hit[i].eq(above & (index == i))
            static = C(1)
            if not reg.writable:
                static &= ~e.write
            if not reg.readable:
                static &= e.write
            if reg.priv_write:
                static &= ~e.write | e.priv
            kinds.setdefault((reg.readable, reg.writable, reg.priv_write),
                             (static, []))[1].append(sel)
            dynamic = C(1)
            limits = [x_field(reg, f.name) < getattr(p, f.limit)
                      for f in reg.fields if f.limit is not None]
            if limits:
                limit_ok = Signal(name=f"limit_ok_{reg.name.lower()}_q")
                m.d.sync += limit_ok.eq(~bus.write | Cat(limits).all())
                dynamic &= limit_ok
            if reg.check is not None:
                dynamic &= Cat(hit[i] & checks[reg.check](i) for i in entries).any()
            ok = Signal(name=f"ok_{reg.name.lower()}")
            m.d.comb += ok.eq(dynamic)
            dyn_bad.append(sel & ~ok)
            for i in entries:
                wr[reg.name, i] = Signal(name=f"wr_{reg.name.lower()}_{i}")
                m.d.comb += wr[reg.name, i].eq(
                    e.valid & e.write & form_ok & static & hit[i] & ok)
                if reg.readable:
                    read_ok = hit[i] if reg.check is None else hit[i] & checks[reg.check](i)
                    reads.append(Mux(read_ok, _compose(reg, sources(reg, i)), 0))
        static_ok = Cat(Cat(selects).any() & cond for cond, selects in kinds.values()).any()
        # The reasons for refusal are registered separately and ORed in the response cycle:
        # this keeps their OR out of the path from the bus to the flops.
        reasons = Cat(~form_ok, ~static_ok, *dyn_bad)
        reasons_q = Signal(len(reasons))
        agent_q = Signal.like(bus.agent)
        refused = Signal()
        m.d.sync += [
            reasons_q.eq(Mux(e.valid, reasons, 0)),
            agent_q.eq(e.agent),
            # equal to gating with the refusal: a selected, readable, well-formed read that
            # passed its check is accepted
            bus.r_data.eq(Mux(e.valid & ~e.write & form_ok, _or_tree(reads), 0)),
        ]
        m.d.comb += [
            refused.eq(reasons_q.any()),
            bus.resp.eq(Mux(refused, RESP_SLVERR, RESP_OKAY)),
        ]

        # -- side effects of accepted writes, and time ------------------------------------------
        def wr1(name):
            return wr[name, 0]

        def agent_is(k):
            return e.agent == k

        ch_set = [Signal(nc, name=f"a{k}_ch_set") for k in range(na)]
        ch_clr = [Signal(nc, name=f"a{k}_ch_clr") for k in range(na)]
        ev_set = [Signal(_N_EVENTS, name=f"a{k}_ev_set") for k in range(na)]
        ev_clr = [Signal(_N_EVENTS, name=f"a{k}_ev_clr") for k in range(na)]
        wd_exp_set = Signal(max(nw, 1))
        epoch_bump = Signal(nc)

        # DOORBELL on channel c sets c at agent k iff the caller is one endpoint and k the other
        # (which implies the channel check): computed per (k, c) from the state, in parallel
        # with the decode, so that irq follows in the next cycle without a deep path.
        db_fire = e.valid & e.write & form_ok & sels["DOORBELL"]

        def rings(k, c):
            return ch_on[c] & (((e.agent == ep_a[c]) & (ep_b[c] == k)) |
                               ((e.agent == ep_b[c]) & (ep_a[c] == k)))

        # AGENT_CTRL[t].RESET and CHANNEL_RESET are latched and act at the end of the next
        # cycle (their fan-out to every channel and agent would be too deep for one cycle).
        ac = REGMAP["AGENT_CTRL"]
        ar_lo, _ = ac.index_bits
        ar_q = Signal(name="agent_reset_q")
        ar_t = Signal(p.agent_bits, name="agent_reset_target_q")
        # the AGENT_CTRL index is the only part of the address E needs
        ctrl_index = Signal(p.agent_bits, name="agent_ctrl_index_q")
        m.d.sync += ctrl_index.eq(bus.addr[ar_lo:ar_lo + p.agent_bits])
        cr_q = Signal(name="channel_reset_q")
        cr_ch = Signal(len(db_ch), name="channel_reset_channel_q")
        m.d.sync += [
            ar_q.eq(Cat(wr["AGENT_CTRL", t] & w_field(ac, "RESET")[0] for t in range(na)).any()),
            ar_t.eq(ctrl_index),
            cr_q.eq(wr1("CHANNEL_RESET")),
            cr_ch.eq(w_field(REGMAP["CHANNEL_RESET"], "CHANNEL")),
        ]
        ar_fire = [ar_q & (ar_t == k) for k in range(na)]
        # channels of t that are enabled: epoch bump, PEER_RESET at the other endpoint
        ar_hit = Signal(nc)
        ar_other = [Mux(ep_a[c] == ar_t, ep_b[c], ep_a[c]) for c in range(nc)]
        for c in range(nc):
            m.d.comb += [
                ar_hit[c].eq(ar_q & ch_on[c] & ((ep_a[c] == ar_t) | (ep_b[c] == ar_t))),
                epoch_bump[c].eq((cr_q & (cr_ch == c)) | ar_hit[c]),
            ]
            with m.If(epoch_bump[c]):
                m.d.sync += epoch[c].eq(epoch[c] + 1)

        def w_events(name):
            return Cat(w_field(REGMAP[name], e.name) for e in Event)

        all_ch, all_ev = (1 << nc) - 1, (1 << _N_EVENTS) - 1
        ch_w1c, ev_w1c = w_field(REGMAP["CH_PENDING"], "CH")[:nc], w_events("EV_PENDING")
        for k in range(na):
            peer_reset = (
                Cat(cr_q & (cr_ch == c) & ((ep_a[c] == k) | (ep_b[c] == k))
                    for c in range(nc)).any() |
                (Cat(ar_hit[c] & (ar_other[c] == k) for c in range(nc)).any() & (ar_t != k)))
            wd_event = Cat(wd_exp_set[w] & (wd_sup[w] == k) for w in range(nw)).any()
            # a refused access raises its agent's BUS_ERROR event in its response cycle
            own_error = (refused & (agent_q == k)) | self.bus_error[k]
            m.d.comb += [
                ch_set[k].eq(Cat(db_fire & db_sel[c] & rings(k, c) for c in range(nc))),
                ch_clr[k].eq(Mux(ar_fire[k], all_ch,
                                 Mux(wr1("CH_PENDING") & agent_is(k), ch_w1c, 0))),
                ev_set[k].eq(Cat(wd_event, peer_reset, own_error)),
                ev_clr[k].eq(Mux(ar_fire[k], all_ev,
                                 Mux(wr1("EV_PENDING") & agent_is(k), ev_w1c, 0))),
            ]
            # A set and a clear of the same bit in the same cycle: the set wins.
            m.d.sync += [
                ch_pend[k].eq((ch_pend[k] & ~ch_clr[k]) | ch_set[k]),
                ev_pend[k].eq((ev_pend[k] & ~ev_clr[k]) | ev_set[k]),
            ]
            with m.If(ar_fire[k]):
                m.d.sync += [ch_ena[k].eq(0), ev_ena[k].eq(0)]
            with m.If(wr1("CH_ENABLE") & agent_is(k)):
                m.d.sync += ch_ena[k].eq(w_field(REGMAP["CH_ENABLE"], "CH")[:nc])
            with m.If(wr1("EV_ENABLE") & agent_is(k)):
                m.d.sync += ev_ena[k].eq(w_events("EV_ENABLE"))
            with m.If(ar_fire[k]):
                m.d.sync += [rst_cnt[k].eq(p.agent_rst_cycles - 1), s.in_reset[k].eq(1)]
            with m.Elif(rst_cnt[k] != 0):
                m.d.sync += rst_cnt[k].eq(rst_cnt[k] - 1)
            with m.Else():
                m.d.sync += s.in_reset[k].eq(0)

        cfg = REGMAP["CH_CFG"]
        for c in range(nc):
            with m.If(wr["CH_CFG", c]):
                m.d.sync += [
                    ep_a[c].eq(w_field(cfg, "EP_A")),
                    ep_b[c].eq(w_field(cfg, "EP_B")),
                    ch_on[c].eq(w_field(cfg, "ENABLE")),
                ]

        ctrl = REGMAP["WDOG_CTRL"]
        for w in range(nw):
            start = wr["WDOG_CTRL", w] & w_field(ctrl, "ENABLE")[0] & ~wd_on[w]
            with m.If(wr["WDOG_PERIOD", w]):
                m.d.sync += wd_period[w].eq(w_field(REGMAP["WDOG_PERIOD"], "PERIOD"))
            with m.If(wr["WDOG_CTRL", w]):
                m.d.sync += [
                    wd_on[w].eq(w_field(ctrl, "ENABLE")),
                    wd_sup[w].eq(w_field(ctrl, "SUPERVISOR")),
                    wd_mask[w].eq(w_field(ctrl, "KICK_MASK")),
                ]
            # expiry depends on the state only: a kick in the same cycle does not prevent it
            m.d.comb += wd_exp_set[w].eq(wd_on[w] & (wd_count[w] <= 1))
            with m.If(wr["WDOG_KICK", w] | start | wd_exp_set[w]):
                m.d.sync += wd_count[w].eq(wd_period[w])
            with m.Elif(wd_on[w]):
                m.d.sync += wd_count[w].eq(wd_count[w] - 1)
        wd_exp_clr = Mux(wr1("WDOG_EXPIRED"),
                         w_field(REGMAP["WDOG_EXPIRED"], "WDOG")[:len(wd_expired)], 0)
        m.d.sync += wd_expired.eq((wd_expired & ~wd_exp_clr) | wd_exp_set)

        # Two 32-bit halves: the high one increments on a flag registered the cycle before the
        # low one wraps, so no carry runs through all 64 bits in one cycle.
        lo, hi = s.cycle[:32], s.cycle[32:]
        lo_wraps = Signal(name="cycle_lo_wraps")
        m.d.sync += [lo.eq(lo + 1), lo_wraps.eq(lo == 0xFFFF_FFFE)]
        with m.If(lo_wraps):
            m.d.sync += hi.eq(hi + 1)
        return m

    def _read_sources(self, s, e):
        """``sources(reg, i)`` -> ``{field name: Value}`` for every readable field of ``reg``,
        as read in stage E by the access ``e``."""
        p, mon = self._params, self.monitor
        agent = e.agent
        ep_a, ep_b, ch_on, ch_pend = s.ep_a, s.ep_b, s.ch_on, s.ch_pend

        def tx_pending():
            bits = []
            for c in range(p.n_channels):
                peer = Mux(agent == ep_a[c], ep_b[c], ep_a[c])
                bits.append(ch_on[c] & s.is_endpoint(c, agent) &
                            Array(ch_pend[k][c] for k in range(p.n_agents))[peer])
            return Cat(bits)

        table = {
            "ID": lambda i: {"VERSION_MINOR": regmap.VERSION_MINOR,
                             "VERSION_MAJOR": regmap.VERSION_MAJOR, "MAGIC": regmap.ID_MAGIC},
            "CONFIG": lambda i: {"N_AGENTS": p.n_agents, "N_CHANNELS": p.n_channels,
                                 "N_WATCHDOGS": p.n_watchdogs, "GRANULE_LOG2": p.granule_log2},
            "SHM_SIZE": lambda i: {"BYTES": C(p.shm_bytes, 32)},
            "RST_CFG": lambda i: {"AGENT_RST_CYCLES": p.agent_rst_cycles},
            "WHOAMI": lambda i: {"AGENT": agent, "PRIV": e.priv},
            "IRQ_STATUS": lambda i: {"IRQ": self.irq},
            "CYCLE_LO": lambda i: {"COUNT": s.cycle[:32]},
            "CYCLE_HI": lambda i: {"COUNT": s.cycle[32:]},
            "CH_PENDING": lambda i: {"CH": ch_pend[agent]},
            "CH_ENABLE": lambda i: {"CH": s.ch_ena[agent]},
            "CH_STATUS": lambda i: {"CH": ch_pend[agent] & s.ch_ena[agent]},
            "TX_PENDING": lambda i: {"CH": tx_pending()},
            "EV_PENDING": lambda i: _events(s.ev_pend[agent]),
            "EV_ENABLE": lambda i: _events(s.ev_ena[agent]),
            "EV_STATUS": lambda i: _events(s.ev_pend[agent] & s.ev_ena[agent]),
            "WDOG_EXPIRED": lambda i: {"WDOG": s.wd_expired[:p.n_watchdogs]
                                       if p.n_watchdogs else 0},
            "CH_CFG": lambda i: {"EP_A": ep_a[i], "EP_B": ep_b[i], "ENABLE": ch_on[i]},
            "EPOCH": lambda i: {"EPOCH": s.epoch[i]},
            "AGENT_CTRL": lambda i: {"IN_RESET": self.agent_rst[i]},
            "WDOG_PERIOD": lambda i: {"PERIOD": s.wd_period[i]},
            "WDOG_CTRL": lambda i: {"ENABLE": s.wd_on[i], "SUPERVISOR": s.wd_sup[i],
                                    "KICK_MASK": s.wd_mask[i]},
            "WDOG_COUNT": lambda i: {"COUNT": s.wd_count[i]},
            "SC_CAUSE": lambda i: {"CAUSE": mon.cause[i]},
            "LL_COUNT": lambda i: {"COUNT": mon.ll_count[i]},
            "SC_OK_COUNT": lambda i: {"COUNT": mon.sc_ok_count[i]},
            "SC_FAIL_COUNT": lambda i: {"COUNT": mon.sc_fail_count[i]},
        }

        def sources(reg, i):
            return table[reg.name](i)
        return sources


def _or_tree(values):
    """Bitwise OR of ``values`` as a balanced tree (they are one-hot selected read values)."""
    values = list(values)
    while len(values) > 1:
        values = [values[j] | values[j + 1] if j + 1 < len(values) else values[j]
                  for j in range(0, len(values), 2)]
    return values[0]


class _Stage:
    """The access of stage E: the members of ``bus`` that E uses, registered from X."""

    def __init__(self, m, bus):
        for name in ("valid", "agent", "write", "w_data", "priv"):
            reg = Signal.like(getattr(bus, name), name=f"e_{name}")
            m.d.sync += reg.eq(getattr(bus, name))
            setattr(self, name, reg)


class _State:
    """The storage elements of the register block."""

    def __init__(self, p):
        na, nc, nw = p.n_agents, p.n_channels, p.n_watchdogs
        self.ep_a = Array(Signal(p.agent_bits, name=f"ch{c}_ep_a") for c in range(nc))
        self.ep_b = Array(Signal(p.agent_bits, name=f"ch{c}_ep_b") for c in range(nc))
        self.ch_on = Signal(nc)
        self.epoch = [Signal(regmap.EPOCH_WIDTH, name=f"ch{c}_epoch") for c in range(nc)]
        self.ch_pend = Array(Signal(nc, name=f"a{k}_ch_pending") for k in range(na))
        self.ch_ena = Array(Signal(nc, name=f"a{k}_ch_enable") for k in range(na))
        self.ev_pend = Array(Signal(_N_EVENTS, name=f"a{k}_ev_pending") for k in range(na))
        self.ev_ena = Array(Signal(_N_EVENTS, name=f"a{k}_ev_enable") for k in range(na))
        # agent_rst[k] straight from a flop (it clears reservations in the LL/SC monitor's
        # cycle); rst_cnt[k] counts the pulse's cycles after the first
        self.in_reset = [Signal(name=f"a{k}_in_reset") for k in range(na)]
        self.rst_cnt = [Signal(range(p.agent_rst_cycles), name=f"a{k}_rst_cnt")
                        for k in range(na)]
        self.wd_period = [Signal(32, name=f"wd{w}_period") for w in range(nw)]
        self.wd_on = [Signal(name=f"wd{w}_enable") for w in range(nw)]
        self.wd_sup = [Signal(p.agent_bits, name=f"wd{w}_supervisor") for w in range(nw)]
        self.wd_mask = [Signal(na, name=f"wd{w}_kick_mask") for w in range(nw)]
        self.wd_count = [Signal(32, name=f"wd{w}_count") for w in range(nw)]
        self.wd_expired = Signal(max(nw, 1))
        self.cycle = Signal(64)

    def is_endpoint(self, c, agent):
        return (agent == self.ep_a[c]) | (agent == self.ep_b[c])


def _events(bits):
    return {e.name: bits[int(e)] for e in Event}
