"""Properties of the IPI controller / mailbox register block (SPEC §3.4) and seeded bugs.

Accesses are decoded here from :data:`ioc_defs.regmap.REGMAP` (offsets, fields, privilege) and the
state is named as the RTL names it (``a<k>_ch_pending``, ``ch<c>_ep_a``, ...). Each property is
about one transition, which is why plain k-induction closes them: no doorbell is lost, ``irq`` is
the OR of the caller's status, pending bits are write-1-to-clear and change only as documented,
and a refused access (privilege, endpoint) changes no protected state.
"""

from types import SimpleNamespace

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal, Value

from ioc_defs import probes, regmap
from ioc_defs.axi import WORD_SIZE
from ioc_defs.params import REG_BASE, REG_SIZE
from ioc_defs.regmap import REGMAP, RESP_OKAY, RESP_SLVERR, Check, Event
from rtl.ioc_mailbox import IocMailbox

from .core import Mutation, Past, PropertySet

__all__ = ["MailboxProperties", "StageE", "make_dut", "BUGS"]


class StageE:
    """The access the mailbox performs this cycle (stage E): its ``bus`` inputs one cycle ago,
    kept by the property module itself; ``r_data`` and ``resp`` are the DUT's, valid in the
    cycle after E as before."""

    def __init__(self, m, bus, prefix="spec_e"):
        for name in ("valid", "agent", "addr", "write", "w_data", "w_strb", "size", "priv"):
            reg = Signal.like(getattr(bus, name), name=f"{prefix}_{name}")
            m.d.sync += reg.eq(getattr(bus, name))
            setattr(self, name, reg)
        self.r_data, self.resp = bus.r_data, bus.resp


class _Names:
    """The mailbox's state, found by name."""

    def __init__(self, p, probe):
        na, nc, nw = p.n_agents, p.n_channels, p.n_watchdogs
        self.ep_a = [probe[probes.channel_endpoint(c, "a")] for c in range(nc)]
        self.ep_b = [probe[probes.channel_endpoint(c, "b")] for c in range(nc)]
        self.ch_on = probe[probes.CHANNEL_ON]
        self.epoch = [probe[probes.channel_epoch(c)] for c in range(nc)]
        self.ch_pend = [probe[probes.agent_state(k, "ch_pending")] for k in range(na)]
        self.ch_ena = [probe[probes.agent_state(k, "ch_enable")] for k in range(na)]
        self.ev_pend = [probe[probes.agent_state(k, "ev_pending")] for k in range(na)]
        self.ev_ena = [probe[probes.agent_state(k, "ev_enable")] for k in range(na)]
        self.wd = [[probe[probes.watchdog(w, x)]
                    for x in ("period", "enable", "supervisor", "kick_mask")] for w in range(nw)]
        self.wd_expired = probe[probes.WATCHDOG_EXPIRED]
        self.agent_reset_q = probe[probes.AGENT_RESET]
        self.agent_reset_target = probe[probes.AGENT_RESET_TARGET]
        self.channel_reset_q = probe[probes.CHANNEL_RESET]

    def config(self):
        """Everything only a privileged write may change (besides the latched resets)."""
        return Cat(*self.ep_a, *self.ep_b, self.ch_on, *(x for wd in self.wd for x in wd))


def _compose(reg, fields):
    """The 32-bit word of ``reg`` with ``fields`` (``{field name: Value or int}``) in place."""
    word = 0
    for name, value in fields.items():
        f = reg.field(name)
        word |= (Value.cast(value) & ((1 << f.width) - 1)) << f.offset
    return Value.cast(word)[:32]


def _field(reg_name, field_name, word):
    f = REGMAP[reg_name].field(field_name)
    return word[f.offset:f.offset + f.width]


class MailboxProperties(Elaboratable):
    """Assertions, environment assumptions and covers over an :class:`IocMailbox`."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("ioc_mailbox")

    def elaborate(self, platform):
        m = Module()
        d, p, ps = self.dut, self.dut.params, self.props
        na, nc = p.n_agents, p.n_channels
        s = _Names(p, self.probe)
        past = Past(m)
        clean = past.clean

        # -- environment: the subsystem presents only register-window accesses ----------------
        top_bits = (REG_SIZE - 1).bit_length()
        ps.assume(m, "accesses are in the register window",
                  ~d.bus.valid | (d.bus.addr[top_bits:] == REG_BASE >> top_bits))
        ps.assume(m, "agent index in range", d.bus.agent < na)
        # The properties below are about the access in E, where the state changes; the same
        # environment holds for it (asserted, so that induction may start from it).
        bus = StageE(m, d.bus)
        ps.assert_(m, "E: accesses are in the register window",
                   ~bus.valid | (bus.addr[top_bits:] == REG_BASE >> top_bits))
        ps.assert_(m, "E: agent index in range", bus.agent < na)

        # -- decoding, from the register map ---------------------------------------------------
        def at(name, i=0):
            return bus.addr == REG_BASE + REGMAP[name].address(i)

        well_formed = ((bus.size == WORD_SIZE) & (bus.addr[:2] == 0) &
                       (~bus.write | (bus.w_strb == 0xF)))
        write = bus.valid & bus.write & well_formed
        read = bus.valid & ~bus.write & well_formed

        def endpoint(c, a):
            return (a == s.ep_a[c]) | (a == s.ep_b[c])

        db_channel = _field("DOORBELL", "CHANNEL", bus.w_data)
        ar_fire = [s.agent_reset_q & (s.agent_reset_target == k) for k in range(na)]
        rings = [[Signal(name=f"spec_rings_a{k}_ch{c}") for c in range(nc)] for k in range(na)]
        for k in range(na):
            for c in range(nc):
                m.d.comb += rings[k][c].eq(
                    write & at("DOORBELL") & (db_channel == c) & s.ch_on[c] &
                    (((bus.agent == s.ep_a[c]) & (s.ep_b[c] == k)) |
                     ((bus.agent == s.ep_b[c]) & (s.ep_a[c] == k))))

        P = past  # short, for the many past values below
        p_ch_pend = [P(s.ch_pend[k], f"past_a{k}_ch_pending") for k in range(na)]
        p_ar_fire = [P(ar_fire[k], f"past_ar_fire{k}") for k in range(na)]
        p_agent = P(bus.agent, "past_agent")
        p_wdata = P(bus.w_data, "past_w_data")
        w1c_ch = [P(write & at("CH_PENDING") & (bus.agent == k), f"past_w1c_ch{k}")
                  for k in range(na)]
        w1c_ev = [P(write & at("EV_PENDING") & (bus.agent == k), f"past_w1c_ev{k}")
                  for k in range(na)]

        # -- no lost doorbell; a set wins over a same-cycle clear ------------------------------
        for k in range(na):
            for c in range(nc):
                rang = P(rings[k][c], f"past_rings_a{k}_ch{c}")
                ps.implies(m, f"no lost doorbell: a{k} ch{c}", clean & rang, s.ch_pend[k][c])
                ps.cover(m, f"a doorbell to a{k} ch{c} in the cycle a{k}'s reset clears",
                         clean & rang & p_ar_fire[k])
                ps.implies(m, f"a{k} ch{c} pending rises only by a doorbell",
                           clean & ~p_ch_pend[k][c] & s.ch_pend[k][c], rang)
                ps.implies(m, f"a{k} ch{c} pending falls only by its W1C or a{k}'s reset",
                           clean & p_ch_pend[k][c] & ~s.ch_pend[k][c],
                           (w1c_ch[k] & p_wdata[c]) | p_ar_fire[k])
            bus_err = P(d.bus_error[k], f"past_bus_error{k}")
            ps.implies(m, f"a{k}: a bus error event is not lost to a same-cycle W1C",
                       clean & bus_err, s.ev_pend[k][Event.BUS_ERROR])
            ps.cover(m, f"a{k}: a bus error and a W1C of BUS_ERROR in one cycle",
                     clean & bus_err & w1c_ev[k] & p_wdata[Event.BUS_ERROR])

        # -- W1C ---------------------------------------------------------------------------------
        for k in range(na):
            for c in range(nc):
                ps.implies(m, f"W1C: writing 1 clears a{k} ch{c}",
                           clean & w1c_ch[k] & p_wdata[c], ~s.ch_pend[k][c])
                ps.implies(m, f"W1C: writing 0 keeps a{k} ch{c}",
                           clean & w1c_ch[k] & ~p_wdata[c] & p_ch_pend[k][c] & ~p_ar_fire[k],
                           s.ch_pend[k][c])
            for e in Event:
                ev = P(s.ev_pend[k][e] & ~(write & at("EV_PENDING") & (bus.agent == k) &
                                          bus.w_data[e]), f"past_a{k}_ev{int(e)}_kept")
                ps.implies(m, f"W1C: a{k} event {e.name} falls only by its W1C or a{k}'s reset",
                           clean & ev & ~p_ar_fire[k], s.ev_pend[k][e])
            others = P(Cat(write & at("CH_PENDING") & (bus.agent == j) for j in range(na)
                           if j != k).any(), f"past_w1c_by_others_of{k}")
            ps.implies(m, f"banked: another agent's W1C leaves a{k}'s pending bits",
                       clean & others & ~p_ar_fire[k] & (P(Cat(rings[k]), f"past_rings{k}") == 0),
                       s.ch_pend[k] == p_ch_pend[k])

        # -- irq = OR(status) --------------------------------------------------------------------
        for k in range(na):
            status = Cat(s.ch_pend[k] & s.ch_ena[k], s.ev_pend[k] & s.ev_ena[k])
            ps.assert_(m, f"irq[{k}] is the OR of a{k}'s CH_STATUS and EV_STATUS",
                       d.irq[k] == status.any())
            ps.cover(m, f"irq[{k}] raised by a channel", (s.ch_pend[k] & s.ch_ena[k]).any())
            ps.cover(m, f"irq[{k}] raised by an event", (s.ev_pend[k] & s.ev_ena[k]).any())
        read_status = P(read & at("CH_STATUS"), "past_read_ch_status")
        ps.implies(m, "a read of CH_STATUS returns the caller's CH_PENDING & CH_ENABLE",
                   clean & read_status,
                   (bus.resp == RESP_OKAY) &
                   (bus.r_data == P(Cat(s.ch_pend[k] & s.ch_ena[k] for k in range(na))
                                    .word_select(bus.agent, nc), "past_own_ch_status")))

        # -- privilege: an unprivileged write changes no protected state ------------------------
        cfg = P(s.config(), "past_config")
        p_epoch = P(Cat(s.epoch), "past_epochs")
        p_latched = P(s.agent_reset_q | s.channel_reset_q, "past_reset_latched")
        unpriv = P(bus.valid & bus.write & ~bus.priv, "past_unprivileged_write")
        ps.implies(m, "an unprivileged write changes no configuration",
                   clean & unpriv, s.config() == cfg)
        ps.implies(m, "an unprivileged write latches no agent or channel reset",
                   clean & unpriv, ~s.agent_reset_q & ~s.channel_reset_q)
        ps.implies(m, "an unprivileged write clears no WDOG_EXPIRED bit",
                   clean & unpriv,
                   (P(s.wd_expired, "past_wd_expired") & ~s.wd_expired) == 0)
        ps.implies(m, "epochs change only by a latched (privileged) reset",
                   clean & ~p_latched, Cat(s.epoch) == p_epoch)
        priv_regs = [(reg, i) for reg, i, _ in REGMAP.instances(p) if reg.priv_write]
        priv_hit = Cat(at(reg.name, i) for reg, i in priv_regs).any()
        refused = P(write & ~bus.priv & priv_hit, "past_unprivileged_priv_write")
        ps.implies(m, "an unprivileged write to a privileged register gets SLVERR",
                   clean & refused, bus.resp == RESP_SLVERR)
        err_agent = P(p_agent, "past_past_agent")
        ps.implies(m, "... and raises the caller's BUS_ERROR event one cycle later",
                   clean & P(clean & refused, "past_refused"),
                   Cat(s.ev_pend[k][Event.BUS_ERROR] for k in range(na)).bit_select(err_agent, 1))

        # -- guest lifecycle: AGENT_CTRL[k].RESET as it acts (one cycle after its write) ---------
        for k in range(na):
            fired = clean & p_ar_fire[k]
            ps.implies(m, f"a{k}'s reset clears its pending bits but for same-cycle doorbells",
                       fired, s.ch_pend[k] == P(Cat(rings[k]), f"past_rings_of{k}"))
            ps.implies(m, f"a{k}'s reset clears its enables",
                       fired & ~P(write & (at("CH_ENABLE") | at("EV_ENABLE")) &
                                  (bus.agent == k), f"past_enable_write{k}"),
                       (s.ch_ena[k] == 0) & (s.ev_ena[k] == 0))
            for c in range(nc):
                was_endpoint = P(s.ch_on[c] & endpoint(c, k), f"past_a{k}_on_ch{c}")
                ps.implies(m, f"a{k}'s reset bumps the epoch of enabled channel {c} it is on",
                           fired & was_endpoint,
                           s.epoch[c] == (P(s.epoch[c], f"past_epoch{c}") + 1)[:len(s.epoch[c])])
        wd_exp = self.probe[probes.WATCHDOG_EXPIRES]
        # events rise only by their sources: BUS_ERROR by a refused access (its answer's
        # cycle) or the bus_error input, WATCHDOG by an expiry at the supervisor
        answered = P(P(bus.valid, "past_e_valid") & (bus.resp == RESP_SLVERR),
                     "past_refused_answer")
        refused_to = P(p_agent, "past_refused_agent")
        for k in range(na):
            for e, source in (
                    (Event.BUS_ERROR, answered & (refused_to == k) |
                     P(d.bus_error[k], f"past_bus_error_in{k}")),
                    (Event.WATCHDOG, P(Cat(wd_exp[w] & (s.wd[w][2] == k)
                                           for w in range(len(s.wd))).any(),
                                       f"past_watchdog_to{k}"))):
                rose = ~P(s.ev_pend[k][e], f"past_a{k}_ev{int(e)}") & s.ev_pend[k][e]
                ps.implies(m, f"a{k}'s {e.name} event rises only by its source",
                           clean & P(clean, f"past_clean_ev{int(e)}_{k}") & rose, source)
        for w, (_period, _on, sup, _mask) in enumerate(s.wd):
            for k in range(na):
                ps.implies(m, f"watchdog {w} expiry raises WATCHDOG at supervisor a{k}",
                           clean & P(wd_exp[w] & (sup == k), f"past_wd{w}_expired_to{k}"),
                           s.ev_pend[k][Event.WATCHDOG] & s.wd_expired[w])

        self._watchdog_timing(m, bus, write, at)
        self._channel_reset(m, past, bus, write, at, s, endpoint)
        self._answers(m, past, bus, well_formed, at, s, endpoint, db_channel)

        # -- endpoint checks ---------------------------------------------------------------------
        bad_db = P(write & at("DOORBELL") &
                   ~Cat(s.ch_on[c] & endpoint(c, bus.agent) & (db_channel == c)
                        for c in range(nc)).any(), "past_refused_doorbell")
        ps.implies(m, "a doorbell from a non-endpoint (or on a disabled channel) gets SLVERR",
                   clean & bad_db, bus.resp == RESP_SLVERR)
        ps.implies(m, "... and sets no pending bit anywhere",
                   clean & bad_db,
                   Cat((s.ch_pend[k] & ~p_ch_pend[k]) for k in range(na)) == 0)
        for c in range(nc):
            bad_epoch = P(read & at("EPOCH", c) & ~bus.priv & ~endpoint(c, bus.agent),
                          f"past_refused_epoch_read{c}")
            ps.implies(m, f"an unprivileged non-endpoint read of EPOCH[{c}] gets SLVERR and 0",
                       clean & bad_epoch, (bus.resp == RESP_SLVERR) & (bus.r_data == 0))
        return m


    def _answers(self, m, past, bus, well_formed, at, s, endpoint, db_channel):
        """Every access's answer, from the register map (``bus``: the access in E; its answer
        shows in the next cycle): SLVERR whenever one of SPEC's static rules refuses it (a
        hole, the form, the direction, privilege, a field's limit), OKAY otherwise for a
        register without a dynamic check; an accepted read returns the register's fields (the
        state it names, the monitor's statistics as sampled in E, the cycle counter, the
        build-time configuration), a refused one 0; and an accepted write of a configuration
        word stores its fields (``s``, ``endpoint(c, agent)``, ``db_channel``: elaborate's)."""
        d, p, ps, pr = self.dut, self.dut.params, self.props, self.probe
        nc, nw = p.n_channels, p.n_watchdogs
        clean = past.clean
        instances = [(reg, i) for reg, i, _ in REGMAP.instances(p)]
        hole = bus.valid & ~Cat(at(reg.name, i) for reg, i in instances).any()
        ps.implies(m, "an access to a hole in the register window gets SLVERR",
                   clean & past(hole, "past_hole"), bus.resp == RESP_SLVERR)

        # the cycle counter, counted by a ghost from reset
        ghost_cycle = Signal(64, name="ghost_cycle")
        m.d.sync += ghost_cycle.eq(ghost_cycle + 1)
        cycle = pr[probes.CYCLE]
        ps.assert_(m, "the cycle counter counts every cycle since reset", cycle == ghost_cycle)
        ps.assert_(m, "inv: the counter's low half wraps next exactly when the flag says",
                   pr[probes.CYCLE_LO_WRAPS] == (cycle[:32] == 0xFFFF_FFFF))

        def banked(values, width):
            return Cat(values).word_select(bus.agent, width)

        mon = d.monitor
        table = {
            **{name: (lambda i, fields=fields: fields)
               for name, fields in regmap.configuration_fields(p).items()},
            "WHOAMI": lambda i: {"AGENT": bus.agent, "PRIV": bus.priv},
            "IRQ_STATUS": lambda i: {"IRQ": d.irq},
            "CYCLE_LO": lambda i: {"COUNT": ghost_cycle[:32]},
            "CYCLE_HI": lambda i: {"COUNT": ghost_cycle[32:]},
            "CH_PENDING": lambda i: {"CH": banked(s.ch_pend, nc)},
            "CH_ENABLE": lambda i: {"CH": banked(s.ch_ena, nc)},
            "EV_PENDING": lambda i: {e.name: banked(s.ev_pend, len(Event))[e] for e in Event},
            "EV_ENABLE": lambda i: {e.name: banked(s.ev_ena, len(Event))[e] for e in Event},
            "CH_CFG": lambda i: {"EP_A": s.ep_a[i], "EP_B": s.ep_b[i], "ENABLE": s.ch_on[i]},
            "EPOCH": lambda i: {"EPOCH": s.epoch[i]},
            "AGENT_CTRL": lambda i: {"IN_RESET": d.agent_rst[i]},
            "WDOG_PERIOD": lambda i: {"PERIOD": s.wd[i][0]},
            "WDOG_CTRL": lambda i: {"ENABLE": s.wd[i][1], "SUPERVISOR": s.wd[i][2],
                                    "KICK_MASK": s.wd[i][3]},
            "WDOG_COUNT": lambda i: {"COUNT": pr[probes.watchdog(i, "count")]},
            "WDOG_EXPIRED": lambda i: {"WDOG": s.wd_expired[:nw] if nw else 0},
            "SC_CAUSE": lambda i: {"CAUSE": mon.cause[i]},
            "LL_COUNT": lambda i: {"COUNT": mon.ll_count[i]},
            "SC_OK_COUNT": lambda i: {"COUNT": mon.sc_ok_count[i]},
            "SC_FAIL_COUNT": lambda i: {"COUNT": mon.sc_fail_count[i]},
        }
        # what an accepted write of a configuration word stores, field by field
        stored = {"CH_CFG": table["CH_CFG"], "WDOG_PERIOD": table["WDOG_PERIOD"],
                  "WDOG_CTRL": table["WDOG_CTRL"]}

        # the registers' own checks, from SPEC 3.4 (the message FIFOs' have their group)
        checks = {
            Check.DOORBELL_ENDPOINT: lambda i: Cat(
                (db_channel == c) & s.ch_on[c] & endpoint(c, bus.agent) for c in range(nc)).any(),
            Check.EPOCH_READER: lambda i: bus.priv | endpoint(i, bus.agent),
            Check.KICK_PERMITTED: lambda i: bus.priv | s.wd[i][3].bit_select(bus.agent, 1),
        }
        # state only an accepted write changes (the enables: or their agent's reset)
        wrote = clean & past(bus.valid & bus.write, "past_any_write") & (bus.resp == RESP_OKAY)
        ps.implies(m, "the configuration changes only by an accepted write",
                   clean & ~wrote, s.config() == past(s.config(), "past_config_any"))
        enables = Cat(*s.ch_ena, *s.ev_ena)
        reset = past(Cat(s.agent_reset_q), "past_agent_reset_latched")
        ps.implies(m, "the channel and event enables change only by an accepted write or a reset",
                   clean & ~wrote & ~reset, enables == past(enables, "past_enables"))
        ps.implies(m, "r_data is 0 but in the answer to a read",
                   clean & ~past(bus.valid & ~bus.write, "past_any_read"), bus.r_data == 0)
        for reg, i in instances:
            tag = f"{reg.name.lower()}{i}"
            where = f"{reg.name}[{i}]" if reg.array is not None else reg.name
            hit = bus.valid & at(reg.name, i)
            refused = ~well_formed
            if not reg.readable:
                refused |= ~bus.write
            if not reg.writable:
                refused |= bus.write
            if reg.priv_write:
                refused |= bus.write & ~bus.priv
            over = [_field(reg.name, f.name, bus.w_data) >= getattr(p, f.limit)
                    for f in reg.fields if f.limit is not None]
            if over:
                refused |= bus.write & Cat(over).any()
            if reg.check in checks:
                refused |= ~checks[reg.check](i)
            ps.implies(m, f"{where}: an access its rules refuse gets SLVERR",
                       clean & past(hit & refused, f"past_refused_{tag}"),
                       bus.resp == RESP_SLVERR)
            if reg.check is None or reg.check in checks:
                ps.implies(m, f"{where}: an access they accept gets OKAY",
                           clean & past(hit & ~refused, f"past_accepted_{tag}"),
                           bus.resp == RESP_OKAY)
            if not reg.readable:
                continue
            read = clean & past(hit & ~bus.write, f"past_read_{tag}")
            ps.implies(m, f"{where}: a refused read returns 0",
                       read & (bus.resp == RESP_SLVERR), bus.r_data == 0)
            if reg.name not in table:
                continue
            fields = table[reg.name](i)
            value = Signal(32, name=f"spec_value_{tag}")
            m.d.comb += value.eq(_compose(reg, fields))
            ps.implies(m, f"{where}: an accepted read returns its fields",
                       read & (bus.resp == RESP_OKAY),
                       bus.r_data == past(value, f"past_value_{tag}"))
            if reg.name in stored:
                written = clean & past(hit & bus.write, f"past_write_{tag}") & (
                    bus.resp == RESP_OKAY)
                wrote = past(bus.w_data, f"past_w_data_{tag}")
                state = stored[reg.name](i)
                # each field as wide as its storage (KICK_MASK keeps n_agents bits)
                want = {name: _field(reg.name, name, wrote)[:len(Value.cast(v))]
                        for name, v in state.items()}
                ps.implies(m, f"{where}: an accepted write stores its fields",
                           written, _compose(reg, state) == _compose(reg, want))

    def _watchdog_timing(self, m, bus, write, at):
        """Exact expiry cycle: a watchdog reloaded (kick, enable, or its own expiry) with
        period P expires P cycles later while enabled (P = 0 as P = 1), the ghost counting the
        cycles since the reload from the bus writes alone (``bus``: the access in E)."""
        p, ps, pr = self.dut.params, self.props, self.probe
        wd_exp = pr[probes.WATCHDOG_EXPIRES]
        for w in range(p.n_watchdogs):
            period, on, mask, count = (pr[probes.watchdog(w, x)] for x in
                                       ("period", "enable", "kick_mask", "count"))
            since = Signal(32, name=f"ghost_wd{w}_since_reload")
            loaded = Signal(32, name=f"ghost_wd{w}_period_loaded")
            expires = Signal(name=f"ghost_wd{w}_expires")
            kick = write & at("WDOG_KICK", w) & (bus.priv | mask.bit_select(bus.agent, 1))
            start = (write & at("WDOG_CTRL", w) & bus.priv & ~on &
                     _field("WDOG_CTRL", "ENABLE", bus.w_data)[0] &
                     (_field("WDOG_CTRL", "SUPERVISOR", bus.w_data) < p.n_agents))
            m.d.comb += expires.eq(on & (since + 1 >= loaded))
            with m.If(kick | start | expires):
                m.d.sync += [since.eq(0), loaded.eq(period)]
            with m.Elif(on):
                m.d.sync += since.eq(since + 1)
            ps.assert_(m, f"watchdog {w} expires exactly the period after its reload",
                       wd_exp[w] == expires)
            ps.cover(m, f"watchdog {w} expires 3 cycles after a reload with period 3",
                     expires & (loaded == 3))
            # what the induction needs: WDOG_COUNT is the period loaded minus the cycles since
            ps.assert_(m, f"inv: watchdog {w}'s count is what the ghost has left",
                       (count == (loaded - since)[:32]) &
                       ((since < loaded) | ((since == 0) & (loaded == 0))))

    def _channel_reset(self, m, past, bus, write, at, s, endpoint):
        """CHANNEL_RESET (privileged) acts at the end of the cycle after its write: the
        channel's epoch moves on and both endpoints get PEER_RESET (``bus``: the access in
        E)."""
        p, ps = self.dut.params, self.props
        channel = _field("CHANNEL_RESET", "CHANNEL", bus.w_data)
        for c in range(p.n_channels):
            wrote = past(write & at("CHANNEL_RESET") & bus.priv & (channel == c),
                         f"past_channel_reset{c}")
            acts = past.clean & past(past.clean & wrote, f"past_past_channel_reset{c}")
            ps.implies(m, f"CHANNEL_RESET of channel {c} bumps its epoch",
                       acts, s.epoch[c] == (past(s.epoch[c], f"past_cr_epoch{c}") + 1)[
                           :len(s.epoch[c])])
            for k in range(p.n_agents):
                ps.implies(m, f"CHANNEL_RESET of channel {c} raises PEER_RESET at endpoint a{k}",
                           acts & past(endpoint(c, k), f"past_cr_endpoint{c}_a{k}"),
                           s.ev_pend[k][Event.PEER_RESET])


def make_dut(params, bug=None):
    """An :class:`IocMailbox`, or one with the seeded bug named ``bug`` (see :data:`BUGS`)."""
    dut = IocMailbox(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _clear_beats_set(m, d, probe):
    for k in range(d.params.n_agents):
        pend, st, cl = (probe[probes.agent_state(k, f"ch_{x}")] for x in ("pending", "set", "clr"))
        m.d.sync += pend.eq((pend | st) & ~cl)


def _in_e(probe):
    """The DUT's own stage-E registers, as the seeded bugs use them."""
    return SimpleNamespace(**{name: probe[probes.stage_e(name)]
                              for name in ("valid", "agent", "write", "w_data", "priv")})


def _unprivileged_ch_cfg(m, d, probe):
    bus = _in_e(probe)
    for c in range(d.params.n_channels):
        ep_a = probe[probes.channel_endpoint(c, "a")]
        with m.If(bus.valid & bus.write & ~bus.priv & probe[probes.register_hit("CH_CFG", c)]):
            m.d.sync += ep_a.eq(_field("CH_CFG", "EP_A", bus.w_data))


def _doorbell_from_anyone(m, d, probe):
    bus = _in_e(probe)
    db_channel = _field("DOORBELL", "CHANNEL", bus.w_data)
    for c in range(d.params.n_channels):
        ep_a, ep_b = (probe[probes.channel_endpoint(c, side)] for side in ("a", "b"))
        with m.If(bus.valid & bus.write & probe[probes.register_select("DOORBELL")] &
                  (db_channel == c) & (bus.agent != ep_a) & (bus.agent != ep_b)):
            for k in range(d.params.n_agents):
                with m.If(ep_b == k):
                    pend = probe[probes.agent_state(k, "ch_pending")]
                    m.d.sync += pend[c].eq(1)


def _irq_ignores_events(m, d, probe):
    for k in range(d.params.n_agents):
        pend, ena = (probe[probes.agent_state(k, x)] for x in ("ch_pending", "ch_enable"))
        m.d.comb += d.irq[k].eq((pend & ena).any())


def _watchdog_expires_late(m, d, probe):
    # issue 17's hand mutant: the expiry one cycle off (at count 0 instead of 1)
    for w in range(d.params.n_watchdogs):
        m.d.comb += probe[probes.WATCHDOG_EXPIRES][w].eq(
            probe[probes.watchdog(w, "enable")] & (probe[probes.watchdog(w, "count")] == 0))


def _channel_reset_no_peer_reset(m, d, probe):
    # issue 17's hand mutant: CHANNEL_RESET bumps the epoch but raises no PEER_RESET; an
    # agent reset still does
    p = d.params
    ar_hit, ar_t = probe[probes.AGENT_RESET_CHANNELS], probe[probes.AGENT_RESET_TARGET]
    ep = [[probe[probes.channel_endpoint(c, side)] for side in ("a", "b")]
          for c in range(p.n_channels)]
    for k in range(p.n_agents):
        peer = Cat(ar_hit[c] & (Mux(ep_a == ar_t, ep_b, ep_a) == k)
                   for c, (ep_a, ep_b) in enumerate(ep)).any() & (ar_t != k)
        m.d.comb += probe[probes.agent_state(k, "ev_set")][Event.PEER_RESET].eq(peer)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "watchdog_expires_late": _watchdog_expires_late,
    "channel_reset_no_peer_reset": _channel_reset_no_peer_reset,
    "clear_beats_set": _clear_beats_set,            # a doorbell lost to a same-cycle reset
    "unprivileged_ch_cfg": _unprivileged_ch_cfg,    # a guest rewires a channel
    "doorbell_from_anyone": _doorbell_from_anyone,  # endpoint check missing
    "irq_ignores_events": _irq_ignores_events,      # irq != OR(status)
}
