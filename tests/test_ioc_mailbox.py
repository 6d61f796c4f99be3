"""Unit tests of the register block (:mod:`rtl.ioc_mailbox`) against its reference model.

Every access goes through :class:`Bench`, which drives the RTL ``bus`` port for one cycle, runs the
same access on :class:`sw_model.regblock.RegBlock` and asserts that response, read data, ``irq``
and ``agent_rst`` agree. Directed tests additionally assert the expected values themselves, so a
bug shared by model and RTL still fails.
"""

import random

import pytest
from amaranth.hdl import Fragment
from amaranth.sim import Simulator
from simutil import simulate

from ioc_defs import probes
from ioc_defs.axi import WORD_SIZE
from ioc_defs.params import REG_BASE, IocParams, ScFailCause
from ioc_defs.regmap import REGMAP, RESP_OKAY, RESP_SLVERR, Event
from rtl.ioc_mailbox import IocMailbox
from sw_model.regblock import MonitorStatus, RegBlock
from verify.formal.core import Probe

OKAY, SLVERR = RESP_OKAY, RESP_SLVERR
WDOG, PEER, BUSERR = (1 << Event.WATCHDOG), (1 << Event.PEER_RESET), (1 << Event.BUS_ERROR)


def addr(name, i=0):
    return REG_BASE + REGMAP[name].address(i)


def cfg_word(a, b, enable=True):
    f = REGMAP["CH_CFG"]
    return f.compose({"EP_A": a, "EP_B": b, "ENABLE": int(enable)})


def wdog_ctrl(enable, supervisor, kick_mask):
    return REGMAP["WDOG_CTRL"].compose(
        {"ENABLE": int(enable), "SUPERVISOR": supervisor, "KICK_MASK": kick_mask})


class Bench:
    """Drives one :class:`IocMailbox` and its :class:`RegBlock` model in lock step."""

    def __init__(self, ctx, dut):
        self.ctx, self.dut = ctx, dut
        self.model = RegBlock(dut.params)
        self.cycles = 0
        self.rst_cycles = 0
        self._error = 0
        self._in_e = None

    def _check_outputs(self):
        ctx, dut, model = self.ctx, self.dut, self.model
        assert ctx.get(dut.irq) == model.irq, f"irq at cycle {self.cycles}"
        assert ctx.get(dut.agent_rst) == model.agent_rst, f"agent_rst at cycle {self.cycles}"
        self.rst_cycles += model.agent_rst != 0

    async def step(self, acc=None):
        """One cycle: present ``acc`` (a tuple of :meth:`access`'s arguments, or None) in X
        while the previous cycle's access is in E, with the pending ``bus_error`` pulse; then
        check the answer to the access that was in E, and the outputs, against the model.
        Returns that answer ``(resp, r_data)`` (None if there was none)."""
        ctx, bus, prev = self.ctx, self.dut.bus, self._in_e
        if acc is not None:
            for member, value in zip(("agent", "addr", "write", "w_data", "w_strb", "size",
                                      "priv", "lock"), acc, strict=True):
                ctx.set(getattr(bus, member), value)
        ctx.set(bus.valid, acc is not None)
        ctx.set(self.dut.bus_error, self._error)
        self.model.bus_error, self._error = self._error, 0
        await ctx.tick()
        self.cycles += 1
        self._in_e = acc
        got = None
        if prev is None:
            self.model.tick()
        else:
            got = ctx.get(bus.resp), ctx.get(bus.r_data)
            want = self.model.access(*prev)
            agent, a, write, data, strb, size, priv, _ = prev
            assert got == want, (f"cycle {self.cycles}: agent {agent} {'W' if write else 'R'} "
                                 f"{a:#x} data={data:#x} strb={strb:#x} size={size} "
                                 f"priv={priv}: RTL {got} model {want} "
                                 f"({self.model.last_refusal})")
        self._check_outputs()
        return got

    @staticmethod
    def op(agent, name_or_addr, i=0, *, write=False, data=0, strb=0b1111, size=WORD_SIZE,
           priv=False, lock=False):
        """An access as :meth:`step` and :meth:`seq` take it."""
        a = addr(name_or_addr, i) if isinstance(name_or_addr, str) else name_or_addr
        return (agent, a, write, data, strb, size, priv, lock)

    async def seq(self, *ops):
        """Accesses back to back, one per cycle (None: an idle cycle); returns their answers."""
        answers = []
        for acc in (*ops, None):
            got = await self.step(acc)
            if got is not None:
                answers.append(got)
        return answers

    async def access(self, agent, name_or_addr, i=0, *, write=False, data=0, strb=0b1111,
                     size=WORD_SIZE, priv=False, lock=False):
        """One access alone in the pipeline: presented for one cycle (X), performed in the next
        (E, with the pending ``bus_error`` pulse), answered in the one after; returns ``(resp,
        r_data)`` after checking the model."""
        error, self._error = self._error, 0
        await self.step(self.op(agent, name_or_addr, i, write=write, data=data, strb=strb,
                                size=size, priv=priv, lock=lock))
        self._error = error
        return await self.step()

    async def read(self, agent, name, i=0, **kwargs):
        return await self.access(agent, name, i, **kwargs)

    async def write(self, agent, name, i=0, data=0, **kwargs):
        return await self.access(agent, name, i, write=True, data=data, **kwargs)

    async def read_ok(self, agent, name, i=0, **kwargs):
        resp, data = await self.read(agent, name, i, **kwargs)
        assert resp == OKAY, f"read of {name}[{i}] by agent {agent} refused"
        return data

    async def write_ok(self, agent, name, i=0, data=0, **kwargs):
        resp, _ = await self.write(agent, name, i, data, **kwargs)
        assert resp == OKAY, f"write of {name}[{i}] by agent {agent} refused"

    async def tick(self, n=1):
        """``n`` idle cycles, checking the outputs after each."""
        for _ in range(n):
            await self.step()

    def bus_error(self, mask):
        """Pulse the fabric's ``bus_error`` input during the next idle cycle, or during the E
        cycle of the next access (the cycle its effects happen in)."""
        self._error = mask

    def monitor(self, k, status):
        mon = self.dut.monitor
        for name in ("cause", "ll_count", "sc_ok_count", "sc_fail_count"):
            self.ctx.set(getattr(mon, name)[k], getattr(status, name))
        self.model.monitor[k] = status

    def irq(self):
        return self.ctx.get(self.dut.irq)

    def agent_rst(self):
        return self.ctx.get(self.dut.agent_rst)

    async def connect(self, c, a, b, enable=True):
        await self.write_ok(0, "CH_CFG", c, cfg_word(a, b, enable), priv=True)


def run(params, body):
    dut = IocMailbox(params)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def testbench(ctx):
        await body(Bench(ctx, dut))
    sim.add_testbench(testbench)
    sim.run()


# -- randomized comparison against the reference model ---------------------------------------------

def _random_data(rng, p, reg):
    na = p.n_agents
    match reg.name:
        case "CH_CFG":
            return cfg_word(rng.randrange(na + (rng.random() < 0.1)),
                            rng.randrange(na + (rng.random() < 0.1)), rng.random() < 0.8)
        case "DOORBELL" | "CHANNEL_RESET":
            if rng.random() < 0.1:
                return rng.getrandbits(32)
            return rng.randrange(p.n_channels + 1)
        case "AGENT_CTRL":
            reset = REGMAP["AGENT_CTRL"].field("RESET").mask
            return rng.getrandbits(32) & ~reset | (reset if rng.random() < 0.3 else 0)
        case "WDOG_PERIOD":
            return rng.randrange(30)
        case "WDOG_CTRL":
            return wdog_ctrl(rng.random() < 0.7, rng.randrange(na + (rng.random() < 0.1)),
                             rng.getrandbits(16))
        case "FIFO_THRESH":
            return REGMAP["FIFO_THRESH"].compose(
                {"SEND": rng.randrange(max(p.fifo_depth, 1) + (rng.random() < 0.1)),
                 "RECV": rng.randrange(max(p.fifo_depth, 1) + (rng.random() < 0.1))})
        case "CH_ENABLE" | "EV_ENABLE" | "FIFO_TX_ENABLE" | "FIFO_RX_ENABLE":
            return rng.choice([0xFFFF_FFFF, rng.getrandbits(32)])
    return rng.getrandbits(32)


def _random_access(rng, p):
    """``(agent, addr, write, data, strb, size, priv, lock)`` with a mix of good and bad ones."""
    agent = rng.randrange(p.n_agents)
    priv = rng.random() < 0.6
    lock = rng.random() < 0.05
    if rng.random() < 0.03:
        return agent, REG_BASE + rng.randrange(REGMAP.window) & ~3, rng.random() < 0.5, \
            rng.getrandbits(32), 0b1111, 2, priv, lock
    reg = rng.choice(list(REGMAP))
    n = reg.count(p) if reg.count(p) and rng.random() < 0.95 else reg.max_count
    a = REG_BASE + reg.address(rng.randrange(n))
    if reg.readable and reg.writable:
        write = rng.random() < 0.5
    else:
        write = reg.writable != (rng.random() < 0.03)
    size, strb = 2, 0b1111
    roll = rng.random()
    if roll < 0.02:
        size = rng.choice([0, 1, 3])
    elif roll < 0.04:
        strb = rng.randrange(15)
    elif roll < 0.05:
        a += rng.randrange(1, 4)
    return agent, a, write, _random_data(rng, p, reg), strb, size, priv, lock


RANDOM_CONFIGS = [
    (IocParams(n_agents=2), 1, 3000),
    (IocParams(n_agents=4, n_channels=5, n_watchdogs=3, agent_rst_cycles=3), 2, 3000),
    (IocParams(n_agents=1, n_channels=1, n_watchdogs=0, agent_rst_cycles=1), 3, 600),
    (IocParams(n_agents=2, n_channels=32, n_watchdogs=8, agent_rst_cycles=2), 4, 2000),
    (IocParams(n_agents=2, n_channels=2, n_watchdogs=1, fifo_depth=2), 5, 3000),
    (IocParams(n_agents=3, n_channels=3, n_watchdogs=1, agent_rst_cycles=4, fifo_depth=4), 7,
     4000),
]


@pytest.mark.parametrize("pipelined", [False, True], ids=["alone", "back_to_back"])
@pytest.mark.parametrize("params,seed,n", RANDOM_CONFIGS, ids=lambda v: str(v))
def test_random_against_model(params, seed, n, pipelined):
    """Random accesses, each alone in the pipeline or one per cycle (each access in X while the
    previous one is in E: every hazard between neighbours), against the serial model."""
    rng = random.Random(seed)
    seen = {"refused": 0, "irq": 0, "rst": 0}
    accepted = set()

    def record(acc, resp):
        seen["refused"] += resp == SLVERR
        if resp == OKAY:
            reg, _ = REGMAP.decode(params, acc[1] - REG_BASE)
            accepted.add((reg.name, acc[2]))

    async def body(bench):
        prev = None
        for _ in range(n):
            roll = rng.random()
            if roll < 0.05:
                bench.bus_error(rng.getrandbits(params.n_agents))
            elif roll < 0.07:
                bench.monitor(rng.randrange(params.n_agents),
                              MonitorStatus(rng.choice(list(ScFailCause)), rng.getrandbits(32),
                                            rng.getrandbits(32), rng.getrandbits(32)))
            if rng.random() < 0.05:
                if prev is not None:
                    record(prev, (await bench.step())[0])
                    prev = None
                await bench.tick(rng.randrange(1, 6))
            acc = _random_access(rng, params)
            if pipelined:
                got = await bench.step(acc)
                if prev is not None:
                    record(prev, got[0])
                prev = acc
            else:
                agent, a, write, data, strb, size, priv, lock = acc
                resp, _ = await bench.access(agent, a, write=write, data=data, strb=strb,
                                             size=size, priv=priv, lock=lock)
                record(acc, resp)
            seen["irq"] += bench.irq() != 0
        if prev is not None:
            record(prev, (await bench.step())[0])
        seen["rst"] = bench.rst_cycles
    run(params, body)
    # the stimulus must actually reach the interesting states
    assert seen["refused"] > n // 20
    assert seen["irq"] > n // 20
    assert seen["rst"] > 0
    for reg, _, _ in REGMAP.instances(params):
        for write in (False, True):
            if (reg.writable if write else reg.readable):
                assert (reg.name, write) in accepted, f"{reg.name} never accepted write={write}"



# -- directed tests --------------------------------------------------------------------------------

P3 = IocParams(n_agents=3, n_channels=4, n_watchdogs=2, agent_rst_cycles=5)


def test_model_rejects_impossible_accesses():
    model = RegBlock(P3)
    with pytest.raises(ValueError, match=r"^agent must be below 3, not 3$"):
        model.access(3, REG_BASE, False)
    with pytest.raises(ValueError, match=r"^addr 0x11000 is outside the register window$"):
        model.access(0, REGMAP.base + REGMAP.window, False)


def test_ports():
    dut = IocMailbox(P3)
    assert dut.params is P3
    assert len(dut.irq) == 3 and len(dut.agent_rst) == 3 and len(dut.bus_error) == 3
    assert len(dut.bus.agent) == 2 and len(dut.bus.addr) == 32
    assert len(dut.monitor.ll_count) == 3
    Fragment.get(dut, None)  # elaborates


def test_identification():
    p = IocParams(n_agents=3, n_channels=4, shm_bytes=8192, granule_log2=3, n_watchdogs=2,
                  agent_rst_cycles=5, resv_hold_cycles=20)

    async def body(b):
        assert await b.read_ok(1, "ID") == REGMAP["ID"].reset
        assert await b.read_ok(2, "CONFIG") == 3 | 4 << 8 | 2 << 16 | 3 << 24
        assert await b.read_ok(0, "SHM_SIZE") == 8192
        assert await b.read_ok(0, "RST_CFG") == 5
        assert await b.read_ok(1, "LLSC_CFG") == 20 | (2 * (20 + 3 + 1) + 2) << 16
        for k in range(3):
            assert await b.read_ok(k, "WHOAMI") == k
            assert await b.read_ok(k, "WHOAMI", priv=True) == k | 1 << 8
    run(p, body)


def test_reset_values_and_rw_fields_read_back():
    """Generic over the map: reset values, then every RW field of every entry written and read."""
    p = P3
    sized = {("CH_ENABLE", "CH"): p.n_channels, ("WDOG_CTRL", "KICK_MASK"): p.n_agents}

    async def body(b):
        for reg, i, _ in REGMAP.instances(p):
            if reg.reset is not None and reg.readable and reg.check is None:
                assert await b.read_ok(0, reg.name, i) == reg.reset, reg.name
        for reg, i, _ in REGMAP.instances(p):
            rw = [f for f in reg.fields if f.access.name == "RW"]
            if not rw:
                continue
            values = {f.name: (getattr(p, f.limit) - 1 - i % getattr(p, f.limit)
                               if f.limit else (1 << f.width) - 1 - i) for f in rw}
            await b.write_ok(1, reg.name, i, reg.compose(values), priv=True)
            got = await b.read_ok(1, reg.name, i, priv=True)
            for f in rw:
                want = values[f.name] & ((1 << sized.get((reg.name, f.name), f.width)) - 1)
                assert f.get(got) == want, f"{reg.name}[{i}].{f.name}"
    run(p, body)


@pytest.mark.parametrize("case", ["hole", "beyond_count", "size", "misaligned", "strobe",
                                  "read_write_only", "write_read_only", "unprivileged", "limit"])
def test_refused_access_changes_nothing(case):
    """Each bad access: SLVERR, read data 0, no state change, BUS_ERROR at the caller only."""
    p = P3
    cfg_before = cfg_word(0, 1)
    bad = {
        "hole": dict(name_or_addr=REG_BASE + 0x0FC, write=True, data=cfg_word(2, 2), priv=True),
        "beyond_count": dict(name_or_addr="CH_CFG", i=p.n_channels, write=True,
                             data=cfg_word(2, 2), priv=True),
        "size": dict(name_or_addr="CH_CFG", write=True, data=cfg_word(2, 2), priv=True, size=1),
        "misaligned": dict(name_or_addr=addr("CH_CFG") + 2, write=True, data=cfg_word(2, 2),
                           priv=True),
        "strobe": dict(name_or_addr="CH_CFG", write=True, data=cfg_word(2, 2), priv=True,
                       strb=0b0111),
        "read_write_only": dict(name_or_addr="DOORBELL", priv=True),
        "write_read_only": dict(name_or_addr="EPOCH", write=True, data=7, priv=True),
        "unprivileged": dict(name_or_addr="CH_CFG", write=True, data=cfg_word(2, 2)),
        "limit": dict(name_or_addr="CH_CFG", write=True, data=cfg_word(3, 1), priv=True),
    }[case]

    async def body(b):
        await b.write_ok(0, "CH_CFG", 0, cfg_before, priv=True)
        await b.write_ok(2, "EV_ENABLE", data=BUSERR)
        assert b.irq() == 0
        resp, data = await b.access(2, **bad)
        assert (resp, data) == (SLVERR, 0)
        assert b.irq() == 0  # the response cycle: the event is raised at its end
        await b.tick()
        assert b.irq() == 0b100
        assert await b.read_ok(0, "CH_CFG", 0) == cfg_before
        assert await b.read_ok(0, "EPOCH", 0) == 0
        assert await b.read_ok(2, "EV_PENDING") == BUSERR
        assert await b.read_ok(0, "EV_PENDING") == 0
        assert await b.read_ok(1, "EV_PENDING") == 0
    run(p, body)


def test_exclusive_access_is_plain_and_okay():
    async def body(b):
        await b.write_ok(0, "CH_CFG", 1, cfg_word(1, 2), priv=True, lock=True)
        resp, data = await b.read(2, "CH_CFG", 1, lock=True)
        assert (resp, data) == (OKAY, cfg_word(1, 2))  # never EXOKAY
    run(P3, body)


def test_doorbell_endpoints():
    async def body(b):
        await b.connect(0, 0, 1)
        await b.connect(1, 2, 2)  # loopback: single-core SPUMONE
        await b.connect(2, 0, 2, enable=False)
        await b.write_ok(0, "DOORBELL", data=0)
        assert [await b.read_ok(k, "CH_PENDING") for k in range(3)] == [0, 0b1, 0]
        await b.write_ok(1, "DOORBELL", data=0)
        assert [await b.read_ok(k, "CH_PENDING") for k in range(3)] == [0b1, 0b1, 0]
        await b.write_ok(2, "DOORBELL", data=1)
        assert await b.read_ok(2, "CH_PENDING") == 0b10
        # non-endpoint (privilege does not help), disabled channel, channel out of range
        for agent, ch, priv in ((2, 0, False), (2, 0, True), (0, 2, False), (0, 4, True)):
            resp, _ = await b.write(agent, "DOORBELL", data=ch, priv=priv)
            assert resp == SLVERR
        assert [await b.read_ok(k, "CH_PENDING") for k in range(3)] == [0b1, 0b1, 0b10]
        assert await b.read_ok(0, "EV_PENDING") == BUSERR
        assert await b.read_ok(1, "EV_PENDING") == 0
    run(P3, body)


def test_irq_timing_and_status():
    async def body(b):
        await b.connect(3, 1, 0)
        await b.write_ok(1, "CH_ENABLE", data=0b1000)
        await b.tick(2)
        assert b.irq() == 0
        await b.write_ok(0, "DOORBELL", data=3)
        assert b.irq() == 0b010  # the cycle after the doorbell access
        assert await b.read_ok(1, "CH_STATUS") == 0b1000
        assert await b.read_ok(1, "IRQ_STATUS") == 0b010
        await b.write_ok(1, "CH_PENDING", data=0b1000)
        assert b.irq() == 0  # the cycle after the W1C access
        await b.write_ok(1, "DOORBELL", data=3)  # 1 -> 0, but 0 has not enabled it
        assert b.irq() == 0
        assert await b.read_ok(0, "CH_PENDING") == 0b1000
        assert await b.read_ok(0, "CH_STATUS") == 0
        await b.write_ok(0, "CH_ENABLE", data=0xFFFF_FFFF)
        assert b.irq() == 0b001  # enabling a pending bit raises irq at once
        assert await b.read_ok(0, "CH_ENABLE") == 0b1111  # only n_channels bits are stored
    run(P3, body)


def test_banking_cannot_ack_foreign_bits():
    async def body(b):
        await b.connect(0, 0, 1)
        await b.write_ok(0, "DOORBELL", data=0)
        await b.write_ok(0, "CH_PENDING", data=0xFFFF_FFFF)
        await b.write_ok(2, "CH_PENDING", data=0xFFFF_FFFF, priv=True)
        assert await b.read_ok(1, "CH_PENDING") == 1
        b.bus_error(0b010)
        await b.tick()
        await b.write_ok(0, "EV_PENDING", data=0xFFFF_FFFF)
        assert await b.read_ok(1, "EV_PENDING") == BUSERR
        await b.write_ok(1, "CH_PENDING", data=1)
        await b.write_ok(1, "EV_PENDING", data=BUSERR)
        assert await b.read_ok(1, "CH_PENDING") == 0
        assert await b.read_ok(1, "EV_PENDING") == 0
    run(P3, body)


def test_set_wins_over_clear_in_same_cycle():
    async def body(b):
        b.bus_error(0b001)
        await b.tick()
        assert await b.read_ok(0, "EV_PENDING") == BUSERR
        b.bus_error(0b001)  # a new error in the very cycle of the acknowledge
        await b.write_ok(0, "EV_PENDING", data=BUSERR)
        assert await b.read_ok(0, "EV_PENDING") == BUSERR
        await b.write_ok(0, "EV_PENDING", data=BUSERR)
        assert await b.read_ok(0, "EV_PENDING") == 0
    run(P3, body)


def test_tx_pending_observes_peer():
    async def body(b):
        await b.connect(2, 0, 1)
        await b.write_ok(0, "DOORBELL", data=2)
        assert await b.read_ok(0, "TX_PENDING") == 0b100
        assert await b.read_ok(2, "TX_PENDING") == 0  # not an endpoint
        assert await b.read_ok(1, "TX_PENDING") == 0  # nothing pending at agent 0
        await b.write_ok(1, "CH_PENDING", data=0b100)
        assert await b.read_ok(0, "TX_PENDING") == 0  # TX done
    run(P3, body)


def test_agent_reset_pulse_epochs_and_peer_events():
    p = P3

    async def body(b):
        await b.connect(0, 0, 1)
        await b.connect(1, 1, 2)
        await b.connect(2, 1, 1)  # loopback of agent 1: epoch bump, no event
        await b.connect(3, 0, 1, enable=False)  # disabled: untouched
        await b.write_ok(0, "DOORBELL", data=0)
        await b.write_ok(1, "CH_ENABLE", data=0b1111)
        await b.write_ok(1, "EV_ENABLE", data=0b111)
        resp, _ = await b.write(0, "AGENT_CTRL", 1, data=1)
        assert resp == SLVERR and b.agent_rst() == 0
        await b.write_ok(1, "EV_PENDING", data=BUSERR)
        await b.write_ok(0, "AGENT_CTRL", 1, data=0, priv=True)  # RESET=0: nothing
        assert b.agent_rst() == 0
        # latched: acts at the end of the response cycle, so a read in the next cycle still
        # sees the state before the reset
        assert await b.seq(b.op(0, "AGENT_CTRL", 1, write=True, data=1, priv=True),
                           b.op(1, "CH_ENABLE")) == [(OKAY, 0), (OKAY, 0b1111)]
        high = 0
        while b.agent_rst() == 0b010:
            high += 1
            await b.tick()
        assert high == p.agent_rst_cycles
        assert b.agent_rst() == 0
        assert [await b.read_ok(0, "EPOCH", c, priv=True) for c in range(4)] == [1, 1, 1, 0]
        assert await b.read_ok(1, "CH_PENDING") == 0
        assert await b.read_ok(1, "CH_ENABLE") == 0
        assert await b.read_ok(1, "EV_ENABLE") == 0
        assert await b.read_ok(1, "EV_PENDING") == 0
        assert await b.read_ok(0, "EV_PENDING") == PEER | BUSERR  # BUSERR: the refused write
        assert await b.read_ok(2, "EV_PENDING") == PEER
    run(p, body)


def test_agent_reset_in_reset_and_restart():
    async def body(b):
        await b.write_ok(0, "AGENT_CTRL", 2, data=1, priv=True)
        await b.tick(3)
        assert await b.read_ok(0, "AGENT_CTRL", 2) == 0b10
        await b.write_ok(0, "AGENT_CTRL", 2, data=1, priv=True)  # restarts the pulse
        await b.tick()
        for _ in range(5):
            assert b.agent_rst() == 0b100
            await b.tick()
        assert b.agent_rst() == 0
        assert await b.read_ok(0, "AGENT_CTRL", 2) == 0
    run(P3, body)


def test_channel_reset_and_epoch_readers():
    async def body(b):
        await b.connect(1, 0, 2, enable=False)
        await b.connect(2, 1, 1)
        resp, _ = await b.write(0, "CHANNEL_RESET", data=1)
        assert resp == SLVERR
        resp, _ = await b.write(0, "CHANNEL_RESET", data=4, priv=True)
        assert resp == SLVERR
        assert await b.read_ok(0, "EV_PENDING") == BUSERR
        await b.write_ok(0, "EV_PENDING", data=BUSERR)
        await b.write_ok(1, "CHANNEL_RESET", data=1, priv=True)
        await b.write_ok(1, "CHANNEL_RESET", data=2, priv=True)
        # the second reset acts at the end of the cycle of the read after it
        assert await b.seq(b.op(1, "CHANNEL_RESET", write=True, data=2, priv=True),
                           b.op(1, "EPOCH", 2)) == [(OKAY, 0), (OKAY, 1)]
        assert [await b.read_ok(k, "EV_PENDING") for k in range(3)] == [PEER, PEER, PEER]
        assert await b.read_ok(0, "EPOCH", 1) == 1
        assert await b.read_ok(2, "EPOCH", 1) == 1
        assert await b.read_ok(1, "EPOCH", 2) == 2
        assert await b.read_ok(0, "EPOCH", 2, priv=True) == 2
        assert await b.read(0, "EPOCH", 2) == (SLVERR, 0)  # not an endpoint of channel 2
        await b.tick()
        assert await b.read_ok(0, "EV_PENDING") == PEER | BUSERR
    run(P3, body)


def test_watchdog_expiry_kick_and_reload():
    async def body(b):
        await b.write_ok(0, "WDOG_PERIOD", 1, data=10, priv=True)
        await b.write_ok(1, "EV_ENABLE", data=WDOG)
        await b.write_ok(0, "WDOG_CTRL", 1, data=wdog_ctrl(True, 1, 0b100), priv=True)
        # read in E two cycles after the enabling write's E: one decrement
        assert await b.read_ok(2, "WDOG_COUNT", 1) == 9
        # expiry exactly 10 cycles after the enabling write's E (the bench is 3 cycles on)
        await b.tick(7)
        assert b.irq() == 0
        await b.tick()
        assert b.irq() == 0b010
        assert await b.seq(b.op(0, "WDOG_EXPIRED"), b.op(1, "EV_PENDING"), b.op(0, "EV_PENDING"),
                           b.op(0, "WDOG_COUNT", 1)) == [
            (OKAY, 0b10), (OKAY, WDOG), (OKAY, 0),
            (OKAY, 6)]  # reloaded to 10 at the expiry, 4 cycles before this E: it keeps running
        # kicks: permitted agent, privileged access; forbidden agent gets SLVERR
        assert await b.seq(b.op(2, "WDOG_KICK", 1, write=True), b.op(0, "WDOG_COUNT", 1),
                           b.op(0, "WDOG_KICK", 1, write=True, priv=True),
                           b.op(0, "WDOG_KICK", 1, write=True), b.op(0, "WDOG_COUNT", 1)) == [
            (OKAY, 0), (OKAY, 10), (OKAY, 0), (SLVERR, 0),
            (OKAY, 9)]  # the forbidden kick reloaded nothing
        assert await b.read_ok(0, "EV_PENDING") == BUSERR
        # kicking every few cycles keeps it from expiring
        assert await b.seq(b.op(1, "EV_PENDING", write=True, data=WDOG),
                           b.op(1, "WDOG_EXPIRED", write=True, data=0b10, priv=True),
                           b.op(2, "WDOG_KICK", 1, write=True)) == [(OKAY, 0)] * 3
        for _ in range(5):
            await b.tick(6)  # kicks' E 8 cycles apart; a kick in the expiry cycle would be late
            await b.write_ok(2, "WDOG_KICK", 1)
        assert await b.read_ok(1, "EV_PENDING") == 0
        assert await b.read_ok(1, "WDOG_EXPIRED") == 0
        # disabling stops the count where it is
        await b.write_ok(0, "WDOG_CTRL", 1, data=wdog_ctrl(False, 1, 0b100), priv=True)
        count = await b.read_ok(0, "WDOG_COUNT", 1)
        await b.tick(30)
        assert await b.read_ok(0, "WDOG_COUNT", 1) == count
        assert await b.read_ok(1, "EV_PENDING") == 0
        # watchdog 0 never enabled: untouched
        assert await b.read_ok(0, "WDOG_COUNT", 0) == 0
    run(P3, body)


def test_watchdog_setup_is_privileged():
    async def body(b):
        for name, data in (("WDOG_PERIOD", 5), ("WDOG_CTRL", wdog_ctrl(True, 0, 1)),
                           ("WDOG_EXPIRED", 1)):
            resp, _ = await b.write(1, name, 0, data=data)
            assert resp == SLVERR
        resp, _ = await b.write(1, "WDOG_CTRL", 0, data=wdog_ctrl(True, 3, 1), priv=True)
        assert resp == SLVERR  # supervisor out of range
        assert await b.read_ok(0, "WDOG_CTRL", 0) == 0
        assert await b.read_ok(0, "WDOG_PERIOD", 0) == 0
    run(P3, body)


def test_cycle_counter():
    async def body(b):
        t0 = await b.read_ok(0, "CYCLE_LO")
        await b.tick(40)
        t1 = await b.read_ok(1, "CYCLE_LO")
        assert t1 - t0 == 42  # the first read's answer cycle, 40 idle cycles, the second's X
        assert t0 == 1  # read in E, the second cycle after reset
        assert await b.read_ok(0, "CYCLE_HI") == 0
    run(P3, body)


def test_monitor_status_readback():
    async def body(b):
        for k in range(3):
            b.monitor(k, MonitorStatus(ScFailCause(k + 1), 100 + k, 200 + k, 0xFFFF_FFF0 + k))
        for k in range(3):
            assert await b.read_ok(2 - k, "SC_CAUSE", k) == k + 1
            assert await b.read_ok(0, "LL_COUNT", k) == 100 + k
            assert await b.read_ok(0, "SC_OK_COUNT", k) == 200 + k
            assert await b.read_ok(0, "SC_FAIL_COUNT", k) == 0xFFFF_FFF0 + k
        assert await b.read(0, "SC_CAUSE", 3) == (SLVERR, 0)
    run(P3, body)


def test_fabric_bus_error_event():
    async def body(b):
        await b.write_ok(2, "EV_ENABLE", data=BUSERR)
        b.bus_error(0b100)
        await b.tick()
        assert b.irq() == 0b100
        assert await b.read_ok(2, "EV_STATUS") == BUSERR
        assert await b.read_ok(1, "EV_PENDING") == 0
    run(P3, body)


def test_doorbell_wins_over_latched_agent_reset():
    """The one channel set/clear collision: a doorbell in the cycle the reset clears the peer."""
    async def body(b):
        await b.connect(0, 0, 1)
        await b.write_ok(1, "CH_ENABLE", data=1)
        await b.write_ok(0, "DOORBELL", data=0)
        await b.write_ok(0, "AGENT_CTRL", 1, data=1, priv=True)
        await b.write_ok(0, "DOORBELL", data=0)  # same cycle as the reset's clear of agent 1
        assert await b.read_ok(1, "CH_PENDING") == 1
        assert await b.read_ok(1, "CH_ENABLE") == 0
        assert b.irq() == 0  # enable cleared by the reset
    run(P3, body)


def test_kick_in_expiry_cycle_does_not_prevent_expiry():
    async def body(b):
        await b.write_ok(0, "WDOG_PERIOD", 0, data=4, priv=True)
        await b.write_ok(0, "WDOG_CTRL", 0, data=wdog_ctrl(True, 2, 0b001), priv=True)
        await b.tick()
        assert await b.seq(
            b.op(0, "WDOG_COUNT", 0),
            b.op(0, "WDOG_KICK", 0, write=True),  # sees count 1: the expiry cycle
            b.op(2, "EV_PENDING"), b.op(0, "WDOG_EXPIRED", priv=True),
            b.op(0, "WDOG_COUNT", 0)) == [
            (OKAY, 2), (OKAY, 0), (OKAY, WDOG), (OKAY, 0b01),
            (OKAY, 2)]  # reloaded to 4 at the expiry
    run(P3, body)


def test_period_zero_expires_every_cycle():
    async def body(b):
        await b.write_ok(0, "WDOG_CTRL", 1, data=wdog_ctrl(True, 0, 0), priv=True)
        await b.tick()
        await b.write_ok(0, "EV_PENDING", data=WDOG)
        assert await b.read_ok(0, "EV_PENDING") == WDOG  # raised again at once
    run(P3, body)


def test_cycle_counter_carries_into_the_high_word():
    """The counter's high word increments exactly when the low word wraps (it is two halves
    with a registered carry): started just below the wrap, reads stay consistent."""
    dut = IocMailbox(P3)
    fragment = Fragment.get(dut, None)
    cycle = Probe(fragment)[probes.CYCLE]
    seen = []

    async def testbench(ctx):
        ctx.set(cycle, 0x0000_0004_FFFF_FFF0)
        await ctx.tick()
        for _ in range(40):
            seen.append(ctx.get(cycle))
            await ctx.tick()

    simulate(fragment, testbench, name="mailbox_cycle_carry")
    assert seen == list(range(seen[0], seen[0] + 40))
    assert seen[0] < 0x0000_0005_0000_0000 < seen[-1]


# -- message FIFOs (SPEC 3.5) ----------------------------------------------------------------------

PF = IocParams(n_agents=3, n_channels=3, n_watchdogs=1, agent_rst_cycles=2, fifo_depth=4)
_STATUS = REGMAP["FIFO_STATUS"]


def fifo_status(level, dropped=0, depth=PF.fifo_depth):
    return _STATUS.compose({"LEVEL": level, "EMPTY": int(level == 0),
                            "FULL": int(level == depth), "DROPPED": dropped})


def send(agent, f, word, **kwargs):
    return Bench.op(agent, "FIFO_DATA", f, write=True, data=word, **kwargs)


def recv(agent, f, **kwargs):
    return Bench.op(agent, "FIFO_DATA", f, **kwargs)


def test_fifo_absent_without_depth():
    """fifo_depth=0: every FIFO register is a hole (SLVERR), and CONFIG says so."""
    async def body(b):
        assert REGMAP["CONFIG"].field("FIFO_DEPTH_LOG2").get(await b.read_ok(0, "CONFIG")) == 0
        for name in ("FIFO_DATA", "FIFO_STATUS", "FIFO_THRESH", "FIFO_TX_PENDING",
                     "FIFO_RX_ENABLE", "FIFO_ERROR"):
            assert (await b.read(0, name, priv=True))[0] == SLVERR, name
            assert b.model.last_refusal == "HOLE"
    run(P3, body)


def test_fifo_words_in_order_full_and_empty():
    """Words come out in order, level/empty/full are exact, a send to a full and a receive from
    an empty FIFO get SLVERR, change nothing and set the caller's sticky FIFO_ERROR bit."""
    async def body(b):
        assert REGMAP["CONFIG"].field("FIFO_DEPTH_LOG2").get(await b.read_ok(0, "CONFIG")) == 2
        await b.connect(0, 0, 1)
        await b.write_ok(0, "EV_ENABLE", data=BUSERR)
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0)
        for n, word in enumerate((0x11, 0x22, 0x33, 0x44)):
            await b.write_ok(0, "FIFO_DATA", 0, word)
            assert await b.read_ok(1, "FIFO_STATUS", 0) == fifo_status(n + 1)
        assert await b.write(0, "FIFO_DATA", 0, 0x55) == (SLVERR, 0)
        await b.tick()
        assert b.irq() == 0b001  # BUS_ERROR at the sender
        assert await b.read_ok(0, "FIFO_ERROR") == 0b1
        assert await b.read_ok(1, "FIFO_ERROR") == 0
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(4)
        assert [await b.read_ok(1, "FIFO_DATA", 0) for _ in range(4)] == [0x11, 0x22, 0x33, 0x44]
        assert await b.read(1, "FIFO_DATA", 0) == (SLVERR, 0)
        assert await b.read_ok(1, "FIFO_ERROR") == 0b1
        assert await b.read_ok(0, "FIFO_STATUS", 1) == fifo_status(0)  # B to A untouched
        await b.write_ok(0, "FIFO_ERROR", data=0b1)
        assert await b.read_ok(0, "FIFO_ERROR") == 0
        assert await b.read_ok(1, "FIFO_ERROR") == 0b1
    run(PF, body)


def test_fifo_back_to_back():
    """One access per cycle: a receive right behind a send of the first word (the memory's
    transparency), receives back to back (the read pointer forwarded), sends and receives
    interleaved on both directions."""
    async def body(b):
        await b.connect(1, 1, 2)
        answers = await b.seq(send(1, 2, 0xA0), recv(2, 2), recv(2, 2), send(1, 2, 0xA1),
                              send(1, 2, 0xA2), send(2, 3, 0xB0), recv(2, 2), recv(2, 2),
                              recv(1, 3), send(1, 2, 0xA3), recv(2, 2))
        assert answers == [(OKAY, 0), (OKAY, 0xA0), (SLVERR, 0), (OKAY, 0), (OKAY, 0), (OKAY, 0),
                           (OKAY, 0xA1), (OKAY, 0xA2), (OKAY, 0xB0), (OKAY, 0), (OKAY, 0xA3)]
        # wrap around the memory words of FIFO 2 several times
        for rnd in range(3):
            await b.seq(*(send(1, 2, rnd << 8 | j) for j in range(4)))
            assert await b.seq(*(recv(2, 2) for _ in range(4))) == [
                (OKAY, rnd << 8 | j) for j in range(4)]
    run(PF, body)


def test_fifo_refuses_non_endpoints():
    """Only the FIFO's sender sends and only its receiver receives, on an enabled channel;
    privilege does not help; the refusal sets no FIFO_ERROR bit (it is not full/empty)."""
    async def body(b):
        await b.connect(0, 0, 1)
        await b.connect(1, 0, 1, enable=False)
        await b.write_ok(0, "FIFO_DATA", 0, 7)
        for acc in (send(1, 0, 1), send(2, 0, 1, priv=True), recv(0, 0), recv(2, 0, priv=True),
                    send(0, 1, 1), recv(1, 1), send(0, 2, 1)):
            assert await b.access(*acc[:2], write=acc[2], data=acc[3], priv=acc[6]) == (
                SLVERR, 0)
        assert await b.read(2, "FIFO_STATUS", 0) == (SLVERR, 0)  # not an endpoint
        assert await b.read_ok(2, "FIFO_STATUS", 0, priv=True) == fifo_status(1)
        for k in range(3):
            assert await b.read_ok(k, "FIFO_ERROR") == 0
        assert await b.read_ok(1, "FIFO_DATA", 0) == 7
    run(PF, body)


def test_fifo_thresholds_raise_irq():
    async def body(b):
        await b.connect(0, 0, 1)
        thresh = REGMAP["FIFO_THRESH"]
        assert await b.write(0, "FIFO_THRESH", 0, thresh.compose({"SEND": 1, "RECV": 2})) == (
            SLVERR, 0)  # privileged
        assert await b.write(0, "FIFO_THRESH", 0, thresh.compose({"RECV": 4}), priv=True) == (
            SLVERR, 0)  # limit: below fifo_depth
        await b.write_ok(0, "FIFO_THRESH", 0, thresh.compose({"SEND": 1, "RECV": 2}), priv=True)
        await b.write_ok(1, "FIFO_RX_ENABLE", data=0b1)
        await b.write_ok(0, "FIFO_TX_ENABLE", data=0b1)
        for word in range(2):
            await b.write_ok(0, "FIFO_DATA", 0, word)
        assert b.irq() == 0 and await b.read_ok(1, "FIFO_RX_PENDING") == 0
        await b.write_ok(0, "FIFO_DATA", 0, 2)  # level 2 -> 3: above RECV
        assert b.irq() == 0b010
        assert await b.read_ok(1, "FIFO_RX_STATUS") == 0b1
        await b.write_ok(1, "FIFO_RX_PENDING", data=0b1)
        assert b.irq() == 0
        await b.read_ok(1, "FIFO_DATA", 0)  # 3 -> 2
        assert b.irq() == 0
        await b.read_ok(1, "FIFO_DATA", 0)  # 2 -> 1: down to SEND
        assert b.irq() == 0b001
        assert await b.read_ok(0, "FIFO_TX_PENDING") == 0b1
        assert await b.read_ok(1, "FIFO_TX_PENDING") == 0
        await b.read_ok(1, "FIFO_DATA", 0)  # 1 -> 0: no crossing
        await b.write_ok(0, "FIFO_TX_PENDING", data=0b1)
        assert b.irq() == 0
        await b.seq(send(0, 0, 3), send(0, 0, 4), recv(1, 0))  # 2 -> 1 again
        assert await b.read_ok(0, "FIFO_TX_PENDING") == 0b1
        # agent reset clears the agent's FIFO interrupt state
        await b.write_ok(2, "AGENT_CTRL", 0, 1, priv=True)
        await b.tick(3)
        assert [await b.read_ok(0, n) for n in ("FIFO_TX_PENDING", "FIFO_TX_ENABLE")] == [0, 0]
    run(PF, body)


def test_fifo_flush_counts_dropped():
    """CHANNEL_RESET and an endpoint's AGENT_CTRL.RESET flush both FIFOs of the channel and
    add the words left to DROPPED; a send or receive in the cycle the flush acts comes first."""
    async def body(b):
        await b.connect(0, 0, 1)
        await b.connect(2, 2, 2)
        for word in range(3):
            await b.write_ok(0, "FIFO_DATA", 0, word)
        await b.write_ok(1, "FIFO_DATA", 1, 9)
        await b.write_ok(2, "FIFO_DATA", 4, 5)
        await b.write_ok(0, "CHANNEL_RESET", data=0, priv=True)
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0, dropped=3)
        assert await b.read_ok(0, "FIFO_STATUS", 1) == fifo_status(0, dropped=1)
        assert await b.read_ok(2, "FIFO_STATUS", 4) == fifo_status(1)  # other channel kept
        assert await b.read_ok(0, "EPOCH", 0) == 1
        # the send in the flush's cycle is dropped with it
        await b.write_ok(0, "FIFO_DATA", 0, 1)
        assert await b.seq(Bench.op(0, "CHANNEL_RESET", write=True, data=0, priv=True),
                           send(0, 0, 2)) == [(OKAY, 0), (OKAY, 0)]
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0, dropped=5)
        # the receive in the flush's cycle is delivered, not counted as dropped
        await b.seq(send(0, 0, 3), send(0, 0, 4))
        assert await b.seq(Bench.op(0, "CHANNEL_RESET", write=True, data=0, priv=True),
                           recv(1, 0)) == [(OKAY, 0), (OKAY, 3)]
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0, dropped=6)
        # agent reset of an endpoint
        await b.write_ok(0, "FIFO_DATA", 0, 7)
        await b.write_ok(2, "AGENT_CTRL", 1, 1, priv=True)
        await b.tick()
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0, dropped=7)
        assert await b.read_ok(2, "FIFO_STATUS", 4) == fifo_status(1)
    run(PF, body)


def test_fifo_exclusive_is_plain_and_okay():
    async def body(b):
        await b.connect(0, 0, 1)
        assert await b.write(0, "FIFO_DATA", 0, 0x5A, lock=True) == (OKAY, 0)
        assert await b.read(1, "FIFO_DATA", 0, lock=True) == (OKAY, 0x5A)
        assert await b.read_ok(0, "FIFO_STATUS", 0) == fifo_status(0)
    run(PF, body)
