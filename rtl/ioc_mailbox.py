"""IOC mailbox + IPI controller: the register block of the subsystem (SPEC §3.4).

The address decoder and every access check are generated from :data:`ioc_defs.regmap.REGMAP`; this
module only supplies, per register, where its fields are read from (``_read_sources``) and what
an accepted write does (``elaborate``, keyed by register name).
"""

from amaranth.hdl import Array, C, Cat, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ioc_defs import probes, regmap
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
    before it, however close: no stall, and no forwarding but one: the message FIFOs' block
    RAM is read in X, at the read pointer as the access in E leaves it (see ``_Fifos``).

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

        e = _Stage(m, bus)
        ff = _Fifos(m, p, s, e, bus) if p.fifo_depth else None
        for k in range(na):
            status = [ch_pend[k] & ch_ena[k], ev_pend[k] & ev_ena[k]]
            if ff is not None:
                status += [ff.tx_pend[k] & ff.tx_ena[k], ff.rx_pend[k] & ff.rx_ena[k]]
            m.d.comb += [
                self.irq[k].eq(Cat(x.any() for x in status).any()),
                self.agent_rst[k].eq(s.in_reset[k]),
            ]

        # -- decoder and access checks, generated from the register map -------------------------
        # X (the cycle ``bus.valid`` is high): what depends on the access alone (form, register
        # selects, field limits) is computed and registered. E (the next cycle): the checks
        # that depend on the state, the effects and the read value. The state is read and
        # written only in E, so consecutive accesses need neither forwarding nor stalls.
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
            Check.FIFO_DATA: lambda i: Mux(e.write, ff.push_ok[i], ff.pop_ok[i]),
            Check.FIFO_READER: lambda i: e.priv | s.is_endpoint(i // 2, e.agent),
        }
        sources = self._read_sources(s, e, ff)

        # The decode and checks are factorized to keep the logic shallow: each register (or
        # array) is selected by the address bits above its index, the direction and privilege
        # conditions are shared by the registers of one kind, and only the registers with a
        # limit or a specific check add terms that depend on the data or the state.
        form_ok = Signal(name=probes.FORM_OK)
        m.d.sync += form_ok.eq((bus.size == WORD_SIZE) & (bus.addr[:2] == 0) &
                               (~bus.write | (bus.w_strb == 0b1111)))
        word_bits = (REG_SIZE - 1).bit_length()
        kinds, dyn_bad, reads, wr, sels, hits = {}, [], [], {}, {}, {}
        for reg in REGMAP:
            entries = range(reg.count(p))
            if not entries:
                continue
            sel = sels[reg.name] = Signal(name=probes.register_select(reg.name))
            if reg.array is None:
                m.d.sync += sel.eq(bus.addr[2:word_bits] == reg.offset // 4)
                hit = hits[reg.name] = [sel]
            else:
                lo, hi = reg.index_bits
                index = bus.addr[lo:hi]
                above = (bus.addr[hi:word_bits] == reg.offset >> hi) & (
                    bus.addr[2:lo] == (reg.offset & ((1 << lo) - 1)) >> 2)
                m.d.sync += sel.eq(above & (index < len(entries)))
                hit = hits[reg.name] = [Signal(name=probes.register_hit(reg.name, i))
                                        for i in entries]
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
        r_data_q = Signal(DATA_WIDTH, name="r_data_q")
        m.d.sync += [
            reasons_q.eq(Mux(e.valid, reasons, 0)),
            agent_q.eq(e.agent),
            # equal to gating with the refusal: a selected, readable, well-formed read that
            # passed its check is accepted
            r_data_q.eq(Mux(e.valid & ~e.write & form_ok, _or_tree(reads), 0)),
        ]
        # a received FIFO word comes from the block RAM through its own register (see _Fifos)
        m.d.comb += bus.r_data.eq(r_data_q if ff is None else r_data_q | ff.r_data)
        m.d.comb += [
            refused.eq(reasons_q.any()),
            bus.resp.eq(Mux(refused, RESP_SLVERR, RESP_OKAY)),
        ]

        # -- side effects of accepted writes, and time ------------------------------------------
        def wr1(name):
            return wr[name, 0]

        def agent_is(k):
            return e.agent == k

        ch_set = [Signal(nc, name=probes.agent_state(k, "ch_set")) for k in range(na)]
        ch_clr = [Signal(nc, name=probes.agent_state(k, "ch_clr")) for k in range(na)]
        ev_set = [Signal(_N_EVENTS, name=probes.agent_state(k, "ev_set"))
                  for k in range(na)]
        ev_clr = [Signal(_N_EVENTS, name=probes.agent_state(k, "ev_clr"))
                  for k in range(na)]
        wd_exp_set = Signal(max(nw, 1), name=probes.WATCHDOG_EXPIRES)
        epoch_bump = Signal(nc, name=probes.EPOCH_BUMP)

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
        ar_q = Signal(name=probes.AGENT_RESET)
        ar_t = Signal(p.agent_bits, name=probes.AGENT_RESET_TARGET)
        # the AGENT_CTRL index is the only part of the address E needs
        ctrl_index = Signal(p.agent_bits, name="agent_ctrl_index_q")
        m.d.sync += ctrl_index.eq(bus.addr[ar_lo:ar_lo + p.agent_bits])
        cr_q = Signal(name=probes.CHANNEL_RESET)
        cr_ch = Signal(len(db_ch), name=probes.CHANNEL_RESET_CHANNEL)
        m.d.sync += [
            ar_q.eq(Cat(wr["AGENT_CTRL", t] & w_field(ac, "RESET")[0] for t in range(na)).any()),
            ar_t.eq(ctrl_index),
            cr_q.eq(wr1("CHANNEL_RESET")),
            cr_ch.eq(w_field(REGMAP["CHANNEL_RESET"], "CHANNEL")),
        ]
        ar_fire = [ar_q & (ar_t == k) for k in range(na)]
        # channels of t that are enabled: epoch bump, PEER_RESET at the other endpoint
        ar_hit = Signal(nc, name=probes.AGENT_RESET_CHANNELS)
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

        if ff is not None:
            ff.perform(m, e, form_ok, wr, sels, hits, epoch_bump, ar_fire)

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
        lo_wraps = Signal(name=probes.CYCLE_LO_WRAPS)
        m.d.sync += [lo.eq(lo + 1), lo_wraps.eq(lo == 0xFFFF_FFFE)]
        with m.If(lo_wraps):
            m.d.sync += hi.eq(hi + 1)
        return m

    def _read_sources(self, s, e, ff):
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
            **{name: (lambda i, fields=fields: fields)
               for name, fields in regmap.configuration_fields(p).items()},
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
        if ff is not None:
            table.update(ff.read_table(agent))

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
            reg = Signal.like(getattr(bus, name), name=probes.stage_e(name))
            m.d.sync += reg.eq(getattr(bus, name))
            setattr(self, name, reg)


def _banked(na, width, what):
    """Agent-banked state ``what`` of the register block: one ``width``-bit register per
    agent, named as :func:`ioc_defs.probes.agent_state` says."""
    return Array(Signal(width, name=probes.agent_state(k, what)) for k in range(na))


class _State:
    """The storage elements of the register block."""

    def __init__(self, p):
        na, nc, nw = p.n_agents, p.n_channels, p.n_watchdogs
        self.ep_a, self.ep_b = (Array(Signal(p.agent_bits, name=probes.channel_endpoint(c, side))
                                      for c in range(nc)) for side in ("a", "b"))
        self.ch_on = Signal(nc, name=probes.CHANNEL_ON)
        self.epoch = [Signal(regmap.EPOCH_WIDTH, name=probes.channel_epoch(c))
                      for c in range(nc)]
        self.ch_pend, self.ch_ena = _banked(na, nc, "ch_pending"), _banked(na, nc, "ch_enable")
        self.ev_pend = _banked(na, _N_EVENTS, "ev_pending")
        self.ev_ena = _banked(na, _N_EVENTS, "ev_enable")
        # agent_rst[k] straight from a flop (it clears reservations in the LL/SC monitor's
        # cycle); rst_cnt[k] counts the pulse's cycles after the first
        self.in_reset = [Signal(name=probes.agent_state(k, "in_reset")) for k in range(na)]
        self.rst_cnt = [Signal(range(p.agent_rst_cycles),
                               name=probes.agent_state(k, "rst_cnt"))
                        for k in range(na)]
        self.wd_period = [Signal(32, name=probes.watchdog(w, "period")) for w in range(nw)]
        self.wd_on = [Signal(name=probes.watchdog(w, "enable")) for w in range(nw)]
        self.wd_sup = [Signal(p.agent_bits, name=probes.watchdog(w, "supervisor"))
                       for w in range(nw)]
        self.wd_mask = [Signal(na, name=probes.watchdog(w, "kick_mask")) for w in range(nw)]
        self.wd_count = [Signal(32, name=probes.watchdog(w, "count")) for w in range(nw)]
        self.wd_expired = Signal(max(nw, 1), name=probes.WATCHDOG_EXPIRED)
        self.cycle = Signal(64, name=probes.CYCLE)

    def is_endpoint(self, c, agent):
        return (agent == self.ep_a[c]) | (agent == self.ep_b[c])


class _Fifos:
    """The message FIFOs (SPEC 3.5): one block of memory holds every FIFO (FIFO f at words
    ``[f * fifo_depth, (f + 1) * fifo_depth)``); per FIFO, write and read pointers, the level
    (a register, so that empty, full and the threshold compares come straight from flops), the
    dropped-word count and the thresholds; per agent, the banked send/receive-threshold pending
    and enable bits and the sticky error bits.

    A receive reads the memory in X, at the FIFO's read pointer as the access in E leaves it
    (a receive from the same FIFO in E is forwarded: the pointer plus one; a send in E to the
    slot being read is forwarded by the memory's transparency), so the word is in a register
    straight after the block RAM at the end of E, and ORed into the answer in the next cycle:
    no logic between the RAM's output and a register, no stall. Every check and effect is in
    E, from the state, as for the other registers.
    """

    def __init__(self, m, p, s, e, bus):
        na, nc, nf, depth = p.n_agents, p.n_channels, p.n_fifos, p.fifo_depth
        self._p, self._s = p, s
        self.aw = aw = depth.bit_length() - 1
        pw = aw + 1
        fbits = (nf - 1).bit_length()
        self.wr_ptr = Array(Signal(aw, name=probes.fifo_state(f, "wr_ptr")) for f in range(nf))
        self.rd_ptr = Array(Signal(aw, name=probes.fifo_state(f, "rd_ptr")) for f in range(nf))
        self.dropped = [Signal(regmap.FIFO_DROPPED_WIDTH, name=probes.fifo_state(f, "dropped"))
                        for f in range(nf)]
        self.send_th = [Signal(aw, name=probes.fifo_state(f, "send_threshold")) for f in range(nf)]
        self.recv_th = [Signal(aw, name=probes.fifo_state(f, "recv_threshold")) for f in range(nf)]
        self.level = [Signal(pw, name=probes.fifo_state(f, "level")) for f in range(nf)]
        self.empty, self.full = (Signal(nf, name=probes.fifo_bits(x)) for x in ("empty", "full"))
        for f in range(nf):
            m.d.comb += [
                self.empty[f].eq(self.level[f] == 0),
                self.full[f].eq(self.level[f] == depth),
            ]

        def banked(what):
            return _banked(na, nc, f"fifo_{what}")
        self.tx_pend, self.tx_ena = banked("tx_pending"), banked("tx_enable")
        self.rx_pend, self.rx_ena = banked("rx_pending"), banked("rx_enable")
        self.error = banked("error")

        # FIFO 2c goes from endpoint A to B, FIFO 2c+1 from B to A
        self.sender = [(s.ep_a if f % 2 == 0 else s.ep_b)[f // 2] for f in range(nf)]
        self.receiver = [(s.ep_b if f % 2 == 0 else s.ep_a)[f // 2] for f in range(nf)]
        # the checks depend on the state and the caller only: in parallel with the decode
        self.is_sender = Signal(nf, name=probes.fifo_bits("is_sender"))
        self.is_receiver = Signal(nf, name=probes.fifo_bits("is_receiver"))
        self.push_ok = Signal(nf, name=probes.fifo_bits("push_ok"))
        self.pop_ok = Signal(nf, name=probes.fifo_bits("pop_ok"))
        self.may_receive = Signal(nf, name=probes.fifo_bits("may_receive"))
        for f in range(nf):
            on = s.ch_on[f // 2]
            m.d.comb += [
                self.is_sender[f].eq(e.agent == self.sender[f]),
                self.is_receiver[f].eq(e.agent == self.receiver[f]),
                self.push_ok[f].eq(on & self.is_sender[f] & ~self.full[f]),
                self.may_receive[f].eq(on & self.is_receiver[f]),
                self.pop_ok[f].eq(self.may_receive[f] & ~self.empty[f]),
            ]
        self.push, self.pop = (Signal(nf, name=probes.fifo_bits(x)) for x in ("push", "pop"))

        # the FIFO index is the same address bits in every FIFO register array
        lo, _ = REGMAP["FIFO_DATA"].index_bits
        index_x = bus.addr[lo:lo + fbits]
        self.index_e = Signal(fbits, name="fifo_index_q")
        m.d.sync += self.index_e.eq(index_x)
        m.submodules.fifo_mem = mem = Memory(shape=DATA_WIDTH, depth=nf * depth, init=[])
        self._wr_port = mem.write_port()
        rd_port = mem.read_port(transparent_for=(self._wr_port,))
        # set in perform(), from the access in E
        self.forward = forward = Signal(name=probes.fifo_bits("forward"))
        self.index_x = index_x
        rd_ptr = self.rd_ptr[index_x]
        m.d.comb += [
            rd_port.addr.eq(Cat(Mux(forward, rd_ptr + 1, rd_ptr)[:aw], index_x)),
            rd_port.en.eq(bus.valid & ~bus.write),
        ]
        word_q, pop_q = Signal(DATA_WIDTH, name="fifo_word_q"), Signal(name="fifo_pop_q")
        m.d.sync += [word_q.eq(rd_port.data), pop_q.eq(self.pop.any())]
        #: the received word in the response cycle (0 if the access was no receive)
        self.r_data = Mux(pop_q, word_q, 0)

    def perform(self, m, e, form_ok, wr, sels, hits, flush, ar_fire):
        """The effects of the access in E (``wr``: accepted writes, ``sels``/``hits``:
        register and entry selects), of the flushes (``flush[c]``: channel c's epoch is
        bumped) and of agent resets (``ar_fire[k]``)."""
        p, s = self._p, self._s
        na, nc, nf = p.n_agents, p.n_channels, p.n_fifos
        hit = hits["FIFO_DATA"]
        # The receive in X reads one word further when the access in E receives from the same
        # FIFO. Whether that one finds the FIFO empty does not matter (then the FIFO is still
        # empty when the receive in X reaches E: it is refused and its word unused), which
        # keeps the level compare and the OR of every FIFO's receive out of this path.
        m.d.comb += self.forward.eq(
            e.valid & ~e.write & form_ok & sels["FIFO_DATA"] & (self.index_e == self.index_x) &
            self.may_receive.bit_select(self.index_e, 1))
        error = Signal(nf, name=probes.fifo_bits("error"))
        tx_event = Signal(nf, name=probes.fifo_bits("tx_event"))
        rx_event = Signal(nf, name=probes.fifo_bits("rx_event"))
        for f in range(nf):
            # from this FIFO's own select and check (not through the generic OR of every
            # entry's check), so that a FIFO's send or receive does not wait for the others'
            m.d.comb += [
                self.push[f].eq(e.valid & e.write & form_ok & hit[f] & self.push_ok[f]),
                self.pop[f].eq(e.valid & ~e.write & form_ok & hit[f] & self.pop_ok[f]),
                error[f].eq(e.valid & form_ok & hit[f] & s.ch_on[f // 2] & Mux(
                    e.write, self.is_sender[f] & self.full[f],
                    self.is_receiver[f] & self.empty[f])),
                tx_event[f].eq(self.pop[f] & (self.level[f] == self.send_th[f] + 1)),
                rx_event[f].eq(self.push[f] & (self.level[f] == self.recv_th[f])),
            ]
            wr_next = Mux(self.push[f], self.wr_ptr[f] + 1, self.wr_ptr[f])
            m.d.sync += self.wr_ptr[f].eq(wr_next)
            # A send or receive in the cycle of the flush comes first: its word is counted
            # as dropped (send) or delivered (receive), never both. The level after it is
            # picked from values computed from the state alone, so only a mux and the adder
            # lie between the access's decode and DROPPED.
            level = self.level[f]
            level_after = Mux(self.push[f], level + 1, Mux(self.pop[f], level - 1, level))
            with m.If(flush[f // 2]):
                m.d.sync += [
                    self.rd_ptr[f].eq(wr_next),
                    self.level[f].eq(0),
                    self.dropped[f].eq(self.dropped[f] + level_after[:self.aw + 1]),
                ]
            with m.Else():
                m.d.sync += self.level[f].eq(level_after)
                with m.If(self.pop[f]):
                    m.d.sync += self.rd_ptr[f].eq(self.rd_ptr[f] + 1)
            with m.If(wr["FIFO_THRESH", f]):
                m.d.sync += [
                    self.send_th[f].eq(_w_field(e, "FIFO_THRESH", "SEND")),
                    self.recv_th[f].eq(_w_field(e, "FIFO_THRESH", "RECV")),
                ]
        m.d.comb += [
            self._wr_port.addr.eq(Cat(self.wr_ptr[self.index_e][:self.aw], self.index_e)),
            self._wr_port.data.eq(e.w_data),
            self._wr_port.en.eq(self.push.any()),
        ]

        def chans(per_fifo):
            """Channel c's bit: OR of ``per_fifo[f]`` over its two FIFOs."""
            return Cat(Cat(per_fifo[2 * c + d] for d in range(2)).any() for c in range(nc))

        all_ch = (1 << nc) - 1
        for k in range(na):
            caller = e.agent == k
            tx_set = chans([tx_event[f] & (self.sender[f] == k) for f in range(nf)])
            rx_set = chans([rx_event[f] & (self.receiver[f] == k) for f in range(nf)])
            err_set = chans([error[f] & caller for f in range(nf)])
            for pend, ena, event, name in ((self.tx_pend, self.tx_ena, tx_set, "TX"),
                                           (self.rx_pend, self.rx_ena, rx_set, "RX")):
                w1c = Mux(wr[f"FIFO_{name}_PENDING", 0] & caller,
                          _w_field(e, f"FIFO_{name}_PENDING", "CH")[:nc], 0)
                # a set and a clear of the same bit in the same cycle: the set wins
                m.d.sync += pend[k].eq((pend[k] & ~Mux(ar_fire[k], all_ch, w1c)) | event)
                # as CH_ENABLE: a write in the cycle of the agent's reset wins over the reset
                with m.If(ar_fire[k]):
                    m.d.sync += ena[k].eq(0)
                with m.If(wr[f"FIFO_{name}_ENABLE", 0] & caller):
                    m.d.sync += ena[k].eq(_w_field(e, f"FIFO_{name}_ENABLE", "CH")[:nc])
            err_clr = Mux(wr["FIFO_ERROR", 0] & caller, _w_field(e, "FIFO_ERROR", "CH")[:nc], 0)
            m.d.sync += self.error[k].eq(
                (self.error[k] & ~Mux(ar_fire[k], all_ch, err_clr)) | err_set)

    def read_table(self, agent):
        """The read sources of the FIFO registers (see ``IocMailbox._read_sources``)."""
        return {
            "FIFO_DATA": lambda i: {"DATA": 0},  # the word comes through ``r_data``
            "FIFO_STATUS": lambda i: {"LEVEL": self.level[i], "EMPTY": self.empty[i],
                                      "FULL": self.full[i], "DROPPED": self.dropped[i]},
            "FIFO_THRESH": lambda i: {"SEND": self.send_th[i], "RECV": self.recv_th[i]},
            "FIFO_TX_PENDING": lambda i: {"CH": self.tx_pend[agent]},
            "FIFO_TX_ENABLE": lambda i: {"CH": self.tx_ena[agent]},
            "FIFO_TX_STATUS": lambda i: {"CH": self.tx_pend[agent] & self.tx_ena[agent]},
            "FIFO_RX_PENDING": lambda i: {"CH": self.rx_pend[agent]},
            "FIFO_RX_ENABLE": lambda i: {"CH": self.rx_ena[agent]},
            "FIFO_RX_STATUS": lambda i: {"CH": self.rx_pend[agent] & self.rx_ena[agent]},
            "FIFO_ERROR": lambda i: {"CH": self.error[agent]},
        }


def _w_field(e, reg_name, field_name):
    """Field ``field_name`` of register ``reg_name`` in the write data of the access in E."""
    f = REGMAP[reg_name].field(field_name)
    return e.w_data[f.offset:f.offset + f.width]


def _events(bits):
    return {e.name: bits[int(e)] for e in Event}
