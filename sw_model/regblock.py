"""Transaction-level reference model of the register block (:mod:`rtl.ioc_mailbox`).

The model is driven by the same declarations as the gateware (:data:`ioc_defs.regmap.REGMAP`): the
decoder, the generic access checks, field positions and limits all come from there. It is the
oracle of the RTL unit tests and of the co-simulation scoreboard, so it agrees with the RTL
access for access and cycle for cycle.

Cycle model
-----------
Time advances in clock cycles. :meth:`RegBlock.access` is one cycle in which one access is
presented (the ``valid`` cycle); :meth:`RegBlock.tick` is ``n`` cycles without an access. An
access sees the state as it was during its cycle (a read of ``CYCLE_LO`` returns the number of
cycles simulated before it) and its effects, together with the effects of time in that cycle
(watchdogs, agent reset pulse, cycle counter, the ``bus_error`` input), are applied at the end
of the cycle. ``AGENT_CTRL.RESET``, ``CHANNEL_RESET`` and the ``BUS_ERROR`` event of a refused
access are latched and act at the end of the following cycle, from the state of that cycle, as
in the RTL. After a call, :attr:`RegBlock.irq` and :attr:`RegBlock.agent_rst` are the output
levels during the following cycle, which is the cycle the RTL gives the response in.
"""

from collections import deque
from dataclasses import dataclass, field

from ioc_defs import regmap
from ioc_defs.axi import WORD_SIZE
from ioc_defs.params import REG_BASE, REG_SIZE, IocParams, ScFailCause
from ioc_defs.regmap import REGMAP, Check, Event

__all__ = ["MonitorStatus", "RegBlock", "static_refusal"]

_ALL_EVENTS = (1 << len(Event)) - 1
#: The banked FIFO registers that hold state (per agent), in :attr:`RegBlock.fifo_bits`.
_FIFO_BANKED = ("FIFO_TX_PENDING", "FIFO_TX_ENABLE", "FIFO_RX_PENDING", "FIFO_RX_ENABLE",
                "FIFO_ERROR")


@dataclass
class MonitorStatus:
    """LL/SC statistics of one agent, as the LL/SC monitor presents them to the register block."""
    cause: ScFailCause = ScFailCause.NONE
    ll_count: int = 0
    sc_ok_count: int = 0
    sc_fail_count: int = 0


@dataclass
class _Effects:
    """What one cycle changes, collected from the state before the cycle's clock edge."""
    ch_set: list
    ch_clr: list
    ev_set: list
    ev_clr: list
    wd_load: list
    writes: list  # callables applied after the time effects
    epoch_bump: set
    # per agent: FIFO send/receive-threshold and error bits set; FIFO words sent/received
    fifo_set: dict = field(default_factory=dict)
    fifo_ops: list = field(default_factory=list)
    agent_reset: int | None = None
    wd_exp_clr: int = 0
    # latched for the next cycle
    next_refused: int | None = None
    next_agent_reset: int | None = None
    next_channel_reset: int | None = None


class RegBlock:
    """Reference model of the IOC mailbox + IPI controller register block.

    Parameters
    ----------
    params : IocParams
        Configuration of the subsystem.

    Members
    -------
    monitor : list of MonitorStatus
        Per-agent LL/SC statistics, read by ``SC_CAUSE``, ``LL_COUNT``, ... accesses.
    bus_error : int
        Value of the ``bus_error`` input during the next cycle (bit k: agent k got an error
        response outside the register block). It is a pulse: cleared after one cycle.
    last_refusal : str or None
        Name of the :data:`ioc_defs.regmap.BAD_ACCESSES` entry that refused the last access, or
        ``None`` if it was accepted.

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`~ioc_defs.params.IocParams`.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._p = params
        self._decode = {addr: (reg, i) for reg, i, addr in REGMAP.instances(params)}
        self._checks = {
            Check.DOORBELL_ENDPOINT: self._doorbell_ok,
            Check.EPOCH_READER:
                lambda agent, i, data, priv, write: priv or self._is_endpoint(i, agent),
            Check.KICK_PERMITTED:
                lambda agent, i, data, priv, write: priv or bool(self.wd_mask[i] >> agent & 1),
            Check.FIFO_DATA: lambda agent, i, data, priv, write: self._fifo_blocked(
                agent, i, write) is None and self.fifo_party(agent, i, write),
            Check.FIFO_READER:
                lambda agent, i, data, priv, write: priv or self._is_endpoint(i // 2, agent),
        }
        na, nc, nw = params.n_agents, params.n_channels, params.n_watchdogs
        self.monitor = [MonitorStatus() for _ in range(na)]
        self.bus_error = 0
        self.last_refusal = None
        self.cycle = 0
        self.ep_a, self.ep_b, self.ch_on = [0] * nc, [0] * nc, [False] * nc
        self.epoch = [0] * nc
        self.ch_pend, self.ch_ena = [0] * na, [0] * na
        self.ev_pend, self.ev_ena = [0] * na, [0] * na
        self.rst_cnt = [0] * na
        self.wd_period, self.wd_count = [0] * nw, [0] * nw
        self.wd_on, self.wd_sup, self.wd_mask = [False] * nw, [0] * nw, [0] * nw
        self.wd_expired = 0
        # message FIFOs: the words of FIFO f (oldest first), its dropped count and thresholds;
        # per agent the banked FIFO interrupt and error bits, by register name
        nf = params.n_fifos
        self.fifo = [deque() for _ in range(nf)]
        self.fifo_dropped, self.fifo_send_th, self.fifo_recv_th = [0] * nf, [0] * nf, [0] * nf
        self.fifo_bits = {name: [0] * na for name in _FIFO_BANKED}
        self._refused_q = self._agent_reset_q = self._channel_reset_q = None

    @property
    def params(self):
        return self._p

    @property
    def irq(self):
        """``irq`` output as a bit mask (bit k = ``irq[k]``)."""
        b = self.fifo_bits
        return sum(1 << k for k in range(self._p.n_agents)
                   if self.ch_pend[k] & self.ch_ena[k] or self.ev_pend[k] & self.ev_ena[k]
                   or b["FIFO_TX_PENDING"][k] & b["FIFO_TX_ENABLE"][k]
                   or b["FIFO_RX_PENDING"][k] & b["FIFO_RX_ENABLE"][k])

    @property
    def agent_rst(self):
        """``agent_rst`` output as a bit mask."""
        return sum(1 << k for k, n in enumerate(self.rst_cnt) if n)

    # -- the two ways time passes ------------------------------------------------------------------

    def tick(self, n=1):
        """``n`` cycles without an access."""
        for _ in range(n):
            self._end_cycle(self._effects())

    def access(self, agent, addr, write, data=0, strb=0b1111, size=WORD_SIZE, priv=False,
               lock=False):
        """One cycle with one access; returns ``(resp, r_data)`` as the RTL answers it.

        ``addr`` is the absolute byte address (in the register window). ``lock`` (AxLOCK) is
        accepted and ignored: exclusives to the register window are plain accesses.
        """
        if not 0 <= agent < self._p.n_agents:
            raise ValueError(f"agent must be below {self._p.n_agents}, not {agent!r}")
        if not REG_BASE <= addr < REG_BASE + REG_SIZE:
            raise ValueError(f"addr {addr:#x} is outside the register window")
        fx = self._effects()
        offset = addr - REG_BASE
        hit = self._decode.get(offset & ~3)
        self.last_refusal = self._refusal(hit, agent, offset, write, data, strb, size, priv)
        resp, r_data = regmap.RESP_OKAY, 0
        if self.last_refusal is not None:
            resp = regmap.RESP_SLVERR
            fx.next_refused = agent
            if self.last_refusal == "CHECK" and hit[0].name == "FIFO_DATA" and \
                    self._fifo_blocked(agent, hit[1], write) is not None:
                self._fifo_set(fx, "FIFO_ERROR", agent, hit[1] // 2)
        elif write:
            self._write(fx, hit[0], hit[1], agent, data)
        elif hit[0].name == "FIFO_DATA":
            r_data = self._receive(fx, hit[1])
        else:
            r_data = hit[0].compose(self._read(hit[0], hit[1], agent, priv))
        self._end_cycle(fx)
        return resp, r_data

    def refusal(self, agent, addr, write, data=0, strb=0b1111, size=WORD_SIZE, priv=False):
        """Which :data:`ioc_defs.regmap.BAD_ACCESSES` entry would refuse this access now (``None``
        if it would be accepted), without performing it."""
        offset = addr - REG_BASE
        return self._refusal(self._decode.get(offset & ~3), agent, offset, write, data, strb,
                             size, priv)

    # -- decoding and checks -----------------------------------------------------------------

    def _refusal(self, hit, agent, offset, write, data, strb, size, priv):
        why = static_refusal(self._p, offset, write=write, size=size, strb=strb, priv=priv,
                             data=data)
        if why is None and hit[0].check is not None and not self._checks[hit[0].check](
                agent, hit[1], data, priv, write):
            return "CHECK"
        return why

    def _is_endpoint(self, c, agent):
        return agent in (self.ep_a[c], self.ep_b[c])

    def _doorbell_ok(self, agent, i, data, priv, write):
        c = REGMAP["DOORBELL"].field("CHANNEL").get(data)
        return self.ch_on[c] and self._is_endpoint(c, agent)

    def _peer(self, c, agent):
        return self.ep_b[c] if agent == self.ep_a[c] else self.ep_a[c]

    def fifo_index(self, addr):
        """The index of the message FIFO whose ``FIFO_DATA`` is at byte ``addr``, or
        ``None``."""
        hit = self._decode.get((addr - REG_BASE) & ~3)
        return hit[1] if hit is not None and hit[0].name == "FIFO_DATA" else None

    def fifo_sender(self, f):
        """The agent that sends into FIFO ``f`` (endpoint A of its channel for A to B)."""
        return (self.ep_a, self.ep_b)[f % 2][f // 2]

    def fifo_receiver(self, f):
        """The agent that receives from FIFO ``f``."""
        return (self.ep_b, self.ep_a)[f % 2][f // 2]

    def fifo_party(self, agent, f, write):
        """The caller may send into (``write``) or receive from FIFO ``f``: its channel is
        enabled and the caller is the FIFO's sender (receiver)."""
        return self.ch_on[f // 2] and agent == (self.fifo_sender if write
                                                else self.fifo_receiver)(f)

    def _fifo_blocked(self, agent, f, write):
        """``"FULL"`` or ``"EMPTY"`` if the right party's send or receive finds FIFO ``f``
        so; ``None`` otherwise."""
        if not self.fifo_party(agent, f, write):
            return None
        if write and len(self.fifo[f]) == self._p.fifo_depth:
            return "FULL"
        if not write and not self.fifo[f]:
            return "EMPTY"
        return None

    @staticmethod
    def _fifo_set(fx, name, agent, c):
        fx.fifo_set.setdefault((name, agent), 0)
        fx.fifo_set[name, agent] |= 1 << c

    # -- reads -----------------------------------------------------------------------------------

    def _read(self, reg, i, agent, priv):
        p = self._p
        events = self._events
        match reg.name:
            case "ID" | "CONFIG" | "SHM_SIZE" | "RST_CFG" | "LLSC_CFG":
                return regmap.configuration_fields(p)[reg.name]
            case "WHOAMI":
                return {"AGENT": agent, "PRIV": int(priv)}
            case "IRQ_STATUS":
                return {"IRQ": self.irq}
            case "CYCLE_LO":
                return {"COUNT": self.cycle & 0xFFFF_FFFF}
            case "CYCLE_HI":
                return {"COUNT": self.cycle >> 32}
            case "CH_PENDING":
                return {"CH": self.ch_pend[agent]}
            case "CH_ENABLE":
                return {"CH": self.ch_ena[agent]}
            case "CH_STATUS":
                return {"CH": self.ch_pend[agent] & self.ch_ena[agent]}
            case "TX_PENDING":
                return {"CH": sum(1 << c for c in range(p.n_channels)
                                  if self.ch_on[c] and self._is_endpoint(c, agent)
                                  and self.ch_pend[self._peer(c, agent)] >> c & 1)}
            case "EV_PENDING":
                return events(self.ev_pend[agent])
            case "EV_ENABLE":
                return events(self.ev_ena[agent])
            case "EV_STATUS":
                return events(self.ev_pend[agent] & self.ev_ena[agent])
            case "WDOG_EXPIRED":
                return {"WDOG": self.wd_expired}
            case "CH_CFG":
                return {"EP_A": self.ep_a[i], "EP_B": self.ep_b[i], "ENABLE": int(self.ch_on[i])}
            case "EPOCH":
                return {"EPOCH": self.epoch[i]}
            case "AGENT_CTRL":
                return {"IN_RESET": int(self.rst_cnt[i] != 0)}
            case "WDOG_PERIOD":
                return {"PERIOD": self.wd_period[i]}
            case "WDOG_CTRL":
                return {"ENABLE": int(self.wd_on[i]), "SUPERVISOR": self.wd_sup[i],
                        "KICK_MASK": self.wd_mask[i]}
            case "WDOG_COUNT":
                return {"COUNT": self.wd_count[i]}
            case "SC_CAUSE":
                return {"CAUSE": int(self.monitor[i].cause)}
            case "LL_COUNT":
                return {"COUNT": self.monitor[i].ll_count}
            case "SC_OK_COUNT":
                return {"COUNT": self.monitor[i].sc_ok_count}
            case "SC_FAIL_COUNT":
                return {"COUNT": self.monitor[i].sc_fail_count}
            case "FIFO_STATUS":
                level = len(self.fifo[i])
                return {"LEVEL": level, "EMPTY": int(level == 0),
                        "FULL": int(level == p.fifo_depth), "DROPPED": self.fifo_dropped[i]}
            case "FIFO_THRESH":
                return {"SEND": self.fifo_send_th[i], "RECV": self.fifo_recv_th[i]}
            case name if name in _FIFO_BANKED:
                return {"CH": self.fifo_bits[name][agent]}
            case "FIFO_TX_STATUS" | "FIFO_RX_STATUS":
                kind = reg.name[:7]
                return {"CH": self.fifo_bits[kind + "_PENDING"][agent] &
                        self.fifo_bits[kind + "_ENABLE"][agent]}
        raise NotImplementedError(f"no read model for {reg.name}")  # pragma: no cover

    def _receive(self, fx, f):
        """An accepted read of ``FIFO_DATA[f]``: the oldest word, removed at the end of the
        cycle; the sender's send threshold is reached if the level drops to it."""
        if len(self.fifo[f]) == self.fifo_send_th[f] + 1:
            self._fifo_set(fx, "FIFO_TX_PENDING", self.fifo_sender(f), f // 2)
        fx.fifo_ops.append((f, None))
        return self.fifo[f][0]

    @staticmethod
    def _events(bits):
        return {e.name: bits >> e & 1 for e in Event}

    # -- writes ----------------------------------------------------------------------------------

    def _write(self, fx, reg, i, agent, data):
        p = self._p
        fields = {f.name: f.get(data) for f in reg.fields}
        ch_mask = (1 << p.n_channels) - 1
        ev_bits = sum(fields.get(e.name, 0) << e for e in Event)
        match reg.name:
            case "CH_PENDING":
                fx.ch_clr[agent] |= fields["CH"] & ch_mask
            case "CH_ENABLE":
                fx.writes.append(lambda: self.ch_ena.__setitem__(agent, fields["CH"] & ch_mask))
            case "EV_PENDING":
                fx.ev_clr[agent] |= ev_bits
            case "EV_ENABLE":
                fx.writes.append(lambda: self.ev_ena.__setitem__(agent, ev_bits))
            case "DOORBELL":
                c = fields["CHANNEL"]
                fx.ch_set[self._peer(c, agent)] |= 1 << c
            case "CHANNEL_RESET":
                fx.next_channel_reset = fields["CHANNEL"]
            case "WDOG_EXPIRED":
                fx.wd_exp_clr = fields["WDOG"]
            case "CH_CFG":
                def cfg():
                    self.ep_a[i], self.ep_b[i] = fields["EP_A"], fields["EP_B"]
                    self.ch_on[i] = bool(fields["ENABLE"])
                fx.writes.append(cfg)
            case "AGENT_CTRL":
                if fields["RESET"]:
                    fx.next_agent_reset = i
            case "WDOG_PERIOD":
                fx.writes.append(lambda: self.wd_period.__setitem__(i, fields["PERIOD"]))
            case "WDOG_CTRL":
                if fields["ENABLE"] and not self.wd_on[i]:
                    fx.wd_load[i] = True

                def ctrl():
                    self.wd_on[i] = bool(fields["ENABLE"])
                    self.wd_sup[i] = fields["SUPERVISOR"]
                    self.wd_mask[i] = fields["KICK_MASK"] & ((1 << p.n_agents) - 1)
                fx.writes.append(ctrl)
            case "WDOG_KICK":
                fx.wd_load[i] = True
            case "FIFO_DATA":
                if len(self.fifo[i]) == self.fifo_recv_th[i]:
                    self._fifo_set(fx, "FIFO_RX_PENDING", self.fifo_receiver(i), i // 2)
                fx.fifo_ops.append((i, data))
            case "FIFO_THRESH":
                def thresh():
                    self.fifo_send_th[i], self.fifo_recv_th[i] = fields["SEND"], fields["RECV"]
                fx.writes.append(thresh)
            case "FIFO_TX_PENDING" | "FIFO_RX_PENDING" | "FIFO_ERROR":
                fx.fifo_set["clear " + reg.name, agent] = fields["CH"] & ch_mask
            case "FIFO_TX_ENABLE" | "FIFO_RX_ENABLE":
                fx.writes.append(lambda: self.fifo_bits[reg.name].__setitem__(
                    agent, fields["CH"] & ch_mask))
            case _:  # pragma: no cover
                raise NotImplementedError(f"no write model for {reg.name}")

    def _channel_reset(self, fx, c):
        fx.epoch_bump.add(c)
        for k in {self.ep_a[c], self.ep_b[c]}:
            fx.ev_set[k] |= 1 << Event.PEER_RESET

    def _agent_reset(self, fx, t):
        fx.agent_reset = t
        fx.ch_clr[t] = (1 << self._p.n_channels) - 1
        fx.ev_clr[t] = _ALL_EVENTS
        for c in range(self._p.n_channels):
            if self.ch_on[c] and self._is_endpoint(c, t):
                fx.epoch_bump.add(c)
                other = self._peer(c, t)
                if other != t:
                    fx.ev_set[other] |= 1 << Event.PEER_RESET

    # -- the clock edge --------------------------------------------------------------------------

    def _effects(self):
        """The effects of a new cycle, starting with those latched in the previous one."""
        na = self._p.n_agents
        fx = _Effects(ch_set=[0] * na, ch_clr=[0] * na, ev_set=[0] * na, ev_clr=[0] * na,
                      wd_load=[False] * self._p.n_watchdogs, writes=[], epoch_bump=set())
        if self._refused_q is not None:
            fx.ev_set[self._refused_q] |= 1 << Event.BUS_ERROR
        if self._agent_reset_q is not None:
            self._agent_reset(fx, self._agent_reset_q)
        if self._channel_reset_q is not None:
            self._channel_reset(fx, self._channel_reset_q)
        return fx

    def _end_cycle(self, fx):
        p = self._p
        for k in range(p.n_agents):
            if self.bus_error >> k & 1:
                fx.ev_set[k] |= 1 << Event.BUS_ERROR
        self.bus_error = 0
        wd_exp_set = 0
        for w in range(p.n_watchdogs):
            # expiry depends on the state only: a kick in the same cycle does not prevent it
            expired = self.wd_on[w] and self.wd_count[w] <= 1
            if expired:
                wd_exp_set |= 1 << w
                fx.ev_set[self.wd_sup[w]] |= 1 << Event.WATCHDOG
            if fx.wd_load[w] or expired:
                self.wd_count[w] = self.wd_period[w]
            elif self.wd_on[w]:
                self.wd_count[w] -= 1
        self.wd_expired = (self.wd_expired & ~fx.wd_exp_clr) | wd_exp_set
        for k in range(p.n_agents):
            # A set and a clear of the same bit in the same cycle: the set wins.
            self.ch_pend[k] = (self.ch_pend[k] & ~fx.ch_clr[k]) | fx.ch_set[k]
            self.ev_pend[k] = (self.ev_pend[k] & ~fx.ev_clr[k]) | fx.ev_set[k]
            for name in _FIFO_BANKED:
                bits = self.fifo_bits[name]
                clear = fx.fifo_set.get(("clear " + name, k), 0)
                if fx.agent_reset == k:
                    clear = -1
                # A set and a clear of the same bit in the same cycle: the set wins.
                bits[k] = (bits[k] & ~clear) | fx.fifo_set.get((name, k), 0)
            if fx.agent_reset == k:
                self.rst_cnt[k] = p.agent_rst_cycles
                self.ch_ena[k] = self.ev_ena[k] = 0
            elif self.rst_cnt[k]:
                self.rst_cnt[k] -= 1
        for c in fx.epoch_bump:
            self.epoch[c] = (self.epoch[c] + 1) & regmap.EPOCH_MASK
        for write in fx.writes:
            write()
        for f, word in fx.fifo_ops:
            if word is None:
                self.fifo[f].popleft()
            else:
                self.fifo[f].append(word)
        # a flush acts after the send or receive of its cycle
        for c in fx.epoch_bump:
            for f in range(2 * c, 2 * c + 2) if p.fifo_depth else ():
                self.fifo_dropped[f] = (self.fifo_dropped[f] + len(self.fifo[f])) & (
                    (1 << regmap.FIFO_DROPPED_WIDTH) - 1)
                self.fifo[f].clear()
        self._refused_q = fx.next_refused
        self._agent_reset_q = fx.next_agent_reset
        self._channel_reset_q = fx.next_channel_reset
        self.cycle = (self.cycle + 1) % (1 << 64)


def static_refusal(params, offset, *, write, size, strb, priv, data):
    """The first :data:`~ioc_defs.regmap.BAD_ACCESSES` reason that refuses a register-window access
    and that does not depend on the register block's state (every one but ``CHECK``), or
    ``None``.

    ``offset`` is the byte offset in the window. A refused access that none of these explain
    was refused by its register's ``CHECK``.
    """
    hit = REGMAP.decode(params, offset)
    if hit is None:
        return "HOLE"
    reg = hit[0]
    if size != WORD_SIZE:
        return "SIZE"
    if offset & 3:
        return "MISALIGNED"
    if write and strb != 0b1111:
        return "STROBE"
    if not write and not reg.readable:
        return "READ_WRITE_ONLY"
    if write and not reg.writable:
        return "WRITE_READ_ONLY"
    if write and reg.priv_write and not priv:
        return "PRIVILEGE"
    if write and any(f.get(data) >= getattr(params, f.limit)
                     for f in reg.fields if f.limit is not None):
        return "LIMIT"
    return None
