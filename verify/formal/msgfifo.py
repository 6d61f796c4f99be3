"""Properties of the register block's message FIFOs (SPEC 3.5) and seeded bugs.

A ghost keeps, per FIFO, what the bus alone says about it: the words sent and received (the
accesses the FIFO_DATA check accepts, judged from the ghost's own level), the flushes (a
privileged CHANNEL_RESET of the channel, or AGENT_CTRL.RESET of an endpoint of the enabled
channel, acting in the cycle after its access cycle) and the words they drop. Proven by
k-induction against it: the level is the words sent minus received minus dropped, the
dropped count is exact, empty and full are exact, each FIFO_DATA access is answered OKAY
exactly when the ghost accepts it (so a send to a full or a receive from an empty FIFO, or by
anyone but its sender/receiver, gets SLVERR and changes nothing), the sticky FIFO_ERROR bits
and the threshold pending bits rise exactly when the rules say, and ``irq`` stays the OR of
every status bit.

Words themselves (no word lost, duplicated, reordered or corrupted) are a second group: a
ghost follows one word chosen by the environment (the word of a send whose ``AxLOCK`` is set:
the register window ignores ``AxLOCK``, so the choice is free and changes nothing), counts the
words ahead of it, and checks the receive that takes it. Its memory is block RAM, which an
induction cannot relate to the ghost (the RAM's contents are not registers a property can
name), so that group is a bounded proof (every trace up to its depth).
"""

from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal

from ioc_defs import probes
from ioc_defs.axi import WORD_SIZE
from ioc_defs.params import REG_BASE, REG_SIZE
from ioc_defs.regmap import FIFO_DROPPED_WIDTH, REGMAP, RESP_OKAY, RESP_SLVERR
from rtl.ioc_mailbox import IocMailbox

from .core import Mutation, Past, PropertySet
from .mailbox import StageE

__all__ = ["FifoProperties", "FifoDataProperties", "make_dut", "BUGS"]


def _field(reg_name, field_name, word):
    f = REGMAP[reg_name].field(field_name)
    return word[f.offset:f.offset + f.width]


class _Ghost:
    """The FIFOs as the bus accesses in E (``bus``) define them, and the DUT's state by name."""

    def __init__(self, m, p, probe, bus, past):
        na, nc, nf, depth = p.n_agents, p.n_channels, p.n_fifos, p.fifo_depth
        self.ep_a = [probe[probes.channel_endpoint(c, "a")] for c in range(nc)]
        self.ep_b = [probe[probes.channel_endpoint(c, "b")] for c in range(nc)]
        self.ch_on = probe[probes.CHANNEL_ON]
        self.sender = [(self.ep_a if f % 2 == 0 else self.ep_b)[f // 2] for f in range(nf)]
        self.receiver = [(self.ep_b if f % 2 == 0 else self.ep_a)[f // 2] for f in range(nf)]

        def at(name, i=0):
            return bus.addr == REG_BASE + REGMAP[name].address(i)
        self.at = at
        well_formed = ((bus.size == WORD_SIZE) & (bus.addr[:2] == 0) &
                       (~bus.write | (bus.w_strb == 0xF)))
        self.write = write = bus.valid & bus.write & well_formed
        self.read = read = bus.valid & ~bus.write & well_formed

        # flushes, from the accesses of the cycle before (they act one cycle after E)
        cr_channel = _field("CHANNEL_RESET", "CHANNEL", bus.w_data)
        cr = [past(write & at("CHANNEL_RESET") & bus.priv & (cr_channel == c),
                   f"ghost_channel_reset{c}") for c in range(nc)]
        ar = [past(write & at("AGENT_CTRL", t) & bus.priv &
                   _field("AGENT_CTRL", "RESET", bus.w_data)[0], f"ghost_agent_reset{t}")
              for t in range(na)]
        self.flush = Signal(nc, name="ghost_flush")
        for c in range(nc):
            endpoint = Cat(ar[t] & ((self.ep_a[c] == t) | (self.ep_b[c] == t))
                           for t in range(na)).any()
            m.d.comb += self.flush[c].eq(past.clean & (cr[c] | (self.ch_on[c] & endpoint)))

        self.level = [Signal(range(depth + 1), name=f"ghost_fifo{f}_level") for f in range(nf)]
        self.sent = [Signal(FIFO_DROPPED_WIDTH, name=f"ghost_fifo{f}_sent") for f in range(nf)]
        self.received = [Signal(FIFO_DROPPED_WIDTH, name=f"ghost_fifo{f}_received")
                         for f in range(nf)]
        self.dropped = [Signal(FIFO_DROPPED_WIDTH, name=f"ghost_fifo{f}_dropped")
                        for f in range(nf)]
        self.sends = Signal(nf, name="ghost_sends")
        self.receives = Signal(nf, name="ghost_receives")
        self.data_access = Signal(nf, name="ghost_data_access")
        self.blocked = Signal(nf, name="ghost_full_or_empty")  # the right party, refused
        for f in range(nf):
            on, level = self.ch_on[f // 2], self.level[f]
            sender, receiver = bus.agent == self.sender[f], bus.agent == self.receiver[f]
            m.d.comb += [
                self.data_access[f].eq(bus.valid & at("FIFO_DATA", f)),
                self.sends[f].eq(write & at("FIFO_DATA", f) & on & sender & (level < depth)),
                self.receives[f].eq(read & at("FIFO_DATA", f) & on & receiver & (level > 0)),
                self.blocked[f].eq(at("FIFO_DATA", f) & on & (
                    (write & sender & (level == depth)) | (read & receiver & (level == 0)))),
            ]
            after = level + self.sends[f] - self.receives[f]
            m.d.sync += [
                self.sent[f].eq(self.sent[f] + self.sends[f]),
                self.received[f].eq(self.received[f] + self.receives[f]),
                level.eq(Mux(self.flush[f // 2], 0, after)),
            ]
            with m.If(self.flush[f // 2]):
                m.d.sync += self.dropped[f].eq(self.dropped[f] + after)

        # the DUT's
        # the thresholds, as the privileged FIFO_THRESH writes within the limit set them
        self.send_th = [Signal(range(depth), name=f"ghost_fifo{f}_send_threshold")
                        for f in range(nf)]
        self.recv_th = [Signal(range(depth), name=f"ghost_fifo{f}_recv_threshold")
                        for f in range(nf)]
        send, recv = (_field("FIFO_THRESH", x, bus.w_data) for x in ("SEND", "RECV"))
        for f in range(nf):
            with m.If(write & at("FIFO_THRESH", f) & bus.priv & (send < depth) & (recv < depth)):
                m.d.sync += [self.send_th[f].eq(send), self.recv_th[f].eq(recv)]

        self.dut_level = [probe[probes.fifo_state(f, "level")] for f in range(nf)]
        self.dut_dropped = [probe[probes.fifo_state(f, "dropped")] for f in range(nf)]
        self.wr_ptr = [probe[probes.fifo_state(f, "wr_ptr")] for f in range(nf)]
        self.rd_ptr = [probe[probes.fifo_state(f, "rd_ptr")] for f in range(nf)]
        self.dut_send_th = [probe[probes.fifo_state(f, "send_threshold")] for f in range(nf)]
        self.dut_recv_th = [probe[probes.fifo_state(f, "recv_threshold")] for f in range(nf)]
        self.bits = {what: [probe[probes.agent_state(k, f"fifo_{what}")] for k in range(na)]
                     for what in ("tx_pending", "tx_enable", "rx_pending", "rx_enable", "error")}


def _environment(m, d, ps):
    """What the subsystem guarantees the register block (as the mailbox group assumes), and
    the access in E that the properties are about."""
    top_bits = (REG_SIZE - 1).bit_length()
    ps.assume(m, "accesses are in the register window",
              ~d.bus.valid | (d.bus.addr[top_bits:] == REG_BASE >> top_bits))
    ps.assume(m, "agent index in range", d.bus.agent < d.params.n_agents)
    bus = StageE(m, d.bus)
    ps.assert_(m, "E: agent index in range", bus.agent < d.params.n_agents)
    return bus


class FifoProperties(Elaboratable):
    """Level, accounting, responses, status, error and threshold bits of the message FIFOs."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("msg_fifo")

    def elaborate(self, platform):
        m = Module()
        d, p, ps = self.dut, self.dut.params, self.props
        na, nf, depth = p.n_agents, p.n_fifos, p.fifo_depth
        bus = _environment(m, d, ps)
        past = Past(m)
        clean, P = past.clean, past
        g = _Ghost(m, p, self.probe, bus, past)
        empty, full = self.probe[probes.fifo_bits("empty")], self.probe[probes.fifo_bits("full")]

        for f in range(nf):
            c = f // 2
            ps.assert_(m, f"FIFO {f}: level = words sent - received - dropped",
                       (g.dut_level[f] == g.level[f]) &
                       ((g.sent[f] - g.received[f] - g.dut_dropped[f])[:FIFO_DROPPED_WIDTH] ==
                        g.level[f]))
            ps.assert_(m, f"FIFO {f}: DROPPED counts every word a flush dropped",
                       g.dut_dropped[f] == g.dropped[f])
            ps.assert_(m, f"FIFO {f}: empty and full are exact",
                       (empty[f] == (g.level[f] == 0)) & (full[f] == (g.level[f] == depth)))
            ps.assert_(m, f"FIFO {f}: the thresholds are what privileged FIFO_THRESH writes set",
                       (g.dut_send_th[f] == g.send_th[f]) & (g.dut_recv_th[f] == g.recv_th[f]))
            thresh = P(g.read & g.at("FIFO_THRESH", f), f"past_fifo{f}_thresh_read")
            ps.implies(m, f"FIFO {f}: FIFO_THRESH reads them",
                       clean & thresh,
                       (bus.resp == RESP_OKAY) &
                       (_field("FIFO_THRESH", "SEND", bus.r_data) ==
                        P(g.send_th[f], f"past_fifo{f}_send_th")) &
                       (_field("FIFO_THRESH", "RECV", bus.r_data) ==
                        P(g.recv_th[f], f"past_fifo{f}_recv_th")))
            ps.assert_(m, f"inv: FIFO {f}'s level is at most its depth", g.level[f] <= depth)
            ps.assert_(m, f"inv: FIFO {f}'s pointers are its level apart",
                       (g.wr_ptr[f] - g.rd_ptr[f])[:len(g.wr_ptr[f])] ==
                       g.level[f][:len(g.wr_ptr[f])])
            ps.cover(m, f"FIFO {f} full", g.level[f] == depth)
            ps.cover(m, f"FIFO {f}: a flush drops words while a word is sent",
                     g.flush[c] & g.sends[f] & (g.level[f] > 0))
            ps.cover(m, f"FIFO {f}: a flush while a word is received",
                     g.flush[c] & g.receives[f])

            # every FIFO_DATA access: OKAY exactly when the ghost accepts it
            accepted = P(g.sends[f] | g.receives[f], f"past_fifo{f}_accepted")
            ps.implies(m, f"FIFO {f}: an accepted send or receive gets OKAY",
                       clean & accepted, bus.resp == RESP_OKAY)
            ps.implies(m, f"FIFO {f}: any other FIFO_DATA access gets SLVERR and data 0",
                       clean & P(g.data_access[f] & ~g.sends[f] & ~g.receives[f],
                                 f"past_fifo{f}_refused"),
                       (bus.resp == RESP_SLVERR) & (bus.r_data == 0))
            unchanged = P(~g.sends[f] & ~g.receives[f] & ~g.flush[c],
                          f"past_fifo{f}_untouched")
            ps.implies(m, f"FIFO {f}: pointers and DROPPED change only by an accepted access "
                          f"or a flush",
                       clean & unchanged,
                       (g.wr_ptr[f] == P(g.wr_ptr[f], f"past_fifo{f}_wr")) &
                       (g.rd_ptr[f] == P(g.rd_ptr[f], f"past_fifo{f}_rd")) &
                       (g.dut_dropped[f] == P(g.dut_dropped[f], f"past_fifo{f}_dropped")))

            # FIFO_STATUS, as read
            status = P(g.read & g.at("FIFO_STATUS", f) &
                       (bus.priv | (bus.agent == g.ep_a[c]) | (bus.agent == g.ep_b[c])),
                       f"past_fifo{f}_status_read")
            level_then = P(g.level[f], f"past_ghost_fifo{f}_level")
            dropped_then = P(g.dropped[f], f"past_ghost_fifo{f}_dropped")
            ps.implies(m, f"FIFO {f}: FIFO_STATUS reads the level, empty, full and DROPPED",
                       clean & status,
                       (bus.resp == RESP_OKAY) &
                       (_field("FIFO_STATUS", "LEVEL", bus.r_data) == level_then) &
                       (_field("FIFO_STATUS", "EMPTY", bus.r_data) == (level_then == 0)) &
                       (_field("FIFO_STATUS", "FULL", bus.r_data) == (level_then == depth)) &
                       (_field("FIFO_STATUS", "DROPPED", bus.r_data) == dropped_then))

        # sticky errors and thresholds, per agent and channel
        ar, ar_target = self.probe[probes.AGENT_RESET], self.probe[probes.AGENT_RESET_TARGET]
        reset_then = [P(ar & (ar_target == k), f"past_agent_reset_fires{k}") for k in range(na)]
        for k in range(na):
            for c in range(p.n_channels):
                fifos = (2 * c, 2 * c + 1)
                own_block = P(Cat(g.blocked[f] for f in fifos).any() & (bus.agent == k),
                              f"past_a{k}_ch{c}_blocked")
                err, err_then = g.bits["error"][k][c], P(g.bits["error"][k][c],
                                                        f"past_a{k}_ch{c}_error")
                ps.implies(m, f"a{k} ch{c}: a send to a full or receive from an empty FIFO "
                              f"sets FIFO_ERROR", clean & own_block, err)
                ps.implies(m, f"a{k} ch{c}: FIFO_ERROR rises only by that",
                           clean & ~err_then & err, own_block)
                for what, event in (
                        ("tx", [g.receives[f] & (g.sender[f] == k) &
                                (g.level[f] == g.send_th[f] + 1) for f in fifos]),
                        ("rx", [g.sends[f] & (g.receiver[f] == k) &
                                (g.level[f] == g.recv_th[f]) for f in fifos])):
                    pend = g.bits[f"{what}_pending"][k][c]
                    pend_then = P(pend, f"past_a{k}_ch{c}_{what}")
                    fired = P(Cat(event).any(), f"past_a{k}_ch{c}_{what}_event")
                    ps.implies(m, f"a{k} ch{c}: the {what} threshold crossing sets its "
                                  f"pending bit", clean & fired, pend)
                    ps.implies(m, f"a{k} ch{c}: the {what} pending bit rises only by a "
                                  f"crossing", clean & ~pend_then & pend, fired)
                    w1c = P(g.write & g.at(f"FIFO_{what.upper()}_PENDING") &
                            (bus.agent == k) & bus.w_data[c], f"past_a{k}_ch{c}_{what}_w1c")
                    ps.implies(m, f"a{k} ch{c}: a W1C clears the {what} pending bit (but for a "
                                  f"crossing in the same cycle)", clean & w1c & ~fired, ~pend)
                    ps.implies(m, f"a{k} ch{c}: the {what} pending bit falls only by its W1C "
                                  f"or a{k}'s reset", clean & pend_then & ~pend,
                               w1c | reset_then[k])
            status = Cat(*(g.bits[f"{w}_pending"][k] & g.bits[f"{w}_enable"][k]
                           for w in ("tx", "rx")),
                         *(self.probe[probes.agent_state(k, f"{w}_pending")] &
                           self.probe[probes.agent_state(k, f"{w}_enable")] for w in ("ch", "ev")))
            ps.assert_(m, f"irq[{k}] is the OR of every status bit of a{k}",
                       d.irq[k] == status.any())
            ps.cover(m, f"irq[{k}] raised by a FIFO threshold",
                     (g.bits["rx_pending"][k] & g.bits["rx_enable"][k]).any())
        return m


class FifoDataProperties(Elaboratable):
    """No word lost, duplicated, reordered or corrupted: the followed word comes out of its
    FIFO at the receive the ghost expects, intact, unless a flush dropped it."""

    def __init__(self, dut, probe):
        self.dut, self.probe = dut, probe
        self.props = PropertySet("msg_fifo_data")

    def elaborate(self, platform):
        m = Module()
        d, p, ps = self.dut, self.dut.params, self.props
        nf, depth = p.n_fifos, p.fifo_depth
        bus = _environment(m, d, ps)
        past = Past(m)
        g = _Ghost(m, p, self.probe, bus, past)
        lock = Signal(name="spec_e_lock")
        m.d.sync += lock.eq(d.bus.lock)

        follows = Signal(name="ghost_follows")
        fifo = Signal(range(nf), name="ghost_followed_fifo")
        word = Signal(32, name="ghost_followed_word")
        ahead = Signal(range(depth), name="ghost_words_ahead")
        # a word sent in the cycle a flush acts is dropped at once: not followed
        choose = ~follows & lock & g.sends.any() & ~g.flush.any()
        taken = Signal(name="ghost_followed_taken")
        m.d.comb += taken.eq(follows & (ahead == 0) & g.receives.bit_select(fifo, 1))
        with m.If(choose):
            for f in range(nf):
                with m.If(g.sends[f]):
                    m.d.sync += [follows.eq(1), fifo.eq(f), ahead.eq(g.level[f])]
            m.d.sync += word.eq(bus.w_data)
        with m.Elif(follows):
            with m.If(taken | g.flush.bit_select(fifo >> 1, 1)):
                m.d.sync += follows.eq(0)
            with m.Elif(g.receives.bit_select(fifo, 1)):
                m.d.sync += ahead.eq(ahead - 1)
        ps.assert_(m, "inv: the followed word is in its FIFO",
                   ~follows | (ahead < Cat(g.level).word_select(fifo, len(g.level[0]))))
        ps.implies(m, "the receive that takes the followed word returns it, intact",
                   past.clean & past(taken, "past_followed_taken"),
                   (bus.resp == RESP_OKAY) & (bus.r_data == past(word, "past_followed_word")))
        ps.cover(m, "a word followed from a full FIFO to its receive",
                 taken & (Cat(g.level).word_select(fifo, len(g.level[0])) == depth))
        ps.cover(m, "a word followed past another's receive",
                 follows & (ahead == 0) & past(follows & (ahead == 1), "past_ahead_one"))
        return m


def make_dut(params, bug=None):
    """An :class:`IocMailbox`, or one with the seeded bug named ``bug`` (see :data:`BUGS`)."""
    dut = IocMailbox(params)
    return dut if bug is None else Mutation(dut, bug, BUGS[bug])


def _receive_keeps_word(m, d, probe):
    # a receive moves neither the read pointer nor the level: the word is delivered twice
    for f in range(d.params.n_fifos):
        rd_ptr, level = (probe[probes.fifo_state(f, x)] for x in ("rd_ptr", "level"))
        with m.If(probe[probes.fifo_bits("pop")][f] & ~probe[probes.EPOCH_BUMP][f // 2]):
            m.d.sync += [rd_ptr.eq(rd_ptr), level.eq(level)]


def _send_when_full(m, d, probe):
    # the full check is missing: a send to a full FIFO overwrites the oldest word
    for f in range(d.params.n_fifos):
        m.d.comb += probe[probes.fifo_bits("push_ok")][f].eq(
            probe[probes.CHANNEL_ON][f // 2] & probe[probes.fifo_bits("is_sender")][f])


def _flush_not_counted(m, d, probe):
    for f in range(d.params.n_fifos):
        dropped = probe[probes.fifo_state(f, "dropped")]
        m.d.sync += dropped.eq(dropped)


def _agent_reset_keeps_words(m, d, probe):
    # only CHANNEL_RESET flushes: a restarted endpoint finds its predecessor's words
    push, pop = probe[probes.fifo_bits("push")], probe[probes.fifo_bits("pop")]
    for f in range(d.params.n_fifos):
        with m.If(probe[probes.AGENT_RESET_CHANNELS][f // 2] &
                  ~(probe[probes.CHANNEL_RESET] &
                    (probe[probes.CHANNEL_RESET_CHANNEL] == f // 2))):
            rd_ptr, level, dropped = (probe[probes.fifo_state(f, x)]
                                      for x in ("rd_ptr", "level", "dropped"))
            m.d.sync += [rd_ptr.eq(rd_ptr + pop[f]),
                         level.eq(level + push[f] - pop[f]),
                         dropped.eq(dropped)]


def _send_threshold_late(m, d, probe):
    # off by one: the send threshold fires when the level drops below it, not to it
    for f in range(d.params.n_fifos):
        level, threshold = (probe[probes.fifo_state(f, x)] for x in ("level", "send_threshold"))
        m.d.comb += probe[probes.fifo_bits("tx_event")][f].eq(
            probe[probes.fifo_bits("pop")][f] & (level == threshold))


def _error_on_any_refusal(m, d, probe):
    # the sticky bit also set by a non-endpoint's refused access
    e_valid, e_write = probe[probes.stage_e("valid")], probe[probes.stage_e("write")]
    for f in range(d.params.n_fifos):
        m.d.comb += probe[probes.fifo_bits("error")][f].eq(
            e_valid & probe[probes.FORM_OK] & probe[probes.register_hit("FIFO_DATA", f)] &
            ~Mux(e_write, probe[probes.fifo_bits("push_ok")][f],
                 probe[probes.fifo_bits("pop_ok")][f]))


def _no_read_forwarding(m, d, probe):
    # back-to-back receives from one FIFO read the same slot twice
    m.d.comb += probe[probes.fifo_bits("forward")].eq(0)


#: Seeded bugs: name -> mutation (see :class:`~verify.formal.core.Mutation`).
BUGS = {
    "receive_keeps_word": _receive_keeps_word,
    "send_when_full": _send_when_full,
    "flush_not_counted": _flush_not_counted,
    "agent_reset_keeps_words": _agent_reset_keeps_words,
    "send_threshold_late": _send_threshold_late,
    "error_on_any_refusal": _error_on_any_refusal,
    "no_read_forwarding": _no_read_forwarding,
}
